"""OSCAL documents validate against NIST's 1.2.1 schemas, with ECMA regex semantics."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from assay.reports.model import ServiceReport
from assay.reports.oscal import assessment_results
from assay.reports.oscal_catalog import catalog_document, component_document, export_library
from assay.reports.oscal_common import token
from assay.reports.oscal_poam import plan_of_action
from tests.support.paths import DATA
from tests.unit.reports.oscal_schema import ecma_to_python, oscal_errors
from tests.unit.reports.sample import AWS_KEY, Sample

WHEN = datetime(2026, 3, 1, tzinfo=UTC)
EXAMPLES = DATA / "oscal" / "examples"


def results(sample: Sample, report: ServiceReport) -> dict[str, Any]:
    return assessment_results(sample.governance, [report])


def test_assessment_results_are_valid(sample: Sample, report: ServiceReport) -> None:
    assert oscal_errors(results(sample, report)) == []


def test_poam_is_valid(sample: Sample, report: ServiceReport) -> None:
    assert oscal_errors(plan_of_action(sample.governance, [report])) == []


def test_catalog_and_component_definition_are_valid(sample: Sample) -> None:
    assert oscal_errors(catalog_document(sample.governance, WHEN)) == []
    assert oscal_errors(component_document(sample.governance, WHEN)) == []


def test_the_built_in_library_exports_valid_documents(tmp_path: Path) -> None:
    from assay.governance import load_governance

    written = export_library(load_governance(None), tmp_path / "oscal", WHEN)
    assert [p.name for p in written] == ["catalog.json", "component-definition.json"]
    for path in written:
        assert oscal_errors(json.loads(path.read_text("utf-8"))) == []


def test_observations_carry_collected_expires_and_hashes(
    sample: Sample, report: ServiceReport
) -> None:
    (result,) = results(sample, report)["assessment-results"]["results"]
    history = next(o for o in result["observations"] if "git.history" in o["title"])
    evidence = report.controls[0].evidence[0]
    assert history["collected"] == "2026-02-28T11:00:00Z"
    assert history["expires"] == "2026-03-30T11:00:00Z"  # P30D freshness
    props = {p["name"]: p["value"] for p in history["props"]}
    assert props["evidence-sha256"] == evidence.id
    assert props["commit"] == evidence.commit
    assert history["methods"] == ["TEST"]
    sbom = next(o for o in result["observations"] if "sbom" in o["title"])
    hashes = [
        p["value"] for ev in sbom["relevant-evidence"] for p in ev["props"] if p["name"] == "sha256"
    ]
    assert len(hashes) == 3  # the record and its two artefacts


def test_findings_per_control(sample: Sample, report: ServiceReport) -> None:
    (result,) = results(sample, report)["assessment-results"]["results"]
    states = {f["target"]["target-id"]: f["target"]["status"] for f in result["findings"]}
    assert states == {
        "CHG-01_obj": {"state": "not-satisfied", "reason": "fail"},
        "SUP-01_obj": {"state": "not-satisfied", "reason": "other"},
        "OPS-01_obj": {"state": "satisfied", "reason": "pass"},
    }
    selection = result["reviewed-controls"]["control-selections"][0]
    assert selection["exclude-controls"] == [{"control-id": "AI-01"}]
    observed = {o["uuid"] for o in result["observations"]}
    for finding in result["findings"]:
        for link in finding["related-observations"]:
            assert link["observation-uuid"] in observed


def test_poam_items_for_open_gaps_only(sample: Sample, report: ServiceReport) -> None:
    poam = plan_of_action(sample.governance, [report])["plan-of-action-and-milestones"]
    titles = [item["title"] for item in poam["poam-items"]]
    assert titles == [
        "CHG-01 Changes are reviewed (payments-api)",
        "SUP-01 An SBOM is produced (payments-api)",
    ]
    waived = next(r for r in poam["risks"] if "SUP-01" in r["title"])
    assert waived["status"] == "deviation-approved"
    assert waived["deadline"] == "2026-03-20T23:59:59Z"
    assert waived["remediations"][0]["description"] == "Produce an SBOM."


def test_documents_are_deterministic_and_redacted(sample: Sample, report: ServiceReport) -> None:
    first = json.dumps(results(sample, report))
    assert first == json.dumps(results(sample, report))
    assert AWS_KEY not in first
    assert "[REDACTED:aws-access-key]" in first


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GOVERN 1.6", "govern-1.6"),
        ("4.1", "id-4.1"),
        ("point 14", "point-14"),
        ("A.8.32", "a.8.32"),
        ("contrôle: 1", "contrôle-1"),
    ],
)
def test_tokens(text: str, expected: str) -> None:
    assert token(text) == expected


# ---- the validator itself must not be lenient -------------------------------------------


def minimal() -> dict[str, Any]:
    """The smallest valid assessment-results document."""
    return {
        "assessment-results": {
            "uuid": "0b6e7e02-5b0e-4c3e-9d3c-6f4b2a1c9e10",
            "metadata": {
                "title": "Minimal results",
                "last-modified": "2026-01-15T10:30:00Z",
                "version": "1.0",
                "oscal-version": "1.2.1",
            },
            "import-ap": {"href": "#plan"},
            "results": [
                {
                    "uuid": "3d6c1f0a-2b4e-4f8a-9c1d-5e7f9a0b1c2d",
                    "title": "Checks",
                    "description": "Automated checks.",
                    "start": "2026-01-15T10:00:00Z",
                    "reviewed-controls": {"control-selections": [{"include-all": {}}]},
                }
            ],
        }
    }


def with_finding() -> dict[str, Any]:
    document = minimal()
    document["assessment-results"]["results"][0]["findings"] = [
        {
            "uuid": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
            "title": "A finding",
            "description": "What was found.",
            "target": {
                "type": "objective-id",
                "target-id": "ac-1",
                "status": {"state": "satisfied"},
            },
        }
    ]
    return document


def test_the_minimal_documents_are_valid() -> None:
    assert oscal_errors(minimal()) == []
    assert oscal_errors(with_finding()) == []


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.json")))
def test_nist_examples_validate(example: str) -> None:
    document = json.loads((EXAMPLES / example).read_text())
    assert oscal_errors(document) == []


def test_the_examples_are_there() -> None:
    assert len(list(EXAMPLES.glob("*.json"))) == 6


def _mutate(document: dict[str, Any], path: list[str | int], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    node: Any = changed
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return changed


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["uuid"], "5f1a3c2e-8b7d-1e6f-9a0b-1c2d3e4f5a6b", "does not match"),  # version 1
        (["metadata", "last-modified"], "2026-01-15T10:30:00", "does not match"),  # no zone
        (["metadata", "last-modified"], "1850-01-15T10:30:00Z", "does not match"),
        (["metadata", "title"], "a title\n", "does not match"),  # ECMA $: end of input
        (["metadata", "version"], " 2.3.0", "does not match"),
        (["metadata", "version"], "2.3.0\r", "does not match"),  # ECMA .: no \r
        (["results"], [], "should be non-empty"),
        (["import-ap", "href"], "a b\\c", "is not a 'uri-reference'"),
        (["extra"], 1, "Additional properties"),
    ],
)
def test_the_validator_rejects_what_the_schema_forbids(
    path: list[str | int], value: Any, message: str
) -> None:
    document = {"assessment-results": _mutate(minimal()["assessment-results"], path, value)}
    errors = oscal_errors(document)
    assert errors
    assert any(message in error for error in errors), errors


@pytest.mark.parametrize(
    ("control_id", "valid"),
    [
        ("ac-1", True),
        ("contrôle-1", True),
        ("_x", True),
        ("1ac", False),
        ("ac:1", False),
        ("ac 1", False),
        ("ac-1\n", False),
    ],
)
def test_tokens_follow_ncname_rules_with_unicode_letters(control_id: str, valid: bool) -> None:
    document = with_finding()
    result = document["assessment-results"]["results"][0]
    result["findings"][0]["target"]["target-id"] = control_id
    assert (oscal_errors(document) == []) is valid


def test_ecma_translation() -> None:
    assert ecma_to_python(r"^\S(.*\S)?$") == r"^\S([^\n\r\u2028\u2029]*\S)?\Z"
    assert ecma_to_python(r"^[\d.$]+\d$") == r"^[0-9.$]+[0-9]\Z"
    assert ecma_to_python(r"^(\p{L}|_)$") == r"^(\p{L}|_)\Z"
