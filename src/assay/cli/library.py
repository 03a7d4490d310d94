"""``assay library``: validate, list and show controls."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assay.cli.common import FormatOption, WorkspaceOption, check_format
from assay.cli.output import echo, echo_json, table

library_app = typer.Typer(help="The control library: validate, list, show.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(library_app, name="library")


@library_app.command("validate")
def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Extra control files or folders to validate with the library."),
    ] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Check the built-in library, the workspace's controls and PATHs; list every problem."""
    from assay.governance import load_governance
    from assay.workspace import open_workspace

    ws = open_workspace(workspace, required=False)
    governance = load_governance(ws, paths or [], strict=True)
    library = governance.library
    links = len(governance.crosswalks.links)
    echo(
        f"ok: {len(library)} controls, {len(governance.frameworks)} frameworks, "
        f"{links} crosswalk links"
    )


@library_app.command("list")
def list_controls(
    family: Annotated[str | None, typer.Option(help="Only controls of this family.")] = None,
    output_format: FormatOption = "text",
    workspace: WorkspaceOption = None,
) -> None:
    """List the controls in force."""
    from assay.governance import load_governance
    from assay.workspace import open_workspace

    check_format(output_format)
    library = load_governance(open_workspace(workspace, required=False)).library
    controls = [c for c in library.sorted() if family is None or c.family == family]
    if output_format == "json":
        echo_json([c.to_dict() for c in controls])
        return
    rows = [
        [c.id, c.family, c.severity, c.freshness, c.applicability.describe(), c.title]
        for c in controls
    ]
    echo(table(rows, ["ID", "FAMILY", "SEVERITY", "FRESHNESS", "APPLIES TO", "TITLE"]))
    echo(f"\n{len(controls)} controls")


@library_app.command("show")
def show(
    control_id: Annotated[str, typer.Argument(metavar="ID", help="Control id, e.g. CHG-01.")],
    output_format: FormatOption = "text",
    workspace: WorkspaceOption = None,
) -> None:
    """Show one control: statement, tests, expectations and framework links."""
    import json

    from assay.errors import LibraryError
    from assay.governance import load_governance
    from assay.workspace import open_workspace

    check_format(output_format)
    governance = load_governance(open_workspace(workspace, required=False))
    control = governance.library.get(control_id)
    if control is None:
        raise LibraryError(
            f"unknown control '{control_id}'", hint="'assay library list' shows the control ids"
        )
    links = governance.crosswalks.for_control(control.id)
    if output_format == "json":
        data = control.to_dict()
        data["links"] = [
            {
                "framework": link.framework,
                "requirement": link.requirement,
                "relationship": link.relationship,
                "rationale": link.rationale,
            }
            for link in links
        ]
        echo_json(data)
        return
    lines = [
        f"{control.id}  {control.title}",
        "",
        control.statement,
        "",
        f"family:      {control.family}",
        f"owner:       {control.owner_role}",
        f"severity:    {control.severity}",
        f"freshness:   {control.freshness}",
        f"applies to:  {control.applicability.describe()}",
        f"source:      {control.source}",
    ]
    for test in control.tests:
        lines.append("")
        if test.manual:
            lines.append(f"test {test.id}: manual attestation")
            lines.append(f"  must show: {test.attestation}")
        else:
            lines.append(f"test {test.id}: evidence kind {test.kind}")
            lines.append("  expectation: " + json.dumps(test.expectation, sort_keys=True))
            lines.append(f"  on failure:  {test.explain}")
    if control.remediation:
        lines += ["", "remediation: " + control.remediation]
    if links:
        lines += ["", "maps to:"]
        lines += [
            f"  {link.framework} {link.requirement} ({link.relationship}): {link.rationale}"
            for link in links
        ]
    echo("\n".join(lines))


@library_app.command("export")
def export(
    oscal: Annotated[
        Path,
        typer.Option(
            "--oscal",
            metavar="DIR",
            help="Write catalog.json and component-definition.json (OSCAL 1.2.1) into DIR.",
        ),
    ],
    workspace: WorkspaceOption = None,
) -> None:
    """Export the library in force as an OSCAL catalog and component-definition."""
    from assay.durations import utc_now
    from assay.governance import load_governance
    from assay.reports.oscal_catalog import export_library, export_time
    from assay.workspace import open_workspace

    governance = load_governance(open_workspace(workspace, required=False))
    for path in export_library(governance, oscal, export_time(utc_now())):
        echo(f"wrote {path}")
