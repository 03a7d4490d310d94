"""``assay init``: scaffold a workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assay.cli.output import echo


def register(app: typer.Typer) -> None:
    app.command("init")(init)


def init(
    directory: Annotated[
        Path, typer.Argument(metavar="[DIR]", help="Folder to create the workspace in.")
    ] = Path(),
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite files that already exist.")
    ] = False,
) -> None:
    """Create assay.toml, services/example.yaml and the controls, waivers and attestations
    folders, each file commented. Existing files are never overwritten without --force."""
    from assay.scaffold import init_workspace

    result = init_workspace(directory, force=force)
    echo(f"created a workspace in {result.root}:")
    for path in result.written:
        echo(f"  {path.relative_to(result.root).as_posix()}")
    echo(
        "next: describe your service in services/, check it with 'assay services validate', "
        "then run 'assay collect'"
    )
