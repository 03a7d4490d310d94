"""``assay report json``: complete, valid against its published schema, redacted."""

from __future__ import annotations

import json

from assay.reports.json_report import report_document
from assay.reports.model import ServiceReport
from assay.reports.output import json_bytes
from assay.schemas import validator_for
from tests.unit.reports.sample import AWS_KEY


def test_the_document_is_valid_against_its_schema(report: ServiceReport) -> None:
    document = json.loads(json_bytes(report_document([report])))
    errors = [
        f"{list(e.absolute_path)}: {e.message}"
        for e in validator_for("report").iter_errors(document)
    ]
    assert errors == []


def test_the_schema_refuses_what_it_should(report: ServiceReport) -> None:
    document = json.loads(json_bytes(report_document([report])))
    document["services"][0]["controls"][0]["status"] = "maybe"
    assert list(validator_for("report").iter_errors(document))


def test_it_holds_everything_the_pack_shows(report: ServiceReport) -> None:
    (service,) = report_document([report])["services"]
    assert service["assessment"]["hash"] == report.assessment.hash
    assert [c["id"] for c in service["controls"]] == ["CHG-01", "SUP-01", "OPS-01", "AI-01"]
    assert [g["control"] for g in service["gaps"]] == ["CHG-01", "SUP-01"]
    assert service["waivers"][0]["expires"] == "2026-03-20"
    assert service["attestations"][0]["signer"] == "Priya Raman, Ops lead"
    assert [f["id"] for f in service["frameworks"]] == [
        "iso27001-2022",
        "nist-ai-rmf-1.0",
        "uk-service-standard",
    ]
    assert len(service["evidence"]) == 3
    assert [p["pass_ratio"] for p in service["trend"]] == [0.6667, 0.3333]
    chg = service["controls"][0]
    assert chg["tests"][0]["expectation_text"] == [
        "review_ratio is at least 0.95",
        "change_sets is at least 1",
    ]


def test_free_text_is_redacted_and_hashes_are_not(report: ServiceReport) -> None:
    text = json_bytes(report_document([report])).decode()
    assert AWS_KEY not in text
    assert "[REDACTED:aws-access-key]" in text
    for row in report.evidence:
        assert row.id in text
