"""Options and loaders shared by command modules."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from assay.workspace import Workspace

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


def require_workspace(path: Path | None) -> Workspace:
    from assay.workspace import open_workspace

    return open_workspace(path)


def optional_workspace(path: Path | None) -> Workspace | None:
    """The workspace when one is named or found; ``None`` outside any workspace."""
    from assay.workspace import find_root, open_workspace

    if path is None and find_root(Path.cwd()) is None:
        return None
    return open_workspace(path)


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
