"""The samples in docs/samples are valid documents of the shapes they illustrate."""

from __future__ import annotations

import json
from typing import Any

from assay.reports.manifest import FORMAT
from assay.schemas import validator_for
from tests.support.paths import DOCS
from tests.unit.reports.oscal_schema import oscal_errors

SAMPLES = DOCS / "samples"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / name).read_text("utf-8"))
    return data


def test_the_oscal_samples_validate() -> None:
    assert list(load("assessment-results.json")) == ["assessment-results"]
    assert oscal_errors(load("assessment-results.json")) == []
    assert list(load("poam.json")) == ["plan-of-action-and-milestones"]
    assert oscal_errors(load("poam.json")) == []
    assert list(load("assessment-plan.json")) == ["assessment-plan"]
    assert oscal_errors(load("assessment-plan.json")) == []
    assert list(load("ssp.json")) == ["system-security-plan"]
    assert oscal_errors(load("ssp.json")) == []
    plan = load("assessment-plan.json")["assessment-plan"]
    assert (
        plan["uuid"]
        in load("assessment-results.json")["assessment-results"]["import-ap"]["remarks"]
    )


def test_the_report_sample_validates() -> None:
    assert list(validator_for("report").iter_errors(load("report.json"))) == []


def test_the_manifest_sample_is_a_manifest() -> None:
    manifest = load("pack-manifest.json")
    assert manifest["format"] == FORMAT
    assert [a["name"] for a in manifest["attachments"]][:2] == ["assessment.json", "evidence.json"]
