"""GitHub: merged pull requests with their approvals (GraphQL), and branch protection (REST).

**Reviews.** One GraphQL query pages the pull requests merged into the branch, newest
update first, 100 a page, and stops at the first one last updated before the window (a
request merged in the window was updated in it too). Each page brings every request's
approving reviews, the commit each approval was given on, and the authors of its commits,
so 1,000 merged requests cost ten queries. GitHub Enterprise Server answers GraphQL at
``https://HOST/api/graphql`` beside its REST base ``https://HOST/api/v3``.

**How a request reached the branch** is read from its merge commit, which GitHub records
for every merge method:

- two parents: a merge commit (``merge``); the merge commit is what the branch gained;
- one parent and the request had one commit, or its merge commit is not its head: a
  squash (``squash``), one new commit. A rebase of a single commit looks the same, and
  puts the same single commit on the branch;
- one parent, more than one commit, and the merge commit keeps the author date of the
  request's last commit: a rebase (``rebase``). A rebase replays commits keeping their
  author dates; a squash writes a new commit dated when it merged. The merge commit is
  then the last of the N rebased commits on the branch's first-parent line, and
  :attr:`ChangeRequest.branch_commits` names it alone: the collector reads the N - 1
  before it from the local clone.

An approval is *stale* when it was given on a commit other than the request's head, and
from a *bot* when GitHub says its author is a ``Bot`` or the login ends with ``[bot]``.

**Re-collecting.** Before querying, a conditional REST probe asks for the most recently
updated closed request into the branch; when it is the same as at the last collection
(GitHub answers ``304`` from the kept ETag, which costs no rate budget), the pages kept
then in the cache folder are read again instead of querying. Nothing that could change an
approval of a merged request leaves that answer unchanged: a merge, a new or dismissed
review, or a push all update the request.

Protection is read in :mod:`~assay.platforms.github_protection`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from assay.durations import isoformat
from assay.evidence.parsing.values import parse_time
from assay.platforms import github_actions
from assay.platforms.cache import keep_json
from assay.platforms.ci_model import CiArtefact, CiRun, Download, RunList
from assay.platforms.github_protection import read_protection
from assay.platforms.identity import Platform, token_help
from assay.platforms.model import Access, Approval, ChangeRequest, MergeMethod, Protection, Reviews
from assay.platforms.transport import Response, Transport

#: At most this many pages of 100 merged requests are read (then ``truncated``).
MAX_PAGES = 100
PAGE_SIZE = 100
#: Reviews and commits read per request (GitHub's page maximum).
PER_REQUEST = 100
_KEPT_VERSION = 1

QUERY = """
query($owner: String!, $name: String!, $base: String!, $after: String) {
  repository(owner: $owner, name: $name) {
    pullRequests(baseRefName: $base, states: MERGED, first: 100, after: $after,
                 orderBy: {field: UPDATED_AT, direction: DESC}) {
      pageInfo { hasNextPage endCursor }
      nodes {
        number updatedAt mergedAt
        author { login __typename }
        mergedBy { login }
        headRefOid
        mergeCommit { oid authoredDate parents(first: 2) { totalCount } }
        last: commits(last: 1) { nodes { commit { oid authoredDate committedDate } } }
        commits(first: 100) {
          totalCount
          nodes { commit { authors(first: 5) { nodes { user { login } } } } }
        }
        reviews(first: 100, states: [APPROVED]) {
          totalCount
          nodes { author { login __typename } submittedAt commit { oid } }
        }
      }
    }
  }
}
"""


def graphql_url(api_url: str) -> str:
    """The GraphQL endpoint of a REST base: ``{host}/api/graphql`` for GitHub Enterprise
    Server (``{host}/api/v3``), else ``{base}/graphql``."""
    base = api_url.rstrip("/")
    if base.endswith("/api/v3"):
        return base[: -len("/v3")] + "/graphql"
    return base + "/graphql"


def _login(actor: Any) -> str | None:
    if isinstance(actor, Mapping) and isinstance(actor.get("login"), str):
        return str(actor["login"])
    return None


def is_bot(actor: Any) -> bool:
    """Whether a GraphQL actor is an automation account."""
    if not isinstance(actor, Mapping):
        return False
    login = actor.get("login")
    return actor.get("__typename") == "Bot" or (
        isinstance(login, str) and login.lower().endswith("[bot]")
    )


def _nodes(connection: Any) -> list[Any]:
    if isinstance(connection, Mapping) and isinstance(connection.get("nodes"), list):
        return [node for node in connection["nodes"] if isinstance(node, Mapping)]
    return []


def _total(connection: Any) -> int:
    if isinstance(connection, Mapping) and isinstance(connection.get("totalCount"), int):
        return int(connection["totalCount"])
    return 0


def merge_method(node: Mapping[str, Any]) -> MergeMethod:
    """How a merged request reached its branch (see the module docstring)."""
    merge = node.get("mergeCommit")
    if not isinstance(merge, Mapping) or not merge.get("oid"):
        return "unknown"
    parents = _total(merge.get("parents"))
    if parents >= 2:
        return "merge"
    if parents != 1:
        return "unknown"
    commits = _total(node.get("commits"))
    last = _nodes(node.get("last"))
    last_commit = last[0].get("commit") if last else None
    last_authored = last_commit.get("authoredDate") if isinstance(last_commit, Mapping) else None
    if commits > 1 and merge.get("oid") == node.get("headRefOid"):
        return "rebase"  # a fast-forward: the head itself is on the branch
    if commits > 1 and last_authored is not None and merge.get("authoredDate") == last_authored:
        return "rebase"
    return "squash"


def change_request(node: Mapping[str, Any]) -> tuple[ChangeRequest | None, bool]:
    """One merged request from its GraphQL node, and whether it had more commits or
    reviews than were read."""
    merged_at = parse_time(node.get("mergedAt"))
    number = node.get("number")
    if merged_at is None or not isinstance(number, int):
        return None, False
    head = node.get("headRefOid") if isinstance(node.get("headRefOid"), str) else None
    merge = node.get("mergeCommit")
    merge_oid = merge.get("oid") if isinstance(merge, Mapping) else None
    authors: list[str] = []
    for entry in _nodes(node.get("commits")):
        commit = entry.get("commit")
        for person in _nodes(commit.get("authors") if isinstance(commit, Mapping) else None):
            login = _login(person.get("user"))
            if login and login not in authors:
                authors.append(login)
    approvals = []
    for review in _nodes(node.get("reviews")):
        approver = _login(review.get("author"))
        if approver is None:
            continue  # a deleted account: nobody to name
        on = review.get("commit")
        oid = on.get("oid") if isinstance(on, Mapping) else None
        approvals.append(
            Approval(
                approver,
                parse_time(review.get("submittedAt")),
                oid if isinstance(oid, str) else None,
                stale=head is not None and oid != head,
                bot=is_bot(review.get("author")),
            )
        )
    last = _nodes(node.get("last"))
    last_commit = last[0].get("commit") if last else None
    pushed = (
        parse_time(last_commit.get("committedDate")) if isinstance(last_commit, Mapping) else None
    )
    commits = _total(node.get("commits"))
    request = ChangeRequest(
        number=number,
        author=_login(node.get("author")),
        merged_at=merged_at,
        merged_by=_login(node.get("mergedBy")),
        merge_method=merge_method(node),
        head_commit=head,
        branch_commits=(merge_oid,) if isinstance(merge_oid, str) else (),
        last_push_at=pushed,
        authors=tuple(authors),
        approvals=tuple(approvals),
        author_bot=is_bot(node.get("author")),
        commits=commits,
    )
    partial = commits > PER_REQUEST or _total(node.get("reviews")) > PER_REQUEST
    return request, partial


def refused(status: int, body: Any) -> Access:
    """The access a refusing answer gives, with what would give access."""
    message = body.get("message") if isinstance(body, Mapping) else None
    reason = f"HTTP {status}" + (f": {message}" if isinstance(message, str) else "")
    return Access("refused", reason, token_help("github"))


def _graphql_refusal(body: Any) -> Access | None:
    errors = body.get("errors") if isinstance(body, Mapping) else None
    if not errors:
        return None
    first = errors[0] if isinstance(errors, list) and errors else {}
    kind = first.get("type") if isinstance(first, Mapping) else None
    message = first.get("message") if isinstance(first, Mapping) else None
    reason = "GraphQL: " + " ".join(str(p) for p in (kind, message) if p)
    return Access("refused", reason, token_help("github"))


class GitHubProvider:
    """Reads one GitHub repository (``platform.project`` is ``owner/repo``)."""

    def __init__(self, platform: Platform, transport: Transport) -> None:
        self.platform = platform
        self.transport = transport
        self.owner, _, self.name = platform.project.partition("/")

    @property
    def _repo_path(self) -> str:
        return f"repos/{quote(self.owner, safe='')}/{quote(self.name, safe='')}"

    def _no_token(self) -> Access:
        return Access("no_token", "no GitHub token in the environment", token_help("github"))

    # ----------------------------------------------------------------- reviews

    def reviews(self, branch: str, since: datetime, until: datetime) -> Reviews:
        if self.transport.credentials is None:
            return Reviews(self._no_token(), branch, since, until)
        marker, access = self._probe(branch)
        if access is not None:
            return Reviews(access, branch, since, until)
        kept_at = self._kept_path(branch, since, until)
        kept = _read_kept(kept_at, marker) if kept_at and marker is not None else None
        if kept is not None:
            nodes, truncated = kept
        else:
            found = self._query(branch, since)
            if isinstance(found, Access):
                return Reviews(found, branch, since, until)
            nodes, truncated = found
            if kept_at is not None and marker is not None:
                _write_kept(kept_at, marker, nodes, truncated)
        return self._reviews(nodes, truncated, branch, since, until)

    def _reviews(
        self,
        nodes: Sequence[Mapping[str, Any]],
        truncated: bool,
        branch: str,
        since: datetime,
        until: datetime,
    ) -> Reviews:
        requests = []
        for node in nodes:
            request, partial = change_request(node)
            if request is None or not since <= request.merged_at <= until:
                continue
            truncated = truncated or partial
            requests.append(request)
        requests.sort(key=lambda r: (r.merged_at, r.number))
        return Reviews(Access("read"), branch, since, until, tuple(requests), truncated)

    def _probe(self, branch: str) -> tuple[str | None, Access | None]:
        """The most recently updated closed request into ``branch`` (as a marker of
        change), or the refusal the probe met."""
        answer = self.transport.get(
            f"{self._repo_path}/pulls",
            {
                "state": "closed",
                "base": branch,
                "sort": "updated",
                "direction": "desc",
                "per_page": 1,
            },
        )
        if not answer.ok:
            return None, refused(answer.status, answer.body)
        body = answer.body
        if not isinstance(body, list):
            return None, None
        top = body[0] if body and isinstance(body[0], Mapping) else {}
        return json.dumps([top.get("number"), top.get("updated_at")]), None

    def _query(self, branch: str, since: datetime) -> tuple[list[Mapping[str, Any]], bool] | Access:
        url = graphql_url(self.transport.base_url)
        nodes: list[Mapping[str, Any]] = []
        after: str | None = None
        for _ in range(MAX_PAGES):
            variables = {"owner": self.owner, "name": self.name, "base": branch, "after": after}
            answer: Response = self.transport.graphql(QUERY, variables, path=url)
            if not answer.ok:
                return refused(answer.status, answer.body)
            refusal = _graphql_refusal(answer.body)
            if refusal is not None:
                return refusal
            data = answer.body.get("data") if isinstance(answer.body, Mapping) else None
            repository = data.get("repository") if isinstance(data, Mapping) else None
            if not isinstance(repository, Mapping):
                return Access(
                    "refused", "GraphQL: the repository is not visible", token_help("github")
                )
            connection = repository.get("pullRequests")
            page = _nodes(connection)
            for node in page:
                updated = parse_time(node.get("updatedAt"))
                if updated is not None and updated < since:
                    return nodes, False
                nodes.append(node)
            info = connection.get("pageInfo") if isinstance(connection, Mapping) else None
            if not isinstance(info, Mapping) or not info.get("hasNextPage"):
                return nodes, False
            after = info.get("endCursor") if isinstance(info.get("endCursor"), str) else None
            if after is None:
                return nodes, True
        return nodes, True

    def _kept_path(self, branch: str, since: datetime, until: datetime) -> Path | None:
        cache = self.transport.cache
        if cache is None:
            return None
        host = urlsplit(self.transport.base_url).netloc
        key = json.dumps([host, self.platform.project, branch, isoformat(since), isoformat(until)])
        digest = hashlib.sha256(key.encode()).hexdigest()
        return cache.folder / "github-reviews" / f"{digest}.json"

    # ----------------------------------------------------------------- protection

    def protection(self, branch: str) -> Protection:
        if self.transport.credentials is None:
            return Protection(self._no_token(), branch, environments_access=self._no_token())
        return read_protection(self.transport, self._repo_path, branch)

    # ----------------------------------------------------------------- Actions

    def ci_runs(self, branch: str | None, commit: str) -> RunList:
        """The workflow runs of ``commit`` on ``branch`` (:mod:`.github_actions`)."""
        if self.transport.credentials is None:
            return RunList(self._no_token())
        return github_actions.list_runs(
            self.transport, self._repo_path, self.platform.project, branch, commit
        )

    def ci_details(self, run: CiRun) -> CiRun | Access:
        return github_actions.details(self.transport, self._repo_path, run)

    def ci_download(self, artefact: CiArtefact, max_bytes: int) -> Download:
        return self.transport.download(artefact.download, max_bytes)


def _read_kept(path: Path, marker: str) -> tuple[list[Mapping[str, Any]], bool] | None:
    """The pages kept at the last collection, when the probe's marker is the same."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if (
        not isinstance(data, dict)
        or data.get("version") != _KEPT_VERSION
        or data.get("marker") != marker
        or not isinstance(data.get("nodes"), list)
    ):
        return None
    return [n for n in data["nodes"] if isinstance(n, dict)], bool(data.get("truncated"))


def _write_kept(
    path: Path, marker: str, nodes: Sequence[Mapping[str, Any]], truncated: bool
) -> None:
    record = {"version": _KEPT_VERSION, "marker": marker, "truncated": truncated, "nodes": nodes}
    keep_json(path, record)  # when not kept, the next collection queries again
