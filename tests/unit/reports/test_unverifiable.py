"""Every report says when a control is unverifiable: what Assay could not look at, and what
it needs. The sample's CHG-01 is made unverifiable here."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from assay.controls.loader import Library
from assay.reports.gather import gather
from assay.reports.html import render_html
from assay.reports.json_report import report_document
from assay.reports.model import ServiceReport
from assay.reports.oscal import assessment_results
from assay.reports.oscal_poam import plan_of_action
from assay.reports.pdf import build_pack
from assay.reports.soa import build_workbook
from assay.reports.soa_model import ServiceAssessment
from assay.schemas import validator_for
from tests.unit.reports.oscal_schema import oscal_errors
from tests.unit.reports.sample import Sample

WHY = (
    "3 of 40 change sets on main came through pull or merge requests whose review happens "
    "on the code platform, which git cannot show, and the platform's reviews were not read: "
    "no token was given. Set ASSAY_GITHUB_TOKEN and collect again."
)
TRIGGER = {"properties": {"platform_reviews": {"properties": {"status": {"const": "no_token"}}}}}


@pytest.fixture
def unverifiable(sample: Sample) -> Sample:
    """The sample with CHG-01 unverifiable, and its test's trigger in the library."""
    results = []
    for result in sample.assessment.results:
        if result.control == "CHG-01":
            outcomes = tuple(
                replace(t, status="unverifiable", summary=WHY, reasons=()) for t in result.tests
            )
            result = replace(result, status="unverifiable", reasons=(WHY,), tests=outcomes)
        results.append(result)
    sample.assessment = replace(sample.assessment, results=tuple(results))
    controls = dict(sample.governance.library.controls)
    chg = controls["CHG-01"]
    tests = tuple(
        replace(t, unverifiable_when=TRIGGER, unverifiable_explain="not read") for t in chg.tests
    )
    controls["CHG-01"] = replace(chg, tests=tests)
    sample.governance = replace(sample.governance, library=Library(controls=controls))
    return sample


@pytest.fixture
def report(unverifiable: Sample) -> ServiceReport:
    return gather(unverifiable.sources())


def test_html_says_assay_could_not_look_and_why(report: ServiceReport) -> None:
    html = render_html(report)
    section = html.split('id="control-CHG-01"', 1)[1].split("</article>", 1)[0]
    assert "Unverifiable — Assay could not look" in section
    assert "status-unverifiable" in section
    assert WHY.replace("'", "&#39;") in section
    assert "Unverifiable, and not judged, when:" in section
    register = html.split('id="gaps"', 1)[1].split("</table>", 1)[0]
    assert any("CHG-01" in row and "unverifiable" in row for row in register.split("<tr>"))


def test_the_pdf_pack_says_it(unverifiable: Sample, report: ServiceReport) -> None:
    pack = build_pack(report, unverifiable.blob, pack_name="pack.pdf")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pack.pdf)).pages)
    flat = re.sub(r"\s+", "", text)
    assert "unverifiable" in text
    assert re.sub(r"\s+", "", "Unverifiable — Assay could not look") in flat
    assert re.sub(r"\s+", "", "the platform's reviews were not read: no token was given") in flat


def test_the_json_report_counts_and_explains_it(report: ServiceReport) -> None:
    document = report_document([report])
    assert list(validator_for("report").iter_errors(document)) == []
    (service,) = document["services"]
    assert service["assessment"]["counts"]["unverifiable"] == 1
    control = next(c for c in service["controls"] if c["id"] == "CHG-01")
    assert (control["status"], control["reasons"]) == ("unverifiable", [WHY])
    assert control["tests"][0]["unverifiable_when"] == TRIGGER
    assert control["tests"][0]["outcomes"][0]["status"] == "unverifiable"
    gaps = [g for g in service["gaps"] if g["control"] == "CHG-01"]
    assert [g["status"] for g in gaps] == ["unverifiable"]


def rows(book: Any, sheet: str) -> list[dict[str, Any]]:
    header, *body = book[sheet].iter_rows(values_only=True)
    return [dict(zip(header, row, strict=True)) for row in body]


def test_the_soa_words_it(unverifiable: Sample) -> None:
    book = load_workbook(
        io.BytesIO(
            build_workbook(
                unverifiable.governance,
                (ServiceAssessment(unverifiable.service, unverifiable.assessment),),
                generated=unverifiable.assessment.created_at,
            )
        )
    )
    annex = {row[next(iter(row))]: row for row in rows(book, "ISO 27001 SoA")}
    a832 = annex["A.8.32"]
    assert a832["Results across services"] == "Unverifiable 1"
    assert a832["Implementation status"] == "Unverifiable"  # nothing failed; Assay could not look
    assert a832["Where"] == "Unverifiable in 1: payments-api."
    assert f"payments-api CHG-01: unverifiable — Assay could not look: {WHY}" in a832["Notes"]
    (gap,) = [row for row in rows(book, "Gap register") if row["Control"] == "CHG-01"]
    assert gap["Status"] == "Unverifiable"
    assert gap["Reason"] == f"unverifiable — Assay could not look: {WHY}"


def test_oscal_finding_is_not_satisfied_and_says_why(
    unverifiable: Sample, report: ServiceReport
) -> None:
    document = assessment_results(unverifiable.governance, [report])
    assert oscal_errors(document) == []
    (result,) = document["assessment-results"]["results"]
    finding = next(f for f in result["findings"] if f["target"]["target-id"] == "CHG-01_obj")
    assert finding["target"]["status"]["state"] == "not-satisfied"
    assert finding["target"]["status"]["reason"] == "other"
    assert WHY in finding["target"]["status"]["remarks"]
    assert finding["description"] == f"unverifiable — Assay could not look: {WHY}"
    assert {"name": "status", "value": "unverifiable"}.items() <= next(
        p for p in finding["props"] if p["name"] == "status"
    ).items()
    poam = plan_of_action(unverifiable.governance, [report])
    assert oscal_errors(poam) == []
    risks = poam["plan-of-action-and-milestones"]["risks"]
    (risk,) = [r for r in risks if "CHG-01" in r["title"]]
    assert risk["title"] == "payments-api: CHG-01 Changes are reviewed is unverifiable"
    assert risk["statement"] == f"unverifiable — Assay could not look: {WHY}"
