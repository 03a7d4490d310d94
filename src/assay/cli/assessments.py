"""``assay assessments``: list and show stored, sealed assessments."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from assay.cli.common import (
    MAX_LIMIT,
    FormatOption,
    StoreUrlOption,
    WorkspaceOption,
    check_format,
    check_limit,
)
from assay.cli.output import echo, echo_json, table
from assay.cli.store import open_cli_store

if TYPE_CHECKING:
    from assay.evidence.store import AssessmentRecord, Store

assessments_app = typer.Typer(help="Stored assessments: list, show.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(assessments_app, name="assessments")


@assessments_app.command("list")
def list_assessments(
    service: Annotated[
        str | None, typer.Option("--service", "-s", help="Only this service.")
    ] = None,
    limit: Annotated[
        int, typer.Option(help=f"At most this many, newest first (1 to {MAX_LIMIT:,}).")
    ] = 50,
    output_format: FormatOption = "text",
    store_url: StoreUrlOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """List stored assessments, newest first, with counts by status."""
    from assay.assess.model import STATUSES
    from assay.assess.sealing import read_assessment
    from assay.durations import isoformat

    check_format(output_format)
    check_limit(limit)
    with open_cli_store(store_url, workspace, create=False) as store:
        records = store.list_assessments(service=service, limit=limit)
    assessments = [(record, read_assessment(record)) for record in records]
    if output_format == "json":
        echo_json(
            [
                {
                    "id": record.id,
                    "service": a.service,
                    "as_of": isoformat(a.as_of),
                    "created_at": isoformat(a.created_at),
                    "hash": a.hash,
                    "library_digest": a.library_digest,
                    "counts": a.counts,
                }
                for record, a in assessments
            ]
        )
        return
    if not assessments:
        echo("no assessments stored" + (f" for {service}" if service else ""))
        return
    rows = [
        [record.id[:12], a.service, isoformat(a.as_of), isoformat(a.created_at)]
        + [str(a.counts[s]) for s in STATUSES]
        for record, a in assessments
    ]
    headers = [
        "ID",
        "SERVICE",
        "AS OF",
        "CREATED",
        "PASS",
        "FAIL",
        "GAP",
        "UNVERIFIABLE",
        "STALE",
        "WAIVED",
        "N/A",
        "ERROR",
    ]
    echo(table(rows, headers))


def find_record(store: Store, ident: str) -> AssessmentRecord:
    """A stored assessment by id or unique id prefix (8+ hex characters)."""
    record = store.get_assessment(store.find_assessment(ident))
    assert record is not None  # the id was just found, and assessments are never deleted
    return record


@assessments_app.command("show")
def show(
    assessment_id: Annotated[
        str, typer.Argument(metavar="ID", help="Assessment id, or a unique prefix (8+ hex).")
    ],
    output_format: FormatOption = "text",
    store_url: StoreUrlOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Show one stored assessment: every control, its status and reasons."""
    from assay.assess.sealing import read_assessment
    from assay.cli.check import render_assessment

    check_format(output_format)
    with open_cli_store(store_url, workspace, create=False) as store:
        record = find_record(store, assessment_id)
    assessment = read_assessment(record)
    if output_format == "json":
        echo_json({"id": record.id, **assessment.document()})
        return
    lines = [render_assessment(record.id, assessment), ""]
    for result in assessment.results:
        if result.status == "pass":
            continue
        lines.append(f"{result.control} {result.title}: {result.status}")
        lines += [f"  why: {reason}" for reason in result.reasons]
        if result.remediation and result.status != "not_applicable":
            lines.append(f"  fix: {result.remediation}")
        if result.evidence_ids:
            lines.append("  evidence: " + ", ".join(e[:12] for e in result.evidence_ids))
    echo("\n".join(lines).rstrip())
