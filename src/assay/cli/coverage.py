"""``assay coverage``: how well the library covers each framework."""

from __future__ import annotations

from typing import Annotated

import typer

from assay.cli.common import FormatOption, WorkspaceOption, check_format
from assay.cli.output import echo, echo_json, table


def register(app: typer.Typer) -> None:
    app.command("coverage")(coverage)


def coverage(
    framework: Annotated[
        str | None, typer.Option("--framework", help="Only this framework id.")
    ] = None,
    output_format: FormatOption = "text",
    workspace: WorkspaceOption = None,
) -> None:
    """Covered, partial and uncovered requirements per framework."""
    from assay.governance import load_governance
    from assay.mappings.catalog import get_framework
    from assay.mappings.coverage import compute_coverage
    from assay.workspace import open_workspace

    check_format(output_format)
    governance = load_governance(open_workspace(workspace, required=False))
    frameworks = (
        [get_framework(governance.frameworks, framework)]
        if framework
        else list(governance.frameworks.values())
    )
    report = compute_coverage(frameworks, governance.library, governance.crosswalks)
    if output_format == "json":
        echo_json(report)
        return
    echo(render_coverage_text(report))


def render_coverage_text(report: dict[str, object]) -> str:
    frameworks = report["frameworks"]
    assert isinstance(frameworks, list)
    rows = []
    for fw in frameworks:
        counts = fw["counts"]
        total = sum(counts.values())
        share = (counts["covered"] + counts["partial"]) / total if total else 0.0
        rows.append(
            [
                fw["id"],
                str(counts["covered"]),
                str(counts["partial"]),
                str(counts["uncovered"]),
                str(total),
                f"{share:.0%}",
            ]
        )
    lines = [table(rows, ["FRAMEWORK", "COVERED", "PARTIAL", "UNCOVERED", "TOTAL", "LINKED"])]
    for fw in frameworks:
        uncovered = [r for r in fw["requirements"] if r["status"] == "uncovered"]
        if not uncovered:
            continue
        lines.append("")
        lines.append(f"uncovered in {fw['id']}:")
        for requirement in uncovered:
            reason = requirement.get("unmapped_reason")
            suffix = f"  (unmapped: {reason})" if reason else ""
            lines.append(f"  {requirement['id']}  {requirement['title']}{suffix}")
    return "\n".join(lines)
