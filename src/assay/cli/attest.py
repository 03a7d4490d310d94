"""``assay attest FILE``: record a signed attestation as ``manual.attestation`` evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assay.cli.common import FormatOption, StoreUrlOption, WorkspaceOption, check_format
from assay.cli.output import echo, echo_json
from assay.cli.store import open_cli_store


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
    Only files in the workspace's attestations/ folder are accepted, and a recorded
    attestation counts only while its file stays there, unexpired and unrevoked.
    """
    from assay.assess.attestations import Rules, load_attestation
    from assay.assess.inputs import load_workspace_library
    from assay.assess.sealing import record_attestation
    from assay.evidence.store import collection_context
    from assay.workspace import open_workspace

    check_format(output_format)
    ws = open_workspace(workspace)
    library = load_workspace_library(ws)
    services = ws.load_services()
    if not file.is_absolute() and not file.exists() and (ws.root / file).exists():
        file = ws.root / file  # a path as written in the workspace, run from elsewhere
    attestation = load_attestation(
        file,
        display=ws.display(file),
        controls=set(library.controls),
        services=set(services),
        root=ws.root,
        rules=Rules.for_workspace(ws),
    )
    with open_cli_store(store_url, ws, create=True) as store:
        drafts, results, digest, pinned = record_attestation(
            store, attestation, context=collection_context(), max_bytes=ws.max_artefact_bytes
        )
    if output_format == "json":
        echo_json(
            {
                "attestation": attestation.source,
                "control": attestation.control,
                "services": list(attestation.services),
                "sha256": digest,
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
        echo(
            f"{state}: {attestation.control} for {made.service}, evidence {result.evidence_id[:12]}"
        )
    echo(f"{attestation.file}: sha256 {digest}")
    if pinned:
        echo(f"pinned the sha256 in {attestation.source}: commit it with the attestation")
