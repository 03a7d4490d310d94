"""A kept GitLab review result, reused while the branch's merged requests are unchanged.

Before reading merge requests, a read with a response cache sends one REST probe:
``GET /projects/:id/merge_requests?state=merged&target_branch=..&order_by=updated_at
&sort=desc&per_page=1``. The total count (``X-Total``), and the number and update time of
the most recently updated merged request, fingerprint the branch's merged requests: a
new merge, a deletion or a change to any merged request (an approval, a note) changes
them. The probe is a plain GET, so an unchanged answer may even come back ``304``.

The result of the last full read is kept with its fingerprint and window. It answers a
later read when the fingerprint is unchanged and the kept window covers the new one:
it starts no later, and it ends no earlier, or it ended after the newest update the
probe reports (then nothing merged after it ended, since merging updates a request).
A truncated result is never reused. A damaged kept result is read again, never trusted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from assay.platforms.cache import Entry, cache_key
from assay.platforms.gitlab_answers import (
    REFUSALS,
    check_answer,
    listing,
    mapping,
    parse_time,
    project_id,
    refused,
)
from assay.platforms.model import Access, Approval, ChangeRequest
from assay.platforms.transport import PlatformError, Transport

_VERSION = "gitlab-reviews/2"


@dataclass(frozen=True)
class Probe:
    fingerprint: str
    newest_update: datetime | None


def probe(transport: Transport, project: str, branch: str) -> Probe | Access:
    """The fingerprint of the branch's merged requests, or the refusal."""
    what = f"the merged merge requests of {project}"
    response = transport.get(
        f"projects/{project_id(project)}/merge_requests",
        {
            "state": "merged",
            "target_branch": branch,
            "order_by": "updated_at",
            "sort": "desc",
            "per_page": 1,
        },
    )
    if response.status in REFUSALS and not response.from_cache:
        return refused(response, what)
    check_answer(response, what)
    items = listing(response.body, what)
    newest = mapping(items[0], what) if items else {}
    updated = parse_time(newest.get("updated_at"), what)
    parts = (response.headers.get("x-total", "?"), newest.get("iid"), newest.get("updated_at"))
    return Probe("|".join(str(part) for part in parts), updated)


def _key(transport: Transport, project: str, branch: str) -> str:
    return cache_key("KEEP", f"{_VERSION}|{transport.base_url}|{project}|{branch}")


def recall(
    transport: Transport,
    project: str,
    branch: str,
    since: datetime,
    until: datetime,
    found: Probe,
) -> tuple[ChangeRequest, ...] | None:
    """The kept requests merged in ``[since, until]``, when the kept result may answer."""
    if transport.cache is None:
        return None
    entry = transport.cache.get(_key(transport, project, branch))
    if entry is None or entry.etag != found.fingerprint:
        return None
    try:
        body = entry.body
        kept_since = parse_time(body["since"], "kept result")
        kept_until = parse_time(body["until"], "kept result")
        if body["truncated"] is not False or kept_since is None or kept_until is None:
            return None
        requests = tuple(_request(facts) for facts in body["requests"])
    except (KeyError, TypeError, ValueError, PlatformError):
        return None
    open_ended = found.newest_update is None or kept_until >= found.newest_update
    if since < kept_since or (until > kept_until and not open_ended):
        return None
    return tuple(r for r in requests if since <= r.merged_at <= until)


def keep(
    transport: Transport,
    project: str,
    branch: str,
    since: datetime,
    until: datetime,
    found: Probe,
    requests: tuple[ChangeRequest, ...],
    truncated: bool,
) -> None:
    if transport.cache is None:
        return
    body = {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "truncated": truncated,
        "requests": [r.to_facts() for r in requests],
    }
    key = _key(transport, project, branch)
    transport.cache.put(key, Entry(key, found.fingerprint, None, body))


def _request(facts: dict[str, Any]) -> ChangeRequest:
    def time(value: Any) -> datetime | None:
        return parse_time(value, "kept result")

    merged_at = time(facts["merged_at"])
    if merged_at is None:
        raise ValueError("no merge time")
    return ChangeRequest(
        number=int(facts["number"]),
        author=facts["author"],
        merged_at=merged_at,
        merged_by=facts["merged_by"],
        merge_method=facts["merge_method"],
        head_commit=facts["head_commit"],
        branch_commits=tuple(facts["branch_commits"]),
        last_push_at=time(facts["last_push_at"]),
        authors=tuple(facts["authors"]),
        approvals=tuple(
            Approval(
                a["approver"], time(a["at"]), a["commit"], a["stale"] is True, a["bot"] is True
            )
            for a in facts["approvals"]
        ),
        author_bot=facts["author_bot"] is True,
    )
