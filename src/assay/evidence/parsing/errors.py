"""Artefact errors and the size limit every artefact is checked against before parsing.

Errors are :class:`ArtefactError`, a :class:`CollectorError` that lists one located problem
per line, worded for the person who produced the file. Two sorts, handled differently by
collection:

- an :class:`ArtefactError` says a file cannot be read as what it looks like (truncated,
  malformed, a field of the wrong type, an unsupported version). Such a file is not
  evidence: collection notes it, by name and place, and goes on with the other files;
- a :class:`HostileArtefact` says a file is shaped like an attack or claims what cannot be
  true (a DOCTYPE with entities, a zip member escaping its folder, a zip bomb, a time after
  the collection). Collection fails closed: the service stores nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from assay.durations import CLOCK_SKEW, isoformat, not_after_now
from assay.errors import CollectorError, Problem, problem_order

#: The default of ``collect.max_artefact_bytes``: 100 MB.
DEFAULT_MAX_BYTES = 100 * 1024 * 1024


class ArtefactError(CollectorError):
    """An artefact that cannot be read: every problem on its own ``path:line:col:`` line."""

    def __init__(self, problems: Iterable[Problem], *, hint: str | None = None) -> None:
        self.problems = sorted(set(problems), key=problem_order)
        first = str(self.problems[0]) if self.problems else "unreadable artefact"
        super().__init__(first, hint=hint)

    def diagnostics(self) -> list[str]:
        lines = [str(problem) for problem in self.problems]
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return lines


class HostileArtefact(ArtefactError):
    """An artefact refused for integrity: an attack's shape or an impossible claim. The
    service it was found for is not collected at all."""


def refuse(
    name: str, message: str, line: int | None = None, col: int | None = None
) -> ArtefactError:
    """An :class:`ArtefactError` for one problem in artefact ``name``."""
    return ArtefactError([Problem(name, line, col, message)])


def check_size(name: str, size: int, max_bytes: int) -> None:
    """Refuse an artefact larger than the configured cap, before reading or parsing it."""
    if size > max_bytes:
        raise ArtefactError(
            [
                Problem(
                    name,
                    None,
                    None,
                    f"artefact is {size:,} bytes, over the {max_bytes:,} byte limit",
                )
            ],
            hint="raise [collect] max_artefact_bytes in assay.toml if this file is expected",
        )


def check_claimed_time(name: str, moment: datetime | None) -> None:
    """Refuse artefact ``name`` when the time it claims lies after now (the collection
    time) by more than :data:`~assay.durations.CLOCK_SKEW`: a time read from an input is a
    claim, and one from the future would date its evidence ahead of everything else."""
    if moment is not None and not not_after_now(moment):
        minutes = int(CLOCK_SKEW.total_seconds() // 60)
        raise HostileArtefact(
            [
                Problem(
                    name,
                    None,
                    None,
                    f"states the time {isoformat(moment)}, after the collection time by "
                    f"more than the {minutes} minutes of clock skew allowed",
                )
            ],
            hint="fix the producing job's clock or the file's timestamp, then collect again",
        )
