"""``assay gate``: allow (exit 0) or block (exit 1) a stage for a service; 2 when undecided.

Fail closed: an unknown service or stage, an invalid workspace or an unreachable store
exits 2 before anything is decided. The decision is recorded as ``gate.decision``
evidence (with the assessment sealed in the ledger) before the command exits.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assay.cli.check import AsOfOption, parse_as_of
from assay.cli.common import WorkspaceOption, check_format, require_workspace
from assay.cli.output import echo
from assay.cli.store import StoreUrlOption, open_cli_store

if TYPE_CHECKING:
    from assay.evidence.store import Store
    from assay.workspace import Workspace


def register(app: typer.Typer) -> None:
    app.command("gate")(gate)


def gate(
    service: Annotated[str, typer.Option("--service", "-s", help="Service id.")],
    stage: Annotated[
        str, typer.Option("--stage", help="Stage: merge, release, deploy or one in assay.toml.")
    ],
    collect: Annotated[
        bool, typer.Option("--collect", help="Collect the service's evidence first.")
    ] = False,
    as_of: AsOfOption = None,
    output_format: Annotated[
        str,
        typer.Option("--format", "-f", help="Output: text, json, junit, sarif, github or gitlab."),
    ] = "text",
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write the output to FILE."),
    ] = None,
    save: Annotated[
        list[str] | None,
        typer.Option(
            "--save",
            metavar="FORMAT=FILE",
            help="Also write FORMAT to FILE, e.g. --save sarif=gate.sarif (repeatable).",
        ),
    ] = None,
    store_url: StoreUrlOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Decide whether SERVICE may pass STAGE: exit 0 allow, 1 block, 2 cannot decide."""
    import gc

    # The gate runs once per pipeline step and then exits: the cycle collector would only
    # slow down importing the store (many small objects) and frees nothing that matters.
    collecting = gc.isenabled()
    gc.disable()
    try:
        _gate(service, stage, collect, as_of, output_format, output, save, store_url, workspace)
    finally:
        if collecting:
            gc.enable()


def _gate(
    service: str,
    stage: str,
    collect: bool,
    as_of: str | None,
    output_format: str,
    output: str | None,
    save: list[str] | None,
    store_url: str | None,
    workspace: Path | None,
) -> None:
    import os

    from assay import __version__
    from assay.assess.engine import AssessOptions, Assessor
    from assay.assess.gate import check_scope, decide, stage_policy
    from assay.assess.inputs import load_inputs
    from assay.assess.sealing import seal_decision
    from assay.evidence.store import collection_context
    from assay.reports.formats import FORMATS, FormatContext, gate_format

    check_format(output_format, tuple(FORMATS))
    saved = [_saved(item) for item in save or ()]
    for path in [Path(output)] if output else []:
        _writable(path)
    moment = parse_as_of(as_of)
    ws = require_workspace(workspace)
    policy = stage_policy(ws.config, stage)
    inputs = load_inputs(ws, only=service)
    check_scope(policy, inputs.library.controls)
    target = inputs.service(service)
    context = collection_context()
    with open_cli_store(store_url, ws, create=True) as store:
        if collect:
            _collect(ws, store, target.id)
        assessor = Assessor(inputs.library, store, inputs.waivers, inputs.attestations)
        assessment = assessor.assess(target, AssessOptions(as_of=moment))
        decision = decide(assessment, policy)
        seal_decision(store, decision, context)
    formatter = gate_format(output_format)
    format_context = FormatContext(
        tool_version=__version__,
        service_file=target.source,
        environ=dict(os.environ),
    )
    text = formatter.render(decision, format_context)
    if output:
        _write(Path(output), text)
    else:
        echo(text)
    for name, path in saved:
        _write(path, gate_format(name).render(decision, format_context))
    for path, extra in formatter.side_outputs(decision, format_context):
        try:
            with path.open("a", encoding="utf-8") as handle:
                handle.write(extra)
        except OSError as exc:
            echo(f"warning: cannot write {path}: {exc.strerror}", err=True)
    raise typer.Exit(decision.exit_code)


def _saved(item: str) -> tuple[str, Path]:
    """``FORMAT=FILE`` from --save, checked before anything is decided."""
    name, sep, file = item.partition("=")
    if not sep or not file:
        from assay.errors import AssayError

        raise AssayError(f"--save {item!r}: expected FORMAT=FILE, e.g. sarif=gate.sarif")
    from assay.reports.formats import FORMATS

    check_format(name, tuple(FORMATS))
    _writable(Path(file))
    return name, Path(file)


def _writable(path: Path) -> None:
    """Refuse a destination that cannot be written before anything is decided: the
    decision is recorded before outputs are written, and must not be recorded for a run
    that then fails."""
    import os

    from assay.errors import AssayError
    from assay.reports.output import refuse_special_file

    refuse_special_file(path)
    folder = path.parent
    if not folder.is_dir():
        raise AssayError(f"cannot write {path}: no such folder {folder}")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise AssayError(f"cannot write {path}: permission denied")


def _write(path: Path, text: str) -> None:
    from assay.reports.output import write_atomic

    write_atomic(path, (text if text.endswith("\n") else text + "\n").encode("utf-8"))


def _collect(ws: Workspace, store: Store, service: str) -> None:
    """Collect the service's evidence first; a failed collection means no decision (exit 2)."""
    from assay.errors import CollectorError
    from assay.evidence.collect import CollectOptions, collect

    report = collect(ws, store, CollectOptions(services=(service,)))
    if report.failures:
        lines = [line for failure in report.failures for line in failure.lines]
        raise CollectorError(
            f"--collect: {service} could not be collected: " + "; ".join(lines),
            hint="fix the collection problem, or run the gate without --collect",
        )
    echo(f"collected {len(report.collected)} evidence records for {service}", err=True)
