"""Counting the change sets of a branch's first-parent line: review, requests, direct pushes.

A change set came **through the platform** (a pull or merge request) when its message
names a request (:func:`assay.evidence.git.messages.raw_has_pr_ref`) or a code host
committed it (:mod:`assay.evidence.git.platforms`); every other change set was pushed
straight to the branch, local merges included.

A change set is **reviewed** when someone named by a ``Reviewed-by:`` or ``Approved-by:``
trailer, or by an approval from reviews evidence, is not one of its authors. The authors
of a commit are its author; the authors of a merge are the authors of the commits it
brought in (the merged branch), not the person who made the merge, so a maintainer who
approves and merges someone else's branch reviewed it. A merge that brought in no commit
inside the window is judged against its own author. Merges are judged once the whole
window has been read (:meth:`assay.evidence.git.walk.Walk.merged_authors`); the others as
they arrive.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from itertools import chain
from typing import Any

from assay.durations import isoformat
from assay.evidence.git import messages
from assay.evidence.git.walk import ChangeSet

UNREVIEWED_LISTED = 50


def ratio(part: int, whole: int) -> float:
    """``part / whole`` to four places; 1 when there is nothing to count."""
    return round(part / whole, 4) if whole else 1.0


def approvers_for(commit: ChangeSet, approvals: Mapping[str, Sequence[str]]) -> list[str]:
    """Approvals recorded for the change set, or for a merge's merged branch head."""
    found: list[str] = []
    for sha in (commit.sha, *commit.parents[1:]):
        found.extend(approvals.get(sha, ()))
    return found


def _iso_week(when: int, cache: dict[int, tuple[int, int]]) -> tuple[int, int]:
    day = when // 86400
    week = cache.get(day)
    if week is None:
        calendar = datetime.fromtimestamp(day * 86400, UTC).isocalendar()
        week = cache[day] = (calendar[0], calendar[1])
    return week


def _person(raw: bytes) -> bytes:
    """``Name <email>`` of a raw ``Name <email> time zone`` value."""
    return raw[: raw.rfind(b">") + 1]


class ChangeSetTally:
    """The change-set facts, counted one change set at a time as the line walk finds them.

    Merges naming a reviewer wait in :attr:`waiting` until :meth:`facts` is handed the
    authors of the commits each brought in.
    """

    def __init__(
        self,
        approvals: Mapping[str, Sequence[str]],
        platform_reviewed: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.approvals = approvals
        #: Commits the platform collector already judged independently approved on the code
        #: platform: reviewed as they are, and counted as having come through a request.
        self.on_platform = platform_reviewed or {}
        self.change_sets = self.merges = self.reviewed = self.ticketed = 0
        self.platform = self.platform_reviewed = self.platform_merges = 0
        self.unreviewed: list[tuple[int, str]] = []  # (position on the line, id)
        self.waiting: dict[bytes, tuple[int, tuple[str, ...], bool, bytes]] = {}  # by merge id
        self.weeks: set[tuple[int, int]] = set()
        self.days: dict[int, tuple[int, int]] = {}
        self.keys: dict[bytes, frozenset[str]] = {}
        self.first: int | None = None
        self.last: int | None = None

    def identity(self, person: bytes) -> frozenset[str]:
        """Name and e-mail keys of a raw ``Name <email>``, cached."""
        keys = self.keys.get(person)
        if keys is None:
            cut = person.rfind(b"<")
            name = person[:cut].strip().decode("utf-8", "replace")
            email = person[cut + 1 : -1].decode("utf-8", "replace")
            keys = self.keys[person] = messages.identity_keys(name, email)
        return keys

    def add(self, commit: ChangeSet) -> None:
        position = self.change_sets
        self.change_sets = position + 1
        message = commit.message
        through = messages.raw_has_pr_ref(message) or commit.by_platform
        if self.on_platform and commit.sha in self.on_platform:
            self._platform_approved(commit, message)
            return
        self.platform += through
        named = messages.raw_reviewers(message)
        if self.approvals:
            named += approvers_for(commit, self.approvals)
        is_merge = len(commit.parent_lines) > len(commit.id) + 8  # commit.is_merge, cheaper
        if is_merge:
            self.merges += 1
            self.platform_merges += through
            if named:  # judged once the authors of the merged commits are known
                # A tuple of atoms, which the cycle collector stops tracking.
                self.waiting[commit.id] = (position, tuple(named), through, commit.author)
        if not (is_merge and named):
            if named and messages.independent_review(named, self.identity(_person(commit.author))):
                self.reviewed += 1
                self.platform_reviewed += through
            elif len(self.unreviewed) < UNREVIEWED_LISTED:
                self.unreviewed.append((position, commit.sha))
        self.ticketed += messages.raw_has_ticket_ref(message)
        when = commit.time
        self.weeks.add(_iso_week(when, self.days))
        self.first = when if self.first is None else min(self.first, when)
        self.last = when if self.last is None else max(self.last, when)

    def _platform_approved(self, commit: ChangeSet, message: bytes) -> None:
        """A change set the code platform shows approved by someone independent."""
        self.platform += 1
        self.reviewed += 1
        self.platform_reviewed += 1
        if len(commit.parent_lines) > len(commit.id) + 8:
            self.merges += 1
            self.platform_merges += 1
        self.ticketed += messages.raw_has_ticket_ref(message)
        when = commit.time
        self.weeks.add(_iso_week(when, self.days))
        self.first = when if self.first is None else min(self.first, when)
        self.last = when if self.last is None else max(self.last, when)

    def settle(self, merged: Iterable[tuple[bytes, set[bytes]]]) -> None:
        """Judge the waiting merges against the authors of the commits each brought in
        (``merged``: merge id and authors, as :meth:`Walk.merged_authors` hands them over).

        They are judged last, so unreviewed ones may come before those already listed:
        every one is listed, and the list cut to the first ones again.
        """
        waiting, identity, known = self.waiting, self.identity, self.keys
        reviewer_keys = messages.reviewer_keys
        unreviewed, platform_reviewed = self.unreviewed, 0
        listed, judged = len(unreviewed), len(waiting)

        def rest() -> Iterator[tuple[bytes, set[bytes]]]:
            """The merges that brought in nothing inside the window, once those that did
            are judged: they are judged against their own author."""
            for merge in list(waiting):
                yield merge, set()

        for merge, people in chain(merged, rest()):
            entry = waiting.pop(merge, None)
            if entry is None:
                continue
            position, named, through, author = entry
            for value in named:  # reviewed when one reviewer is none of the authors
                keys = reviewer_keys(value)
                if not keys:
                    continue
                for person in people or (_person(author),):
                    if not keys.isdisjoint(known.get(person) or identity(person)):
                        break
                else:
                    platform_reviewed += through
                    break
            else:
                unreviewed.append((position, merge.decode()))
        self.reviewed += judged - (len(unreviewed) - listed)
        self.platform_reviewed += platform_reviewed
        self.unreviewed = sorted(unreviewed)[:UNREVIEWED_LISTED]

    def facts(self) -> dict[str, Any]:
        change_sets, reviewed, ticketed = self.change_sets, self.reviewed, self.ticketed
        first, last = self.first, self.last
        unreviewed = [sha for _, sha in sorted(self.unreviewed)]
        return {
            "change_sets": change_sets,
            "merges": self.merges,
            "platform_merges": self.platform_merges,
            "local_merges": self.merges - self.platform_merges,
            "reviewed_change_sets": reviewed,
            "unreviewed_change_sets": change_sets - reviewed,
            "unreviewed_shas": unreviewed,
            "review_ratio": ratio(reviewed, change_sets),
            "platform_change_sets": self.platform,
            "unreviewed_platform_change_sets": self.platform - self.platform_reviewed,
            "review_ratio_if_platform_reviewed": ratio(
                reviewed + self.platform - self.platform_reviewed, change_sets
            ),
            "direct_commits": change_sets - self.platform,
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
