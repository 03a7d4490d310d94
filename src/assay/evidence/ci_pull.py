"""Pulling a pipeline's run and artefacts from the CI system's API (``source: api``).

For one pipeline of a service and the commit its repository was resolved to:

1. the CI system's runs of that commit on the branch (GitHub workflow runs, GitLab
   pipelines); the newest *completed* one, of the pipeline's ``workflow`` when it names
   one (a GitHub workflow's name or file name, a GitLab pipeline's name), is the run. A run
   of another commit is never taken: the providers drop any whose commit differs;
2. its jobs, the deployments it made with their approvals, and its artefact archives;
3. each archive not expired is downloaded into memory (size-capped; the redirect to blob
   storage is followed without the token) and its sha256 recorded; when the platform
   states a digest, a different one refuses the service (integrity). An archive the CI
   system no longer keeps (expired, 404, 410) is a gap with its reason: in the facts
   (``artefacts[].status``) and in the collection's notes, never silently left out.

The result becomes a ``ci.run`` record with ``source: api`` (:func:`run_facts`), and the
archives go through the same zip checks and parsers as a local artefact folder's. Every
record made from them carries :data:`PULLED_ARTEFACT`, naming the run and the archives'
digests, which is how reports tell pulled evidence from what a job wrote.

A pull whose run is unchanged since the last collection is read from
:class:`~assay.platforms.ci_kept.KeptRuns`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

from assay.durations import isoformat
from assay.errors import Problem
from assay.evidence.model import ArtefactDraft
from assay.evidence.parsing.errors import HostileArtefact
from assay.evidence.trust import PULLED_ARTEFACT
from assay.platforms.ci_kept import KeptRuns, kept_key
from assay.platforms.ci_model import CiArtefact, CiRun
from assay.platforms.identity import Platform
from assay.platforms.provider import PlatformProvider

SOURCE_API = "api"


@dataclass(frozen=True)
class Archive:
    """A downloaded artefact archive."""

    name: str
    id: str
    sha256: str
    data: bytes


@dataclass(frozen=True)
class Pulled:
    """What one pipeline's pull found: the ``ci.run`` facts (None: no run), the archives
    read, and notes on what could not be (gaps, refusals), each one line."""

    facts: dict[str, Any] | None
    archives: tuple[Archive, ...] = ()
    notes: tuple[str, ...] = ()
    reused: bool = False


def matches(run: CiRun, workflow: str | None) -> bool:
    """Whether ``run`` is of the named workflow (name, file name or path; any when None)."""
    if not workflow:
        return True
    wanted = workflow.strip().lower()
    names = {run.workflow, run.path, PurePosixPath(run.path).name if run.path else None}
    return wanted in {name.lower() for name in names if name}


def choose(runs: Iterable[CiRun], workflow: str | None) -> CiRun | None:
    """The newest completed run of ``workflow`` (runs come newest first)."""
    return next((r for r in runs if r.completed and matches(r, workflow)), None)


def run_facts(
    run: CiRun, branch: str | None, artefacts: Sequence[dict[str, Any]]
) -> dict[str, Any]:
    """The ``ci.run`` facts of a pulled run."""
    return {
        "provider": run.provider,
        "repository": run.repository,
        "run_id": run.run_id,
        "run_url": run.url,
        "attempt": run.attempt,
        "workflow": run.workflow,
        "job": None,
        "commit": run.commit,
        "ref": f"refs/heads/{run.branch or branch}" if (run.branch or branch) else "HEAD",
        "ref_protected": None,
        "event": run.event,
        "pull_request": None,
        "actor": run.actor,
        "started_at": None if run.started_at is None else isoformat(run.started_at),
        "source": SOURCE_API,
        "status": run.status,
        "conclusion": run.conclusion,
        "finished_at": None if run.finished_at is None else isoformat(run.finished_at),
        "jobs": [job.to_facts() for job in run.jobs],
        "deployments": (
            None if run.deployments is None else [d.to_facts() for d in run.deployments]
        ),
        "artefacts": list(artefacts),
    }


def _entry(artefact: CiArtefact, status: str, reason: str | None, digest: str | None) -> Any:
    return {
        "name": artefact.name,
        "id": artefact.id,
        "size": artefact.size,
        "expires_at": None if artefact.expires_at is None else isoformat(artefact.expires_at),
        "status": status,
        "reason": reason,
        "sha256": digest,
    }


def _download(
    provider: PlatformProvider, run: CiRun, max_bytes: int, now: datetime
) -> tuple[list[dict[str, Any]], list[Archive]]:
    entries: list[dict[str, Any]] = []
    archives: list[Archive] = []
    for artefact in run.artefacts:
        if artefact.expired or (artefact.expires_at is not None and artefact.expires_at <= now):
            when = f" on {isoformat(artefact.expires_at)}" if artefact.expires_at else ""
            entries.append(_entry(artefact, "expired", f"expired{when}", None))
            continue
        if artefact.size is not None and artefact.size > max_bytes:
            why = f"{artefact.size:,} bytes, over the {max_bytes:,} byte limit"
            entries.append(_entry(artefact, "too_large", why, None))
            continue
        got = provider.ci_download(artefact, max_bytes)
        if got.status != "read" or got.data is None:
            entries.append(_entry(artefact, got.status, got.reason, None))
            continue
        digest = hashlib.sha256(got.data).hexdigest()
        stated = artefact.digest
        if stated and stated.lower().removeprefix("sha256:") != digest:
            where = f"{run.provider} run {run.run_id} artefact {artefact.name}"
            raise HostileArtefact(
                [Problem(where, None, None, f"downloaded sha256 {digest} differs from {stated}")],
                hint="the archive changed between listing and download; nothing was recorded",
            )
        entries.append(_entry(artefact, "read", None, digest))
        archives.append(Archive(artefact.name, artefact.id, digest, got.data))
    return entries, archives


def notes_of(facts: dict[str, Any]) -> tuple[str, ...]:
    """One note per artefact that could not be read, from ``ci.run`` facts."""
    return tuple(
        f"run {facts['run_id']} artefact {entry['name']}: {entry['status']} ({entry['reason']})"
        for entry in facts.get("artefacts", ())
        if entry["status"] != "read"
    )


def pull(
    provider: PlatformProvider,
    platform: Platform,
    branch: str | None,
    commit: str,
    workflow: str | None,
    *,
    max_bytes: int,
    kept: KeptRuns | None = None,
    now: datetime | None = None,
) -> Pulled:
    """Pull the run of ``commit`` on ``branch`` and its artefacts (module docstring). Without
    a branch (a commit that is not on it), a run of the commit on any branch."""
    listed = provider.ci_runs(branch, commit)
    if not listed.access.read:
        needs = f"; {listed.access.needs}" if listed.access.needs else ""
        return Pulled(None, notes=(f"runs not read: {listed.access.reason}{needs}",))
    run = choose(listed.runs, workflow)
    if run is None:
        which = f" of workflow {workflow!r}" if workflow else ""
        on = f" on {branch}" if branch else ""
        return Pulled(
            None, notes=(f"no completed run{which} of commit {commit[:12]}{on}: nothing pulled",)
        )
    key = kept_key(platform.api_url, platform.project, branch or "", run.run_id, run.fingerprint)
    found = kept.get(key, max_bytes) if kept is not None else None
    if found is not None:
        facts, blobs = found
        archives = tuple(
            Archive(e["name"], e["id"], e["sha256"], blobs[e["sha256"]])
            for e in facts.get("artefacts", ())
            if e.get("status") == "read" and e.get("sha256") in blobs
        )
        return Pulled(facts, archives, notes_of(facts), reused=True)
    detailed = provider.ci_details(run)
    if not isinstance(detailed, CiRun):
        return Pulled(None, notes=(f"run {run.run_id} not read: {detailed.reason}",))
    entries, downloaded = _download(provider, detailed, max_bytes, now or datetime.now(UTC))
    facts = run_facts(detailed, branch, entries)
    if kept is not None:
        kept.put(key, facts, {a.sha256: a.data for a in downloaded})
    return Pulled(facts, tuple(downloaded), notes_of(facts))


def pulled_marker(facts: dict[str, Any], archives: Sequence[Archive]) -> ArtefactDraft:
    """The artefact a record made from pulled archives carries: the run and the archives'
    digests."""
    body = {
        "source": SOURCE_API,
        "provider": facts["provider"],
        "repository": facts["repository"],
        "run_id": facts["run_id"],
        "attempt": facts["attempt"],
        "run_url": facts["run_url"],
        "commit": facts["commit"],
        "archives": [
            {"name": a.name, "id": a.id, "sha256": a.sha256, "size": len(a.data)}
            for a in sorted(archives, key=lambda a: a.name)
        ],
    }
    data = json.dumps(body, indent=2, sort_keys=True).encode("utf-8") + b"\n"
    return ArtefactDraft(PULLED_ARTEFACT, data, "application/json")
