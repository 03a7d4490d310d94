"""Graded findings, corrective actions, the basis of results and the controls that do not
apply: in the view model, the JSON report, the pack, the SoA and OSCAL."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from assay.assess.corrective import CorrectiveAction
from assay.assess.model import TestOutcome
from assay.controls.loader import Library
from assay.controls.model import Applicability
from assay.people import People, Person
from assay.reports.findings import (
    DEADLINE_DAYS,
    MAJOR,
    MINOR,
    OFI,
    due_by,
    grade,
    resolve_owner,
)
from assay.reports.gather import gather
from assay.reports.html import render_html
from assay.reports.json_report import report_document
from assay.reports.model import ServiceReport
from assay.reports.oscal import assessment_results
from assay.reports.oscal_poam import plan_of_action
from assay.reports.output import json_bytes
from assay.reports.run import _soa_item
from assay.reports.soa import build_workbook
from assay.reports.soa_model import ServiceAssessment
from assay.schemas import validator_for
from tests.unit.reports.oscal_schema import oscal_errors
from tests.unit.reports.sample import CREATED, Sample

GRACE = Person("Grace Hopper", "grace@example.org", frozenset({"engineering-lead"}))
ALAN = Person("Alan Turing", "alan@example.org", frozenset({"engineering-lead", "ciso"}))
PEOPLE = People(
    roles={"engineering-lead": "Engineering lead", "ciso": "Chief information security officer"},
    people=(GRACE, ALAN),
)
ACTION = CorrectiveAction(
    service="payments-api",
    control="CHG-01",
    root_cause="Branch protection was switched off during an incident.",
    action="Restore branch protection and check it weekly.",
    owner="alan@example.org",
    due=date(2026, 3, 15),
    verification="CHG-01 passes on fresh evidence.",
    status="in-progress",
    ticket="SEC-2",
    source="corrective-actions/chg-01.yaml",
)


def with_rule_excluded(sample: Sample) -> None:
    """Add a control only AI services get: the assessment has no result for it."""
    base = sample.governance.library.controls["AI-01"]
    extra = replace(
        base, id="AI-02", title="Models are evaluated", applicability=Applicability(("ai",))
    )
    controls = {**sample.governance.library.controls, "AI-02": extra}
    sample.governance = replace(sample.governance, library=Library(controls=controls))


def full_report(sample: Sample) -> ServiceReport:
    with_rule_excluded(sample)
    sources = replace(sample.sources(), people=PEOPLE, actions=(ACTION,))
    return gather(sources)


@pytest.mark.parametrize(
    ("status", "severity", "requirement", "expected"),
    [
        ("fail", "high", True, MAJOR),
        ("gap", "critical", True, MAJOR),
        ("error", "high", True, MAJOR),
        ("fail", "high", False, MINOR),
        ("fail", "medium", True, MINOR),
        ("gap", "low", True, MINOR),
        ("fail", "low", False, OFI),
        ("stale", "critical", True, MINOR),
        ("unverifiable", "high", True, MINOR),
        ("stale", "high", False, OFI),
        ("unverifiable", "medium", True, OFI),
    ],
)
def test_the_grading_rules(status: str, severity: str, requirement: bool, expected: str) -> None:
    assert grade(status, severity, requirement) == expected


def test_due_dates_follow_the_severity() -> None:
    for severity, days in DEADLINE_DAYS.items():
        assert due_by(severity, CREATED) - CREATED == timedelta(days=days)
    assert due_by("unheard-of", CREATED) - CREATED == timedelta(days=90)


def test_the_owner_is_the_person_holding_the_role(sample: Sample) -> None:
    service = sample.service
    assert resolve_owner("Engineering lead", service, PEOPLE) == GRACE.label  # first listed
    assert resolve_owner("Chief Information Security Officer", service, PEOPLE) == ALAN.label
    assert resolve_owner("Head of IT", service, PEOPLE) == "Head of IT"  # nobody holds it
    assert resolve_owner("Engineering lead", service, None) == "Engineering lead"
    assert resolve_owner("Service owner", service, PEOPLE) == service.owner


def test_every_non_passing_result_is_a_graded_finding(sample: Sample) -> None:
    report = full_report(sample)
    found = {f.control: f for f in report.findings}
    assert set(found) == {"CHG-01", "SUP-01"}  # OPS-01 passed, AI-01 does not apply
    chg = found["CHG-01"]  # fail, high, linked 'equal' to A.8.32
    assert chg.grade == MAJOR
    assert chg.due == CREATED + timedelta(days=DEADLINE_DAYS["high"])
    assert chg.owner == ALAN.label  # the corrective action's owner
    assert chg.action == ACTION
    sup = found["SUP-01"]  # waived over a fail, medium, linked 'subset' only
    assert (sup.grade, sup.graded_status, sup.status) == (MINOR, "fail", "waived")
    assert sup.due_date == date(2026, 3, 20) == sup.waived_until
    assert sup.owner == GRACE.label
    assert report.grade_counts == {MAJOR: 1, MINOR: 1, OFI: 0}
    assert [f.control for f in report.findings] == ["CHG-01", "SUP-01"]  # most serious first


def test_an_open_action_past_its_date_is_overdue() -> None:
    assert ACTION.overdue(date(2026, 3, 16))
    assert not ACTION.overdue(date(2026, 3, 15))
    assert not replace(ACTION, status="done").overdue(date(2027, 1, 1))


def test_every_excluded_control_says_why(sample: Sample) -> None:
    report = full_report(sample)
    excluded = {e.control: e for e in report.exclusions}
    assert set(excluded) == {"AI-01", "AI-02"}
    assert excluded["AI-01"].by == "service constitution"
    assert excluded["AI-01"].reason == "The service has no AI component."
    assert excluded["AI-02"].by == "applicability rule"
    assert "services tagged ai" in excluded["AI-02"].reason
    assert "tags internet-facing, pii" in excluded["AI-02"].reason


def test_each_result_has_its_basis(sample: Sample) -> None:
    report = gather(sample.sources())
    basis = {c.id: c.basis for c in report.controls}
    # OPS-01 rests on an unsigned attestation: self-reported, never attested.
    assert basis == {
        "CHG-01": "tested",
        "SUP-01": "tested",
        "OPS-01": "self-reported",
        "AI-01": "none",
    }
    assert report.basis_counts["self-reported"] == 1
    assert report.basis_counts["tested"] == 2
    ops = sample.assessment.result("OPS-01")
    assert ops is not None
    signed = replace(ops.tests[0], self_reported=None, signed_by=GRACE.label)
    assert replace(ops, tests=(signed,)).basis == "attested"
    tested = TestOutcome("t", "git.history", "repo:api", "pass", evidence_id="e" * 64)
    assert replace(ops, tests=(signed, tested)).basis == "both"


def test_the_json_report_carries_findings_exclusions_and_basis(sample: Sample) -> None:
    report = full_report(sample)
    document = json.loads(json_bytes(report_document([report])))
    assert list(validator_for("report").iter_errors(document)) == []
    (service,) = document["services"]
    chg = service["findings"][0]
    assert (chg["control"], chg["grade"], chg["due"]) == ("CHG-01", MAJOR, "2026-03-31")
    assert chg["corrective_action"]["root_cause"] == ACTION.root_cause
    assert chg["corrective_action"]["overdue"] is False
    assert [e["control"] for e in service["not_applicable"]] == ["AI-01", "AI-02"]
    assert {c["id"]: c["basis"] for c in service["controls"]}["OPS-01"] == "self-reported"
    assert service["signer_concentration"] is None


def test_the_pack_lists_findings_actions_and_exclusions(sample: Sample) -> None:
    html = render_html(full_report(sample))
    part = html[html.index('id="findings"') : html.index('id="frameworks"')]
    assert part.index("CHG-01") < part.index("SUP-01")
    assert MAJOR in part
    assert MINOR in part
    assert "Restore branch protection and check it weekly." in part
    assert "Alan Turing" in part
    assert "none recorded" in part  # SUP-01 has no corrective action
    assert "services tagged ai" in part
    assert "2 not applicable" in html


def test_the_soa_gap_register_grades_and_lists_exclusions(sample: Sample) -> None:
    with_rule_excluded(sample)
    sources = replace(sample.sources(), people=PEOPLE, actions=(ACTION,))
    item = _soa_item(sample.service, sources)
    data = build_workbook(sample.governance, [item], generated=CREATED)
    book = load_workbook(io.BytesIO(data))
    header, *rows = book["Gap register"].iter_rows(values_only=True)
    gaps = {row[1]: dict(zip(header, row, strict=True)) for row in rows}
    assert gaps["CHG-01"]["Grade"] == MAJOR
    assert gaps["CHG-01"]["Accountable"] == ALAN.label
    assert gaps["CHG-01"]["Due"] == "2026-03-31"
    assert "Restore branch protection" in str(gaps["CHG-01"]["Corrective action"])
    assert gaps["SUP-01"]["Corrective action"] == "none recorded"
    header, *rows = book["Not applicable"].iter_rows(values_only=True)
    assert [(row[1], row[3]) for row in rows] == [
        ("AI-01", "service constitution"),
        ("AI-02", "applicability rule"),
    ]


def test_oscal_carries_grades_actions_and_exclusions(sample: Sample) -> None:
    report = full_report(sample)
    poam = plan_of_action(sample.governance, [report], None)
    assert oscal_errors(poam) == []
    risks = {r["title"].split()[1]: r for r in poam["plan-of-action-and-milestones"]["risks"]}
    props = {p["name"]: p["value"] for p in risks["CHG-01"]["props"]}
    assert props["finding-grade"] == MAJOR
    assert props["finding-owner"] == ALAN.label
    tasks = risks["CHG-01"]["remediations"][0]["tasks"]
    action = tasks[-1]
    assert action["type"] == "milestone"
    assert action["timing"]["on-date"]["date"].startswith("2026-03-15")
    assert len(risks["SUP-01"]["remediations"][0]["tasks"]) == 2  # no action recorded
    results = assessment_results(sample.governance, [report], None)
    assert oscal_errors(results) == []
    (result,) = results["assessment-results"]["results"]
    (selection,) = result["reviewed-controls"]["control-selections"]
    assert [c["control-id"] for c in selection["exclude-controls"]] == ["AI-01", "AI-02"]
    reasons = {p["value"]: p["remarks"] for p in selection["props"]}
    assert "applicability rule" in reasons["AI-02"]


def test_the_soa_never_shows_an_attested_requirement_as_tested(sample: Sample) -> None:
    results = []
    for result in sample.assessment.results:
        if result.control == "OPS-01":
            signed = replace(result.tests[0], self_reported=None, signed_by=GRACE.label)
            result = replace(result, tests=(signed,))
        results.append(result)
    assessment = replace(sample.assessment, results=tuple(results))
    scope = [ServiceAssessment(sample.service, assessment)]
    data = build_workbook(sample.governance, scope, generated=CREATED)
    header, *rows = load_workbook(io.BytesIO(data))["ISO 27001 SoA"].iter_rows(values_only=True)
    soa = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    backups = soa["A.8.13"]  # OPS-01 alone, attested
    assert str(backups["Results across services"]).endswith("; basis: attested 1")
    assert "Not tested: the results rest on statements alone." in str(backups["Notes"])
    change = soa["A.8.32"]  # CHG-01, tested
    assert "Not tested" not in str(change["Notes"])
    assert "basis:" not in str(change["Results across services"])
