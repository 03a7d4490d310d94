"""What a platform provider returns, the same shape for GitHub and GitLab.

Everything here is a frozen dataclass of plain values with a ``to_facts()`` giving the JSON
that evidence records keep. Times are aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from assay.durations import isoformat

#: Whether Assay could read what it asked for: ``read``; ``no_token`` (none was given);
#: ``refused`` (the platform answered 401, 403 or 404: the token lacks a scope or the plan
#: has no such API); ``not_configured`` (the repository names no platform).
AccessStatus = Literal["read", "no_token", "refused", "not_configured"]

#: How a request's changes reached the branch.
MergeMethod = Literal["merge", "squash", "rebase", "unknown"]


@dataclass(frozen=True)
class Access:
    """Whether a read succeeded, and if not, what is missing and how to give it."""

    status: AccessStatus
    reason: str | None = None
    needs: str | None = None

    @property
    def read(self) -> bool:
        return self.status == "read"

    def to_facts(self) -> dict[str, Any]:
        return {"status": self.status, "reason": self.reason, "needs": self.needs}


READ = Access("read")


@dataclass(frozen=True)
class Approval:
    """One approving review of a pull or merge request.

    ``commit`` is the request's head commit the approval was given on, when the platform
    says; ``stale`` is true when the request's head moved after the approval (a push
    after review), so the approval did not see what merged. ``bot`` is true for automation
    accounts (GitHub ``Bot`` actors, GitLab bot users).
    """

    approver: str
    at: datetime | None
    commit: str | None = None
    stale: bool = False
    bot: bool = False

    def to_facts(self) -> dict[str, Any]:
        return {
            "approver": self.approver,
            "at": None if self.at is None else isoformat(self.at),
            "commit": self.commit,
            "stale": self.stale,
            "bot": self.bot,
        }


@dataclass(frozen=True)
class ChangeRequest:
    """A pull or merge request merged into the branch.

    ``branch_commits`` are the commits it put on the branch: the merge commit for a merge,
    the squashed commit for a squash, every rebased commit for a rebase (as far as the
    platform reports them). ``authors`` are the authors of the request's own commits, when
    known, besides the request's author: an approval by any of them is not independent.
    """

    number: int
    author: str | None
    merged_at: datetime
    merged_by: str | None
    merge_method: MergeMethod
    head_commit: str | None
    branch_commits: tuple[str, ...]
    last_push_at: datetime | None = None
    authors: tuple[str, ...] = ()
    approvals: tuple[Approval, ...] = ()
    author_bot: bool = False
    #: How many commits the request had (a rebase puts that many on the branch).
    commits: int = 0

    def to_facts(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "author": self.author,
            "author_bot": self.author_bot,
            "authors": list(self.authors),
            "merged_at": isoformat(self.merged_at),
            "merged_by": self.merged_by,
            "merge_method": self.merge_method,
            "head_commit": self.head_commit,
            "branch_commits": list(self.branch_commits),
            "commits": self.commits,
            "last_push_at": None if self.last_push_at is None else isoformat(self.last_push_at),
            "approvals": [approval.to_facts() for approval in self.approvals],
        }


@dataclass(frozen=True)
class Reviews:
    """The requests merged into ``branch`` between ``since`` and ``until``."""

    access: Access
    branch: str
    since: datetime
    until: datetime
    requests: tuple[ChangeRequest, ...] = ()
    #: True when the platform had more than the provider may read (its cap); the count
    #: is then a lower bound and the evidence says so.
    truncated: bool = False


@dataclass(frozen=True)
class Environment:
    """A deployment environment and who must approve a deployment to it."""

    name: str
    required_reviewers: tuple[str, ...] = ()
    #: Whether anyone must approve: None when the platform would not say.
    requires_approval: bool | None = None
    prevent_self_review: bool | None = None
    wait_minutes: int | None = None
    branch_policy: str | None = None

    def to_facts(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "required_reviewers": list(self.required_reviewers),
            "requires_approval": self.requires_approval,
            "prevent_self_review": self.prevent_self_review,
            "wait_minutes": self.wait_minutes,
            "branch_policy": self.branch_policy,
        }


@dataclass(frozen=True)
class Protection:
    """How a branch is protected, merged from branch protection and rulesets (GitHub) or
    protected branches and approval rules (GitLab). ``None`` means "not known"; a setting
    that is off is ``False`` or ``0``."""

    access: Access
    branch: str
    protected: bool | None = None
    required_approvals: int | None = None
    code_owner_review: bool | None = None
    dismiss_stale_reviews: bool | None = None
    #: GitLab: the merger may not approve; the author may not approve.
    prevent_author_approval: bool | None = None
    require_last_push_approval: bool | None = None
    allow_force_push: bool | None = None
    allow_deletion: bool | None = None
    required_checks: tuple[str, ...] | None = None
    signed_commits: bool | None = None
    #: Who may bypass the rules or push directly: ``kind:name`` strings.
    bypass: tuple[str, ...] | None = None
    enforce_admins: bool | None = None
    #: Where each setting came from: ``branch_protection``, ``ruleset:<name>``, ...
    sources: tuple[str, ...] = ()
    environments: tuple[Environment, ...] = ()
    environments_access: Access = field(default_factory=lambda: READ)

    def to_facts(self) -> dict[str, Any]:
        return {
            "branch": self.branch,
            "access": self.access.to_facts(),
            "protected": self.protected,
            "required_approvals": self.required_approvals,
            "code_owner_review": self.code_owner_review,
            "dismiss_stale_reviews": self.dismiss_stale_reviews,
            "prevent_author_approval": self.prevent_author_approval,
            "require_last_push_approval": self.require_last_push_approval,
            "allow_force_push": self.allow_force_push,
            "allow_deletion": self.allow_deletion,
            "required_checks": None if self.required_checks is None else list(self.required_checks),
            "signed_commits": self.signed_commits,
            "bypass": None if self.bypass is None else list(self.bypass),
            "enforce_admins": self.enforce_admins,
            "sources": list(self.sources),
            "environments": [environment.to_facts() for environment in self.environments],
            "environments_access": self.environments_access.to_facts(),
        }
