"""``assay verify``: prove stored evidence (``--store``) or an evidence pack unaltered.

Exit 0 when everything checks out, 1 when anything is broken (each broken item named on
its own line), 2 when verification could not run (store unreachable, nothing to verify).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assay.cli.common import FormatOption, StoreUrlOption, WorkspaceOption, check_format
from assay.cli.output import echo, echo_json
from assay.cli.store import open_cli_store


def register(app: typer.Typer) -> None:
    app.command("verify")(verify)


def verify(
    pack: Annotated[
        Path | None,
        typer.Argument(metavar="[PACK]", help="An evidence pack (PDF) to verify offline."),
    ] = None,
    store: Annotated[
        bool,
        typer.Option(
            "--store", help="Verify the evidence store: every blob, evidence id and ledger link."
        ),
    ] = False,
    store_url: StoreUrlOption = None,
    workspace: WorkspaceOption = None,
    output_format: FormatOption = "text",
) -> None:
    """Check that evidence is unaltered: the store (--store) or a pack (PACK)."""
    from assay.errors import AssayError

    check_format(output_format)
    if store and pack is not None:
        raise AssayError(
            "verify one thing at a time", hint="run `assay verify --store` and `assay verify PACK`"
        )
    if store:
        _verify_store(store_url, workspace, output_format)
    elif pack is not None:
        _verify_pack(pack, store_url, workspace, output_format)
    else:
        raise AssayError(
            "nothing to verify",
            hint="pass --store to check the evidence store, or a pack: assay verify PACK.pdf",
        )


def _verify_store(store_url: str | None, workspace: Path | None, output_format: str) -> None:
    with open_cli_store(store_url, workspace, create=False) as opened:
        report = opened.verify()
    if output_format == "json":
        echo_json(report.to_dict())
    else:
        for problem in report.problems:
            echo(problem)
        echo(report.summary())
    if not report.ok:
        raise typer.Exit(1)


def _verify_pack(
    pack: Path, store_url: str | None, workspace: Path | None, output_format: str
) -> None:
    """The pack's manifest, attachments and hashes; the store too when one is reachable."""
    from assay.cli.report import verify_pack_command

    verify_pack_command(pack, store_url, workspace, output_format)
