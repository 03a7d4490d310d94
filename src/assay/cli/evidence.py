"""``assay evidence``: list and show stored evidence."""

from __future__ import annotations

import json
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
    from assay.evidence.model import Evidence

evidence_app = typer.Typer(help="Stored evidence: list, show.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(evidence_app, name="evidence")


def _when(moment: object) -> str:
    from datetime import datetime

    from assay.durations import isoformat

    return isoformat(moment) if isinstance(moment, datetime) else "-"


@evidence_app.command("list")
def list_evidence(
    service: Annotated[str | None, typer.Option(help="Only this service's evidence.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only evidence of this kind.")] = None,
    limit: Annotated[
        int, typer.Option(help=f"At most this many records (1 to {MAX_LIMIT:,}).")
    ] = 100,
    store_url: StoreUrlOption = None,
    workspace: WorkspaceOption = None,
    output_format: FormatOption = "text",
) -> None:
    """List evidence, newest observation first."""
    check_format(output_format)
    check_limit(limit)
    with open_cli_store(store_url, workspace, create=False) as store:
        records = store.list_evidence(service=service, kind=kind, limit=limit)
    if output_format == "json":
        echo_json([record.to_dict() for record in records])
        return
    if not records:
        echo("no evidence records" + (" match" if service or kind else ""))
        return
    rows = [
        [
            record.id[:12],
            record.kind,
            record.service,
            record.subject_key,
            _when(record.observed_at),
            _when(record.last_collected_at),
        ]
        for record in records
    ]
    headers = ["ID", "KIND", "SERVICE", "SUBJECT", "OBSERVED", "LAST COLLECTED"]
    echo(table(rows, headers))
    noun = "record" if len(records) == 1 else "records"
    echo(f"\n{len(records)} evidence {noun}")


@evidence_app.command("show")
def show(
    evidence_id: Annotated[
        str, typer.Argument(metavar="ID", help="Evidence id, or a unique prefix (8+ hex).")
    ],
    store_url: StoreUrlOption = None,
    workspace: WorkspaceOption = None,
    output_format: FormatOption = "text",
) -> None:
    """Show one evidence record: subject, facts, artefacts and collection times."""
    from assay.errors import StoreError

    check_format(output_format)
    with open_cli_store(store_url, workspace, create=False) as store:
        record = store.get(store.find(evidence_id))
    if record is None:  # pragma: no cover - find() just saw it; evidence is never deleted
        raise StoreError(f"no evidence with id {evidence_id}")
    if output_format == "json":
        echo_json(record.to_dict())
        return
    echo(_describe(record))


def _describe(record: Evidence) -> str:
    lines = [
        f"id:               {record.id}",
        f"kind:             {record.kind}",
        f"service:          {record.service}",
        f"subject:          {json.dumps(record.subject, sort_keys=True)}",
        f"observed at:      {_when(record.observed_at)}",
        f"collector:        {record.collector}",
        f"first collected:  {_when(record.first_collected_at)}",
        f"last collected:   {_when(record.last_collected_at)}",
    ]
    if record.artefacts:
        lines.append("artefacts:")
        lines.extend(
            f"  {a.name}  {a.size} bytes  {a.media_type}  sha256 {a.sha256}"
            for a in record.artefacts
        )
    else:
        lines.append("artefacts:        none")
    lines.append("facts:")
    facts = json.dumps(record.facts, indent=2, sort_keys=True, ensure_ascii=False)
    lines.extend("  " + line for line in facts.splitlines())
    return "\n".join(lines)
