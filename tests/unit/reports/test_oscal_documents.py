"""The OSCAL document set: plan, results, POA&M, SSP and catalog agree with each other.

Every reference one document makes (observations, risks, findings, subjects, actors,
roles, parties, activities, catalog objectives, imported files) resolves in the set.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from assay.assess.model import TestOutcome
from assay.reports.gather import gather
from assay.reports.model import ServiceReport
from assay.reports.oscal import assessment_results
from assay.reports.oscal_actors import PLAN_FILE, SSP_FILE, OscalSystem
from assay.reports.oscal_catalog import CATALOG_FILE, catalog_document
from assay.reports.oscal_plan import assessment_plan
from assay.reports.oscal_poam import plan_of_action
from assay.reports.oscal_risks import DEADLINE_DAYS
from assay.reports.oscal_ssp import system_security_plan
from tests.unit.reports.oscal_schema import oscal_errors
from tests.unit.reports.sample import Sample

SYSTEM = OscalSystem(name="Payments", organisation="Example Organisation")
WHEN = datetime(2026, 3, 1, tzinfo=UTC)


def with_gap(sample: Sample) -> ServiceReport:
    """The sample with CHG-01 a gap: no git.history evidence was ever collected."""
    results = []
    for result in sample.assessment.results:
        if result.control == "CHG-01":
            outcome = TestOutcome("reviewed", "git.history", "repo:api", "gap", "no evidence")
            result = replace(
                result,
                status="gap",
                reasons=("no git.history evidence",),
                evidence_ids=(),
                tests=(outcome,),
            )
        results.append(result)
    sample.assessment = replace(sample.assessment, results=tuple(results))
    return gather(sample.sources())


def documents(sample: Sample, report: ServiceReport) -> dict[str, dict[str, Any]]:
    reports = [report]
    governance = sample.governance
    return {
        CATALOG_FILE: catalog_document(governance, WHEN),
        SSP_FILE: system_security_plan(governance, reports, SYSTEM),
        PLAN_FILE: assessment_plan(governance, reports, SYSTEM),
        "assessment-results.json": assessment_results(governance, reports, SYSTEM),
        "poam.json": plan_of_action(governance, reports, SYSTEM),
    }


@pytest.fixture
def docs(sample: Sample) -> dict[str, dict[str, Any]]:
    return documents(sample, with_gap(sample))


def body(document: dict[str, Any]) -> dict[str, Any]:
    (inner,) = document.values()
    result: dict[str, Any] = inner
    return result


def walk(node: Any, key: str) -> Iterator[Any]:
    """Every value stored under ``key`` anywhere in ``node``."""
    if isinstance(node, dict):
        for name, value in node.items():
            if name == key:
                yield value
            yield from walk(value, key)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item, key)


def test_every_document_is_valid(docs: dict[str, dict[str, Any]]) -> None:
    assert set(docs) == {CATALOG_FILE, SSP_FILE, PLAN_FILE, "assessment-results.json", "poam.json"}
    for name, document in docs.items():
        assert oscal_errors(document) == [], name


def test_the_imports_name_the_files_and_the_plan(docs: dict[str, dict[str, Any]]) -> None:
    results, plan = body(docs["assessment-results.json"]), body(docs[PLAN_FILE])
    assert results["import-ap"]["href"] == PLAN_FILE
    assert plan["uuid"] in results["import-ap"]["remarks"]
    assert plan["import-ssp"]["href"] == SSP_FILE
    poam, ssp = body(docs["poam.json"]), body(docs[SSP_FILE])
    assert poam["import-ssp"]["href"] == SSP_FILE
    assert body(docs[SSP_FILE])["import-profile"]["href"] == CATALOG_FILE
    (system_id,) = ssp["system-characteristics"]["system-ids"]
    assert poam["system-id"] == system_id == SYSTEM.system_id()


def test_every_reference_resolves_in_the_set(docs: dict[str, dict[str, Any]]) -> None:
    defined = {uuid for document in docs.values() for uuid in walk(document, "uuid")}
    for key in (
        "observation-uuid",
        "risk-uuid",
        "finding-uuid",
        "subject-uuid",
        "actor-uuid",
        "component-uuid",
        "activity-uuid",
    ):
        for name, document in docs.items():
            for value in walk(document, key):
                assert value in defined, (name, key, value)
    for name, document in docs.items():
        meta = body(document)["metadata"]
        roles = {role["id"] for role in meta.get("roles", [])}
        parties = {party["uuid"] for party in meta.get("parties", [])}
        for role in walk(body(document), "role-id"):
            assert role in roles, (name, role)
        for uuids in walk(body(document), "party-uuids"):
            assert set(uuids) <= parties, name


def test_subjects_are_the_ssp_services_and_repositories(docs: dict[str, dict[str, Any]]) -> None:
    implementation = body(docs[SSP_FILE])["system-implementation"]
    (service,) = implementation["components"]
    assert (service["type"], service["title"]) == ("service", "Payments API (payments-api)")
    items = {item["uuid"]: item["description"] for item in implementation["inventory-items"]}
    assert list(items.values()) == [
        "Repository api: https://git.example.org/payments/api (main) of payments-api"
    ]
    ssp_uuids = {service["uuid"], *items}
    plan = body(docs[PLAN_FILE])
    planned = {
        ref["subject-uuid"]
        for sel in plan["assessment-subjects"]
        for ref in sel["include-subjects"]
    }
    assert planned == ssp_uuids
    fresh = Sample()
    results = assessment_results(fresh.governance, [gather(fresh.sources())], SYSTEM)
    (result,) = body(results)["results"]
    history = next(o for o in result["observations"] if "git.history" in o["title"])
    assert history["subjects"] == [
        {"subject-uuid": service["uuid"], "type": "component"},
        {
            "subject-uuid": next(u for u, d in items.items() if d.startswith("Repository")),
            "type": "inventory-item",
        },
    ]


def test_findings_target_objectives_of_the_exported_catalog(
    docs: dict[str, dict[str, Any]],
) -> None:
    objectives = {
        part["id"]
        for part in walk(body(docs[CATALOG_FILE]), "parts")
        for part in part
        if part["name"] == "assessment-objective"
    }
    (result,) = body(docs["assessment-results.json"])["results"]
    targets = [f["target"] for f in result["findings"]]
    assert {t["target-id"] for t in targets} == {"CHG-01_obj", "SUP-01_obj", "OPS-01_obj"}
    for target in targets:
        assert target["type"] == "objective-id"
        assert target["target-id"] in objectives
    selected = body(docs[PLAN_FILE])["reviewed-controls"]["control-objective-selections"]
    assert {o["objective-id"] for o in selected[0]["include-objectives"]} <= objectives


def test_every_finding_has_an_observation_saying_what_was_missing(
    docs: dict[str, dict[str, Any]],
) -> None:
    (result,) = body(docs["assessment-results.json"])["results"]
    observations = {o["uuid"]: o for o in result["observations"]}
    for finding in result["findings"]:
        assert finding["related-observations"], finding["title"]
        assert finding["origins"][0]["actors"][0]["type"] == "tool"
    gap = next(f for f in result["findings"] if f["target"]["target-id"] == "CHG-01_obj")
    behind = observations[gap["related-observations"][0]["observation-uuid"]]
    assert "relevant-evidence" not in behind  # nothing was there to cite
    assert "No evidence of kind git.history was recorded for payments-api" in behind["description"]
    assert {"name": "missing-evidence-kind", "value": "git.history"}.items() <= next(
        p for p in behind["props"] if p["name"] == "missing-evidence-kind"
    ).items()
    assert behind["methods"] == ["TEST"]
    assert "never collected" in behind["remarks"]


def test_an_observation_behind_a_failure_cites_its_evidence(
    sample: Sample, report: ServiceReport
) -> None:
    (result,) = body(assessment_results(sample.governance, [report], SYSTEM))["results"]
    fail = next(f for f in result["findings"] if f["target"]["target-id"] == "CHG-01_obj")
    behind = next(
        o
        for o in result["observations"]
        if o["uuid"] == fail["related-observations"][0]["observation-uuid"]
    )
    evidence = report.controls[0].evidence[0].id
    assert [e["href"] for e in behind["relevant-evidence"]] == [f"urn:assay:evidence:{evidence}"]
    assert "test reviewed on repo:api: fail" in behind["description"]
    assert f"(evidence {evidence})" in behind["description"]


def test_risks_have_deadlines_by_severity_milestones_and_owners(
    sample: Sample, docs: dict[str, dict[str, Any]]
) -> None:
    poam = body(docs["poam.json"])
    created = sample.assessment.created_at
    risks = {r["title"].split()[1]: r for r in poam["risks"]}
    assert set(risks) == {"CHG-01", "SUP-01"}
    gap = risks["CHG-01"]  # high severity, not waived: 30 days from the assessment
    assert DEADLINE_DAYS["high"] == 30
    expected = (created + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S")
    assert gap["deadline"].startswith(expected)
    assert gap["status"] == "open"
    assert risks["SUP-01"]["deadline"] == "2026-03-20T23:59:59Z"  # the waiver's last moment
    assert risks["SUP-01"]["status"] == "deviation-approved"
    (remediation,) = gap["remediations"]
    action, milestone = remediation["tasks"]
    assert (action["type"], milestone["type"]) == ("action", "milestone")
    assert milestone["timing"]["on-date"]["date"] == gap["deadline"]
    roles = [r["role-id"] for r in milestone["responsible-roles"]]
    assert roles == ["control-owner-engineering-lead", "service-owner"]
    owners = {p["name"] for p in poam["metadata"]["parties"]}
    assert owners == {"Example Organisation", "payments-team@example.org"}
    facets = {f["name"]: f["value"] for f in gap["characterizations"][0]["facets"]}
    assert facets == {"impact": "high", "assay-status": "gap"}
    items = poam["poam-items"]
    assert {i["related-risks"][0]["risk-uuid"] for i in items} == {r["uuid"] for r in poam["risks"]}
    results = body(docs["assessment-results.json"])["results"][0]
    assert {r["uuid"] for r in results["risks"]} == {r["uuid"] for r in poam["risks"]}


def test_the_plan_lists_activities_and_a_task_per_service(
    docs: dict[str, dict[str, Any]],
) -> None:
    plan = body(docs[PLAN_FILE])
    activities = plan["local-definitions"]["activities"]
    kinds = {p["value"] for a in activities for p in a["props"] if p["name"] == "evidence-kind"}
    assert kinds == {"git.history", "sbom", "manual.attestation"}
    (task,) = plan["tasks"]
    assert task["title"] == "Assess Payments API (payments-api)"
    assert len(task["associated-activities"]) == len(activities)
    controls = [
        c["control-id"]
        for c in plan["reviewed-controls"]["control-selections"][0]["include-controls"]
    ]
    assert controls == ["CHG-01", "OPS-01", "SUP-01"]  # AI-01 does not apply


def test_the_set_is_stable_and_follows_its_inputs(sample: Sample) -> None:
    report = gather(sample.sources())
    first = json.dumps(documents(sample, report), sort_keys=True)
    assert first == json.dumps(documents(Sample(), gather(Sample().sources())), sort_keys=True)
    other = OscalSystem(name="Payments", organisation="Another Organisation")
    assert other.system_id() != SYSTEM.system_id()
    changed = documents(sample, with_gap(sample))
    assert (
        body(changed["assessment-results.json"])["uuid"]
        != json.loads(first)["assessment-results.json"]["assessment-results"]["uuid"]
    )
