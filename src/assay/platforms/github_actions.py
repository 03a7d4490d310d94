"""GitHub Actions: the workflow runs of a commit, their jobs, approvals and artifacts (REST).

- ``GET /repos/{o}/{r}/actions/runs?head_sha=&branch=``: the runs of the commit on the
  branch, newest first. Each answer is checked: a run whose ``head_sha`` is not the
  commit, or whose ``head_branch`` is another branch, is dropped whatever the filter did.
- ``GET .../actions/runs/{id}/jobs``: the jobs of the run's latest attempt;
- ``GET .../actions/runs/{id}/approvals``: who approved or rejected deployments to which
  environments (the run's deployments, as far as they needed approval);
- ``GET .../actions/runs/{id}/artifacts``: the artifacts, with ``expired`` and
  ``expires_at``; ``GET .../actions/artifacts/{id}/zip`` answers with a redirect to
  blob storage, followed without the token (:meth:`Transport.download`).

The token needs read access to Actions (fine-grained: *Actions: read*; classic: ``repo``
for a private repository).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from assay.evidence.parsing.values import parse_time
from assay.platforms.ci_model import CiApproval, CiArtefact, CiDeployment, CiJob, CiRun, RunList
from assay.platforms.model import Access
from assay.platforms.transport import Response, Transport

ACTIONS_HELP = (
    "set GITHUB_TOKEN to a token that can read the repository's Actions "
    "(fine-grained: Actions read; classic: repo)"
)
#: Pages of 100 runs read for one commit (a commit rarely has more than a few runs).
MAX_RUN_PAGES = 3
_EVENTS = {
    "workflow_dispatch": "manual",
    "repository_dispatch": "api",
    "merge_group": "merge_group",
}


def _login(actor: Any) -> str | None:
    if isinstance(actor, Mapping) and isinstance(actor.get("login"), str):
        return str(actor["login"])
    return None


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None


def _size(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def refusal(response: Response, what: str) -> Access:
    """The :class:`Access` for a refused read of ``what``."""
    message = response.body.get("message") if isinstance(response.body, Mapping) else None
    reason = f"GitHub answered {response.status} to reading {what}"
    if isinstance(message, str):
        reason += f": {message[:200]}"
    return Access("refused", reason, ACTIONS_HELP)


def _fingerprint(raw: Mapping[str, Any]) -> str:
    keys = ("id", "run_attempt", "status", "conclusion", "updated_at", "head_sha")
    text = json.dumps({k: raw.get(k) for k in keys}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def run_from(raw: Mapping[str, Any], project: str) -> CiRun | None:
    """A :class:`CiRun` (without details) from one entry of ``workflow_runs``."""
    run_id, commit = _text(raw.get("id")), _text(raw.get("head_sha"))
    if run_id is None or commit is None:
        return None
    attempt = raw.get("run_attempt")
    event = _text(raw.get("event")) or "push"
    status = _text(raw.get("status")) or "unknown"
    completed = status == "completed"
    url = _text(raw.get("html_url"))
    return CiRun(
        provider="github",
        repository=project,
        run_id=run_id,
        attempt=attempt if isinstance(attempt, int) and attempt > 0 else 1,
        workflow=_text(raw.get("name")),
        path=_text(raw.get("path")),
        commit=commit.lower(),
        branch=_text(raw.get("head_branch")),
        event=_EVENTS.get(event, event),
        status=status,
        conclusion=_text(raw.get("conclusion")),
        url=url if url and url.startswith(("https://", "http://")) else None,
        actor=_login(raw.get("triggering_actor")) or _login(raw.get("actor")),
        started_at=parse_time(raw.get("run_started_at") or raw.get("created_at")),
        finished_at=parse_time(raw.get("updated_at")) if completed else None,
        fingerprint=_fingerprint(raw),
    )


def list_runs(
    transport: Transport, repo: str, project: str, branch: str | None, commit: str
) -> RunList:
    """The runs of ``commit`` on ``branch`` (any branch when None), newest first."""
    params: dict[str, str | int] = {"head_sha": commit, "per_page": 100}
    if branch:
        params["branch"] = branch
    runs: list[CiRun] = []
    for number, response in enumerate(transport.pages(f"{repo}/actions/runs", params)):
        if not response.ok:
            return RunList(refusal(response, "workflow runs"))
        body = response.body if isinstance(response.body, Mapping) else {}
        for raw in body.get("workflow_runs") or ():
            run = run_from(raw, project) if isinstance(raw, Mapping) else None
            if (
                run is not None
                and run.commit == commit.lower()
                and (branch is None or run.branch in (None, branch))
            ):
                runs.append(run)
        if number + 1 >= MAX_RUN_PAGES:
            break
    runs.sort(key=lambda r: (r.started_at is not None, r.started_at, int(r.run_id)), reverse=True)
    return RunList(Access("read"), tuple(runs))


def _listed(transport: Transport, path: str, field: str) -> list[Mapping[str, Any]] | None:
    found: list[Mapping[str, Any]] = []
    for response in transport.pages(path, {"per_page": 100}):
        if not response.ok:
            return None
        body = response.body if isinstance(response.body, Mapping) else {}
        found += [item for item in body.get(field) or () if isinstance(item, Mapping)]
    return found


def _approvals(transport: Transport, path: str) -> tuple[CiDeployment, ...] | None:
    response = transport.get(path)
    if not response.ok or not isinstance(response.body, list):
        return None
    by_environment: dict[str, list[CiApproval]] = {}
    for item in response.body:
        if not isinstance(item, Mapping):
            continue
        user, state = _login(item.get("user")), _text(item.get("state"))
        for environment in item.get("environments") or ():
            name = _text(environment.get("name")) if isinstance(environment, Mapping) else None
            if name and user and state:
                by_environment.setdefault(name, []).append(CiApproval(user, state))
    return tuple(
        CiDeployment(name, approvals[-1].state, tuple(approvals))
        for name, approvals in sorted(by_environment.items())
    )


def details(transport: Transport, repo: str, run: CiRun) -> CiRun | Access:
    """``run`` with its jobs, deployments and artifacts (an :class:`Access` if refused)."""
    base = f"{repo}/actions/runs/{run.run_id}"
    jobs = _listed(transport, f"{base}/jobs", "jobs")
    artefacts = _listed(transport, f"{base}/artifacts", "artifacts")
    if jobs is None or artefacts is None:
        return Access("refused", f"GitHub refused the jobs or artifacts of run {run.run_id}")
    return replace(
        run,
        jobs=tuple(
            CiJob(
                _text(j.get("name")) or "?",
                _text(j.get("status")) or "unknown",
                _text(j.get("conclusion")),
                parse_time(j.get("started_at")),
                parse_time(j.get("completed_at")),
            )
            for j in jobs
        ),
        deployments=_approvals(transport, f"{base}/approvals"),
        artefacts=tuple(
            CiArtefact(
                id=str(a["id"]),
                name=_text(a.get("name")) or str(a["id"]),
                download=f"{repo}/actions/artifacts/{a['id']}/zip",
                size=_size(a.get("size_in_bytes")),
                expired=a.get("expired") is True,
                expires_at=parse_time(a.get("expires_at")),
                digest=_text(a.get("digest")),
            )
            for a in artefacts
            if isinstance(a.get("id"), int)
        ),
    )
