"""assay check and assay gate on an unverifiable control: exit codes, reasons, every format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from defusedxml import ElementTree
from jsonschema import Draft4Validator
from typer.testing import CliRunner, Result

from assay.cli.app import app
from tests.cli.sample import Sample, make_sample
from tests.support.paths import ROOT
from tests.support.platform_facts import NO_TOKEN_NEEDS, NO_TOKEN_REASON, platform
from tests.unit.assess.helpers import REVIEW_CONTROL

SARIF_SCHEMA = ROOT / "tests" / "data" / "sarif" / "sarif-schema-2.1.0.json"

TRIGGER = """\
    unverifiable_when:
      required: [unreviewed_platform_change_sets, platform_reviews]
      properties:
        unreviewed_platform_change_sets: {minimum: 1}
        platform_reviews:
          properties:
            status: {not: {const: read}}
    unverifiable_explain: >-
      {unreviewed_platform_change_sets} of {change_sets} change sets on {branch} were reviewed
      on the code platform, which was not read: {platform_reviews.reason}.
      {platform_reviews.needs}
"""

EXPLANATION = (
    "3 of 148 change sets on main were reviewed on the code platform, which was not read: "
    f"{NO_TOKEN_REASON}. {NO_TOKEN_NEEDS}"
)


@pytest.fixture
def sample(tmp_path: Path, platform_facts_schema: None, runner: CliRunner) -> Sample:
    sample = make_sample(tmp_path / "ws", services=("payments",))
    sample.write("controls/chg-01.yaml", REVIEW_CONTROL.lstrip("\n") + TRIGGER)
    facts = {f"git_history__{name}": value for name, value in platform().items()}
    sample.good_evidence(**facts)
    sample.attestation()
    key = sample.people()
    attested = runner.invoke(
        app, ["attest", "attestations/restore.yaml", "--sign", str(key), "-w", str(sample.root)]
    )
    assert attested.exit_code == 0, attested.output
    return sample


def gate(runner: CliRunner, sample: Sample, *args: str) -> Result:
    return runner.invoke(
        app, ["gate", "--service", "payments", "--stage", "release", "-w", str(sample.root), *args]
    )


def allow_at_release(sample: Sample) -> None:
    sample.write(
        "assay.toml",
        '[library]\nbuiltin = false\npaths = ["controls"]\n\n'
        '[gate.stages.release]\nunverifiable = "allow"\n',
    )


def test_check_exits_1_and_prints_what_is_missing(runner: CliRunner, sample: Sample) -> None:
    result = runner.invoke(app, ["check", "-w", str(sample.root)])
    assert result.exit_code == 1
    out = result.stdout
    assert "CHG-01   unverifiable  high      3 of 148 change sets on main were reviewed" in out
    assert f"unverifiable: CHG-01: Assay could not look: {EXPLANATION}" in out
    assert "pass 4  fail 0  gap 0  unverifiable 1  stale 0" in out
    assert out.rstrip().endswith(
        "1 service assessed; 1 with fail, gap, unverifiable, stale or error"
    )


def test_check_json_counts_it(runner: CliRunner, sample: Sample) -> None:
    result = runner.invoke(app, ["check", "-w", str(sample.root), "--format", "json"])
    assert result.exit_code == 1
    (document,) = json.loads(result.stdout)
    assert document["counts"]["unverifiable"] == 1
    (chg,) = [r for r in document["results"] if r["control"] == "CHG-01"]
    assert (chg["status"], chg["reasons"]) == ("unverifiable", [EXPLANATION])
    assert len(chg["evidence_ids"]) == 1


def test_the_gate_blocks_by_default_with_the_reason(runner: CliRunner, sample: Sample) -> None:
    result = gate(runner, sample)
    assert result.exit_code == 1
    out = result.stdout
    assert out.startswith("assay gate: block: payments may not pass release: 1 control blocks")
    assert "unverifiable counts as gap" in out
    assert "  CHG-01  high     unverifiable  Reviewed changes" in out
    assert f"      why: {EXPLANATION}" in out
    assert "      why: stage release counts unverifiable as gap" in out


def test_a_stage_that_allows_it_passes_with_a_warning(runner: CliRunner, sample: Sample) -> None:
    allow_at_release(sample)
    result = gate(runner, sample)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "assay gate: allow: payments may pass release"
    assert (
        "warning: 1 control is unverifiable and allowed at stage release: CHG-01; Assay could "
        "not look at their evidence (each says what it needs)"
    ) in lines
    assert "not blocking at this stage:" in lines
    data = json.loads(gate(runner, sample, "--format", "json").stdout)
    assert data["decision"] == "allow"
    assert data["policy"]["unverifiable"] == "allow"
    assert data["unverifiable_allowed"] == ["CHG-01"]
    assert [(w["control"], w["status"], w["reason"]) for w in data["warnings"]] == [
        ("CHG-01", "unverifiable", EXPLANATION)
    ]


def test_an_unknown_unverifiable_setting_cannot_decide(runner: CliRunner, sample: Sample) -> None:
    sample.write("assay.toml", '[gate.stages.release]\nunverifiable = "ignore"\n')
    result = gate(runner, sample)
    assert result.exit_code == 2
    assert "assay.toml:2:" in result.stderr
    assert "unverifiable" in result.stderr


def test_json_and_junit_name_the_status(runner: CliRunner, sample: Sample, tmp_path: Path) -> None:
    data = json.loads(gate(runner, sample, "--format", "json").stdout)
    (blocking,) = data["blocking"]
    assert (blocking["control"], blocking["status"]) == ("CHG-01", "unverifiable")
    assert blocking["reasons"][0] == EXPLANATION
    assert data["counts"]["unverifiable"] == 1
    out = tmp_path / "gate.xml"
    assert gate(runner, sample, "--format", "junit", "--output", str(out)).exit_code == 1
    suite = ElementTree.parse(out).getroot().find("testsuite")
    cases = {case.get("name"): case for case in suite.findall("testcase")}
    failure = cases["CHG-01 Reviewed changes"].find("failure")
    assert failure.get("type") == "unverifiable"
    assert failure.get("message") == EXPLANATION
    assert "CHG-01 Reviewed changes: unverifiable" in (failure.text or "")


def test_sarif_carries_it_as_a_valid_notification(runner: CliRunner, sample: Sample) -> None:
    document = json.loads(gate(runner, sample, "--format", "sarif").stdout)
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    assert list(Draft4Validator(schema).iter_errors(document)) == []
    (run,) = document["runs"]
    (invocation,) = run["invocations"]
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error"
    assert note["message"]["text"] == (
        f"CHG-01 Reviewed changes: unverifiable: {EXPLANATION}; stage release counts "
        "unverifiable as gap: give Assay what it needs to look, or record a waiver"
    )
    allow_at_release(sample)
    allowed = json.loads(gate(runner, sample, "--format", "sarif").stdout)
    (note,) = allowed["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert note["level"] == "warning"


def test_github_and_gitlab_show_it(runner: CliRunner, sample: Sample) -> None:
    github = gate(runner, sample, "--format", "github").stdout
    assert github.startswith(
        "::error title=CHG-01 Reviewed changes (unverifiable)::3 of 148 change sets on main"
    )
    issues = json.loads(gate(runner, sample, "--format", "gitlab").stdout)
    (issue,) = [i for i in issues if i["check_name"] == "assay/CHG-01"]
    assert issue["severity"] == "critical"
    assert issue["description"].startswith(f"CHG-01 Reviewed changes (unverifiable): {EXPLANATION}")
    allow_at_release(sample)
    github = gate(runner, sample, "--format", "github").stdout
    assert github.startswith("::warning title=CHG-01 Reviewed changes (unverifiable)::")
    assert "warning: 1 control is unverifiable and allowed at stage release: CHG-01" in github
