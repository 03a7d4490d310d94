"""A fake GitHub API on :class:`~tests.support.fake_http.FakeServer`, shaped after GitHub's
public REST and GraphQL documentation.

- ``POST /graphql`` (``/api/graphql`` for an Enterprise Server layout): the repository's
  merged pull requests, ``orderBy UPDATED_AT DESC``, 100 a page, opaque cursors in
  ``pageInfo``; unknown repositories give a ``NOT_FOUND`` error in a 200 answer;
- ``GET /repos/{o}/{r}/pulls``: closed pull requests, newest update first;
- ``GET /repos/{o}/{r}/branches/{b}/protection``, ``/rules/branches/{b}``,
  ``/rulesets/{id}``, ``/environments``;
- an ``ETag`` on every GET answer, and ``304`` (not charged) on a matching
  ``If-None-Match``; ``X-RateLimit-*`` headers on every charged answer; a secondary rate
  limit (``403`` with ``Retry-After``) on demand; ``401 Bad credentials`` without the token.

:attr:`FakeGitHub.handler_seconds` sums the time spent building answers, so benchmarks can
compare a client's wall time with the server's own.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.support.fake_http import FakeServer, Reply, Request

TOKEN = "ghp_faketoken0123456789"


@dataclass
class FakeCommit:
    oid: str
    author: str | None
    authored: str
    committed: str | None = None


@dataclass
class FakeReview:
    login: str
    commit: str
    submitted: str
    typename: str = "User"


@dataclass
class FakePull:
    number: int
    author: str
    merged_at: str
    head: str
    merge_commit: str
    parents: int
    commits: list[FakeCommit]
    reviews: list[FakeReview] = field(default_factory=list)
    base: str = "main"
    updated_at: str | None = None
    merged_by: str | None = None
    merge_authored: str | None = None
    author_type: str = "User"

    def node(self) -> dict[str, Any]:
        last = self.commits[-1]
        return {
            "number": self.number,
            "updatedAt": self.updated_at or self.merged_at,
            "mergedAt": self.merged_at,
            "author": {"login": self.author, "__typename": self.author_type},
            "mergedBy": {"login": self.merged_by or self.author},
            "headRefOid": self.head,
            "mergeCommit": {
                "oid": self.merge_commit,
                "authoredDate": self.merge_authored or self.merged_at,
                "parents": {"totalCount": self.parents},
            },
            "last": {
                "nodes": [
                    {
                        "commit": {
                            "oid": last.oid,
                            "authoredDate": last.authored,
                            "committedDate": last.committed or last.authored,
                        }
                    }
                ]
            },
            "commits": {
                "totalCount": len(self.commits),
                "nodes": [
                    {
                        "commit": {
                            "authors": {
                                "nodes": [{"user": {"login": c.author} if c.author else None}]
                            }
                        }
                    }
                    for c in self.commits[:100]
                ],
            },
            "reviews": {
                "totalCount": len(self.reviews),
                "nodes": [
                    {
                        "author": {"login": r.login, "__typename": r.typename},
                        "submittedAt": r.submitted,
                        "commit": {"oid": r.commit},
                    }
                    for r in self.reviews[:100]
                ],
            },
        }


class FakeGitHub(FakeServer):
    """One repository ``owner/name`` on a fake GitHub; set the attributes, then start."""

    def __init__(
        self, owner: str = "acme", name: str = "shop", *, enterprise: bool = False
    ) -> None:
        super().__init__()
        self.owner, self.name = owner, name
        self.prefix = "/api/v3" if enterprise else ""
        self.pulls: list[FakePull] = []
        #: Classic protection body, or None for "Branch not protected".
        self.protection: dict[str, Any] | None = None
        #: Overrides the protection answer: (status, message).
        self.protection_refusal: tuple[int, str] | None = None
        self.rules: list[dict[str, Any]] = []
        self.rulesets: dict[int, dict[str, Any]] = {}
        self.environments: list[dict[str, Any]] = []
        self.environments_refusal: tuple[int, str] | None = None
        #: Paths that answer one secondary rate limit (403 + Retry-After) first.
        self.secondary_limit: set[str] = set()
        self.graphql_errors: list[dict[str, Any]] | None = None
        self.remaining = 5000
        self.handler_seconds = 0.0
        self._clock = threading.Lock()
        repo = f"{self.prefix}/repos/{owner}/{name}"
        self.repo_path = repo
        graphql = "/api/graphql" if enterprise else "/graphql"
        self.graphql_path = graphql
        self.route("POST", graphql, self._timed(self._graphql))
        self.route("GET", f"{repo}/pulls", self._timed(self._pulls))
        self.route("GET", f"{repo}/environments", self._timed(self._environments))

    @property
    def api_url(self) -> str:
        return self.url + self.prefix

    # ------------------------------------------------------------ dispatch

    def handle(self, request: Request) -> Reply:
        """Every GET answer carries an ``ETag``; a matching ``If-None-Match`` gets ``304``,
        which the rate limit does not count (as GitHub documents)."""
        reply = self._dispatch(request)
        if request.method != "GET" or reply.status != 200:
            return reply
        etag = reply.headers.get("ETag")
        if etag is None:
            etag = '"' + hashlib.sha256(reply.payload()).hexdigest()[:16] + '"'
            reply.headers["ETag"] = etag
        if request.headers.get("if-none-match") == etag:
            self.remaining += 1  # not charged
            return Reply(304, None, {"ETag": etag})
        return reply

    def _dispatch(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return Reply(401, {"message": "Bad credentials"})
        if request.path in self.secondary_limit:
            self.secondary_limit.discard(request.path)
            return Reply(
                403,
                {"message": "You have exceeded a secondary rate limit."},
                {"Retry-After": "1"},
            )
        branches = f"{self.repo_path}/branches/"
        if request.method == "GET" and request.path.startswith(branches):
            return self._timed(self._protection)(request)
        rules = f"{self.repo_path}/rules/branches/"
        if request.method == "GET" and request.path.startswith(rules):
            return self._timed(lambda _: self._charged(Reply(200, self.rules)))(request)
        rulesets = f"{self.repo_path}/rulesets/"
        if request.method == "GET" and request.path.startswith(rulesets):
            ident = request.path[len(rulesets) :]
            found = self.rulesets.get(int(ident)) if ident.isdigit() else None
            return self._charged(
                Reply(200, found) if found else Reply(404, {"message": "Not Found"})
            )
        return super().handle(request)

    def _timed(self, handler: Callable[[Request], Reply]) -> Callable[[Request], Reply]:
        def timed(request: Request) -> Reply:
            started = time.perf_counter()
            try:
                reply: Reply = handler(request)
                reply.raw = reply.payload()  # encoding the answer is the server's work too
                return reply
            finally:
                with self._clock:
                    self.handler_seconds += time.perf_counter() - started

        return timed

    def _charged(self, reply: Reply) -> Reply:
        self.remaining -= 1
        reply.headers.update(
            {
                "X-RateLimit-Limit": "5000",
                "X-RateLimit-Remaining": str(max(self.remaining, 1)),
                "X-RateLimit-Reset": str(int(time.time()) + 3600),
            }
        )
        return reply

    # ------------------------------------------------------------ handlers

    def _graphql(self, request: Request) -> Reply:
        payload = request.json()
        query = payload["query"]
        if "pullRequests(" not in query or "states: MERGED" not in query:
            return Reply(200, {"errors": [{"message": "the fake serves merged requests only"}]})
        variables = payload["variables"]
        if self.graphql_errors is not None:
            return self._charged(Reply(200, {"data": None, "errors": self.graphql_errors}))
        if (variables["owner"], variables["name"]) != (self.owner, self.name):
            error = {"type": "NOT_FOUND", "message": "Could not resolve to a Repository"}
            return self._charged(Reply(200, {"data": {"repository": None}, "errors": [error]}))
        merged = sorted(
            (p for p in self.pulls if p.base == variables["base"]),
            key=lambda p: p.updated_at or p.merged_at,
            reverse=True,
        )
        after = variables.get("after")
        start = int(base64.b64decode(after).decode().split(":")[1]) if after else 0
        page = merged[start : start + 100]
        end = start + len(page)
        body = {
            "data": {
                "repository": {
                    "pullRequests": {
                        "pageInfo": {
                            "hasNextPage": end < len(merged),
                            "endCursor": base64.b64encode(f"cursor:{end}".encode()).decode(),
                        },
                        "nodes": [p.node() for p in page],
                    }
                }
            }
        }
        return self._charged(Reply(200, body))

    def _pulls(self, request: Request) -> Reply:
        base = request.query.get("base")
        closed = sorted(
            (p for p in self.pulls if base is None or p.base == base),
            key=lambda p: p.updated_at or p.merged_at,
            reverse=True,
        )[: int(request.query.get("per_page", "30"))]
        body = [
            {"number": p.number, "state": "closed", "updated_at": p.updated_at or p.merged_at}
            for p in closed
        ]
        return self._charged(Reply(200, body))

    def _protection(self, request: Request) -> Reply:
        if not request.path.endswith("/protection"):
            return Reply(404, {"message": "Not Found"})
        if self.protection_refusal is not None:
            status, message = self.protection_refusal
            return self._charged(Reply(status, {"message": message}))
        if self.protection is None:
            return self._charged(Reply(404, {"message": "Branch not protected"}))
        return self._charged(Reply(200, self.protection))

    def _environments(self, request: Request) -> Reply:
        if self.environments_refusal is not None:
            status, message = self.environments_refusal
            return self._charged(Reply(status, {"message": message}))
        body = {"total_count": len(self.environments), "environments": self.environments}
        return self._charged(Reply(200, body))


def sha(label: str) -> str:
    """A 40-hex commit id made from a label."""
    return hashlib.sha1(label.encode()).hexdigest()  # noqa: S324 - an id, not security
