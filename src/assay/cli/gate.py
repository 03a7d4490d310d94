"""``assay gate``: allow (exit 0) or block (exit 1) a stage for a service; 2 when undecided.

Fail closed: an unknown service or stage, an invalid workspace or an unreachable store
exits 2 before anything is decided. The decision is recorded as ``gate.decision``
evidence (with the assessment sealed in the ledger) before the command exits.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assay.cli.common import AsOfOption, StoreUrlOption, WorkspaceOption, check_format, parse_as_of
from assay.cli.output import echo
from assay.reports.formats import FORMATS

if TYPE_CHECKING:
    from assay.evidence.collect_results import CollectReport


def register(app: typer.Typer) -> None:
    app.command("gate")(gate)


def _choices(names: tuple[str, ...]) -> str:
    """``a, b or c``: the registered formats, for the help text."""
    *first, last = names
    return f"{', '.join(first)} or {last}" if first else last


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
        typer.Option("--format", "-f", help=f"Output: {_choices(tuple(FORMATS))}."),
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
    from assay.assess.run import GateOptions
    from assay.assess.run import gate as run_gate
    from assay.reports.formats import FormatContext, gate_format

    check_format(output_format, tuple(FORMATS))
    saved = [_saved(item) for item in save or ()]
    for path in [Path(output)] if output else []:
        _writable(path)
    options = GateOptions(
        service=service,
        stage=stage,
        as_of=parse_as_of(as_of),
        collect=collect,
        workspace=workspace,
        store_url=store_url,
    )

    def collected(report: CollectReport) -> None:
        count = len(report.collected)
        echo(f"collected {count} evidence records for {service}", err=True)

    run = run_gate(options, on_collected=collected)
    decision = run.decision
    formatter = gate_format(output_format)
    format_context = FormatContext(
        tool_version=__version__,
        service_file=run.service.source,
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
