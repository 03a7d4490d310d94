"""The collector plugin contract: targets, the collection context, and two bases.

A collector turns *targets* into evidence drafts of the kinds it declares. Collectors
register through the ``assay.collectors`` entry-point group; the built-ins register there
too, so third-party collectors are first-class.

Targets:

- :class:`RepoTarget`: a git repository at a resolved commit (read from git objects, never
  from the working tree);
- :class:`ArtefactTarget`: one artefact file a pipeline left, with its recognition;
- :class:`EnvironmentTarget`: the CI run context (environment variables).

Bases, each with hooks that have defaults so a plugin overrides only what it needs:

- :class:`Collector`: ``collect(target, context)`` is required; ``accepts(target)``
  (default: every target), ``collect_all(targets, context)`` (default: ``collect`` on
  each) and ``collect_files(targets, context)`` (default: ``collect_all``, its refusal
  noted against the files) are optional;
- :class:`ArtefactParser`: for a file format that becomes one evidence kind. A plugin sets
  ``kind`` and ``formats`` and writes ``recognise``, ``parse`` and ``summarise``; size
  limits, error wording, subject, time, merging and per-file notes come from the base.

Collection calls ``collect_files``: a file that cannot be read is not evidence, so it comes
back as an :class:`Unread` note and the other files are still collected. Only a
:class:`~assay.evidence.parsing.errors.HostileArtefact` (an attack's shape, an impossible
claim) is raised, and stops the service.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

from assay.evidence.collectors.outcome import Outcome, Skip, Unread, unread_from
from assay.evidence.model import ArtefactDraft, EvidenceDraft
from assay.evidence.parsing.errors import (
    DEFAULT_MAX_BYTES,
    ArtefactError,
    HostileArtefact,
    check_claimed_time,
    check_size,
    refuse,
)
from assay.evidence.parsing.recognition import Recognition, recognise
from assay.evidence.parsing.values import parse_time
from assay.evidence.trust import ReviewerPolicy
from assay.platforms.identity import Platform
from assay.platforms.registry import PlatformSession

ENTRY_POINT_GROUP = "assay.collectors"
#: The subject's pipeline when an artefact belongs to no configured pipeline.
DEFAULT_PIPELINE = "artefacts"


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class RepoTarget:
    """A repository at one commit. ``path`` is a local clone (bare or not)."""

    name: str
    path: Path
    commit: str
    branch: str | None
    commit_time: datetime
    files: Mapping[str, str] = field(default_factory=dict)
    #: An SSH allowed-signers file: when set, signatures are also verified against it.
    allowed_signers: Path | None = None
    #: Glob for release tags, when the repository sets its own.
    tag_pattern: str | None = None
    #: Whether ``commit`` is reachable from the branch head (``--commit`` may name one
    #: that is not: its evidence is recorded as such and never stands for the branch).
    on_branch: bool = True
    #: The code platform the repository lives on, when configured or read from its URL.
    platform: Platform | None = None

    @property
    def branch_label(self) -> str:
        """The branch as evidence names it: ``HEAD`` for a detached head or a commit that
        is not on the branch."""
        return (self.branch if self.on_branch else None) or "HEAD"

    @property
    def subject(self) -> dict[str, Any]:
        """The subject of commit-bound evidence: this repository at this commit."""
        return off_branch(
            {"repo": self.name, "branch": self.branch_label, "commit": self.commit},
            self.on_branch,
        )


def off_branch(subject: dict[str, Any], on_branch: bool) -> dict[str, Any]:
    """``subject``, marked when its commit is not on the branch: no branch, and
    ``"on_branch": false`` (which gives it a subject key of its own)."""
    if on_branch:
        return subject
    return {**subject, "branch": None, "on_branch": False}


def narrow_window(subject: dict[str, Any], since: str) -> dict[str, Any]:
    """``subject``, marked as read over a window (``since``) narrower than the workspace's:
    such evidence has a subject key of its own and never stands for the branch."""
    return {**subject, "window": since, "full_window": False}


@dataclass(frozen=True)
class ArtefactTarget:
    """One file a pipeline produced. ``pipeline`` names the service's pipeline, if any.

    ``modified_at`` is when the file was written (a zip member's stored date, or the file's
    modification time), the last resort for dating evidence. :attr:`recognition` is worked
    out from the content the first time it is asked for and kept with the target.
    """

    path: Path
    name: str
    data: bytes = field(repr=False)
    pipeline: str | None = None
    commit: str | None = None
    run_id: str | None = None
    modified_at: datetime | None = None

    @cached_property
    def recognition(self) -> Recognition:
        """What the content is (form, parsed JSON, XML root), read once for every parser."""
        return recognise(self.data, self.name)


@dataclass(frozen=True)
class EnvironmentTarget:
    """The process environment of a CI job."""

    environ: Mapping[str, str]


Target = RepoTarget | ArtefactTarget | EnvironmentTarget


# --------------------------------------------------------------------------- context


@dataclass(frozen=True)
class CollectContext:
    """What every collector may know about the collection run."""

    service: str
    #: The history window, ending at the collected commit's time.
    since: timedelta = timedelta(days=90)
    max_artefact_bytes: int = DEFAULT_MAX_BYTES
    #: The default release tag glob (a repository may set its own).
    tag_pattern: str = "v*"
    #: The facts of this CI run's ``ci.run`` record, once the environment collectors ran.
    ci_run: Mapping[str, Any] | None = None
    #: The workspace's own CI table files (``ci-tables/*.yaml``), added to the built-in ones.
    ci_tables: tuple[Path, ...] = ()
    #: The SLOs of the service file, which ``slo.definitions`` falls back on.
    service_slos: tuple[Mapping[str, Any], ...] = ()
    #: Approvals from reviews evidence for the repository collected: commit id -> approvers.
    approvals: Mapping[str, Sequence[str]] = field(default_factory=dict)
    #: The pipeline a ``ci.run`` record is filed under (default: the CI provider's name).
    pipeline: str | None = None
    #: Dates ``ci.run`` when the CI system states no time for the run.
    commit_time: datetime | None = None
    #: Free-form settings for third-party collectors (``CollectOptions.options``).
    options: Mapping[str, Any] = field(default_factory=dict)
    #: Who may count as a reviewer in self-reported review exports (assay.toml ``[collect]``).
    reviewers: ReviewerPolicy = field(default_factory=ReviewerPolicy)
    #: Opens platform providers with the environment's token (None: no platform reads).
    platforms: PlatformSession | None = None
    #: Commits the platform shows independently approved (read by ``platform.reviews``,
    #: judged there): commit id -> approvers. Tested evidence, not self-reported.
    platform_reviewed: Mapping[str, Sequence[str]] = field(default_factory=dict)
    #: Whether the platform's reviews were read for the repository collected: the
    #: ``access`` facts of its ``platform.reviews`` record (None: no platform configured).
    platform_reviews: Mapping[str, Any] | None = None


# --------------------------------------------------------------------------- collectors


class Collector(ABC):
    """Base of every collector. Subclasses set the class attributes and ``collect``."""

    #: Unique plugin name, also the entry-point name.
    name: ClassVar[str]
    #: Version written into every draft as ``name@version``.
    version: ClassVar[str]
    #: Evidence kinds this collector can produce.
    kinds: ClassVar[tuple[str, ...]]
    #: Which target type it takes: "repo", "artefact" or "environment".
    target: ClassVar[str]

    @property
    def ident(self) -> str:
        return f"{self.name}@{self.version}"

    def accepts(self, target: Target) -> bool:
        """For artefact collectors: whether this file is in a format it reads (by content)."""
        return True

    @abstractmethod
    def collect(self, target: Any, context: CollectContext) -> Iterable[EvidenceDraft]:
        """Produce drafts; raise :class:`assay.errors.CollectorError` on unreadable input."""

    def collect_all(
        self, targets: Sequence[Any], context: CollectContext
    ) -> Iterable[EvidenceDraft]:
        """Drafts for every target it accepted from one artefact folder (or zip) at once.

        The default collects each target on its own; override it to merge files of one
        pipeline run into one record.
        """
        for target in targets:
            yield from self.collect(target, context)

    def collect_files(self, targets: Sequence[Any], context: CollectContext) -> Outcome:
        """:meth:`collect_all`, with a refusal noted against the files instead of raised.

        Override it to keep the files that could be read; a
        :class:`~assay.evidence.parsing.errors.HostileArtefact` is always raised.
        """
        try:
            return Outcome(drafts=list(self.collect_all(targets, context)))
        except HostileArtefact:
            raise
        except ArtefactError as exc:
            return Outcome(unread=unread_from(exc, [t.name for t in targets]))


# --------------------------------------------------------------------------- artefact parsers


@dataclass
class Part:
    """What one file contributed: a parser-specific ``value`` and the time it states."""

    name: str
    value: Any
    observed_at: datetime | None
    artefact: ArtefactDraft


def artefact_subject(target: ArtefactTarget, context: CollectContext) -> dict[str, Any]:
    """The evidence subject of an artefact: its pipeline, bound to the CI run when known.

    ``{"pipeline": <pipeline name or "artefacts">, "run_id": ..., "commit": ...}``, with the
    run id and commit of the CI run when one is known, else those given with the artefact.
    """
    run = context.ci_run or {}
    return {
        "pipeline": target.pipeline or DEFAULT_PIPELINE,
        "run_id": str(run["run_id"]) if run.get("run_id") else target.run_id,
        "commit": run.get("commit") or target.commit,
    }


def subject_commit(target: ArtefactTarget, context: CollectContext) -> str | None:
    """The commit an artefact's evidence is bound to, if any."""
    commit = artefact_subject(target, context)["commit"]
    return commit if isinstance(commit, str) else None


def fallback_time(target: ArtefactTarget, context: CollectContext) -> datetime | None:
    """The CI run's start, else the file's own time; None when neither is known."""
    run = context.ci_run or {}
    started = parse_time(run.get("started_at"))
    if started is not None:
        return started
    if target.modified_at is not None:
        return target.modified_at.astimezone(UTC)
    try:
        stat = target.path.stat()
    except OSError:
        return None
    return datetime.fromtimestamp(int(stat.st_mtime), UTC)


class ArtefactParser(Collector):
    """Base of artefact parsers: recognise a format, parse each file, summarise into facts.

    A parser reads one format family and produces evidence of one kind. Parsing is split in
    two so several files can become one record: :meth:`parse` reads one file into a
    :class:`Part`, and :meth:`summarise` turns parts into facts. Kinds whose facts add up
    (test results, coverage, static analysis, dependency scans) set ``mergeable``: every
    such file a pipeline run left becomes a single record carrying all of them as artefacts
    (assessments read the latest record per kind and pipeline, so two records from one run
    would hide each other).

    The base takes care of the rest, the same for every parser: a file over
    ``max_artefact_bytes`` is refused before it is read; a file :meth:`recognise` does not
    accept, or one with a field of the wrong type, is refused by name; the subject is
    :func:`artefact_subject`; ``observed_at`` is the latest time a part states, else the CI
    run's start, else the file's own time (never the clock, so the same files give the
    same evidence id).
    """

    target: ClassVar[str] = "artefact"
    #: The one kind this parser produces.
    kind: ClassVar[str]
    #: Several files of this kind from one pipeline run become one record.
    mergeable: ClassVar[bool] = False
    #: Short description of the formats, used in "not a ... file" messages.
    formats: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__:
            cls.kinds = (cls.kind,)

    def accepts(self, target: Target) -> bool:
        return isinstance(target, ArtefactTarget) and self.recognise(target.recognition)

    @abstractmethod
    def recognise(self, found: Recognition) -> bool:
        """Whether the content is in a format this parser reads (truncated files included)."""

    @abstractmethod
    def parse(
        self, target: ArtefactTarget, found: Recognition, context: CollectContext
    ) -> Part | Skip:
        """Read one file into a :class:`Part`, or a :class:`Skip` when it is of this family
        but holds no evidence of the kind; raise
        :class:`~assay.evidence.parsing.errors.ArtefactError` when it cannot be read."""

    @abstractmethod
    def summarise(self, parts: Sequence[Part]) -> dict[str, Any]:
        """The facts of the kind, from one part (or several, for mergeable kinds)."""

    def subject(
        self, target: ArtefactTarget, parts: Sequence[Part], context: CollectContext
    ) -> dict[str, Any]:
        """The evidence subject (override to add to it); ``target`` is the first file."""
        return artefact_subject(target, context)

    # ------------------------------------------------------------------ driving

    def read(self, target: ArtefactTarget, context: CollectContext) -> Part | Skip:
        """One file checked, recognised and parsed, every failure worded for its producer."""
        check_size(target.name, len(target.data), context.max_artefact_bytes)
        found = target.recognition
        try:
            if not self.recognise(found):
                raise refuse(target.name, f"not a {self.formats} file")
            part = self.parse(target, found, context)
        except (TypeError, ValueError, AttributeError, KeyError, OverflowError) as exc:
            # A recognised file with a field of the wrong shape (a number where a list
            # belongs, a 400-digit score): refuse the file, by name, like any other.
            raise refuse(target.name, f"a field has the wrong type or value ({exc})") from None
        except RecursionError:
            raise refuse(target.name, "nested too deeply to read") from None
        if isinstance(part, Part):
            check_claimed_time(target.name, part.observed_at)
        return part

    def part(
        self, target: ArtefactTarget, value: Any, observed_at: datetime | None, media_type: str
    ) -> Part:
        """A :class:`Part` carrying the file's bytes as its artefact."""
        return Part(
            target.name, value, observed_at, ArtefactDraft(target.name, target.data, media_type)
        )

    def collect(self, target: Any, context: CollectContext) -> Iterable[EvidenceDraft]:
        return self.collect_all([target], context)

    def collect_all(
        self, targets: Sequence[ArtefactTarget], context: CollectContext
    ) -> list[EvidenceDraft]:
        """Drafts for files of one pipeline run: one merged draft, or one per file.

        The first file that cannot be read refuses them all; files that hold no evidence of
        the kind (a :class:`Skip`) are left out.
        """
        read = [(target, self.read(target, context)) for target in targets]
        pairs = [(target, part) for target, part in read if isinstance(part, Part)]
        if not pairs:
            return []
        groups = [pairs] if self.mergeable else [[pair] for pair in pairs]
        return [self._draft(group, context) for group in groups]

    def collect_files(self, targets: Sequence[Any], context: CollectContext) -> Outcome:
        """Drafts for the files that can be read, and a note on every other one.

        A mergeable kind is all or nothing for one run: when one of its files cannot be
        read, the record is not made from the others (it would understate the run: a
        scan's findings left out read as findings fixed), and each file says why.
        """
        outcome = Outcome()
        pairs: list[tuple[ArtefactTarget, Part]] = []
        failed: list[str] = []
        for target in targets:
            try:
                part = self.read(target, context)
            except HostileArtefact:
                raise
            except ArtefactError as exc:
                outcome.unread.extend(unread_from(exc, [target.name]))
                failed.append(target.name)
                continue
            if isinstance(part, Skip):
                reason = f"not {self.kind} evidence: {part.reason}"
                outcome.unread.append(Unread(target.name, reason))
            else:
                pairs.append((target, part))
        if self.mergeable and failed:
            names, it = ", ".join(failed), "it" if len(failed) == 1 else "them"
            outcome.unread.extend(
                Unread(
                    target.name,
                    f"not recorded: {names} from the same run could not be read, and a "
                    f"{self.kind} record without {it} would understate the run",
                )
                for target, _ in pairs
            )
            return outcome
        groups = [pairs] if self.mergeable else [[pair] for pair in pairs]
        for group in groups:
            try:
                outcome.drafts.append(self._draft(group, context))
            except HostileArtefact:
                raise
            except ArtefactError as exc:
                outcome.unread.extend(unread_from(exc, [target.name for target, _ in group]))
        return outcome

    def _draft(
        self, group: list[tuple[ArtefactTarget, Part]], context: CollectContext
    ) -> EvidenceDraft:
        first = group[0][0]
        stated = [part.observed_at for _, part in group if part.observed_at is not None]
        observed = max(stated) if stated else None
        if observed is None:
            fallbacks = [t for t in (fallback_time(target, context) for target, _ in group) if t]
            observed = max(fallbacks) if fallbacks else None
        if observed is None:
            raise refuse(
                first.name,
                "no time to date this evidence by: the file states none, there is no CI run, "
                "and the file has no modification time",
            )
        check_claimed_time(first.name, observed)
        parts = [part for _, part in group]
        return EvidenceDraft(
            kind=self.kind,
            service=context.service,
            subject=self.subject(first, parts, context),
            observed_at=observed.replace(microsecond=0),
            collector=self.ident,
            facts=self.summarise(parts),
            artefacts=tuple(part.artefact for part in parts),
        )
