"""GitLab merge requests merged into a branch, with who approved them and when.

**One GraphQL query per page of merge requests** (``project.mergeRequests`` with
``targetBranches``, ``state: merged``, ``mergedAfter``/``mergedBefore``, up to 100 a page)
returns, for each: author, merger, merge/squash commits, the head of its latest diff,
its approvers (``approvedBy``), its commits with their authors, and its activity notes
(``notes(filter: ONLY_ACTIVITY)``). The activity notes give the times: an "approved"
note per approval and a "commit" note per push, so approval times and the last push cost
no request of their own. A merge request with more commits or activity notes than one
page holds costs one more query per further page of either (rare: over 100 commits or
50 activity notes). Should GitLab refuse a page as too complex, the page size halves.

**Stale approvals**: an approval is stale when its time is before the merge request's
last push (the newest "commit" activity note; without one, the request's creation).
Then it did not see what merged. Approval times come from the newest "approved" note of
each current approver.

**Re-reading**: with a response cache, one REST probe says whether the branch's merged
requests changed since the last read; if not, the kept result answers
(:mod:`~assay.platforms.gitlab_kept`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from assay.platforms.gitlab_answers import (
    REFUSALS,
    check_answer,
    gitlab_time,
    listing,
    mapping,
    parse_time,
    refused,
    text,
    username,
)
from assay.platforms.gitlab_kept import keep, probe, recall
from assay.platforms.identity import token_help
from assay.platforms.model import READ, Access, Approval, ChangeRequest, MergeMethod, Reviews
from assay.platforms.transport import PlatformError, Transport

GRAPHQL = "../graphql"
PAGE = 100
NOTES_PAGE = 50
COMMITS_PAGE = 100
LIMIT = 5000

_FIELDS = """
      iid createdAt mergedAt squash mergeCommitSha squashCommitSha diffHeadSha
      author { username bot }
      mergeUser { username bot }
      approvedBy { nodes { username bot } }"""
_COMMITS = """
      commits(first: %d%s) {
        pageInfo { hasNextPage endCursor }
        nodes { sha authorEmail author { username bot } }
      }"""
_NOTES = """
      notes(filter: ONLY_ACTIVITY, first: %d%s) {
        pageInfo { hasNextPage endCursor }
        nodes { createdAt author { username } systemNoteMetadata { action } }
      }"""

LIST_QUERY = (
    """query($path: ID!, $branches: [String!], $since: Time, $until: Time,
      $first: Int, $cursor: String) {
  project(fullPath: $path) {
    mergeRequests(targetBranches: $branches, state: merged, mergedAfter: $since,
        mergedBefore: $until, sort: MERGED_AT_ASC, first: $first, after: $cursor) {
      pageInfo { hasNextPage endCursor }
      nodes {"""
    + _FIELDS
    + _COMMITS % (COMMITS_PAGE, "")
    + _NOTES % (NOTES_PAGE, "")
    + """
      }
    }
  }
}"""
)

DETAIL_QUERY = (
    """query($path: ID!, $iid: String!, $commits: String, $notes: String,
      $wantCommits: Boolean!, $wantNotes: Boolean!) {
  project(fullPath: $path) {
    mergeRequest(iid: $iid) {"""
    + (_COMMITS % (COMMITS_PAGE, ", after: $commits")).replace(
        ") {", ") @include(if: $wantCommits) {", 1
    )
    + (_NOTES % (100, ", after: $notes")).replace(") {", ") @include(if: $wantNotes) {", 1)
    + """
    }
  }
}"""
)


@dataclass
class _Draft:
    node: dict[str, Any]
    commits: list[Any] = field(default_factory=list)
    notes: list[Any] = field(default_factory=list)
    commits_after: str | None = None
    notes_after: str | None = None


class _Refused(Exception):
    def __init__(self, access: Access) -> None:
        self.access = access


def read_reviews(
    transport: Transport,
    project: str,
    branch: str,
    since: datetime,
    until: datetime,
    *,
    page_size: int = PAGE,
    limit: int = LIMIT,
) -> Reviews:
    """The merge requests merged into ``branch`` in ``[since, until]`` (at most ``limit``)."""
    found = probe(transport, project, branch) if transport.cache is not None else None
    if isinstance(found, Access):
        return Reviews(found, branch, since, until)
    if found is not None:
        kept = recall(transport, project, branch, since, until, found)
        if kept is not None:
            return Reviews(READ, branch, since, until, kept)
    try:
        drafts, truncated = _list(transport, project, branch, since, until, page_size, limit)
        for draft in drafts:
            _complete(transport, project, draft)
    except _Refused as refusal:
        return Reviews(refusal.access, branch, since, until)
    requests = tuple(
        request
        for request in (change_request(d.node, d.commits, d.notes) for d in drafts)
        if since <= request.merged_at <= until
    )
    if found is not None:
        keep(transport, project, branch, since, until, found, requests, truncated)
    return Reviews(READ, branch, since, until, requests, truncated)


def _graphql(transport: Transport, query: str, variables: dict[str, Any], what: str) -> Any:
    response = transport.graphql(query, variables, path=GRAPHQL)
    if response.status in REFUSALS:
        raise _Refused(refused(response, what))
    check_answer(response, what)
    return mapping(response.body, what)


def _errors(body: dict[str, Any]) -> str | None:
    errors = body.get("errors")
    if not errors:
        return None
    first = listing(errors, "GitLab GraphQL errors")[0]
    message = first.get("message") if isinstance(first, dict) else None
    return str(message or "an error")[:300]


def _project(body: dict[str, Any], project: str, what: str) -> dict[str, Any]:
    data = mapping(body.get("data"), what)
    found = data.get("project")
    if found is None:
        raise _Refused(
            Access(
                "refused",
                f"GitLab shows no project {project} to this token (private, or no such path)",
                token_help("gitlab"),
            )
        )
    return mapping(found, what)


def _list(
    transport: Transport,
    project: str,
    branch: str,
    since: datetime,
    until: datetime,
    page_size: int,
    limit: int,
) -> tuple[list[_Draft], bool]:
    what = f"the merge requests of {project}"
    drafts: list[_Draft] = []
    cursor: str | None = None
    size = page_size
    while True:
        variables = {
            "path": project,
            "branches": [branch],
            "since": gitlab_time(since),
            "until": gitlab_time(until),
            "first": size,
            "cursor": cursor,
        }
        body = _graphql(transport, LIST_QUERY, variables, what)
        error = _errors(body)
        if error is not None:
            if "complexity" in error.lower() and size > 5:
                size //= 2
                continue
            raise PlatformError(f"{what}: GitLab GraphQL said: {error}")
        connection = mapping(_project(body, project, what).get("mergeRequests"), what)
        for node in listing(connection.get("nodes"), what):
            drafts.append(_draft(mapping(node, what)))
        info = mapping(connection.get("pageInfo"), what)
        if len(drafts) >= limit:
            return drafts[:limit], len(drafts) > limit or info.get("hasNextPage") is True
        if info.get("hasNextPage") is not True:
            return drafts, False
        cursor = text(info.get("endCursor"), what)
        if cursor is None:
            raise PlatformError(f"{what}: GitLab said there is a next page but gave no cursor")


def _draft(node: dict[str, Any]) -> _Draft:
    draft = _Draft(node)
    _absorb(draft, node, f"merge request !{node.get('iid')}")
    return draft


def _absorb(draft: _Draft, node: dict[str, Any], what: str) -> None:
    """Add a page of commits and notes to ``draft``; note where each continues."""
    for name in ("commits", "notes"):
        if node.get(name) is None:
            continue
        connection = mapping(node[name], what)
        getattr(draft, name).extend(listing(connection.get("nodes"), what))
        info = mapping(connection.get("pageInfo"), what)
        following = text(info.get("endCursor"), what) if info.get("hasNextPage") is True else None
        setattr(draft, f"{name}_after", following)


def _complete(transport: Transport, project: str, draft: _Draft) -> None:
    """Fetch the further pages of a merge request's commits and activity notes."""
    iid = str(draft.node.get("iid"))
    what = f"merge request !{iid} of {project}"
    while draft.commits_after or draft.notes_after:
        variables = {
            "path": project,
            "iid": iid,
            "commits": draft.commits_after,
            "notes": draft.notes_after,
            "wantCommits": draft.commits_after is not None,
            "wantNotes": draft.notes_after is not None,
        }
        body = _graphql(transport, DETAIL_QUERY, variables, what)
        error = _errors(body)
        if error is not None:
            raise PlatformError(f"{what}: GitLab GraphQL said: {error}")
        found = _project(body, project, what).get("mergeRequest")
        before = (draft.commits_after, draft.notes_after)
        _absorb(draft, mapping(found, what), what)
        if (draft.commits_after, draft.notes_after) == before:
            raise PlatformError(f"{what}: GitLab repeated a page; refused")


def change_request(node: dict[str, Any], commits: list[Any], notes: list[Any]) -> ChangeRequest:
    """One merged merge request from its GraphQL node, all its commits and activity notes."""
    where = f"merge request !{node.get('iid')}"
    try:
        number = int(str(node.get("iid")))
    except ValueError:
        raise PlatformError(f"{where}: its number is not a number") from None
    merged_at = parse_time(node.get("mergedAt"), where)
    if merged_at is None:
        raise PlatformError(f"{where}: merged, but GitLab gives no merge time")
    author, author_bot = username(node.get("author"), where)
    merger, _ = username(node.get("mergeUser"), where)
    head = text(node.get("diffHeadSha"), where)
    merge_sha = text(node.get("mergeCommitSha"), where)
    squash_sha = text(node.get("squashCommitSha"), where)
    shas: list[str] = []
    authors: list[str] = []
    for commit in commits:
        entry = mapping(commit, where)
        sha = text(entry.get("sha"), where)
        if sha:
            shas.append(sha)
        name, _ = username(entry.get("author"), where)
        if name and name not in authors:
            authors.append(name)
    method, landed = _landing(node.get("squash") is True, merge_sha, squash_sha, shas, head)
    approved_at, last_push = _times(notes, where)
    if last_push is None:
        last_push = parse_time(node.get("createdAt"), where)
    approvals = []
    given = node.get("approvedBy")
    approvers = {"nodes": []} if given is None else mapping(given, where)
    for user in listing(approvers.get("nodes"), where):
        name, bot = username(user, where)
        if not name:
            continue
        at = approved_at.get(name)
        stale = at is not None and last_push is not None and at < last_push
        commit_seen = head if at is not None and not stale else None
        approvals.append(Approval(name, at, commit_seen, stale, bot))
    return ChangeRequest(
        number=number,
        author=author,
        merged_at=merged_at,
        merged_by=merger,
        merge_method=method,
        head_commit=head,
        branch_commits=landed,
        last_push_at=last_push,
        authors=tuple(authors),
        approvals=tuple(approvals),
        author_bot=author_bot,
    )


def _landing(
    squash: bool, merge_sha: str | None, squash_sha: str | None, shas: list[str], head: str | None
) -> tuple[MergeMethod, tuple[str, ...]]:
    """How the request reached the branch and the commits it put there."""
    if squash and squash_sha:
        extra = (merge_sha,) if merge_sha and merge_sha != squash_sha else ()
        return "squash", (squash_sha, *extra)
    if merge_sha:
        return "merge", (merge_sha,)
    if shas:
        return "rebase", tuple(shas)
    if head:
        return "rebase", (head,)
    return "unknown", ()


def _times(notes: list[Any], where: str) -> tuple[dict[str, datetime], datetime | None]:
    """Each approver's newest approval time, and the newest push."""
    approved: dict[str, datetime] = {}
    last_push: datetime | None = None
    for note in notes:
        entry = mapping(note, where)
        meta = entry.get("systemNoteMetadata")
        action = mapping(meta, where).get("action") if meta is not None else None
        at = parse_time(entry.get("createdAt"), where)
        if at is None:
            continue
        if action == "approved":
            name, _ = username(entry.get("author"), where)
            if name and (name not in approved or approved[name] < at):
                approved[name] = at
        elif action == "commit" and (last_push is None or at > last_push):
            last_push = at
    return approved, last_push
