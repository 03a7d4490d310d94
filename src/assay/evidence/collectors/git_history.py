"""``git.history``: how changes reached a branch over a period.

One ``git rev-list --header`` process streams every commit of the window as its raw
object text (NUL-separated), and the stream is parsed as it arrives. Raw headers show
a ``gpgsig`` header without verifying it, which keeps signature detection as cheap as
reading the commit; GitPython objects and ``%G?`` (which runs gpg for every commit)
are both far slower on large histories.

The window ends at the commit's committer time, not the clock, so the same commit
always yields the same facts and the same evidence id.

Options read from :attr:`CollectContext.options`:

``approvals``
    A mapping from commit id to the approvers recorded for it by the code host
    (from ``reviews`` evidence). A change set counts as reviewed when one of its
    approvers is not its author. For a merge, approvals of the merged branch head
    (its second or later parent) count too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from assay.durations import isoformat
from assay.evidence.collectors import gitmessage
from assay.evidence.collectors.interface import CollectContext, Collector, RepoTarget
from assay.evidence.gitsafe import Git, records
from assay.evidence.model import EvidenceDraft

UNREVIEWED_LISTED = 50


@dataclass(frozen=True, slots=True)
class RawCommit:
    """What the history needs of one commit, parsed from its raw object text."""

    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    time: int
    signed: bool
    message: bytes


def parse_raw(record: bytes) -> RawCommit | None:
    """Parse one ``rev-list --header`` record; ``None`` if it is not a commit record."""
    newline = record.find(b"\n")
    sha = record[:newline]
    if newline not in (40, 64) or not all(c in _HEX for c in sha):
        return None
    end = record.find(b"\n\n", newline)
    if end < 0:
        header, message = record[newline + 1 :], b""
    else:
        header, message = record[newline + 1 : end], record[end + 2 :]
    if not header.startswith(b"tree "):
        return None
    parents: list[str] = []
    name = email = ""
    time = 0
    for line in header.split(b"\n"):
        if line.startswith(b"parent "):
            parents.append(line[7:].decode("ascii", "replace"))
        elif line.startswith(b"author "):
            name, email = _person(line[7:])
        elif line.startswith(b"committer "):
            time = _timestamp(line)
    signed = b"\ngpgsig" in header
    return RawCommit(sha.decode("ascii"), tuple(parents), name, email, time, signed, message)


def _person(value: bytes) -> tuple[str, str]:
    lt, gt = value.rfind(b"<"), value.rfind(b">")
    if lt < 0 or gt < lt:
        return value.decode("utf-8", "replace").strip(), ""
    name = value[:lt].decode("utf-8", "replace").strip()
    return name, value[lt + 1 : gt].decode("utf-8", "replace").strip()


def _timestamp(line: bytes) -> int:
    parts = line.rsplit(b" ", 2)
    try:
        return int(parts[-2])
    except (ValueError, IndexError):
        return 0


def message_text(raw: bytes) -> str:
    """The commit message from raw format, where every line is indented by four spaces."""
    text = raw.decode("utf-8", "replace")
    lines = [line[4:] if line.startswith("    ") else line.lstrip() for line in text.split("\n")]
    return gitmessage.clip("\n".join(lines).strip("\n"))


def _starts_commit(record: bytes) -> bool:
    """Whether a record begins like ``<hex id>\ntree ``: a NUL inside a message cannot."""
    for width in (40, 64):
        if record[width : width + 6] == b"\ntree ":
            return all(c in _HEX for c in record[:width])
    return False


_HEX = frozenset(b"0123456789abcdef")


def stream_commits(git: Git, head: str, since: int) -> Iterator[RawCommit]:
    """Every commit reachable from ``head`` through commits no older than ``since``."""
    with git.stream("rev-list", "--header", f"--max-age={since}", head, "--") as out:
        pending: bytes | None = None
        for record in records(out):
            if pending is not None and not _starts_commit(record):
                pending += b"\0" + record  # a NUL inside a message, not a new commit
                continue
            if pending is not None and (commit := parse_raw(pending)) is not None:
                yield commit
            pending = record
        if pending is not None and (commit := parse_raw(pending)) is not None:
            yield commit


def ratio(part: int, whole: int) -> float:
    """``part / whole`` to four places; 1 when there is nothing to count."""
    return round(part / whole, 4) if whole else 1.0


def approvers_for(commit: RawCommit, approvals: Mapping[str, Sequence[str]]) -> list[str]:
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
) -> dict[str, Any]:
    """The ``git.history`` facts for ``target`` (see the kind's schema)."""
    until_dt = target.commit_time.astimezone(UTC)
    until = int(until_dt.timestamp())
    since = until - int(window.total_seconds())
    first_parent: dict[str, RawCommit] = {}
    counted = signed = 0
    signed_shas: list[str] = []
    authors: set[str] = set()
    for commit in stream_commits(git, target.commit, since):
        first_parent[commit.sha] = commit
        if commit.time > until:
            continue  # committed "after" the head (clock skew): walked through, not counted
        counted += 1
        authors.add(commit.author_email.lower())
        if commit.signed:
            signed += 1
            signed_shas.append(commit.sha)
    chain = list(_first_parent_line(first_parent, target.commit, until))
    first_parent.clear()
    facts = _change_set_facts(chain, approvals or {})
    facts.update(
        {
            "repo": target.name,
            "branch": target.branch or "HEAD",
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


def _first_parent_line(
    commits: Mapping[str, RawCommit], head: str, until: int
) -> Iterator[RawCommit]:
    sha: str | None = head
    seen: set[str] = set()
    while sha is not None and sha in commits and sha not in seen:
        seen.add(sha)
        commit = commits[sha]
        if commit.time <= until:
            yield commit
        sha = commit.parents[0] if commit.parents else None


def _change_set_facts(
    chain: Iterable[RawCommit], approvals: Mapping[str, Sequence[str]]
) -> dict[str, Any]:
    change_sets = merges = reviewed = direct = ticketed = 0
    unreviewed: list[str] = []
    weeks: set[tuple[int, int]] = set()
    times: list[int] = []
    for commit in chain:
        change_sets += 1
        message = message_text(commit.message)
        author = gitmessage.identity_keys(commit.author_name, commit.author_email)
        is_merge = len(commit.parents) > 1
        merges += is_merge
        named = gitmessage.reviewers(message) + approvers_for(commit, approvals)
        if gitmessage.independent_review(named, author):
            reviewed += 1
        elif len(unreviewed) < UNREVIEWED_LISTED:
            unreviewed.append(commit.sha)
        if not is_merge and not gitmessage.has_pr_ref(message):
            direct += 1
        ticketed += gitmessage.has_ticket_ref(message)
        when = datetime.fromtimestamp(commit.time, UTC)
        weeks.add(when.isocalendar()[:2])
        times.append(commit.time)
    return {
        "change_sets": change_sets,
        "merges": merges,
        "reviewed_change_sets": reviewed,
        "unreviewed_change_sets": change_sets - reviewed,
        "unreviewed_shas": unreviewed,
        "review_ratio": ratio(reviewed, change_sets),
        "direct_commits": direct,
        "change_sets_with_ticket_ref": ticketed,
        "ticket_ref_ratio": ratio(ticketed, change_sets),
        "active_weeks": len(weeks),
        "first_commit_at": isoformat(datetime.fromtimestamp(min(times), UTC)) if times else None,
        "last_commit_at": isoformat(datetime.fromtimestamp(max(times), UTC)) if times else None,
    }


def approvals_option(options: Mapping[str, Any]) -> dict[str, list[str]]:
    """``options["approvals"]`` checked and normalised: commit id -> approver names."""
    raw = options.get("approvals") or {}
    if not isinstance(raw, Mapping):
        return {}
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
            approvals_option(context.options),
            target.allowed_signers,
        )
        yield EvidenceDraft(
            kind="git.history",
            service=context.service,
            subject={"repo": target.name, "branch": facts["branch"], "commit": target.commit},
            observed_at=target.commit_time,
            collector=self.ident,
            facts=facts,
        )
