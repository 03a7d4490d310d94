"""Options shared by command modules, and their checks."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from datetime import datetime

WorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace folder holding assay.toml (default: found by walking up from here).",
        envvar="ASSAY_WORKSPACE",
        file_okay=False,
    ),
]

FormatOption = Annotated[
    str,
    typer.Option("--format", "-f", help="Output format: text or json."),
]

StoreUrlOption = Annotated[
    str | None,
    typer.Option(
        "--store-url",
        help="Store URL: sqlite:///PATH or postgresql+psycopg://USER@HOST/DB "
        "(default: ASSAY_STORE_URL, else the workspace's store).",
        envvar="ASSAY_STORE_URL",
        show_envvar=False,
    ),
]

AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="DATE",
        help="Assess as of this date (YYYY-MM-DD, end of day UTC) or date-time: only "
        "evidence observed and collected by then counts. Default: now.",
    ),
]


#: The most records one list command returns: a clear bound, far below what the store's
#: integer columns or the memory of one process would otherwise hit first.
MAX_LIMIT = 100_000


def check_limit(value: int) -> int:
    """A ``--limit`` from 1 to :data:`MAX_LIMIT`; anything else is one line and exit 2."""
    from assay.errors import AssayError

    if not 1 <= value <= MAX_LIMIT:
        raise AssayError(f"--limit must be from 1 to {MAX_LIMIT:,}, not {value}")
    return value


def check_format(value: str, allowed: tuple[str, ...] = ("text", "json")) -> str:
    from assay.errors import AssayError

    if value not in allowed:
        raise AssayError(f"unknown format '{value}'", hint="choose one of: " + ", ".join(allowed))
    return value


def parse_as_of(value: str | None) -> datetime | None:
    from assay.durations import parse_instant
    from assay.errors import AssessmentError

    if value is None:
        return None
    try:
        return parse_instant(value)
    except ValueError as exc:
        raise AssessmentError(f"--as-of: {exc}") from None
