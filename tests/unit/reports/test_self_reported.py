"""Every report labels results that rest on self-reported evidence (docs/trust.md).

The sample's OPS-01 passes on an attestation, which is self-reported; CHG-01 and SUP-01
rest on evidence Assay tested.
"""

from __future__ import annotations

import io
from dataclasses import replace

from openpyxl import load_workbook

from assay.reports.gather import gather
from assay.reports.html import render_html
from assay.reports.json_report import report_document
from assay.reports.model import ServiceReport
from assay.reports.oscal import assessment_results
from assay.reports.soa import build_workbook
from assay.reports.soa_model import ServiceAssessment
from tests.unit.reports.sample import Sample


def test_the_json_report_names_the_self_reported_kinds(report: ServiceReport) -> None:
    (service,) = report_document([report])["services"]
    controls = {c["id"]: c for c in service["controls"]}
    assert controls["OPS-01"]["self_reported"] == ["manual.attestation"]
    assert controls["OPS-01"]["tests"][0]["outcomes"][0]["self_reported"] == "manual.attestation"
    assert controls["CHG-01"]["self_reported"] == []
    assert controls["CHG-01"]["tests"][0]["outcomes"][0]["self_reported"] is None


def test_the_html_labels_the_control_and_its_outcome(report: ServiceReport) -> None:
    html = render_html(report)
    section = html.split('id="control-OPS-01"', 1)[1].split("</article>", 1)[0]
    assert section.count("self-reported: manual.attestation") == 2  # verdict and outcome
    change = html.split('id="control-CHG-01"', 1)[1].split("</article>", 1)[0]
    assert "self-reported" not in change
    assert "<h2>Trust boundaries</h2>" in html


def test_the_gap_register_labels_a_self_reported_gap(sample: Sample) -> None:
    results = tuple(
        replace(
            r,
            status="stale",
            tests=tuple(replace(t, status="stale") for t in r.tests),
            reasons=("the attestation expired",),
        )
        if r.control == "OPS-01"
        else r
        for r in sample.assessment.results
    )
    sample.assessment = replace(sample.assessment, results=results)
    report = gather(sample.sources())
    register = render_html(report).split('id="gaps"', 1)[1].split("</table>", 1)[0]
    row = next(r for r in register.split("<tr>") if "OPS-01" in r)
    assert "self-reported: manual.attestation" in row
    (gap,) = [
        g for g in report_document([report])["services"][0]["gaps"] if g["control"] == "OPS-01"
    ]
    assert gap["self_reported"] == ["manual.attestation"]
    book = load_workbook(
        io.BytesIO(
            build_workbook(
                sample.governance,
                (ServiceAssessment(sample.service, sample.assessment),),
                generated=sample.assessment.created_at,
            )
        )
    )
    gaps = list(book["Gap register"].iter_rows(values_only=True))
    (ops,) = [row for row in gaps if row[1] == "OPS-01"]
    assert ops[7] == "the attestation expired\nself-reported: rests on manual.attestation"


def test_the_soa_counts_self_reported_results(sample: Sample) -> None:
    book = load_workbook(
        io.BytesIO(
            build_workbook(
                sample.governance,
                (ServiceAssessment(sample.service, sample.assessment),),
                generated=sample.assessment.created_at,
            )
        )
    )
    header, *body = book["ISO 27001 SoA"].iter_rows(values_only=True)
    rows = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    assert rows["A.8.13"]["Results across services"] == (
        "Passed 1; 1 rests on self-reported evidence (manual.attestation)"
    )
    assert rows["A.8.32"]["Results across services"] == "Failed 1"


def test_oscal_findings_carry_a_self_reported_property(
    sample: Sample, report: ServiceReport
) -> None:
    (result,) = assessment_results(sample.governance, [report])["assessment-results"]["results"]
    findings = {f["target"]["target-id"]: f for f in result["findings"]}
    marked = [p for p in findings["OPS-01_obj"]["props"] if p["name"] == "self-reported"]
    assert [p["value"] for p in marked] == ["manual.attestation"]
    assert not [p for p in findings["CHG-01_obj"]["props"] if p["name"] == "self-reported"]
