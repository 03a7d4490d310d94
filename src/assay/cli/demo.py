"""``assay demo``: generate a sample workspace with real repositories and run Assay on it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Folder for the demo's workspace and outputs."),
    ] = Path("demo-out"),
) -> None:
    """Build three sample services with real git histories, collect their evidence and
    write the outputs to --out (offline; DIR/workspace is replaced on every run)."""
    from assay.demo import run_demo

    run_demo(out, echo=typer.echo)
