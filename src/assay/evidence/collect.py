"""Collection: run the registered collectors for each service and store what they find.

For each service, in this order:

1. inside CI, every *environment* collector, once (the CI run context; the first
   ``ci.run`` draft becomes :attr:`CollectContext.ci_run` for the steps below);
2. every repository is resolved to a commit (cloned or fetched first if it is a URL);
3. every file in the pipelines' artefact folders (and ``--artefacts`` folders) is
   offered to the *artefact* collectors whose ``accepts()`` is true; files nobody
   recognises are listed as skipped. Each collector's ``collect_files(targets, context)``
   gets all its files of one folder at once (to merge them into one record). A file that
   cannot be read is not evidence: it is listed as skipped with its located reason, and
   the other files are still collected. Only a hostile file (a DOCTYPE with entities, a
   zip member escaping its folder, a zip bomb, a time after the collection) stops the
   service. Pipelines pulled from their CI system (``source: api``, or every GitHub and
   GitLab pipeline with ``from_ci``) bring a ``ci.run`` record and their artefact
   archives, which go through the same checks and parsers
   (:mod:`assay.evidence.ci_pull_step`);
4. approvals found in ``reviews`` drafts (self-reported: only those naming the author,
   by someone else, and not by an unlisted automation account) are handed to the repo
   collectors as :attr:`CollectContext.approvals` (commit id -> approvers);
5. every *repo* collector, for every repository: first ``platform.reviews`` (the code
   platform's API, when the repository has a platform) and ``platform.protection``: the
   commits the platform shows independently approved reach the others as
   :attr:`CollectContext.platform_reviewed` (tested: Assay read them itself), and the
   platform's environment approvals fill in the ``ci.workflows`` deploy environments the
   CI definitions could not say about; then the rest. A ``git.history`` draft made with
   self-reported approvals carries them as the artefact ``self-reported-approvals.json``,
   which marks the record as self-reported (:mod:`assay.evidence.trust`).

All drafts of a service are then checked (kind declared by the collector, facts valid
against the kind's schema) and written with one :meth:`Store.record` call: one
transaction per service, so a service's evidence is stored whole or not at all. A
failure in one service is reported and the others still run.

With ``from_ci``, services are gathered a few at a time in threads (the pulls wait on the
network) and stored one after the other in their order. The core knows nothing of the
command line: it takes a frozen :class:`CollectOptions` and reports progress through a
callback.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol, TypeVar

from assay.display import mask_url
from assay.durations import parse_duration
from assay.errors import AssayError, CollectorError, InvalidInput, WorkspaceError
from assay.evidence.artefact_files import ArtefactScan, scan_folder
from assay.evidence.ci.tables import workspace_table_files
from assay.evidence.ci_pull_step import pull_service, pulled_pipelines
from assay.evidence.collect_results import (
    Collected,
    CollectReport,
    Failure,
    Skipped,
    approvals_from,
    check_drafts,
)
from assay.evidence.collectors.interface import (
    ArtefactTarget,
    CollectContext,
    Collector,
    EnvironmentTarget,
    RepoTarget,
    narrow_window,
    off_branch,
)
from assay.evidence.collectors.outcome import Outcome, Unread, unread_from
from assay.evidence.collectors.platform import (
    environments_into_workflows,
    origin_url,
    reviewed_by_platform,
)
from assay.evidence.context import ci_provider
from assay.evidence.git.policy import DEFAULT_TIMEOUT
from assay.evidence.model import EvidenceDraft
from assay.evidence.parsing.errors import ArtefactError, HostileArtefact, check_claimed_time
from assay.evidence.trust import ReviewerPolicy, approvals_artefact
from assay.platforms.identity import resolve as resolve_platform
from assay.platforms.registry import PlatformSession, cache_folder
from assay.workspace import RepoRef, Service, Workspace, unknown_service

_T = TypeVar("_T")

#: ``platform_reviews`` of a repository whose platform reviews came in a review export.
EXPORTED_REVIEWS = {
    "status": "read",
    "reason": "read from a review export a CI job wrote (self-reported)",
    "needs": None,
}

#: Kinds whose facts depend on the collection window (``--since``).
WINDOWED_KINDS = frozenset({"git.history"})


@dataclass(frozen=True)
class CollectOptions:
    """What to collect. Empty ``services`` means every service in the workspace."""

    services: tuple[str, ...] = ()
    repo: Path | None = None
    commit: str | None = None
    since: str | None = None
    artefacts: tuple[Path, ...] = ()
    environ: Mapping[str, str] | None = None
    in_ci: bool | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    timeout: float = DEFAULT_TIMEOUT
    #: Pull every GitHub Actions and GitLab CI pipeline from its API (as ``source: api``),
    #: collecting services ``workers`` at a time.
    from_ci: bool = False
    workers: int = 4


@dataclass(frozen=True)
class ProgressEvent:
    """One step of a service's collection; ``step`` counts from 1 up to ``steps``."""

    service: str
    message: str
    step: int
    steps: int


ProgressCallback = Callable[[ProgressEvent], None]


class EvidenceWriter(Protocol):
    """The part of the store collection needs."""

    def record(self, drafts: Sequence[EvidenceDraft], *, context: dict[str, Any]) -> Sequence[Any]:
        """Store ``drafts`` in one transaction; one result (``evidence_id``, ``new``) each."""
        ...


def in_ci(environ: Mapping[str, str]) -> bool:
    return ci_provider(environ) is not None


def select_services(workspace: Workspace, options: CollectOptions) -> list[Service]:
    services = workspace.load_services()
    if options.commit and options.repo is None:
        raise CollectorError("--commit needs --repo PATH: name the repository it belongs to")
    if options.services:
        unknown = [s for s in options.services if s not in services]
        if unknown:
            raise unknown_service(unknown[0], services)
        chosen = [services[s] for s in options.services]
    else:
        chosen = [services[s] for s in sorted(services)]
    if not chosen:
        raise WorkspaceError(
            "no services to collect", hint="add a services/<id>.yaml file (see 'assay init')"
        )
    if options.repo is not None and len(chosen) != 1:
        raise CollectorError(
            "--repo needs one service: pass --service S",
            hint="services in this workspace: " + ", ".join(s.id for s in chosen),
        )
    return chosen


def repos_to_collect(
    service: Service, options: CollectOptions
) -> list[tuple[RepoRef, Path | None]]:
    """The service's repositories, or the one ``--repo PATH`` names, with path overrides."""
    if options.repo is None:
        return [(ref, None) for ref in service.repos]
    path = options.repo
    if len(service.repos) == 1:
        return [(service.repos[0], path)]
    by_name = {ref.name: ref for ref in service.repos}
    name = path.resolve().name
    if name in by_name:
        return [(by_name[name], path)]
    if not service.repos:
        return [(RepoRef(name=name, path=path), path)]
    raise CollectorError(
        f"service {service.id} has repos {', '.join(sorted(by_name))}: "
        f"none is named like the folder '{name}'",
        hint="give the clone a folder named after one of them",
    )


def collect(
    workspace: Workspace,
    writer: EvidenceWriter,
    options: CollectOptions,
    *,
    collectors: Mapping[str, Collector] | None = None,
    progress: ProgressCallback | None = None,
) -> CollectReport:
    """Collect and store evidence for the chosen services; see the module docstring."""
    from assay.evidence.context import collection_context
    from assay.evidence.registry import load_collectors

    environ = dict(os.environ if options.environ is None else options.environ)
    try:
        window = parse_duration(options.since or workspace.since)
        configured = parse_duration(workspace.since)
    except ValueError as exc:
        where = "--since" if options.since else "collect.since in assay.toml"
        raise CollectorError(f"{where}: {exc}") from None
    # A window narrower than the workspace's is recorded as such: it never stands for the
    # branch (a narrow window can leave out the direct push a wide one shows).
    narrowed = options.since if options.since and window < configured else None
    found = dict(load_collectors() if collectors is None else collectors)
    report = CollectReport()
    context_base = collection_context(environ)
    chosen = select_services(workspace, options)

    def gather(service: Service) -> tuple[_ServiceRun, list[EvidenceDraft] | AssayError]:
        run = _ServiceRun(workspace, service, options, environ, window, found, progress)
        run.narrowed = narrowed
        try:
            drafts = run.drafts()
            check_drafts(drafts, service.id, found)
        except (CollectorError, InvalidInput) as exc:
            return run, exc
        return run, drafts

    if options.from_ci and len(chosen) > 1:
        # Services are pulled concurrently; their evidence is stored one at a time, in order.
        with ThreadPoolExecutor(max_workers=max(1, options.workers)) as pool:
            gathered: Iterable[tuple[_ServiceRun, list[EvidenceDraft] | AssayError]] = list(
                pool.map(gather, chosen)
            )
    else:
        gathered = map(gather, chosen)
    for run, drafts in gathered:
        service = run.service
        try:
            if isinstance(drafts, AssayError):
                raise drafts
            # All or nothing per service: a draft its kind refuses stores nothing for this
            # service, and the other services are still collected.
            results = writer.record(drafts, context={**context_base, "service": service.id})
        except (CollectorError, InvalidInput) as exc:
            report.failures.append(Failure(service.id, tuple(exc.diagnostics())))
            report.skipped.extend(run.skipped)
            continue
        for draft, result in zip(drafts, results, strict=True):
            report.collected.append(
                Collected(
                    service.id,
                    draft.kind,
                    draft.subject,
                    result.evidence_id,
                    result.new,
                    draft.collector,
                    draft.facts,
                )
            )
        report.skipped.extend(run.skipped)
    return report


class _ServiceRun:
    """The collection of one service: gathers drafts and skipped files."""

    def __init__(
        self,
        workspace: Workspace,
        service: Service,
        options: CollectOptions,
        environ: dict[str, str],
        window: Any,
        collectors: Mapping[str, Collector],
        progress: ProgressCallback | None,
    ) -> None:
        self.workspace = workspace
        self.service = service
        self.options = options
        self.environ = environ
        self.collectors = collectors
        self.progress = progress
        self.skipped: list[Skipped] = []
        self.context = CollectContext(
            service=service.id,
            since=window,
            max_artefact_bytes=workspace.max_artefact_bytes,
            tag_pattern=workspace.tag_pattern,
            ci_tables=tuple(workspace_table_files(workspace.root)),
            service_slos=service.slos,
            options=options.options,
            reviewers=ReviewerPolicy.from_config(workspace.config),
            platforms=PlatformSession(environ, cache_folder(workspace.root)),
        )
        self.repos = repos_to_collect(service, options)
        self.by_target = {
            kind: [c for _, c in sorted(collectors.items()) if c.target == kind]
            for kind in ("repo", "artefact", "environment")
        }
        self.ci = in_ci(environ) if options.in_ci is None else options.in_ci
        self.step = 0
        #: The ``--since`` given, when it is narrower than the workspace's window.
        self.narrowed: str | None = None
        self.steps = (
            len(self.repos) * (1 + len(self.by_target["repo"]))
            + (1 if pulled_pipelines(service.pipelines, options.from_ci) else 0)
            + (len(self.by_target["environment"]) if self.ci else 0)
            + 1
        )

    def tell(self, message: str) -> None:
        self.step = min(self.step + 1, self.steps)
        if self.progress is not None:
            self.progress(ProgressEvent(self.service.id, message, self.step, self.steps))

    def drafts(self) -> list[EvidenceDraft]:
        drafts: list[EvidenceDraft] = []
        if self.ci:
            for collector in self.by_target["environment"]:
                self.tell(f"{collector.name}: CI run context")
                made = self._run(collector, EnvironmentTarget(self.environ))
                for draft in made:  # the CI variables' times are claims too
                    check_claimed_time(f"CI run context ({collector.name})", draft.observed_at)
                drafts.extend(made)
            runs = [d.facts for d in drafts if d.kind == "ci.run"]
            if runs:
                self.context = replace(self.context, ci_run=runs[0])
        targets = [self._prepare(ref, path) for ref, path in self.repos]
        self.tell("artefacts")
        drafts.extend(self._artefacts(targets))
        pulled = pulled_pipelines(self.service.pipelines, self.options.from_ci)
        if pulled:
            self.tell("CI runs and artefacts from the CI system")
            drafts.extend(
                pull_service(
                    pulled,
                    targets,
                    self.context,
                    lambda files, context: self._parse_targets(
                        self._expand(files), self.by_target["artefact"], context
                    ),
                    lambda where, why: self.skipped.append(Skipped(self.service.id, where, why)),
                )
            )
        approvals = approvals_from(drafts, targets, self.context.reviewers)
        sources = [d.collector for d in drafts if d.kind == "reviews"]
        repo_collectors = self.by_target["repo"]
        platform_first = [
            c for c in repo_collectors if any(k.startswith("platform.") for k in c.kinds)
        ]
        for target in targets:
            context = self.context
            found = approvals.get(target.name)
            if found:
                context = replace(context, approvals=found)
            # The platform's reviews first: git.history counts the change sets they show
            # independently approved (tested platform facts, not self-reported).
            made_first: list[EvidenceDraft] = []
            for collector in platform_first:
                self.tell(f"{target.name}: {collector.name}")
                made_first += [self._mark(d, target) for d in self._run(collector, target, context)]
            drafts.extend(made_first)
            reviewed, access = reviewed_by_platform(made_first)
            if target.name in approvals and (access is None or access["status"] != "read"):
                # A review export names this repository: the platform's reviews were read,
                # by a CI job, and the history record is marked self-reported for it.
                access = dict(EXPORTED_REVIEWS)
            context = replace(context, platform_reviewed=reviewed, platform_reviews=access)
            for collector in repo_collectors:
                if collector in platform_first:
                    continue
                self.tell(f"{target.name}: {collector.name}")
                made = [self._mark(d, target) for d in self._run(collector, target, context)]
                made = environments_into_workflows(made, made_first)
                drafts.extend(_mark_self_reported(made, found, sources) if found else made)
        return drafts

    def _mark(self, draft: EvidenceDraft, target: RepoTarget) -> EvidenceDraft:
        """A repository draft, its subject marked when it cannot stand for the branch: a
        commit not on it, or a history window narrower than the workspace's."""
        subject = off_branch(draft.subject, target.on_branch)
        if self.narrowed is not None and draft.kind in WINDOWED_KINDS:
            subject = narrow_window(subject, self.narrowed)
        return replace(draft, subject=subject)

    def _prepare(self, ref: RepoRef, path: Path | None) -> RepoTarget:
        from assay.evidence.git.clones import prepare_repo

        where = path or ref.path
        display = self.workspace.display(where) if where else mask_url(ref.url or ref.name)
        self.tell(f"{ref.name}: resolving {display}")
        target = prepare_repo(
            ref,
            service=self.service.id,
            root=self.workspace.root,
            display=display,
            path=path,
            commit=self.options.commit if path is not None else None,
            timeout=self.options.timeout,
            progress=self.tell,
        )
        # A local clone without a url: its origin remote may still say where it lives.
        url = ref.url if ref.url or ref.platform else origin_url(target)
        return replace(target, platform=resolve_platform(ref.platform, url, self.environ))

    def _folders(self) -> list[tuple[Path, str | None, bool]]:
        """(folder, pipeline name, configured) for every artefact folder to scan."""
        folders: list[tuple[Path, str | None, bool]] = [
            (p.artefacts, p.name, True) for p in self.service.pipelines if p.artefacts
        ]
        folders += [(folder, None, False) for folder in self.options.artefacts]
        return folders

    def _artefacts(self, targets: Sequence[RepoTarget]) -> list[EvidenceDraft]:
        parsers = self.by_target["artefact"]
        commits = {t.name: t.commit for t in targets}
        default_commit = targets[0].commit if len(targets) == 1 else None
        drafts: list[EvidenceDraft] = []
        for folder, pipeline, configured in self._folders():
            repo = next((p.repo for p in self.service.pipelines if p.name == pipeline), None)
            commit = commits.get(repo or "", default_commit)
            scan = scan_folder(
                folder,
                self.workspace.display(folder),
                max_bytes=self.context.max_artefact_bytes,
                pipeline=pipeline,
                commit=commit,
                must_exist=not configured,
            )
            self.skipped.extend(Skipped(self.service.id, path, why) for path, why in scan.skipped)
            drafts.extend(self._parse(scan, parsers))
        return drafts

    def _parse(self, scan: ArtefactScan, parsers: Sequence[Collector]) -> list[EvidenceDraft]:
        # Each target keeps its own recognition: what was parsed goes when the targets do.
        return self._parse_targets(self._expand(scan.targets), parsers)

    def _expand(self, targets: Sequence[ArtefactTarget]) -> list[ArtefactTarget]:
        """``targets`` with every zip replaced by its members (checked, in memory). A zip
        that is hostile stops the service; one that is merely corrupt is skipped."""
        from assay.evidence.parsing.archives import expand_zip, is_zip

        expanded: list[ArtefactTarget] = []
        for target in targets:
            if not is_zip(target.data):
                expanded.append(target)
                continue
            try:
                expanded.extend(expand_zip(target, max_total_bytes=self.context.max_artefact_bytes))
            except HostileArtefact:
                raise
            except ArtefactError as exc:
                self._note(unread_from(exc, [target.name]))
        return expanded

    def _note(self, unread: Iterable[Unread]) -> None:
        self.skipped.extend(Skipped(self.service.id, u.name, u.reason) for u in unread)

    def _parse_targets(
        self,
        targets: list[ArtefactTarget],
        parsers: Sequence[Collector],
        context: CollectContext | None = None,
    ) -> list[EvidenceDraft]:
        chosen: dict[str, list[ArtefactTarget]] = {}
        for target in targets:
            takers = [c for c in parsers if _accepts(c, target)]
            if not takers:
                self.skipped.append(
                    Skipped(self.service.id, target.name, "no collector recognises this file")
                )
            for collector in takers:
                chosen.setdefault(collector.name, []).append(target)
        drafts: list[EvidenceDraft] = []
        for name, files in chosen.items():
            collector = self.collectors[name]
            outcome = _guard_files(collector, files, context or self.context)
            self._note(outcome.unread)
            drafts.extend(outcome.drafts)
        return drafts

    def _run(
        self, collector: Collector, target: Any, context: CollectContext | None = None
    ) -> list[EvidenceDraft]:
        use = context or self.context
        return _guard(collector, lambda: collector.collect(target, use))


def _mark_self_reported(
    drafts: list[EvidenceDraft], approvals: Mapping[str, Sequence[str]], sources: Sequence[str]
) -> list[EvidenceDraft]:
    """History drafts counted with self-reported approvals carry them as an artefact."""
    artefact = approvals_artefact(approvals, sources)
    return [
        replace(d, artefacts=(*d.artefacts, artefact)) if d.kind == "git.history" else d
        for d in drafts
    ]


def _accepts(collector: Collector, target: ArtefactTarget) -> bool:
    try:
        return bool(collector.accepts(target))
    except Exception as exc:  # noqa: BLE001 - a plugin's bug must not read as "no match"
        raise CollectorError(
            f"collector {collector.ident} failed on {target.name}: {type(exc).__name__}: {exc}"
        ) from None


def _guard_files(
    collector: Collector, files: Sequence[ArtefactTarget], context: CollectContext
) -> Outcome:
    """A collector's outcome for one folder's files; a plugin's bug fails closed, naming it."""
    outcome = _guard(collector, lambda: [collector.collect_files(files, context)])[0]
    if not isinstance(outcome, Outcome):
        raise CollectorError(
            f"collector {collector.ident} returned {type(outcome).__name__} "
            "from collect_files, not an Outcome"
        )
    return outcome


def _guard(collector: Collector, work: Callable[[], Iterable[_T]]) -> list[_T]:
    """Run a collector; its own errors pass through, anything else names it."""
    try:
        return list(work())
    except AssayError:
        raise
    except Exception as exc:  # noqa: BLE001 - third-party code: fail closed, say who
        raise CollectorError(
            f"collector {collector.ident} failed: {type(exc).__name__}: {exc}"
        ) from None
