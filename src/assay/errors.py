"""The one error hierarchy.

Every failure a user can act on is an :class:`AssayError`. Each carries an exit
code (2: the command could not decide) and :meth:`AssayError.diagnostics`, the
lines the CLI prints. Third-party exceptions are translated where they enter the
package, so the CLI has a single place that turns errors into output.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_UNDECIDED = 2


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in one input, located as precisely as the input allows."""

    path: str
    line: int | None = None
    col: int | None = None
    message: str = ""

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.path}: {self.message}"
        col = self.col if self.col is not None else 1
        return f"{self.path}:{self.line}:{col}: {self.message}"


class AssayError(Exception):
    """Base of every error Assay raises on purpose."""

    exit_code: int = EXIT_UNDECIDED

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def diagnostics(self) -> list[str]:
        """The lines to show the user: what is wrong, then what to do."""
        lines = [f"error: {self.message}"]
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return lines


class InvalidInput(AssayError):
    """One or more input files are malformed; every problem is listed."""

    def __init__(self, problems: Iterable[Problem], *, hint: str | None = None) -> None:
        self.problems: list[Problem] = sorted(set(problems), key=problem_order)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{count} {noun} found", hint=hint)

    def diagnostics(self) -> list[str]:
        lines = [str(problem) for problem in self.problems]
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return lines


def problem_order(problem: Problem) -> tuple[str, int, int, str]:
    """Problems in file, line, column, then message order: the same input always lists
    them the same way."""
    return (problem.path, problem.line or 0, problem.col or 0, problem.message)


def raise_if_problems(problems: Sequence[Problem], *, hint: str | None = None) -> None:
    """Raise :class:`InvalidInput` when ``problems`` is not empty."""
    if problems:
        raise InvalidInput(problems, hint=hint)


class WorkspaceError(AssayError):
    """The workspace (assay.toml, services/) is missing or invalid."""


class LibraryError(AssayError):
    """The control library or a crosswalk cannot be used."""


class FrameworkError(AssayError):
    """A framework catalog cannot be found or imported."""


class CollectorError(AssayError):
    """A collector could not read its target (repository, artefact, CI context)."""


class StoreError(AssayError):
    """The evidence store is unreachable, unwritable or damaged."""


class IntegrityError(StoreError):
    """Stored evidence, a blob or the ledger does not match its hash."""


class AssessmentError(AssayError):
    """An assessment could not be made (unknown service, bad date, ...)."""


class GateError(AssayError):
    """The gate cannot decide: unknown stage, invalid policy."""


class ReportError(AssayError):
    """A report could not be written or verified."""


class TimestampError(AssayError):
    """A timestamp could not be obtained, or a token or certificate could not be read."""
