"""``assay frameworks``: list, show and import framework catalogs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assay.cli.common import FormatOption, WorkspaceOption, check_format
from assay.cli.output import echo, echo_json, table

if TYPE_CHECKING:
    from assay.mappings.catalog import Framework

frameworks_app = typer.Typer(help="Framework catalogs: list, show, import.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(frameworks_app, name="frameworks")


def _frameworks(workspace: WorkspaceOption) -> dict[str, Framework]:
    from assay.mappings.catalog import load_frameworks
    from assay.workspace import open_workspace

    ws = open_workspace(workspace, required=False)
    return dict(load_frameworks([ws.frameworks_dir] if ws else []))


@frameworks_app.command("list")
def list_frameworks(
    output_format: FormatOption = "text", workspace: WorkspaceOption = None
) -> None:
    """List the frameworks: built-in and the workspace's own."""
    check_format(output_format)
    frameworks = list(_frameworks(workspace).values())
    if output_format == "json":
        echo_json(
            [
                {
                    "id": f.id,
                    "title": f.title,
                    "version": f.version,
                    "publisher": f.publisher,
                    "requirements": len(f.requirements),
                    "assessable": len(f.assessable),
                }
                for f in frameworks
            ]
        )
        return
    rows = [[f.id, f.version, str(len(f.assessable)), f.title] for f in frameworks]
    echo(table(rows, ["ID", "VERSION", "REQUIREMENTS", "TITLE"]))


@frameworks_app.command("show")
def show(
    framework_id: Annotated[str, typer.Argument(metavar="ID", help="Framework id.")],
    output_format: FormatOption = "text",
    workspace: WorkspaceOption = None,
) -> None:
    """Show a framework's requirements."""
    from assay.mappings.catalog import get_framework

    check_format(output_format)
    framework = get_framework(_frameworks(workspace), framework_id)
    if output_format == "json":
        echo_json(
            {
                "id": framework.id,
                "title": framework.title,
                "version": framework.version,
                "publisher": framework.publisher,
                "description": framework.description,
                "requirements": [
                    {
                        "id": r.id,
                        "title": r.title,
                        "group": r.group,
                        "parent": r.parent,
                        "assessable": r.assessable,
                        "text": r.text,
                    }
                    for r in framework.requirements
                ],
            }
        )
        return
    echo(f"{framework.title} ({framework.id}, version {framework.version})")
    if framework.description:
        echo(framework.description)
    echo("")
    rows = [[r.id, "" if r.assessable else "heading", r.title] for r in framework.requirements]
    echo(table(rows, ["ID", "NOTE", "TITLE"]))


@frameworks_app.command("import")
def import_catalog(
    source: Annotated[Path, typer.Argument(metavar="FILE.json", help="An OSCAL catalog (JSON).")],
    framework_id: Annotated[
        str | None, typer.Option("--id", help="Framework id (default: from the catalog title).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace an earlier import of the same id.")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Import an OSCAL catalog as a framework of the workspace (frameworks/ID.yaml)."""
    from assay.mappings.catalog import load_frameworks
    from assay.mappings.oscal_import import import_oscal_catalog
    from assay.workspace import open_workspace

    ws = open_workspace(workspace)
    existing = set(load_frameworks([ws.frameworks_dir], ws.display))
    result = import_oscal_catalog(
        source,
        ws.frameworks_dir,
        framework_id=framework_id,
        existing=existing,
        force=force,
        display=str(source),
    )
    echo(
        f"imported {result.framework_id}: {result.requirements} requirements "
        f"({result.withdrawn} withdrawn) in {result.groups} groups -> {ws.display(result.path)}"
    )
