"""``platform.reviews`` and ``platform.protection``: what the code platform's API shows.

Both read the repository's platform (its ``platform:`` entry, or its github.com URL)
through the provider registered for it (:mod:`assay.platforms.registry`), with the token
from the environment. A refusal is evidence too: the record says what was refused and
what would give access (``access``), so a control can tell "unverifiable" from "absent".

**Judging approvals.** An approval of a merged request counts as independent when it has
a request author to compare with, the approver is neither that author nor the author of
any of the request's commits, it was given on the commit that merged (not *stale*), and it
is not an automation account unless the workspace allows that account to review
(``[collect] allowed_bot_reviewers``). The commits a request put on the branch with an
independent approval are handed to ``git.history``, which counts their change sets as
reviewed: Assay read these itself from the platform, so they are tested evidence.

For a rebase, the platform names the last of the rebased commits; the others are the
commits before it on the branch's first-parent line, read from the local clone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from assay.durations import isoformat
from assay.errors import AssayError
from assay.evidence.collectors.interface import CollectContext, Collector, RepoTarget
from assay.evidence.git.policy import Git
from assay.evidence.model import EvidenceDraft
from assay.evidence.trust import BOT, NO_AUTHOR, SELF_APPROVAL, ReviewerPolicy
from assay.platforms.model import Approval, ChangeRequest, Reviews
from assay.platforms.registry import PlatformSession

STALE = "stale"
#: Rebased commits resolved in the clone (the kind caps ``branch_commits``).
MAX_REBASED = 1000
REVIEWS_KIND = "platform.reviews"
PROTECTION_KIND = "platform.protection"


def refusal(approval: Approval, request: ChangeRequest, policy: ReviewerPolicy) -> str | None:
    """Why ``approval`` is not an independent approval of ``request``, or None."""
    if not request.author:
        return NO_AUTHOR
    own = {request.author.lower(), *(a.lower() for a in request.authors)}
    if approval.approver.lower() in own:
        return SELF_APPROVAL
    allowed = approval.approver.lower() in policy.allowed_bot_reviewers
    if (approval.bot or policy.is_bot(approval.approver)) and not allowed:
        return BOT
    if approval.stale:
        return STALE
    return None


def origin_url(target: RepoTarget) -> str | None:
    """The clone's ``origin`` remote URL, if it has one."""
    code, out, _ = Git(target.path, target.name).run_status("config", "--get", "remote.origin.url")
    found = out.decode("utf-8", "replace").strip()
    return found if code == 0 and found else None


def _rebased(git: Git, request: ChangeRequest) -> tuple[str, ...]:
    """The commits a rebase put on the branch, ending at the one the platform names."""
    if (
        request.merge_method != "rebase"
        or not 2 <= request.commits <= MAX_REBASED
        or not request.branch_commits
    ):
        return request.branch_commits
    last = request.branch_commits[-1]
    try:
        listed = git.text("rev-list", "--first-parent", f"--max-count={request.commits}", last)
    except AssayError:
        return request.branch_commits  # not in the clone: the named commit alone
    found = tuple(reversed(listed.split()))
    return found if len(found) == request.commits else request.branch_commits


def reviews_facts(
    reviews: Reviews,
    target: RepoTarget,
    policy: ReviewerPolicy,
    git: Git | None = None,
) -> dict[str, Any]:
    """The ``platform.reviews`` facts (see the kind's schema)."""
    assert target.platform is not None
    counts = dict.fromkeys(
        ("requests", "approved_independently", "self_approved", "bot_only", "stale_only"), 0
    )
    counts["unapproved"] = 0
    requests = []
    for request in reviews.requests:
        reasons = [refusal(a, request, policy) for a in request.approvals]
        independent = sorted(
            {a.approver for a, why in zip(request.approvals, reasons, strict=True) if why is None}
        )
        counts["requests"] += 1
        if independent:
            counts["approved_independently"] += 1
        elif not reasons:
            counts["unapproved"] += 1
        elif SELF_APPROVAL in reasons:
            counts["self_approved"] += 1
        elif all(why == BOT for why in reasons):
            counts["bot_only"] += 1
        elif all(why == STALE for why in reasons):
            counts["stale_only"] += 1
        facts = request.to_facts()
        if git is not None:
            facts["branch_commits"] = list(_rebased(git, request))
        for approval, why in zip(facts["approvals"], reasons, strict=True):
            approval["refused"] = why
        facts["independent_approvers"] = independent
        requests.append(facts)
    return {
        "provider": target.platform.provider,
        "project": target.platform.project,
        "repo": target.name,
        "branch": reviews.branch,
        "period": {"since": isoformat(reviews.since), "until": isoformat(reviews.until)},
        "access": reviews.access.to_facts(),
        "truncated": reviews.truncated,
        "counts": counts,
        "requests": requests,
    }


def independent_commits(facts: Mapping[str, Any]) -> dict[str, list[str]]:
    """From ``platform.reviews`` facts: commit id -> independent approvers, for every
    commit a request with an independent approval put on the branch."""
    found: dict[str, list[str]] = {}
    for request in facts.get("requests", ()):
        approvers = request.get("independent_approvers") or []
        if not approvers:
            continue
        for commit in request.get("branch_commits", ()):
            found.setdefault(str(commit).lower(), []).extend(approvers)
    return found


def _session(target: RepoTarget, context: CollectContext) -> PlatformSession | None:
    """The session to read ``target``'s platform with, or None when there is nothing to
    read: no platform, no branch, or a provider Assay does not have."""
    session = context.platforms
    if target.platform is None or session is None or not target.branch:
        return None
    return session if session.supports(target.platform) else None


class PlatformReviewsCollector(Collector):
    """Merged pull/merge requests into the branch over the window, and their approvals."""

    name = REVIEWS_KIND
    version = "1"
    kinds = (REVIEWS_KIND,)
    target = "repo"

    def collect(self, target: RepoTarget, context: CollectContext) -> Iterable[EvidenceDraft]:
        session = _session(target, context)
        if session is None or target.platform is None or target.branch is None:
            return
        until = target.commit_time.astimezone(UTC)
        since = until - context.since
        with session.open(target.platform) as provider:
            reviews = provider.reviews(target.branch, since, until)
        facts = reviews_facts(reviews, target, context.reviewers, Git(target.path, target.name))
        yield EvidenceDraft(
            kind=REVIEWS_KIND,
            service=context.service,
            subject=target.subject,
            observed_at=target.commit_time,
            collector=self.ident,
            facts=facts,
        )


class PlatformProtectionCollector(Collector):
    """How the branch is protected, and the project's deployment environments."""

    name = PROTECTION_KIND
    version = "1"
    kinds = (PROTECTION_KIND,)
    target = "repo"

    def collect(self, target: RepoTarget, context: CollectContext) -> Iterable[EvidenceDraft]:
        session = _session(target, context)
        if session is None or target.platform is None or target.branch is None:
            return
        with session.open(target.platform) as provider:
            protection = provider.protection(target.branch)
        facts = {
            "provider": target.platform.provider,
            "project": target.platform.project,
            "repo": target.name,
            **protection.to_facts(),
        }
        yield EvidenceDraft(
            kind=PROTECTION_KIND,
            service=context.service,
            subject={"repo": target.name, "branch": target.branch},
            observed_at=datetime.now(UTC).replace(microsecond=0),
            collector=self.ident,
            facts=facts,
        )


def environments_into_workflows(
    drafts: Sequence[EvidenceDraft], platform_drafts: Sequence[EvidenceDraft]
) -> list[EvidenceDraft]:
    """``drafts`` with each ``ci.workflows`` deploy environment whose approval the
    definitions could not show (``requires_approval`` null) read from the platform's
    environment settings instead, when ``platform.protection`` read them; such an entry
    says so (``approval_source: platform``)."""
    settings: dict[str, Any] = {}
    for draft in platform_drafts:
        if draft.kind == PROTECTION_KIND and draft.facts["environments_access"]["status"] == "read":
            settings = {e["name"].lower(): e for e in draft.facts["environments"]}
    found = []
    for draft in drafts:
        if draft.kind != "ci.workflows" or "deploy_environments" not in draft.facts:
            found.append(draft)
            continue
        entries = []
        for entry in draft.facts["deploy_environments"]:
            platform = settings.get(str(entry["name"]).lower())
            approved = None if platform is None else platform["requires_approval"]
            if entry["requires_approval"] is None and approved is not None:
                entry = {**entry, "requires_approval": approved, "approval_source": "platform"}
            entries.append(entry)
        found.append(replace(draft, facts={**draft.facts, "deploy_environments": entries}))
    return found


def reviewed_by_platform(
    drafts: Sequence[EvidenceDraft],
) -> tuple[dict[str, list[str]], dict[str, Any] | None]:
    """From a repository's drafts: the commits its ``platform.reviews`` record shows
    independently approved, and that record's ``access`` facts (None: no record)."""
    for draft in drafts:
        if draft.kind == REVIEWS_KIND:
            return independent_commits(draft.facts), dict(draft.facts["access"])
    return {}, None
