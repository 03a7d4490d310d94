"""What a collector made of the files it was offered: drafts, and a note on each file left out.

A file that cannot be read, or holds no evidence of the kind, is not evidence: it is named
with the reason (located to the line where the format allows) and collection goes on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from assay.errors import Problem
from assay.evidence.model import EvidenceDraft
from assay.evidence.parsing.errors import ArtefactError


@dataclass(frozen=True)
class Skip:
    """What :meth:`ArtefactParser.parse` returns for a file of its family that holds no
    evidence of its kind (an in-toto link where build provenance is read): a value, not an
    error, with the reason shown to the user."""

    reason: str


@dataclass(frozen=True)
class Unread:
    """A file offered to a collector that became no evidence, and why (located)."""

    name: str
    reason: str


@dataclass
class Outcome:
    """What a collector made of one folder's files: drafts, and notes on the files left out."""

    drafts: list[EvidenceDraft] = field(default_factory=list)
    unread: list[Unread] = field(default_factory=list)


def unread_from(error: ArtefactError, names: Sequence[str]) -> list[Unread]:
    """One note per file in ``names``: its own problems when ``error`` names it, else that it
    was left out with the files that were (one refusal withholds the whole batch)."""
    own: dict[str, list[str]] = {}
    for problem in error.problems:
        match = next((n for n in names if _names(problem.path, n)), None)
        if match is not None:
            own.setdefault(match, []).append(_located(problem, match))
    if not own:  # the refusal names no file of the batch: it stands against all of them
        text = "; ".join(str(p) for p in error.problems) or str(error)
        return [Unread(name, f"not read: {text}") for name in names]
    failed = ", ".join(sorted(own))
    return [
        Unread(name, "not read: " + "; ".join(own[name]))
        if name in own
        else Unread(name, f"not recorded: {failed} of the same batch could not be read")
        for name in names
    ]


def _names(path: str, name: str) -> bool:
    """Whether a problem's path is the file ``name`` (or a part of it, ``name (payload)``)."""
    return path == name or path.startswith(f"{name} (")


def _located(problem: Problem, name: str) -> str:
    """A problem worded for a note already headed by the file's name: ``part, line L,
    column C: message`` with what is known of the place."""
    where = [problem.path[len(name) :].strip().strip("()")]
    if problem.line:
        where.append(f"line {problem.line}, column {problem.col or 1}")
    place = ", ".join(w for w in where if w)
    return f"{place}: {problem.message}" if place else problem.message
