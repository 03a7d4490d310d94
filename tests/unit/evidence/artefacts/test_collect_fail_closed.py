"""`assay collect` makes no record from reports that would read as a clean result
(wrong-shaped entries, tool severities, runs of nothing, coverage of nothing): each such file
is noted by name and place, no record of its kind is made for the run, and the rest of the
service is still collected."""

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


def refused(tmp_path: Path, runner: CliRunner, name: str, data: str, kind: str) -> str:
    """Collect with one more report: no ``kind`` record is made for the run, the other kinds
    are stored, and the file is noted with why; returns the note."""
    root, head, reports = setup(tmp_path)
    (reports / name).write_text(data, encoding="utf-8")
    result = runner.invoke(app, ["collect", "-w", str(root), "-f", "json"], env=github_env(head))
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    report = json.loads(result.stdout)
    kinds = {e["kind"] for e in report["evidence"]}
    assert kind not in kinds
    assert {"test.results", "ci.run", "git.history"} <= kinds, "the rest is still collected"
    with open_store(open_workspace(root).store_url) as store:
        assert store.latest("api", [kind]) == []
    notes = {s["path"]: str(s["reason"]) for s in report["skipped"]}
    return notes[name]


VULNS = "deps.vulnerabilities"
SAST = "sast.findings"


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


def test_wrong_shaped_scan_entries_make_no_record(tmp_path: Path, runner: CliRunner) -> None:
    vulnerability = {"VulnerabilityID": "CVE-2024-1", "PkgName": "requests", "Severity": {}}
    trivy = {"SchemaVersion": 2, "Results": [{"Vulnerabilities": [vulnerability]}]}
    note = refused(tmp_path / "trivy", runner, "trivy.json", json.dumps(trivy), VULNS)
    assert note == (
        "not read: Results[0].Vulnerabilities[0].Severity must be a severity word or score, "
        "not an object"
    )
    match = {"vulnerability": {"id": "CVE-2024-2", "severity": None}, "artifact": {"name": "z"}}
    grype = {"matches": [match], "descriptor": {"name": "grype"}}
    note = refused(tmp_path / "grype", runner, "grype.json", json.dumps(grype), VULNS)
    assert note == (
        "not read: matches[0].vulnerability.severity must be a severity word or score, not null"
    )
    sarif = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Semgrep"}},
                                           "results": [None, 1, "x"]}]}  # fmt: skip
    note = refused(tmp_path / "sarif", runner, "semgrep.sarif", json.dumps(sarif), SAST)
    assert note == "not read: runs[0].results[0] must be an object, not null"


def test_one_unreadable_scan_withholds_its_runs_record(tmp_path: Path, runner: CliRunner) -> None:
    """CodeQL's findings would be read from the zip; a SAST record without Semgrep's half
    would understate the run, so none is made and the CodeQL file says why."""
    root, head, reports = setup(tmp_path)
    (reports / "semgrep.sarif").write_text('{"version": "2.1.0", "runs": [', encoding="utf-8")
    result = runner.invoke(app, ["collect", "-w", str(root), "-f", "json"], env=github_env(head))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert SAST not in {e["kind"] for e in report["evidence"]}
    notes = {s["path"]: s["reason"] for s in report["skipped"]}
    assert notes["semgrep.sarif"] == (
        "not read: line 1, column 31: JSON ends unexpectedly: the file is truncated"
    )
    assert notes["scans.zip!codeql.sarif"] == (
        "not recorded: semgrep.sarif from the same run could not be read, and a sast.findings "
        "record without it would understate the run"
    )


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


def test_nyc_nan_coverage_makes_no_record(tmp_path: Path, runner: CliRunner) -> None:
    nyc = (
        '<?xml version="1.0" ?>\n<coverage lines-valid="0" lines-covered="0" line-rate="NaN" '
        'branches-valid="0" branches-covered="0" branch-rate="NaN" timestamp="1741817560">'
        "<packages/></coverage>\n"
    )
    note = refused(tmp_path, runner, "cobertura-coverage.xml", nyc, "test.coverage")
    assert note == "not read: line-rate is 'NaN': coverage must be a finite number from 0 to 1"


def test_a_corrupt_zip_is_noted_and_the_rest_collected(tmp_path: Path, runner: CliRunner) -> None:
    """A zip that cannot be opened is noted; an escaping one stops the service (see
    tests/cli/test_collect.py)."""
    note = refused(tmp_path, runner, "more.zip", "PK\x03\x04 not really a zip", "provenance")
    assert note.startswith("not read: not a readable zip archive")
