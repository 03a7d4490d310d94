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
    sign: Annotated[
        Path | None,
        typer.Option(
            "--sign",
            metavar="KEY",
            help="Sign the attestation with this SSH private key (ssh-keygen -Y sign, "
            "namespace assay-attestation) and write the signature beside it as "
            "FILE.sig. The key must be one people.yaml lists for the signer.",
        ),
    ] = None,
    output_format: FormatOption = "text",
    store_url: StoreUrlOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Hash an attestation's supporting file and record it as evidence.

    The first time, the file's sha256 is appended to the YAML (sha256: ...) so the
    reviewed attestation pins the document; later runs refuse a document that changed.
    Only files in the workspace's attestations/ folder are accepted, and a recorded
    attestation counts only while its file stays there, unexpired and unrevoked.

    With people.yaml, the signer must hold a role the control's manual test names
    (attested_by), or the attestation is refused. A signature (--sign KEY, or a FILE.sig
    already beside it) must verify against the signer's keys in people.yaml; an
    unsigned attestation is recorded as self-reported, which the release stage refuses
    by default.
    """
    from assay.assess.attestations import Rules, load_attestation
    from assay.assess.duties import signer_refusal
    from assay.assess.inputs import load_workspace_library
    from assay.assess.sealing import record_attestation
    from assay.errors import AssayError
    from assay.evidence.store import collection_context
    from assay.workspace import open_workspace

    check_format(output_format)
    ws = open_workspace(workspace)
    library = load_workspace_library(ws)
    services = ws.load_services()
    people = ws.load_people()
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
    manual = [t for t in library.controls[attestation.control].tests if t.manual]
    refusals = [signer_refusal(t, attestation.signer, people)[1] for t in manual]
    if manual and all(refusals):
        raise AssayError(
            f"{attestation.source}: refused: {refusals[0]}",
            hint=f"have someone with the role sign it ({ws.display(ws.people_path)} lists "
            "who holds which role)",
        )
    with open_cli_store(store_url, ws, create=True) as store:
        done = record_attestation(
            store,
            attestation,
            context=collection_context(),
            max_bytes=ws.max_artefact_bytes,
            people=people,
            key=sign,
        )
    drafts, results, digest, pinned = done.drafts, done.results, done.sha256, done.pinned
    signature = done.signature
    if output_format == "json":
        echo_json(
            {
                "attestation": attestation.source,
                "control": attestation.control,
                "services": list(attestation.services),
                "sha256": digest,
                "pinned": pinned,
                "signed": signature.facts() if signature is not None else None,
                "self_reported": signature is None,
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
    if signature is None:
        echo("unsigned: self-reported (the release stage refuses it; sign with --sign KEY)")
    else:
        where = f"; wrote {attestation.path.name}.sig" if done.signed_now else ""
        echo(f"signature verified: {signature.detail}{where}")
    if pinned:
        echo(f"pinned the sha256 in {attestation.source}: commit it with the attestation")
