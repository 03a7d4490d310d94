"""``assay attest FILE``: record a signed attestation as ``manual.attestation`` evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assay.cli.common import FormatOption, WorkspaceOption, check_format, require_workspace
from assay.cli.output import echo_json
from assay.cli.store import StoreUrlOption, open_cli_store


def register(app: typer.Typer) -> None:
    app.command("attest")(attest)


def attest(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE", help="The attestation YAML, e.g. attestations/restore-test.yaml."
        ),
    ],
    output_format: FormatOption = "text",
    store_url: StoreUrlOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Hash an attestation's supporting file and record it as evidence.

    The first time, the file's sha256 is appended to the YAML (sha256: ...) so the
    reviewed attestation pins the document; later runs refuse a document that changed.
    """
    from assay import __version__
    from assay.assess.attestations import (
        attestation_drafts,
        load_attestation,
        pin_hash,
        read_document,
    )
    from assay.evidence.store import collection_context
    from assay.governance import load_governance

    check_format(output_format)
    ws = require_workspace(workspace)
    library = load_governance(ws).library
    services = ws.load_services()
    if not file.is_absolute() and not file.exists() and (ws.root / file).exists():
        file = ws.root / file  # a path as written in the workspace, run from elsewhere
    attestation = load_attestation(
        file,
        display=ws.display(file),
        controls=set(library.controls),
        services=set(services),
        root=ws.root,
    )
    document = read_document(attestation, max_bytes=ws.max_artefact_bytes)
    drafts = attestation_drafts(attestation, document, tool_version=__version__)
    with open_cli_store(store_url, workspace, create=True) as store:
        results = store.record(drafts, context=collection_context())
    pinned = pin_hash(attestation, document.sha256)
    if output_format == "json":
        echo_json(
            {
                "attestation": attestation.source,
                "control": attestation.control,
                "services": list(attestation.services),
                "sha256": document.sha256,
                "pinned": pinned,
                "evidence": [
                    {"id": r.evidence_id, "service": d.service, "new": r.new}
                    for r, d in zip(results, drafts, strict=True)
                ],
            }
        )
        return
    for result, made in zip(results, drafts, strict=True):
        state = "recorded" if result.new else "already recorded; re-sealed"
        typer.echo(
            f"{state}: {attestation.control} for {made.service}, evidence {result.evidence_id[:12]}"
        )
    typer.echo(f"{attestation.file}: sha256 {document.sha256}")
    if pinned:
        typer.echo(f"pinned the sha256 in {attestation.source}: commit it with the attestation")
