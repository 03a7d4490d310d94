"""``git.history``: how changes reached a branch over a period.

One ``git rev-list --header`` process, started by GitPython's ``Git.execute`` under
the git policy, streams every commit of the window as its raw object text
(NUL-separated), and the stream is parsed as it arrives; the first-parent line's
change sets are tallied on the way (:mod:`assay.evidence.git.walk`). Raw headers show a ``gpgsig``
header without verifying it, which keeps signature detection as cheap as reading the
commit; GitPython's commit objects (one object read per commit) and ``%G?`` (which runs
gpg for every commit) are both far slower on large histories.

The window ends at the commit's committer time, not the clock, so the same commit
always yields the same facts and the same evidence id.

:attr:`CollectContext.approvals` maps a commit id to the approvers recorded for it by the
code host (from ``reviews`` evidence, already checked by the collection: authors named,
approvers other than the author, no automation accounts). A change set counts as reviewed
when one of its approvers is not its author. For a merge, approvals of the merged branch
head (its second or later parent) count too. :attr:`CollectContext.platform_reviewed`
names commits the ``platform.reviews`` collector already found independently approved on
the code platform; they count as reviewed as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from assay.durations import isoformat
from assay.evidence.collectors.interface import CollectContext, Collector, RepoTarget
from assay.evidence.git import messages, walk
from assay.evidence.git.policy import Git
from assay.evidence.git.walk import ChangeSet
from assay.evidence.model import EvidenceDraft

UNREVIEWED_LISTED = 50
#: ``platform_reviews`` when the repository's platform reviews were not read.
NOT_CONFIGURED = {"status": "not_configured", "reason": None, "needs": None}


def ratio(part: int, whole: int) -> float:
    """``part / whole`` to four places; 1 when there is nothing to count."""
    return round(part / whole, 4) if whole else 1.0


def approvers_for(commit: ChangeSet, approvals: Mapping[str, Sequence[str]]) -> list[str]:
    found: list[str] = []
    for sha in (commit.sha, *commit.parents[1:]):
        found.extend(approvals.get(sha, ()))
    return found


def verified(git: Git, shas: Sequence[str], allowed_signers: Path) -> int:
    """How many of ``shas`` carry a good signature from a trusted signer."""
    if not shas:
        return 0
    verifier = Git(
        git.path,
        git.display,
        timeout=git.timeout,
        extra_config=(f"gpg.ssh.allowedSignersFile={allowed_signers}",),
    )
    out = verifier.run(
        "log", "--no-walk=unsorted", "--stdin", "--format=%G?", stdin="\n".join(shas).encode()
    )
    return sum(1 for line in out.splitlines() if line.strip() == b"G")


def history_facts(
    git: Git,
    target: RepoTarget,
    window: timedelta,
    approvals: Mapping[str, Sequence[str]] | None = None,
    allowed_signers: Path | None = None,
    platform_reviewed: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """The ``git.history`` facts for ``target`` (see the kind's schema)."""
    until_dt = target.commit_time.astimezone(UTC)
    until = int(until_dt.timestamp())
    since = until - int(window.total_seconds())
    tally = ChangeSetTally(approvals or {}, platform_reviewed)
    found = walk.walk(git, target.commit, max(since, 0), until, tally.add)
    counted = found.counted
    signed_shas = [sha.decode() for sha in found.signed]
    signed = len(signed_shas)
    authors = {email.lower() for email in found.emails}
    facts = tally.facts()
    facts.update(
        {
            "repo": target.name,
            "branch": target.branch_label,
            "head": target.commit,
            "period": {
                "since": isoformat(datetime.fromtimestamp(since, UTC)),
                "until": isoformat(until_dt),
            },
            "commits": counted,
            "signed_commits": signed,
            "signed_ratio": ratio(signed, counted),
            "authors": len(authors),
            "shallow": git.text("rev-parse", "--is-shallow-repository") == "true",
        }
    )
    if allowed_signers is not None:
        good = verified(git, signed_shas, allowed_signers)
        facts["verified_commits"] = good
        facts["verified_ratio"] = ratio(good, counted)
    return facts


def _iso_week(when: int, cache: dict[int, tuple[int, int]]) -> tuple[int, int]:
    day = when // 86400
    week = cache.get(day)
    if week is None:
        calendar = datetime.fromtimestamp(day * 86400, UTC).isocalendar()
        week = cache[day] = (calendar[0], calendar[1])
    return week


def _reviewed(
    commit: ChangeSet,
    approvals: Mapping[str, Sequence[str]],
    authors: dict[bytes, frozenset[str]],
) -> bool:
    named = messages.raw_reviewers(commit.message)
    if approvals:
        named += approvers_for(commit, approvals)
    if not named:
        return False
    who = commit.author[: commit.author.rfind(b">") + 1]  # without the time
    author = authors.get(who)
    if author is None:
        author = messages.identity_keys(commit.author_name, commit.author_email)
        authors[who] = author
    return messages.independent_review(named, author)


class ChangeSetTally:
    """The change-set facts, counted one change set at a time as the line walk finds them."""

    def __init__(
        self,
        approvals: Mapping[str, Sequence[str]],
        platform_reviewed: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.approvals = approvals
        #: Commits the platform collector already judged independently approved.
        self.platform_reviewed = platform_reviewed or {}
        self.change_sets = self.merges = self.reviewed = self.direct = self.ticketed = 0
        self.unreviewed: list[str] = []
        self.weeks: set[tuple[int, int]] = set()
        self.days: dict[int, tuple[int, int]] = {}
        self.authors: dict[bytes, frozenset[str]] = {}
        self.first: int | None = None
        self.last: int | None = None

    def add(self, commit: ChangeSet) -> None:
        self.change_sets += 1
        message = commit.message
        is_merge = commit.is_merge
        self.merges += is_merge
        if commit.sha in self.platform_reviewed or _reviewed(commit, self.approvals, self.authors):
            self.reviewed += 1
        elif len(self.unreviewed) < UNREVIEWED_LISTED:
            self.unreviewed.append(commit.sha)
        if not is_merge and not messages.raw_has_pr_ref(message):
            self.direct += 1
        self.ticketed += messages.raw_has_ticket_ref(message)
        when = commit.time
        self.weeks.add(_iso_week(when, self.days))
        self.first = when if self.first is None else min(self.first, when)
        self.last = when if self.last is None else max(self.last, when)

    def facts(self) -> dict[str, Any]:
        change_sets, reviewed, ticketed = self.change_sets, self.reviewed, self.ticketed
        first, last = self.first, self.last
        return {
            "change_sets": change_sets,
            "merges": self.merges,
            "reviewed_change_sets": reviewed,
            "unreviewed_change_sets": change_sets - reviewed,
            "unreviewed_shas": self.unreviewed,
            "review_ratio": ratio(reviewed, change_sets),
            "direct_commits": self.direct,
            "change_sets_with_ticket_ref": ticketed,
            "ticket_ref_ratio": ratio(ticketed, change_sets),
            "active_weeks": len(self.weeks),
            "first_commit_at": None
            if first is None
            else isoformat(datetime.fromtimestamp(first, UTC)),
            "last_commit_at": None
            if last is None
            else isoformat(datetime.fromtimestamp(last, UTC)),
        }


def approvals_option(raw: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """The context's approvals normalised: lower-case commit id -> approver names."""
    result: dict[str, list[str]] = {}
    for sha, names in raw.items():
        if isinstance(sha, str) and isinstance(names, Iterable) and not isinstance(names, str):
            result[sha.lower()] = [str(name) for name in names if str(name).strip()]
    return result


class GitHistoryCollector(Collector):
    """Counts change sets, review, signatures and direct pushes on a branch."""

    name = "git.history"
    version = "1"
    kinds = ("git.history",)
    target = "repo"

    def collect(self, target: RepoTarget, context: CollectContext) -> Iterable[EvidenceDraft]:
        git = Git(target.path, target.name)
        facts = history_facts(
            git,
            target,
            context.since,
            approvals_option(context.approvals),
            target.allowed_signers,
            context.platform_reviewed,
        )
        facts["platform_reviews"] = dict(context.platform_reviews or NOT_CONFIGURED)
        yield EvidenceDraft(
            kind="git.history",
            service=context.service,
            subject=target.subject,
            observed_at=target.commit_time,
            collector=self.ident,
            facts=facts,
        )
