"""``assay report``: the evidence pack (PDF), its HTML, the SoA workbook, OSCAL and JSON.

Reports read the assessments ``assay check`` stored; they never assess. ``-o -`` writes
text reports (html, json, oscal) to standard output.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assay.cli.common import StoreUrlOption, WorkspaceOption
from assay.cli.output import echo, echo_json

if TYPE_CHECKING:
    from assay.reports.run import Written
    from assay.reports.sources import ReportRequest, ReportStore, Scope
    from assay.reports.verify_pack import PackCheck
    from assay.reports.verify_structure import VerifyOptions
    from assay.workspace import Workspace

#: A report to produce once the scope is loaded and the store open.
Run = Callable[["Scope", "ReportStore"], "Written"]

report_app = typer.Typer(
    help="Reports: evidence pack (pdf), html, SoA workbook, OSCAL, JSON.", no_args_is_help=True
)

OutputOption = Annotated[
    str, typer.Option("--output", "-o", metavar="FILE", help="File to write ('-': stdout).")
]
ServiceOption = Annotated[
    str | None, typer.Option("--service", "-s", help="Only this service (default: all).")
]
OneServiceOption = Annotated[str, typer.Option("--service", "-s", help="The service to report on.")]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="DATE",
        help="Use the latest stored assessment made as of this date (YYYY-MM-DD) or date-time, "
        "or earlier.",
    ),
]


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")


def _request(service: str | None, as_of: str | None, max_bytes: int | None = None) -> ReportRequest:
    from assay.cli.common import parse_as_of
    from assay.errors import ReportError
    from assay.reports.gather import DEFAULT_MAX_ATTACHMENT_BYTES
    from assay.reports.sources import ReportRequest

    moment = parse_as_of(as_of)
    if max_bytes is not None and max_bytes < 0:
        raise ReportError("--max-attachment-bytes must be 0 or more")
    return ReportRequest(
        service=service,
        as_of=moment,
        max_attachment_bytes=DEFAULT_MAX_ATTACHMENT_BYTES if max_bytes is None else max_bytes,
    )


def _destination(output: str, *, binary: bool) -> Path | None:
    from assay.errors import ReportError

    if output == "-":
        if binary:
            raise ReportError("this report is binary: give a file with -o, not '-'")
        return None
    return Path(output)


def _finish(written: Written, scope: Scope) -> None:
    for note in scope.notes:
        echo(f"note: {note}", err=True)
    if written.path is None:
        echo(written.data.decode("utf-8"), nl=False)
    else:
        echo(f"wrote {written.path}: {written.summary}")


def _run(workspace: Path | None, store_url: str | None, request: ReportRequest, work: Run) -> None:
    from assay.cli.store import open_cli_store
    from assay.governance import load_governance
    from assay.reports.sources import load_scope
    from assay.workspace import open_workspace

    ws = open_workspace(workspace)
    governance = load_governance(ws)
    with open_cli_store(store_url, ws, create=False) as store:
        scope = load_scope(ws, governance, store, request)
        written = work(scope, store)
    _finish(written, scope)


@report_app.command("pack")
def pack(
    service: OneServiceOption,
    output: OutputOption,
    as_of: AsOfOption = None,
    max_attachment_bytes: Annotated[
        int | None,
        typer.Option(
            "--max-attachment-bytes",
            metavar="N",
            help="Embed artefacts up to N bytes each (default 10 MiB; 0 embeds none).",
        ),
    ] = None,
    sign: Annotated[
        Path | None,
        typer.Option(
            "--sign",
            metavar="KEY",
            help="Sign the pack (PAdES) with this key: a PKCS#12 bundle (.p12), or a PEM key "
            "with --sign-cert. A passphrase is read from ASSAY_SIGN_PASSPHRASE.",
        ),
    ] = None,
    sign_cert: Annotated[
        Path | None,
        typer.Option(
            "--sign-cert", metavar="CERT", help="The PEM certificate of a PEM --sign key."
        ),
    ] = None,
    tsa: Annotated[
        str | None,
        typer.Option(
            "--tsa",
            metavar="URL",
            help="Timestamp the signature at this RFC 3161 timestamp authority (needs --sign).",
        ),
    ] = None,
    store_url: StoreUrlOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """The evidence pack: PDF/A-3b with the manifest and artefacts attached.

    The pack carries the ledger entries of its evidence and, when the store holds one, the
    newest anchor at or before its ledger head (`assay store anchor`).
    """
    from assay.errors import ReportError
    from assay.reports.run import pack_report
    from assay.reports.sign import SignOptions, check_options

    request = _request(service, as_of, max_attachment_bytes)
    path = _destination(output, binary=True)
    assert path is not None
    signing = None if sign is None else SignOptions(sign, sign_cert, tsa)
    if signing is None and sign_cert is not None:
        raise ReportError("--sign-cert needs --sign KEY")
    if tsa is not None:
        from assay.timestamps import check_url

        if signing is None:
            raise ReportError(
                "--tsa needs --sign KEY",
                hint="to timestamp the evidence itself, run `assay store anchor --tsa URL`",
            )
        check_url(tsa)
    if signing is not None:
        check_options(signing)
    _run(
        workspace,
        store_url,
        request,
        lambda scope, store: pack_report(scope, request, store, path, sign=signing),
    )


@report_app.command("html")
def html(
    service: OneServiceOption,
    output: OutputOption,
    as_of: AsOfOption = None,
    store_url: StoreUrlOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """The evidence pack's content as one self-contained HTML file."""
    from assay.reports.run import html_report

    request = _request(service, as_of)
    path = _destination(output, binary=False)
    _run(workspace, store_url, request, lambda scope, _store: html_report(scope, request, path))


@report_app.command("soa")
def soa(
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", metavar="FILE", help="The workbook to write (.xlsx)."),
    ] = None,
    service: ServiceOption = None,
    as_of: AsOfOption = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Only check the decisions file: list each Annex A control whose decision "
            "or justification is missing; exit 1 when any is.",
        ),
    ] = False,
    store_url: StoreUrlOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """The Statement of Applicability workbook (xlsx), across all services or one.

    Merges the organisation's decisions (soa.yaml beside assay.toml) with what the
    services' stored assessments show.
    """
    from assay.cli.store import open_cli_store
    from assay.errors import ReportError
    from assay.governance import load_governance
    from assay.reports.run import soa_report
    from assay.reports.soa_decisions import incomplete, load_decisions
    from assay.reports.sources import load_scope
    from assay.workspace import open_workspace

    if output is None and not check:
        raise ReportError("give the workbook to write with -o FILE, or --check")
    ws = open_workspace(workspace)
    governance = load_governance(ws)
    decisions = load_decisions(ws.soa_path, governance.frameworks, ws.display(ws.soa_path))
    if check:
        missing = incomplete(decisions, governance.frameworks)
        for line in missing:
            echo(line)
        where = ws.display(ws.soa_path)
        if missing:
            echo(
                f"{len(missing)} Annex A control(s) without a decision or justification in {where}"
            )
            raise typer.Exit(1)
        echo(f"every Annex A control is decided and justified in {where}")
        return
    request = _request(service, as_of)
    path = _destination(output or "", binary=True)
    assert path is not None
    with open_cli_store(store_url, ws, create=False) as store:
        scope = load_scope(ws, governance, store, request, trend=False)
        written = soa_report(scope, path, decisions=decisions, organisation=ws.organisation)
    _finish(written, scope)


#: A report that also needs the workspace (the OSCAL documents name it as their system).
WorkspaceRun = Callable[["Workspace", "Scope", "ReportStore"], "Written"]


def _run_in_workspace(
    workspace: Path | None, store_url: str | None, request: ReportRequest, work: WorkspaceRun
) -> None:
    from assay.cli.store import open_cli_store
    from assay.governance import load_governance
    from assay.reports.sources import load_scope
    from assay.workspace import open_workspace

    ws = open_workspace(workspace)
    governance = load_governance(ws)
    with open_cli_store(store_url, ws, create=False) as store:
        scope = load_scope(ws, governance, store, request)
        written = work(ws, scope, store)
    _finish(written, scope)


@report_app.command("oscal")
def oscal(
    output: OutputOption,
    service: ServiceOption = None,
    as_of: AsOfOption = None,
    poam: Annotated[
        bool,
        typer.Option("--poam", help="Write a plan of action and milestones for open gaps."),
    ] = False,
    store_url: StoreUrlOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """OSCAL 1.2.1 assessment results (or, with --poam, a POA&M) as JSON.

    The results import assessment-plan.json and the POA&M imports ssp.json: write them
    into the same folder with 'oscal-ap' and 'oscal-ssp'.
    """
    from assay.reports.oscal_actors import OscalSystem
    from assay.reports.run import oscal_report

    request = _request(service, as_of)
    path = _destination(output, binary=False)
    _run_in_workspace(
        workspace,
        store_url,
        request,
        lambda ws, scope, _store: oscal_report(
            scope, request, path, poam=poam, system=OscalSystem.from_workspace(ws)
        ),
    )


def _oscal_with_system(
    output: str,
    service: str | None,
    as_of: str | None,
    store_url: str | None,
    workspace: Path | None,
    builder: str,
) -> None:
    """Write an OSCAL document that names the workspace's system (plan, SSP)."""
    from assay.reports import run
    from assay.reports.oscal_actors import OscalSystem

    write = getattr(run, builder)
    request = _request(service, as_of)
    path = _destination(output, binary=False)
    _run_in_workspace(
        workspace,
        store_url,
        request,
        lambda ws, scope, _store: write(scope, request, path, OscalSystem.from_workspace(ws)),
    )


@report_app.command("oscal-ap")
def oscal_ap(
    output: OutputOption,
    service: ServiceOption = None,
    as_of: AsOfOption = None,
    store_url: StoreUrlOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """OSCAL 1.2.1 assessment plan (write it as assessment-plan.json beside the results)."""
    _oscal_with_system(output, service, as_of, store_url, workspace, "oscal_plan_report")


@report_app.command("oscal-ssp")
def oscal_ssp(
    output: OutputOption,
    service: ServiceOption = None,
    as_of: AsOfOption = None,
    store_url: StoreUrlOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """A minimal OSCAL 1.2.1 system security plan (ssp.json, imported by the plan and POA&M)."""
    _oscal_with_system(output, service, as_of, store_url, workspace, "oscal_ssp_report")


@report_app.command("json")
def json_(
    output: OutputOption,
    service: ServiceOption = None,
    as_of: AsOfOption = None,
    store_url: StoreUrlOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """The complete result as JSON (schema: report.schema.json)."""
    from assay.reports.run import json_report

    request = _request(service, as_of)
    path = _destination(output, binary=False)
    _run(workspace, store_url, request, lambda scope, _store: json_report(scope, request, path))


def verify_pack_command(
    pack_path: Path,
    store_url: str | None,
    workspace: Path | None,
    output_format: str,
    options: VerifyOptions | None = None,
    *,
    rerender: bool = False,
) -> None:
    """``assay verify PACK.pdf``: offline, and against the store when one is named or found.

    A store named by ``--store-url`` (or ``ASSAY_STORE_URL``) must be reachable; one only
    found through the workspace is skipped, with a note, when it cannot be opened.
    ``--rerender`` needs the workspace and its store, and rebuilds the pack from them.
    """
    from assay.cli.store import open_cli_store
    from assay.errors import StoreError
    from assay.reports.verify_pack import verify_pack
    from assay.workspace import open_workspace

    if rerender:
        _verify_and_rerender(pack_path, store_url, workspace, output_format, options)
        return
    explicit = store_url is not None
    ws = None if explicit else open_workspace(workspace, required=False)
    if explicit or ws is not None:
        try:
            store = open_cli_store(store_url, ws, create=False)
        except StoreError as exc:
            if explicit:
                raise
            echo(f"note: store not checked: {exc.message}", err=True)
        else:
            with store:
                check = verify_pack(
                    pack_path, store=store, store_label=f"store {store.url}", options=options
                )
            _report_check(check, output_format)
            return
    _report_check(verify_pack(pack_path, options=options), output_format)


def _verify_and_rerender(
    pack_path: Path,
    store_url: str | None,
    workspace: Path | None,
    output_format: str,
    options: VerifyOptions | None,
) -> None:
    from assay.cli.store import open_cli_store
    from assay.governance import load_governance
    from assay.reports.rerender import check_rerender
    from assay.reports.verify_pack import verify_pack
    from assay.workspace import open_workspace

    ws = open_workspace(workspace)
    governance = load_governance(ws)
    with open_cli_store(store_url, ws, create=False) as store:
        check = verify_pack(
            pack_path, store=store, store_label=f"store {store.url}", options=options
        )
        if check.manifest is not None:
            check_rerender(check.own, check, ws, governance, store)
    _report_check(check, output_format)


def _report_check(check: PackCheck, output_format: str) -> None:
    if output_format == "json":
        echo_json(check.to_dict())
    else:
        for line in (*check.problems, *check.notes):
            echo(line)
        echo(check.summary())
    if not check.ok:
        raise typer.Exit(1)
