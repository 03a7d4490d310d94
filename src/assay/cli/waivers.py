"""``assay waivers``: list waivers, their state and the days left."""

from __future__ import annotations

from typing import Annotated

import typer

from assay.cli.common import FormatOption, WorkspaceOption, check_format
from assay.cli.output import echo, echo_json, table

waivers_app = typer.Typer(help="Waivers: list, with expiry.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(waivers_app, name="waivers")


@waivers_app.command("list")
def list_waivers(
    expiring: Annotated[
        str | None,
        typer.Option(
            "--expiring",
            metavar="DURATION",
            help="Only active waivers expiring within this ISO 8601 duration, e.g. P30D.",
        ),
    ] = None,
    output_format: FormatOption = "text",
    workspace: WorkspaceOption = None,
) -> None:
    """List every waiver: active, expired (no longer applied) or pending."""
    from assay.assess.inputs import load_workspace_library
    from assay.assess.waivers import WaiverBook, load_waivers
    from assay.durations import parse_duration, utc_now
    from assay.errors import AssayError
    from assay.workspace import open_workspace

    check_format(output_format)
    within = None
    if expiring is not None:
        try:
            within = parse_duration(expiring)
        except ValueError as exc:
            raise AssayError(f"--expiring: {exc}") from None
    ws = open_workspace(workspace)
    library = load_workspace_library(ws)
    services = ws.load_services()
    book = WaiverBook(
        load_waivers(
            ws.waivers_dir,
            display=ws.display,
            controls=set(library.controls),
            services=set(services),
        )
    )
    today = utc_now().date()
    waivers = book.listing(today, expiring_within=within)
    if output_format == "json":
        echo_json([w.to_dict(today) for w in waivers])
        return
    if not waivers:
        echo("no waivers" + (f" expiring within {expiring}" if expiring else ""))
        return
    rows = [
        [
            w.service,
            w.control,
            str(w.expires),
            w.state(today),
            str(w.days_left(today)),
            w.approver,
            w.ticket or "-",
            w.source,
        ]
        for w in waivers
    ]
    headers = ["SERVICE", "CONTROL", "EXPIRES", "STATE", "DAYS LEFT", "APPROVER", "TICKET", "FILE"]
    echo(table(rows, headers))
    expired = sum(1 for w in waivers if w.state(today) == "expired")
    noun = "waiver" if len(waivers) == 1 else "waivers"
    tail = f"\n{len(waivers)} {noun}"
    if expired:
        tail += f"; {expired} expired and no longer applied"
    echo(tail)
