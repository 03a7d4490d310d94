"""``assay verify``: prove stored evidence (``--store``) or an evidence pack unaltered.

Exit 0 when everything checks out, 1 when anything is broken (each broken item named on
its own line), 2 when verification could not run (store unreachable, nothing to verify).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assay.cli.common import FormatOption, StoreUrlOption, WorkspaceOption, check_format
from assay.cli.output import echo, echo_json
from assay.cli.store import open_cli_store

if TYPE_CHECKING:
    from assay.reports.verify_structure import VerifyOptions


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
    require_signature: Annotated[
        bool,
        typer.Option(
            "--require-signature", help="A pack must carry an intact signature over all of it."
        ),
    ] = False,
    signer: Annotated[
        str | None,
        typer.Option(
            "--signer",
            metavar="SHA256",
            help="A pack must be signed by this certificate (the sha256 of its DER bytes).",
        ),
    ] = None,
    tsa_cert: Annotated[
        list[Path] | None,
        typer.Option(
            "--tsa-cert",
            metavar="FILE",
            help="A trusted timestamp authority certificate (PEM or DER; repeatable): "
            "timestamps must chain to one, and the pack's evidence must be anchored. "
            "Default: the workspace's [timestamps] trusted_certificates.",
        ),
    ] = None,
    rerender: Annotated[
        bool,
        typer.Option(
            "--rerender",
            help="Rebuild the pack from the store and compare bytes (needs the workspace "
            "and its store).",
        ),
    ] = False,
    store_url: StoreUrlOption = None,
    workspace: WorkspaceOption = None,
    output_format: FormatOption = "text",
) -> None:
    """Check that evidence is unaltered: the store (--store) or a pack (PACK)."""
    from assay.errors import AssayError
    from assay.reports.verify_structure import VerifyOptions

    check_format(output_format)
    if store and pack is not None:
        raise AssayError(
            "verify one thing at a time", hint="run `assay verify --store` and `assay verify PACK`"
        )
    pack_only = require_signature or signer is not None or rerender or bool(tsa_cert)
    if pack_only and pack is None:
        raise AssayError("--require-signature, --signer, --tsa-cert and --rerender are for a pack")
    if signer is not None and not _is_sha256(signer):
        raise AssayError(
            f"--signer {signer}: not a sha256 (64 hexadecimal digits)",
            hint="the sha256 of the signer certificate's DER bytes, as verify prints it",
        )
    if store:
        _verify_store(store_url, workspace, output_format)
    elif pack is not None:
        options = VerifyOptions(
            require_signature=require_signature,
            signer=signer,
            tsa_roots=_tsa_roots(tsa_cert or [], workspace),
        )
        _verify_pack(pack, store_url, workspace, output_format, options, rerender=rerender)
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


def _tsa_roots(files: list[Path], workspace: Path | None) -> tuple[bytes, ...]:
    """The trusted TSA certificates: ``--tsa-cert`` files, else the workspace's."""
    from assay.timestamps import load_certificates
    from assay.workspace import open_workspace

    if not files:
        ws = open_workspace(workspace, required=False)
        if ws is not None:
            named = ws.config.get("timestamps", {}).get("trusted_certificates", [])
            files = [ws.root / str(name) for name in named]
    return tuple(der for path in files for der in load_certificates(path))


def _is_sha256(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdefABCDEF" for c in text)


def _verify_pack(
    pack: Path,
    store_url: str | None,
    workspace: Path | None,
    output_format: str,
    options: VerifyOptions,
    *,
    rerender: bool,
) -> None:
    """The pack's manifest, attachments and hashes; the store too when one is reachable."""
    from assay.cli.report import verify_pack_command

    verify_pack_command(pack, store_url, workspace, output_format, options, rerender=rerender)
