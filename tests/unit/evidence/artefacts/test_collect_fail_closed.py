"""`assay collect` refuses reports that would read as a clean result: wrong-shaped entries,
tool severities, runs of nothing, coverage of nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from assay.cli.app import app
from assay.evidence.store import open_store
from assay.governance import load_governance
from assay.schemas import compile_schema
from assay.workspace import open_workspace
from tests.cli.test_collect import github_env, setup
from tests.unit.evidence.artefacts.helpers import FIXTURES


def refused(tmp_path: Path, runner: CliRunner, name: str, data: str) -> str:
    """Collect with one more report; it must stop the service, store nothing, and say why."""
    root, head, reports = setup(tmp_path)
    (reports / name).write_text(data, encoding="utf-8")
    result = runner.invoke(app, ["collect", "-w", str(root)], env=github_env(head))
    assert result.exit_code == 2, result.output
    assert "internal error" not in result.stderr
    with open_store(open_workspace(root).store_url) as store:
        assert store.latest("api", ["test.results", "sast.findings", "ci.run"]) == []
    return result.stderr


def meets(control_id: str, test_id: str, facts: dict[str, Any]) -> bool:
    """Whether ``facts`` satisfy one built-in control test's expectation."""
    control = load_governance(None).library.get(control_id)
    assert control is not None
    test = next(t for t in control.tests if t.id == test_id)
    return not list(compile_schema(test.expectation).iter_errors(facts))


def collected(tmp_path: Path, runner: CliRunner, files: dict[str, bytes]) -> dict[str, Any]:
    """Facts by kind from collecting the usual reports plus ``files``."""
    root, head, reports = setup(tmp_path)
    for name, data in files.items():
        (reports / name).write_bytes(data)
    result = runner.invoke(app, ["collect", "-w", str(root), "-f", "json"], env=github_env(head))
    assert result.exit_code == 0, result.output
    return {e["kind"]: e["facts"] for e in json.loads(result.stdout)["evidence"]}


def test_wrong_shaped_scan_entries_stop_collection(tmp_path: Path, runner: CliRunner) -> None:
    vulnerability = {"VulnerabilityID": "CVE-2024-1", "PkgName": "requests", "Severity": {}}
    trivy = {"SchemaVersion": 2, "Results": [{"Vulnerabilities": [vulnerability]}]}
    stderr = refused(tmp_path / "trivy", runner, "trivy.json", json.dumps(trivy))
    assert (
        "trivy.json: Results[0].Vulnerabilities[0].Severity must be a severity word or score, "
        "not an object"
    ) in stderr
    match = {"vulnerability": {"id": "CVE-2024-2", "severity": None}, "artifact": {"name": "z"}}
    grype = {"matches": [match], "descriptor": {"name": "grype"}}
    stderr = refused(tmp_path / "grype", runner, "grype.json", json.dumps(grype))
    assert (
        "grype.json: matches[0].vulnerability.severity must be a severity word or score, not null"
    ) in stderr
    sarif = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Semgrep"}},
                                           "results": [None, 1, "x"]}]}  # fmt: skip
    stderr = refused(tmp_path / "sarif", runner, "semgrep.sarif", json.dumps(sarif))
    assert "semgrep.sarif: runs[0].results[0] must be an object, not null" in stderr


def test_bandit_high_findings_are_high(tmp_path: Path, runner: CliRunner) -> None:
    bandit = (FIXTURES / "sarif" / "bandit.sarif").read_bytes()
    facts = collected(tmp_path, runner, {"bandit.sarif": bandit})
    sast = facts["sast.findings"]
    assert sast["tools"] == ["Bandit", "CodeQL"]
    # Bandit's two HIGH (issue_severity) join CodeQL's three high and one critical.
    assert sast["by_severity"] == {"critical": 1, "high": 5, "medium": 0, "low": 2, "unknown": 1}
    assert not meets("SDL-01", "no-high-findings", sast)


def test_a_run_that_skipped_every_test_fails_tst01(tmp_path: Path, runner: CliRunner) -> None:
    root, head, reports = setup(tmp_path)
    for report in (reports / "junit").iterdir():
        report.unlink()
    (reports / "junit" / "skipped.xml").write_text(
        '<testsuite name="unit"><testcase classname="t" name="a"><skipped/></testcase>'
        '<testcase classname="t" name="b"><skipped/></testcase></testsuite>',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["collect", "-w", str(root), "-f", "json"], env=github_env(head))
    assert result.exit_code == 0, result.output
    facts = {e["kind"]: e["facts"] for e in json.loads(result.stdout)["evidence"]}
    tests = facts["test.results"]
    assert (tests["tests"], tests["skipped"], tests["pass_ratio"]) == (2, 2, 0.0)
    assert not meets("TST-01", "tests-pass", tests), "TST-01 fails (it does not gap)"


def test_nyc_nan_coverage_stops_collection(tmp_path: Path, runner: CliRunner) -> None:
    nyc = (
        '<?xml version="1.0" ?>\n<coverage lines-valid="0" lines-covered="0" line-rate="NaN" '
        'branches-valid="0" branches-covered="0" branch-rate="NaN" timestamp="1741817560">'
        "<packages/></coverage>\n"
    )
    stderr = refused(tmp_path, runner, "cobertura-coverage.xml", nyc)
    assert (
        "cobertura-coverage.xml: line-rate is 'NaN': coverage must be a finite number from 0 to 1"
    ) in stderr
