"""GitLab CI: the pipelines of a commit, their jobs, deployments and job artifacts (REST v4).

- ``GET /projects/:id/pipelines?sha=&ref=``: the pipelines of the commit on the branch,
  newest first; an entry for another commit or ref is dropped whatever the filter did.
  The optional name filter (``workflow:``) compares with the pipeline's ``name``;
- ``GET /projects/:id/pipelines/:pid``: start and finish times, who started it;
- ``GET /projects/:id/pipelines/:pid/jobs``: the jobs, each with its artifacts archive
  (``artifacts_file``) and when that expires (``artifacts_expire_at``);
- ``GET /projects/:id/deployments?updated_after=``: the deployments the pipeline's jobs
  made, with their approvals;
- ``GET /projects/:id/jobs/:job_id/artifacts``: the archive (a zip), perhaps through a
  redirect to object storage, followed without the token.

Statuses become the GitHub-like pair the evidence keeps: a finished pipeline is
``completed`` with its result as the conclusion (``success``, ``failure``,
``cancelled``, ``skipped``). The token needs the ``read_api`` scope.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from assay.durations import isoformat
from assay.evidence.parsing.values import parse_time
from assay.platforms.ci_model import CiApproval, CiArtefact, CiDeployment, CiJob, CiRun, RunList
from assay.platforms.model import Access
from assay.platforms.transport import Response, Transport

READ_API_HELP = "set GITLAB_TOKEN to a token with the read_api scope"
_FINISHED = {"success": "success", "failed": "failure", "canceled": "cancelled"}
_FINISHED |= {"skipped": "skipped", "manual": "action_required"}
_RUNNING = {"running": "in_progress", "pending": "queued", "created": "queued"}
_SOURCES = {
    "merge_request_event": "merge_request",
    "external_pull_request_event": "pull_request",
    "web": "manual",
    "trigger": "api",
    "parent_pipeline": "pipeline",
}


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None


def _user(value: Any) -> str | None:
    return _text(value.get("username")) if isinstance(value, Mapping) else None


def _state(status: str) -> tuple[str, str | None]:
    """(status, conclusion) from a GitLab pipeline or job status."""
    if status in _FINISHED:
        return "completed", _FINISHED[status]
    return _RUNNING.get(status, status), None


def refusal(response: Response, what: str) -> Access:
    message = response.body.get("message") if isinstance(response.body, Mapping) else None
    reason = f"GitLab answered {response.status} to reading {what}"
    if isinstance(message, str):
        reason += f": {message[:200]}"
    return Access("refused", reason, READ_API_HELP)


def run_from(raw: Mapping[str, Any], project: str) -> CiRun | None:
    run_id, commit = _text(raw.get("id")), _text(raw.get("sha"))
    if run_id is None or commit is None:
        return None
    status, conclusion = _state(_text(raw.get("status")) or "unknown")
    source = _text(raw.get("source")) or "push"
    url = _text(raw.get("web_url"))
    keys = ("id", "status", "updated_at", "sha")
    fingerprint = hashlib.sha256(
        json.dumps({k: raw.get(k) for k in keys}, sort_keys=True).encode()
    ).hexdigest()
    return CiRun(
        provider="gitlab",
        repository=project,
        run_id=run_id,
        attempt=1,
        workflow=_text(raw.get("name")),
        path=None,
        commit=commit.lower(),
        branch=_text(raw.get("ref")),
        event=_SOURCES.get(source, source),
        status=status,
        conclusion=conclusion,
        url=url if url and url.startswith(("https://", "http://")) else None,
        actor=_user(raw.get("user")),
        started_at=parse_time(raw.get("started_at") or raw.get("created_at")),
        finished_at=parse_time(raw.get("finished_at")),
        fingerprint=fingerprint,
    )


def project_path(project: str) -> str:
    return f"projects/{quote(project, safe='')}"


def list_runs(transport: Transport, project: str, branch: str | None, commit: str) -> RunList:
    base = project_path(project)
    params: dict[str, str | int] = {"sha": commit, "order_by": "id", "sort": "desc"}
    params["per_page"] = 100
    if branch:
        params["ref"] = branch
    response = transport.get(f"{base}/pipelines", params)
    if not response.ok:
        return RunList(refusal(response, "pipelines"))
    runs = [
        run
        for raw in (response.body if isinstance(response.body, list) else ())
        if isinstance(raw, Mapping)
        for run in [run_from(raw, project)]
        if run is not None
        and run.commit == commit.lower()
        and (branch is None or run.branch == branch)
    ]
    return RunList(Access("read"), tuple(runs))


def _pages(transport: Transport, path: str, params: dict[str, str | int]) -> list[Any] | None:
    found: list[Any] = []
    for response in transport.pages(path, params):
        if not response.ok:
            return None
        found += [i for i in (response.body or ()) if isinstance(i, Mapping)]
    return found


def _deployments(transport: Transport, base: str, run: CiRun) -> tuple[CiDeployment, ...] | None:
    if run.started_at is None:
        return ()
    since = isoformat(run.started_at - timedelta(minutes=1))
    listed = _pages(transport, f"{base}/deployments", {"updated_after": since, "per_page": 100})
    if listed is None:
        return None
    found = []
    for item in listed:
        deployable = item.get("deployable")
        pipeline = deployable.get("pipeline") if isinstance(deployable, Mapping) else None
        if not isinstance(pipeline, Mapping) or _text(pipeline.get("id")) != run.run_id:
            continue
        environment = item.get("environment")
        name = _text(environment.get("name")) if isinstance(environment, Mapping) else None
        approvals = tuple(
            CiApproval(
                _user(a.get("user")) or "?",
                _text(a.get("status")) or "?",
                parse_time(a.get("created_at")),
            )
            for a in item.get("approvals") or ()
            if isinstance(a, Mapping)
        )
        if name:
            found.append(CiDeployment(name, _text(item.get("status")), approvals))
    return tuple(found)


def details(transport: Transport, project: str, run: CiRun) -> CiRun | Access:
    """``run`` with its times, jobs, deployments and job artifacts."""
    base = project_path(project)
    single = transport.get(f"{base}/pipelines/{run.run_id}")
    if not single.ok or not isinstance(single.body, Mapping):
        return refusal(single, f"pipeline {run.run_id}")
    fuller = run_from({**single.body, "name": single.body.get("name") or run.workflow}, project)
    run = replace(
        run,
        started_at=(fuller.started_at if fuller else None) or run.started_at,
        finished_at=(fuller.finished_at if fuller else None) or run.finished_at,
        actor=(fuller.actor if fuller else None) or run.actor,
        workflow=(fuller.workflow if fuller else None) or run.workflow,
    )
    jobs = _pages(transport, f"{base}/pipelines/{run.run_id}/jobs", {"per_page": 100})
    if jobs is None:
        return Access("refused", f"GitLab refused the jobs of pipeline {run.run_id}")
    artefacts = []
    for job in jobs:
        archive = job.get("artifacts_file")
        if not isinstance(archive, Mapping) or not isinstance(job.get("id"), int):
            continue
        expires = parse_time(job.get("artifacts_expire_at"))
        size = archive.get("size")
        artefacts.append(
            CiArtefact(
                id=str(job["id"]),
                name=_text(job.get("name")) or str(job["id"]),
                download=f"{base}/jobs/{job['id']}/artifacts",
                size=size if isinstance(size, int) else None,
                expires_at=expires,
            )
        )
    return replace(
        run,
        jobs=tuple(
            CiJob(
                _text(j.get("name")) or "?",
                *_state(_text(j.get("status")) or "unknown"),
                parse_time(j.get("started_at")),
                parse_time(j.get("finished_at")),
            )
            for j in jobs
        ),
        deployments=_deployments(transport, base, run),
        artefacts=tuple(artefacts),
    )
