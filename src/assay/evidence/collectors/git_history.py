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
when one of its approvers, or a reviewer its trailers name, is not one of its authors: for
a merge, the authors of the commits it brought in (:mod:`assay.evidence.git.tally`). For a
merge, approvals of the merged branch head (its second or later parent) count too.

Which change sets came through a pull or merge request, and which signatures are a code
host's rather than a developer's, is read from what hosts write into commits
(:mod:`assay.evidence.git.platforms`). :attr:`CollectContext.platform_reviewed` names
commits the ``platform.reviews`` collector already found independently approved on the
code platform; they count as reviewed as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from assay.durations import isoformat
from assay.evidence.collectors.interface import CollectContext, Collector, RepoTarget
from assay.evidence.git import walk
from assay.evidence.git.policy import Git
from assay.evidence.git.tally import ChangeSetTally, ratio
from assay.evidence.model import EvidenceDraft

#: ``platform_reviews`` when the repository's platform reviews were not read.
NOT_CONFIGURED = {"status": "not_configured", "reason": None, "needs": None}


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
    if tally.waiting:
        tally.settle(found.merged_authors(set(tally.waiting)))
    found.records.clear()
    counted = found.counted
    signed_shas = [sha.decode() for sha in found.signed]
    signed = len(signed_shas)
    by_platform = found.platform_signed
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
            "platform_signed_commits": by_platform,
            "platform_signed_ratio": ratio(by_platform, counted),
            "developer_signed_commits": signed - by_platform,
            "developer_signed_ratio": ratio(signed - by_platform, counted),
            "authors": len(authors),
            "shallow": git.text("rev-parse", "--is-shallow-repository") == "true",
        }
    )
    if allowed_signers is not None:
        good = verified(git, signed_shas, allowed_signers)
        facts["verified_commits"] = good
        facts["verified_ratio"] = ratio(good, counted)
    return facts


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
