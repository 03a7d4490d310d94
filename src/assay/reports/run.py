"""Producing each report file from a :class:`~assay.reports.sources.Scope`.

One function per report; each gathers the view model, renders, and writes the file
atomically (see :mod:`assay.reports.output`), returning a one-line description. The
destination is checked before any slow rendering, so a bad ``-o`` fails at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from assay.reports.gather import ReportOptions, gather
from assay.reports.model import ServiceReport
from assay.reports.output import check_destination, write_atomic
from assay.reports.sources import ReportRequest, ReportStore, Scope, require_assessed

if TYPE_CHECKING:
    from assay.reports.gather import ReportSources
    from assay.reports.oscal_actors import OscalSystem
    from assay.reports.sign import SignOptions
    from assay.reports.soa_decisions import Decisions
    from assay.reports.soa_model import ServiceAssessment
    from assay.workspace import Service


@dataclass(frozen=True)
class Written:
    """What was written, for the command's confirmation line."""

    path: Path | None
    data: bytes
    summary: str


def _emit(path: Path | None, data: bytes, summary: str) -> Written:
    if path is not None:
        write_atomic(path, data)
    return Written(path, data, summary)


def _reports(scope: Scope, request: ReportRequest) -> list[ServiceReport]:
    options = ReportOptions(max_attachment_bytes=request.max_attachment_bytes)
    return [gather(sources, options) for sources in require_assessed(scope)]


def html_report(scope: Scope, request: ReportRequest, path: Path | None) -> Written:
    from assay.reports.html import render_html

    if path is not None:
        check_destination(path)
    (report,) = _reports(scope, request)[:1]
    data = render_html(report).encode("utf-8")
    return _emit(path, data, f"HTML report of {report.facts.service}")


def pack_report(
    scope: Scope,
    request: ReportRequest,
    store: ReportStore,
    path: Path,
    *,
    sign: SignOptions | None = None,
) -> Written:
    from assay.reports.ledger_proof import with_ledger
    from assay.reports.pdf import build_pack

    check_destination(path)
    sources = with_ledger(require_assessed(scope)[0], store)
    report = gather(sources, ReportOptions(max_attachment_bytes=request.max_attachment_bytes))

    def blob(sha256: str) -> bytes | None:
        from assay.errors import StoreError

        try:
            return store.blob(sha256)
        except StoreError:
            return None

    pack = build_pack(
        report,
        blob,
        pack_name=path.name,
        signed=sign is not None,
        attachment_limit=request.max_attachment_bytes,
    )
    attached = len(pack.manifest["attachments"]) + 1
    pdf = pack.pdf
    signed = ""
    if sign is not None:
        from assay.reports.sign import sign_pdf

        pdf = sign_pdf(pdf, sign)
        signed = ", signed"
    return _emit(
        path,
        pdf,
        f"evidence pack of {report.facts.service}: {attached} attachments, "
        f"manifest sha256 {pack.manifest_sha256}{signed}",
    )


def _soa_item(service: Service, sources: ReportSources | None) -> ServiceAssessment:
    """A service's SoA entry: its assessment, graded findings and exclusions."""
    from assay.reports.exclusions import exclusions_for
    from assay.reports.findings import findings_for
    from assay.reports.soa_model import ServiceAssessment

    if sources is None:
        return ServiceAssessment(service, None)
    assessment = sources.assessment
    governance = sources.governance
    return ServiceAssessment(
        service,
        assessment,
        findings=findings_for(
            assessment, governance, service=service, people=sources.people, actions=sources.actions
        ),
        exclusions=exclusions_for(assessment, governance.library, service),
    )


def soa_report(
    scope: Scope, path: Path, *, decisions: Decisions | None = None, organisation: str = ""
) -> Written:
    from assay.reports.soa import build_workbook

    check_destination(path)
    items = [_soa_item(service, sources) for service, sources in scope.services]
    data = build_workbook(
        scope.governance,
        items,
        generated=datetime.now(UTC),
        decisions=decisions,
        organisation=organisation,
    )
    return _emit(path, data, f"Statement of Applicability for {len(items)} service(s)")


def oscal_report(
    scope: Scope,
    request: ReportRequest,
    path: Path | None,
    *,
    poam: bool,
    system: OscalSystem | None = None,
) -> Written:
    """Assessment results (importing ``assessment-plan.json``) or, with ``poam``, the
    plan of action and milestones (importing ``ssp.json``)."""
    from assay.reports.oscal import assessment_results
    from assay.reports.oscal_poam import plan_of_action
    from assay.reports.output import json_bytes

    if path is not None:
        check_destination(path)
    reports = _reports(scope, request)
    if poam:
        document = plan_of_action(scope.governance, reports, system)
        items = len(document["plan-of-action-and-milestones"]["poam-items"])
        summary = f"OSCAL plan of action and milestones: {items} item(s)"
    else:
        document = assessment_results(scope.governance, reports, system)
        summary = f"OSCAL assessment results for {len(reports)} service(s)"
    return _emit(path, json_bytes(document), summary)


def oscal_plan_report(
    scope: Scope, request: ReportRequest, path: Path | None, system: OscalSystem | None = None
) -> Written:
    """The OSCAL assessment plan the assessment results import."""
    from assay.reports.oscal_actors import OscalSystem
    from assay.reports.oscal_plan import assessment_plan
    from assay.reports.output import json_bytes

    if path is not None:
        check_destination(path)
    reports = _reports(scope, request)
    document = assessment_plan(scope.governance, reports, system or OscalSystem())
    tasks = len(document["assessment-plan"].get("tasks", []))
    return _emit(path, json_bytes(document), f"OSCAL assessment plan: {tasks} task(s)")


def oscal_ssp_report(
    scope: Scope, request: ReportRequest, path: Path | None, system: OscalSystem | None = None
) -> Written:
    """The minimal OSCAL system security plan the plan and the POA&M import."""
    from assay.reports.oscal_actors import OscalSystem
    from assay.reports.oscal_ssp import system_security_plan
    from assay.reports.output import json_bytes

    if path is not None:
        check_destination(path)
    reports = _reports(scope, request)
    document = system_security_plan(scope.governance, reports, system or OscalSystem())
    return _emit(
        path, json_bytes(document), f"OSCAL system security plan of {len(reports)} service(s)"
    )


def json_report(scope: Scope, request: ReportRequest, path: Path | None) -> Written:
    from assay.reports.json_report import report_document
    from assay.reports.output import json_bytes

    if path is not None:
        check_destination(path)
    reports = _reports(scope, request)
    return _emit(
        path, json_bytes(report_document(reports)), f"JSON report of {len(reports)} service(s)"
    )
