"""Fake CI APIs: GitHub Actions runs and GitLab CI pipelines, with artefact archives.

Shaped after the public REST documentation of both systems:

- GitHub: ``GET /repos/{o}/{r}/actions/runs?head_sha=&branch=`` (``workflow_runs``),
  ``/actions/runs/{id}/jobs`` (``jobs``), ``/actions/runs/{id}/artifacts``
  (``artifacts`` with ``expired``, ``expires_at``, ``digest``), ``/actions/runs/{id}/
  approvals``, and ``/actions/artifacts/{id}/zip``, which answers ``302`` to a blob URL
  on another server (:class:`FakeBlobs`), or ``410`` once expired;
- GitLab: ``GET /projects/:id/pipelines?sha=&ref=``, ``/pipelines/:id``,
  ``/pipelines/:id/jobs`` (``artifacts_file``, ``artifacts_expire_at``),
  ``/deployments`` and ``/jobs/:id/artifacts`` (the zip itself, or a redirect to blobs;
  ``404`` once expired).

Lists page by ``page``/``per_page`` with ``Link: rel="next"``; ``page_size`` caps a page
so tests see several. Several repositories can be served at once (``runs`` is keyed by
``owner/name`` or project path).
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urlencode

from tests.support.fake_github import FakeGitHub
from tests.support.fake_gitlab import FakeGitLab
from tests.support.fake_http import FakeServer, Reply, Request


def zipped(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():  # a fixed date: the same files, the same bytes
            archive.writestr(zipfile.ZipInfo(name, (2026, 3, 1, 10, 0, 0)), data)
    return out.getvalue()


@dataclass
class FakeArtefact:
    id: int
    name: str
    data: bytes
    expired: bool = False
    expires_at: str = "2099-01-01T00:00:00Z"
    #: The digest the listing states (None: the listing gives none).
    digest: str | None = "auto"
    #: The download answers 410 (gone) or 404 (deleted) though the listing shows it.
    gone: bool = False
    deleted: bool = False


@dataclass
class FakeJob:
    id: int
    name: str
    status: str = "completed"
    conclusion: str | None = "success"
    artefact: FakeArtefact | None = None


@dataclass
class FakeRun:
    id: int
    sha: str
    branch: str = "main"
    name: str = "CI"
    path: str = ".github/workflows/ci.yml"
    status: str = "completed"
    conclusion: str | None = "success"
    attempt: int = 1
    event: str = "push"
    started: str = "2026-03-01T10:00:00Z"
    updated: str = "2026-03-01T10:20:00Z"
    jobs: list[FakeJob] = field(default_factory=list)
    artefacts: list[FakeArtefact] = field(default_factory=list)
    #: (environment, user, state)
    approvals: list[tuple[str, str, str]] = field(default_factory=list)


class FakeBlobs(FakeServer):
    """Another host serving archive bytes at ``/blob/{key}`` (a signed URL's stand-in)."""

    def __init__(self) -> None:
        super().__init__()
        self.blobs: dict[str, bytes] = {}

    def handle(self, request: Request) -> Reply:
        key = request.path.rsplit("/", 1)[-1]
        if request.path.startswith("/blob/") and key in self.blobs:
            return Reply(200, raw=self.blobs[key], headers={"Content-Type": "application/zip"})
        return Reply(404, {"message": "no such blob"})

    def offer(self, data: bytes) -> str:
        key = hashlib.sha256(data).hexdigest()[:24]
        self.blobs[key] = data
        return f"{self.url}/blob/{key}?sig=signed"


def _page(request: Request, items: list[Any], cap: int, url: str) -> tuple[list[Any], str | None]:
    page = int(request.query.get("page", "1"))
    size = min(cap, int(request.query.get("per_page", "30")))
    chunk = items[(page - 1) * size : page * size]
    if page * size >= len(items):
        return chunk, None
    query = urlencode({**request.query, "page": str(page + 1)})
    return chunk, f'<{url}{request.path}?{query}>; rel="next"'


class FakeActions(FakeGitHub):
    """A fake GitHub whose repositories have workflow runs (``runs["owner/name"]``)."""

    def __init__(self, blobs: FakeBlobs | None = None) -> None:
        super().__init__()
        self.blobs = blobs
        self.runs: dict[str, list[FakeRun]] = {}
        self.page_size = 100
        #: Repositories whose Actions answer 403 (a token without Actions read).
        self.forbidden: set[str] = set()

    def _dispatch(self, request: Request) -> Reply:
        parts = request.path.split("/")
        if len(parts) > 5 and parts[1] == "repos" and parts[4] == "actions":
            if request.headers.get("authorization") != "Bearer ghp_faketoken0123456789":
                return Reply(401, {"message": "Bad credentials"})
            if request.path in self.secondary_limit:
                self.secondary_limit.discard(request.path)
                return Reply(403, {"message": "secondary rate limit"}, {"Retry-After": "1"})
            return self._timed(self._actions)(request)
        return super()._dispatch(request)

    def _listed(self, request: Request, field_name: str, items: list[Any]) -> Reply:
        chunk, link = _page(request, items, self.page_size, self.url)
        reply = Reply(200, {"total_count": len(items), field_name: chunk})
        if link:
            reply.headers["Link"] = link
        return self._charged(reply)

    def _actions(self, request: Request) -> Reply:
        parts = request.path.split("/")
        repo = f"{parts[2]}/{parts[3]}"
        if repo in self.forbidden:
            return self._charged(Reply(403, {"message": "Resource not accessible"}))
        runs = self.runs.get(repo)
        if runs is None:
            return self._charged(Reply(404, {"message": "Not Found"}))
        rest = parts[5:]
        if rest == ["runs"]:
            sha, branch = request.query.get("head_sha"), request.query.get("branch")
            chosen = [
                r for r in runs if (not sha or r.sha == sha) and (not branch or r.branch == branch)
            ]
            chosen.sort(key=lambda r: r.id, reverse=True)
            return self._listed(request, "workflow_runs", [self._run(repo, r) for r in chosen])
        if rest[0] == "runs" and len(rest) == 3 and rest[1].isdigit():
            run = next((r for r in runs if r.id == int(rest[1])), None)
            if run is None:
                return self._charged(Reply(404, {"message": "Not Found"}))
            if rest[2] == "jobs":
                return self._listed(request, "jobs", [self._job(j) for j in run.jobs])
            if rest[2] == "artifacts":
                listed = [self._artefact(repo, run, a) for a in run.artefacts]
                return self._listed(request, "artifacts", listed)
            if rest[2] == "approvals":
                body = [
                    {"environments": [{"name": env}], "state": state, "user": {"login": who}}
                    for env, who, state in run.approvals
                ]
                return self._charged(Reply(200, body))
        if rest[0] == "artifacts" and len(rest) == 3 and rest[2] == "zip":
            found = [a for r in runs for a in r.artefacts if str(a.id) == rest[1]]
            if not found or found[0].deleted:
                return self._charged(Reply(404, {"message": "Not Found"}))
            if found[0].expired or found[0].gone:
                return self._charged(Reply(410, {"message": "Artifact has expired"}))
            target = (
                self.blobs.offer(found[0].data) if self.blobs else f"{self.url}/_blob/{found[0].id}"
            )
            return self._charged(Reply(302, None, {"Location": target}))
        return self._charged(Reply(404, {"message": "Not Found"}))

    def handle(self, request: Request) -> Reply:
        if request.path.startswith("/_blob/"):  # same-origin blob (no blob server)
            ident = request.path.rsplit("/", 1)[-1]
            found = [a for rs in self.runs.values() for r in rs for a in r.artefacts]
            for artefact in found:
                if str(artefact.id) == ident:
                    return Reply(
                        200, raw=artefact.data, headers={"Content-Type": "application/zip"}
                    )
            return Reply(404, {"message": "Not Found"})
        return super().handle(request)

    def _run(self, repo: str, run: FakeRun) -> dict[str, Any]:
        return {
            "id": run.id,
            "name": run.name,
            "path": run.path,
            "head_branch": run.branch,
            "head_sha": run.sha,
            "event": run.event,
            "status": run.status,
            "conclusion": run.conclusion,
            "run_attempt": run.attempt,
            "run_started_at": run.started,
            "created_at": run.started,
            "updated_at": run.updated,
            "html_url": f"https://github.com/{repo}/actions/runs/{run.id}",
            "actor": {"login": "alice"},
            "triggering_actor": {"login": "alice"},
        }

    def _job(self, job: FakeJob) -> dict[str, Any]:
        return {
            "id": job.id,
            "name": job.name,
            "status": job.status,
            "conclusion": job.conclusion,
            "started_at": "2026-03-01T10:01:00Z",
            "completed_at": "2026-03-01T10:10:00Z",
        }

    def _artefact(self, repo: str, run: FakeRun, artefact: FakeArtefact) -> dict[str, Any]:
        digest = artefact.digest
        if digest == "auto":
            digest = "sha256:" + hashlib.sha256(artefact.data).hexdigest()
        return {
            "id": artefact.id,
            "name": artefact.name,
            "size_in_bytes": len(artefact.data),
            "archive_download_url": f"{self.url}/repos/{repo}/actions/artifacts/{artefact.id}/zip",
            "expired": artefact.expired,
            "expires_at": artefact.expires_at,
            "digest": digest,
            "workflow_run": {"id": run.id, "head_sha": run.sha, "head_branch": run.branch},
        }


class FakeGitLabCI(FakeGitLab):
    """A fake GitLab whose projects have pipelines (``runs["group/project"]``); a run's
    ``jobs`` carry the job artifacts, and its ``approvals`` become one deployment each."""

    def __init__(self, blobs: FakeBlobs | None = None) -> None:
        super().__init__()
        self.blobs = blobs
        self.runs: dict[str, list[FakeRun]] = {}

    def _rest(self, request: Request, path: str, job: bool) -> Reply:
        if not path.startswith("projects/"):
            return super()._rest(request, path, job)
        encoded, _, rest = path[len("projects/") :].partition("/")
        project = unquote(encoded)
        runs = self.runs.get(project)
        head = rest.split("/", 1)[0]
        if runs is None or head not in ("pipelines", "jobs", "deployments"):
            return super()._rest(request, path, job)
        if head in self.refuse:
            return Reply(self.refuse[head], {"message": f"{self.refuse[head]} Forbidden"})
        parts = rest.split("/")
        if parts == ["pipelines"]:
            sha, ref = request.query.get("sha"), request.query.get("ref")
            chosen = [r for r in runs if (not sha or r.sha == sha) and (not ref or r.branch == ref)]
            chosen.sort(key=lambda r: r.id, reverse=True)
            return self._listed(request, [self._pipeline(project, r) for r in chosen])
        if parts[0] == "pipelines" and len(parts) >= 2 and parts[1].isdigit():
            run = next((r for r in runs if r.id == int(parts[1])), None)
            if run is None:
                return Reply(404, {"message": "404 Not found"})
            if len(parts) == 2:
                return self._single(request, self._pipeline(project, run, full=True))
            if parts[2:] == ["jobs"]:
                return self._listed(request, [self._job(j) for j in run.jobs])
        if parts == ["deployments"]:
            made = [
                {
                    "id": run.id * 10 + n,
                    "status": "success",
                    "environment": {"name": env},
                    "deployable": {"pipeline": {"id": run.id}},
                    "approvals": [
                        {
                            "user": {"username": who},
                            "status": state,
                            "created_at": "2026-03-01T10:05:00Z",
                        }
                    ],
                }
                for run in runs
                for n, (env, who, state) in enumerate(run.approvals)
            ]
            return self._listed(request, made)
        if parts[0] == "jobs" and parts[2:] == ["artifacts"]:
            found = [
                j.artefact for r in runs for j in r.jobs if str(j.id) == parts[1] and j.artefact
            ]
            artefact = found[0] if found else None
            if artefact is None or artefact.expired or artefact.gone or artefact.deleted:
                return Reply(404, {"message": "404 Not Found"})
            if self.blobs is not None:
                return Reply(302, None, {"Location": self.blobs.offer(artefact.data)})
            return Reply(200, raw=artefact.data, headers={"Content-Type": "application/zip"})
        return Reply(404, {"message": "404 Not Found"})

    def _pipeline(self, project: str, run: FakeRun, full: bool = False) -> dict[str, Any]:
        status = {"success": "success", "failure": "failed", None: "running"}.get(
            run.conclusion, "failed"
        )
        body: dict[str, Any] = {
            "id": run.id,
            "iid": run.id,
            "sha": run.sha,
            "ref": run.branch,
            "status": status if run.status == "completed" else "running",
            "source": run.event,
            "created_at": run.started,
            "updated_at": run.updated,
            "web_url": f"https://gitlab.example/{project}/-/pipelines/{run.id}",
            "name": run.name,
        }
        if full:
            body |= {
                "started_at": run.started,
                "finished_at": run.updated,
                "user": {"username": "alice"},
            }
        return body

    def _job(self, job: FakeJob) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": job.id,
            "name": job.name,
            "status": "success" if job.conclusion == "success" else "failed",
            "started_at": "2026-03-01T10:01:00Z",
            "finished_at": "2026-03-01T10:10:00Z",
        }
        if job.artefact is not None:
            body["artifacts_file"] = {"filename": "artifacts.zip", "size": len(job.artefact.data)}
            body["artifacts_expire_at"] = job.artefact.expires_at
        return body


def project_id(project: str) -> str:
    return quote(project, safe="")
