"""The collection step that pulls a service's pipelines from their CI systems.

Which pipelines: those that say ``source: api``, and with ``assay collect --from-ci``
every pipeline on GitHub Actions or GitLab CI. Each is pulled for the repository it
names (``repo:``, else the service's only repository) at the commit that repository was
resolved to (:mod:`assay.evidence.ci_pull`). The run becomes a ``ci.run`` record with
``source: api``; its archives are checked and parsed like a local folder's files, with
the run as their CI run (subject ``{pipeline, run_id, commit}``), and every record made
from them carries the pulled-run artefact. When the commit is not on the branch, every
subject is marked so (it never stands for the branch). What could not be pulled is a
note in the collection's output, and in the ``ci.run`` facts when there is a run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from assay.errors import CollectorError
from assay.evidence.ci_pull import Pulled, pull, pulled_marker
from assay.evidence.collectors.ci_run import CiRunCollector
from assay.evidence.collectors.interface import (
    ArtefactTarget,
    CollectContext,
    RepoTarget,
    off_branch,
)
from assay.evidence.model import EvidenceDraft
from assay.evidence.parsing.errors import check_claimed_time
from assay.evidence.parsing.values import parse_time
from assay.platforms.ci_kept import KeptRuns
from assay.workspace import PipelineRef

CI_SYSTEMS = ("github", "gitlab")

Parse = Callable[[list[ArtefactTarget], CollectContext], list[EvidenceDraft]]
Note = Callable[[str, str], None]


def pulled_pipelines(pipelines: Sequence[PipelineRef], from_ci: bool) -> list[PipelineRef]:
    return [p for p in pipelines if p.source == "api" or (from_ci and p.provider in CI_SYSTEMS)]


def _target(pipeline: PipelineRef, targets: Sequence[RepoTarget]) -> RepoTarget:
    if pipeline.repo:
        found = next((t for t in targets if t.name == pipeline.repo), None)
    else:
        found = targets[0] if len(targets) == 1 else None
    if found is None:
        raise CollectorError(
            f"pipeline {pipeline.name}: cannot tell which repository to pull its runs for",
            hint="name it with repo: in the pipeline entry",
        )
    if found.platform is None or found.platform.provider != pipeline.provider:
        raise CollectorError(
            f"pipeline {pipeline.name}: repository {found.name} is not on {pipeline.provider}",
            hint="give the repository a github.com or gitlab.com url, or a platform: entry",
        )
    return found


def pull_service(
    pipelines: Sequence[PipelineRef],
    targets: Sequence[RepoTarget],
    context: CollectContext,
    parse: Parse,
    note: Note,
) -> list[EvidenceDraft]:
    """The drafts pulled for ``pipelines`` (see the module docstring)."""
    session = context.platforms
    drafts: list[EvidenceDraft] = []
    if session is None:
        return drafts
    kept = KeptRuns(session.cache.parent / "ci") if session.cache is not None else None
    for pipeline in pipelines:
        target = _target(pipeline, targets)
        where = f"{pipeline.name} (pulled from {pipeline.provider})"
        assert target.platform is not None
        with session.open(target.platform) as provider:
            pulled = pull(
                provider,
                target.platform,
                target.branch if target.on_branch else None,
                target.commit,
                pipeline.workflow,
                max_bytes=context.max_artefact_bytes,
                kept=kept,
            )
        for line in pulled.notes:
            note(where, line)
        drafts += _drafts(pulled, pipeline, target, context, parse)
    return drafts


def _drafts(
    pulled: Pulled,
    pipeline: PipelineRef,
    target: RepoTarget,
    context: CollectContext,
    parse: Parse,
) -> list[EvidenceDraft]:
    facts = pulled.facts
    if facts is None:
        return []
    observed = (
        parse_time(facts["started_at"]) or parse_time(facts["finished_at"]) or target.commit_time
    )
    check_claimed_time(f"{pipeline.name} run {facts['run_id']}", observed)
    subject = {"pipeline": pipeline.name, "run_id": facts["run_id"], "commit": facts["commit"]}
    run = EvidenceDraft(
        kind="ci.run",
        service=context.service,
        subject=off_branch(subject, target.on_branch),
        observed_at=observed.replace(microsecond=0),
        collector=CiRunCollector().ident,
        facts=facts,
    )
    files = [
        ArtefactTarget(
            path=Path(pipeline.name, str(facts["run_id"]), f"{a.name}.zip"),
            name=f"{a.name}.zip",
            data=a.data,
            pipeline=pipeline.name,
            commit=facts["commit"],
            run_id=str(facts["run_id"]),
        )
        for a in pulled.archives
    ]
    made = parse(files, replace(context, ci_run=facts, pipeline=pipeline.name)) if files else []
    by_file = {f"{a.name}.zip": a for a in pulled.archives}
    found = [run]
    for draft in made:
        used = {
            by_file[n.split("!", 1)[0]]
            for n in (a.name for a in draft.artefacts)
            if n.split("!", 1)[0] in by_file
        }
        marker = pulled_marker(facts, sorted(used, key=lambda a: a.name))
        found.append(
            replace(
                draft,
                subject=off_branch(draft.subject, target.on_branch),
                artefacts=(*draft.artefacts, marker),
            )
        )
    return found
