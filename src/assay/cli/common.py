"""Options and loaders shared by command modules."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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


def check_format(value: str, allowed: tuple[str, ...] = ("text", "json")) -> str:
    from assay.errors import AssayError

    if value not in allowed:
        raise AssayError(f"unknown format '{value}'", hint="choose one of: " + ", ".join(allowed))
    return value
