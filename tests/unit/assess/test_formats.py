"""Gate output formats: GitHub's escaping and per-step limits, summaries, GitLab fields."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

from assay.assess.gate import DEFAULT_STAGES, GateDecision, decide
from assay.assess.model import Assessment, Finding, Result, TestOutcome, WaiverInfo
from assay.reports.formats import FORMATS, FormatContext, gate_format
from assay.reports.formats.github import (
    MAX_PER_LEVEL,
    escape_data,
    escape_property,
    gate_annotations,
    step_summary,
)

CONTEXT = FormatContext(tool_version="9.9", service_file="services/svc.yaml")


def failing(control: str, findings: int = 0, severity: str = "high") -> Result:
    outcome = TestOutcome(
        "t",
        "ci.workflows",
        "repo:api",
        "fail",
        findings=tuple(
            Finding(f".github/workflows/w{i}.yml", i + 1, f"problem {i}", "rule", "api")
            for i in range(findings)
        ),
    )
    return Result(
        control,
        f"Title {control}",
        "ops",
        severity,
        "o",
        "fail",
        reasons=("a | b <b>\nnext",),
        tests=(outcome,),
        remediation="Fix it.",
    )


def decision(*results: Result) -> GateDecision:
    moment = datetime(2026, 3, 1, tzinfo=UTC)
    return decide(
        Assessment("svc", moment, moment, "1", "0" * 64, results), DEFAULT_STAGES["release"]
    )


def test_escaping() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_at_most_ten_errors_and_the_tenth_summarises() -> None:
    annotations = gate_annotations(decision(failing("A-01", findings=25)))
    errors = [a for a in annotations if a.level == "error"]
    assert len(errors) == MAX_PER_LEVEL
    assert errors[-1].title == "16 more blocking problems"
    assert errors[0].command() == (
        "::error file=.github/workflows/w0.yml,line=1,title=A-01 Title A-01 (fail)::"
        "problem 0%0Afix: Fix it."
    )


def test_warnings_for_low_severity_and_waivers_expiring_soon() -> None:
    waiver = WaiverInfo("svc", "B-01", "r", "Ada", date(2026, 1, 1), date(2026, 3, 20), "active")
    waived = Result(
        "B-01", "b", "ops", "high", "o", "waived", underlying_status="fail", waiver=waiver
    )
    annotations = gate_annotations(decision(failing("A-01", severity="low"), waived))
    assert [(a.level, a.title) for a in annotations] == [
        ("warning", "A-01 Title A-01 (fail)"),
        ("warning", "B-01 waiver expires 2026-03-20"),
    ]
    assert annotations[1].message == (
        "the waiver in  expires in 19 days; the control is still fail"
    )


def test_step_summary_escapes_cells() -> None:
    text = step_summary(decision(failing("A-01")))
    assert "| A-01 Title A-01 | high | fail | a \\| b &lt;b&gt; next | Fix it. |" in text
    assert text.startswith("## assay gate `release`: svc **blocked**")


def test_github_side_output_only_with_the_env_var(tmp_path: Path) -> None:
    formatter = gate_format("github")
    gated = decision(failing("A-01"))
    assert formatter.side_outputs(gated, CONTEXT) == []
    with_env = FormatContext("1", environ={"GITHUB_STEP_SUMMARY": str(tmp_path / "s.md")})
    ((path, text),) = formatter.side_outputs(gated, with_env)
    assert path == tmp_path / "s.md"
    assert "Blocking" in text


def test_gitlab_points_findings_at_files_and_others_at_the_service() -> None:
    issues = json.loads(
        gate_format("gitlab").render(decision(failing("A-01", 2), failing("B-01")), CONTEXT)
    )
    assert [(i["location"]["path"], i["location"]["lines"]["begin"]) for i in issues] == [
        (".github/workflows/w0.yml", 1),
        (".github/workflows/w1.yml", 2),
        ("services/svc.yaml", 1),
    ]
    assert {i["severity"] for i in issues} == {"critical"}
    assert all(
        set(i) == {"description", "check_name", "fingerprint", "severity", "location"}
        for i in issues
    )


def test_every_format_renders_an_allowed_gate() -> None:
    allowed = decision(Result("A-01", "a", "ops", "high", "o", "pass"))
    for name in FORMATS:
        text = gate_format(name).render(allowed, CONTEXT)
        assert text
    assert json.loads(gate_format("sarif").render(allowed, CONTEXT))["runs"][0]["results"] == []
    assert json.loads(gate_format("gitlab").render(allowed, CONTEXT)) == []


def test_the_github_text_part_cannot_run_workflow_commands() -> None:
    result = failing("A-01")
    forged = Result(
        "B-01",
        "b",
        "ops",
        "high",
        "o",
        "fail",
        reasons=("looks fine\n::error title=FORGED::all controls passed",),
    )
    lines = gate_format("github").render(decision(result, forged), CONTEXT).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("::stop-commands::"))
    token = lines[start].removeprefix("::stop-commands::")
    assert len(token) == 32
    assert lines[-1] == f"::{token}::"
    assert any("::error title=FORGED" in line for line in lines[start:])
    assert not any(line.startswith("::error title=FORGED") for line in lines[:start])
    again = gate_format("github").render(decision(result, forged), CONTEXT)
    assert f"::stop-commands::{token}" not in again


def test_the_same_place_in_two_repositories_is_two_issues_everywhere() -> None:
    findings = tuple(Finding(".github/workflows/ci.yml", 3, "m", "rule", repo) for repo in "ab")
    outcome = TestOutcome("t", "ci.workflows", "repo:a", "fail", findings=findings)
    result = Result("A-01", "T", "ops", "high", "o", "fail", tests=(outcome,))
    chosen = decision(result)
    gitlab = json.loads(gate_format("gitlab").render(chosen, CONTEXT))
    sarif = json.loads(gate_format("sarif").render(chosen, CONTEXT))
    ours = [issue["fingerprint"] for issue in gitlab]
    theirs = [r["partialFingerprints"]["assay/v1"] for r in sarif["runs"][0]["results"]]
    assert len(set(ours)) == 2
    assert ours == theirs
