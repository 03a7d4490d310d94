"""A fake GitLab (REST v4 and the GraphQL merge request queries) on :class:`FakeServer`.

Written from GitLab's public API documentation: merge requests over GraphQL with cursor
pages (``pageInfo { hasNextPage endCursor }``), protected branches, project approval
settings and rules, protected environments, and a merged-requests list for the probe.
REST lists page by ``page``/``per_page`` with ``Link: rel="next"``, ``X-Next-Page`` and
``X-Total``; every REST answer has an ``ETag`` and answers ``304`` to a matching
``If-None-Match``; every answer carries ``RateLimit-*`` headers. Tests switch on
refusals (per endpoint), one ``429`` with ``Retry-After``, and a complexity ceiling for
GraphQL page sizes.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from tests.support.fake_http import FakeServer, Reply, Request

TOKEN = "glpat-fake-secret-token"
JOB_TOKEN = "job-token-fake-secret"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@dataclass
class FakeCommit:
    sha: str
    author: str | None
    email: str = "someone@example.com"


@dataclass
class FakeMR:
    iid: int
    author: str
    merged_at: datetime
    merged_by: str
    commits: list[FakeCommit]
    target_branch: str = "main"
    created_at: datetime = T0
    squash: bool = False
    merge_sha: str | None = None
    squash_sha: str | None = None
    #: (approver, when)
    approvals: list[tuple[str, datetime]] = field(default_factory=list)
    pushes: list[datetime] = field(default_factory=list)
    other_notes: int = 0
    updated_at: datetime | None = None

    @property
    def head(self) -> str | None:
        return self.commits[0].sha if self.commits else None


class FakeGitLab(FakeServer):
    """One project at ``project`` under the API base ``prefix`` (``/api/v4`` by default)."""

    def __init__(self, project: str = "group/sub/project", prefix: str = "/api/v4") -> None:
        super().__init__()
        self.project = project
        self.prefix = prefix.rstrip("/")
        self.graphql_path = self.prefix.rsplit("/", 1)[0] + "/graphql"
        self.bots: set[str] = set()
        self.merge_requests: list[FakeMR] = []
        self.protected_branches: list[dict[str, Any]] = []
        self.approval_settings: dict[str, Any] = {
            "approvals_before_merge": 0,
            "reset_approvals_on_push": True,
            "merge_requests_author_approval": False,
            "merge_requests_disable_committers_approval": False,
            "disable_overriding_approvers_per_merge_request": False,
        }
        self.approval_rules: list[dict[str, Any]] = []
        self.protected_environments: list[dict[str, Any]] = []
        #: endpoint name (``protected_branches``, ``approvals``, ...) -> status to answer
        self.refuse: dict[str, int] = {}
        self.settings_need_personal_token = True
        self.per_page_default = 20
        self.max_graphql_page: int | None = None
        self.rate_limit_next = 0
        #: when set, a rate-limited answer gives this reset time (epoch seconds) and no
        #: ``Retry-After``
        self.rate_limit_reset: float | None = None
        self.graphql_calls = 0

    # ------------------------------------------------------------------ plumbing

    @property
    def api_url(self) -> str:
        return self.url + self.prefix

    def _limits(self) -> dict[str, str]:
        return {"RateLimit-Limit": "2000", "RateLimit-Remaining": "1999", "RateLimit-Reset": "0"}

    def handle(self, request: Request) -> Reply:
        if self.rate_limit_next > 0:
            self.rate_limit_next -= 1
            if self.rate_limit_reset is not None:
                reset = {
                    "RateLimit-Remaining": "0",
                    "RateLimit-Reset": str(int(self.rate_limit_reset)),
                }
                return Reply(429, {"message": "Retry later"}, reset)
            return Reply(429, {"message": "Retry later"}, {"Retry-After": "2", **self._limits()})
        private = request.headers.get("private-token")
        job = request.headers.get("job-token")
        if private != TOKEN and job != JOB_TOKEN:
            return Reply(401, {"message": "401 Unauthorized"}, self._limits())
        if request.method == "POST" and request.path == self.graphql_path:
            reply = self._graphql(request.json())
        elif request.method == "GET" and request.path.startswith(self.prefix + "/"):
            reply = self._rest(request, request.path[len(self.prefix) + 1 :], job is not None)
        else:
            reply = Reply(404, {"message": "404 Not Found"})
        reply.headers.update(self._limits())
        return reply

    def _rest(self, request: Request, path: str, job: bool) -> Reply:
        base = f"projects/{quote(self.project, safe='')}"
        if not path.startswith(base + "/"):
            return Reply(404, {"message": "404 Project Not Found"})
        rest = path[len(base) + 1 :]
        endpoint = rest.split("/", 1)[0]
        if endpoint in self.refuse:
            return Reply(self.refuse[endpoint], {"message": f"{self.refuse[endpoint]} refused"})
        if job and self.settings_need_personal_token and endpoint != "merge_requests":
            return Reply(403, {"message": "403 Forbidden"})
        if rest == "merge_requests":
            return self._listed(request, self._merged_list(request))
        if rest == "protected_branches":
            return self._listed(request, self.protected_branches)
        if rest.startswith("protected_branches/"):
            name = rest[len("protected_branches/") :].replace("%2F", "/")
            for rule in self.protected_branches:
                if rule["name"] == name:
                    return self._single(request, rule)
            return Reply(404, {"message": "404 Not found"})
        if rest == "approvals":
            return self._single(request, self.approval_settings)
        if rest == "approval_rules":
            return self._listed(request, self.approval_rules)
        if rest == "protected_environments":
            return self._listed(request, self.protected_environments)
        return Reply(404, {"message": "404 Not Found"})

    def _single(self, request: Request, body: Any) -> Reply:
        etag = (
            'W/"' + hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16] + '"'
        )
        if request.headers.get("if-none-match") == etag:
            return Reply(304, None, {"ETag": etag})
        return Reply(200, body, {"ETag": etag})

    def _listed(self, request: Request, items: list[Any]) -> Reply:
        page = int(request.query.get("page", "1"))
        per_page = min(100, int(request.query.get("per_page", str(self.per_page_default))))
        chunk = items[(page - 1) * per_page : page * per_page]
        reply = self._single(request, chunk)
        reply.headers.update({"X-Total": str(len(items)), "X-Page": str(page)})
        if page * per_page < len(items):
            query = {**request.query, "page": str(page + 1), "per_page": str(per_page)}
            reply.headers["X-Next-Page"] = str(page + 1)
            reply.headers["Link"] = f'<{self.url}{request.path}?{urlencode(query)}>; rel="next"'
        return reply

    def _merged_list(self, request: Request) -> list[dict[str, Any]]:
        branch = request.query.get("target_branch")
        chosen = [m for m in self.merge_requests if branch is None or m.target_branch == branch]
        chosen.sort(key=lambda m: m.updated_at or m.merged_at, reverse=True)
        return [
            {"iid": m.iid, "updated_at": stamp(m.updated_at or m.merged_at), "state": "merged"}
            for m in chosen
        ]

    # ------------------------------------------------------------------ GraphQL

    def _graphql(self, body: dict[str, Any]) -> Reply:
        self.graphql_calls += 1
        query, variables = body["query"], body.get("variables") or {}
        if variables.get("path") != self.project:
            return Reply(200, {"data": {"project": None}})
        commits_page = int(re.search(r"commits\(first: (\d+)", query).group(1))  # type: ignore[union-attr]
        notes_page = int(re.search(r"notes\(filter: ONLY_ACTIVITY, first: (\d+)", query).group(1))  # type: ignore[union-attr]
        if "mergeRequests(" in query:
            first = int(variables["first"])
            if self.max_graphql_page is not None and first > self.max_graphql_page:
                message = (
                    f"Query has complexity of {first * 4}, which exceeds max complexity of 250"
                )
                return Reply(200, {"errors": [{"message": message}]})
            since = datetime.fromisoformat(variables["since"].replace("Z", "+00:00"))
            until = datetime.fromisoformat(variables["until"].replace("Z", "+00:00"))
            chosen = sorted(
                (
                    m
                    for m in self.merge_requests
                    if m.target_branch in variables["branches"] and since <= m.merged_at <= until
                ),
                key=lambda m: m.merged_at,
            )
            start = int(variables["cursor"].split(":")[1]) if variables.get("cursor") else 0
            page = chosen[start : start + first]
            nodes = [self._node(m, commits_page, notes_page) for m in page]
            info = _info(start + first < len(chosen), start + len(page))
            data = {"mergeRequests": {"pageInfo": info, "nodes": nodes}}
            return Reply(200, {"data": {"project": data}})
        iid = int(variables["iid"])
        found = next((m for m in self.merge_requests if m.iid == iid), None)
        if found is None:
            return Reply(200, {"data": {"project": {"mergeRequest": None}}})
        node: dict[str, Any] = {}
        if variables.get("wantCommits"):
            node["commits"] = self._commits(found, commits_page, variables.get("commits"))
        if variables.get("wantNotes"):
            node["notes"] = self._notes(found, notes_page, variables.get("notes"))
        return Reply(200, {"data": {"project": {"mergeRequest": node}}})

    def _user(self, name: str | None) -> dict[str, Any] | None:
        if name is None:
            return None
        return {"username": name, "bot": name in self.bots}

    def _node(self, m: FakeMR, commits_page: int, notes_page: int) -> dict[str, Any]:
        return {
            "iid": str(m.iid),
            "createdAt": stamp(m.created_at),
            "mergedAt": stamp(m.merged_at),
            "squash": m.squash,
            "mergeCommitSha": m.merge_sha,
            "squashCommitSha": m.squash_sha,
            "diffHeadSha": m.head,
            "author": self._user(m.author),
            "mergeUser": self._user(m.merged_by),
            "approvedBy": {"nodes": [self._user(name) for name, _ in m.approvals]},
            "commits": self._commits(m, commits_page, None),
            "notes": self._notes(m, notes_page, None),
        }

    def _commits(self, m: FakeMR, size: int, cursor: str | None) -> dict[str, Any]:
        start = int(cursor.split(":")[1]) if cursor else 0
        page = m.commits[start : start + size]
        nodes = [
            {"sha": c.sha, "authorEmail": c.email, "author": self._user(c.author)} for c in page
        ]
        return {"pageInfo": _info(start + size < len(m.commits), start + len(page)), "nodes": nodes}

    def _notes(self, m: FakeMR, size: int, cursor: str | None) -> dict[str, Any]:
        notes: list[tuple[datetime, str, str]] = []
        notes += [(at, m.author, "commit") for at in m.pushes]
        notes += [(at, name, "approved") for name, at in m.approvals]
        notes += [
            (m.created_at + timedelta(seconds=i + 1), m.author, "label")
            for i in range(m.other_notes)
        ]
        notes.sort()
        start = int(cursor.split(":")[1]) if cursor else 0
        page = notes[start : start + size]
        nodes = [
            {
                "createdAt": stamp(at),
                "author": {"username": who},
                "systemNoteMetadata": {"action": action},
            }
            for at, who, action in page
        ]
        return {"pageInfo": _info(start + size < len(notes), start + len(page)), "nodes": nodes}


def _info(more: bool, end: int) -> dict[str, Any]:
    return {"hasNextPage": more, "endCursor": f"c:{end}" if more else None}


@contextmanager
def running(server: FakeGitLab) -> Iterator[FakeGitLab]:
    """``server`` started, and stopped on leaving."""
    server.start()
    try:
        yield server
    finally:
        server.stop()
