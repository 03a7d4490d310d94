"""Stage policies: defaults, overrides, severity floors, scopes; error always blocks."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from assay.assess.gate import DEFAULT_STAGES, decide, stage_policies, stage_policy
from assay.assess.model import Assessment, Result, WaiverInfo
from assay.errors import GateError


def result(control: str, status: str, severity: str = "high", family: str = "ops") -> Result:
    return Result(control, control.lower(), family, severity, "Owner", status, reasons=("why",))


def assessment(*results: Result) -> Assessment:
    moment = datetime(2026, 3, 1, tzinfo=UTC)
    return Assessment("svc", moment, moment, "0", "0" * 64, results)


def test_builtin_stages() -> None:
    assert set(DEFAULT_STAGES) == {"merge", "release", "deploy"}
    assert DEFAULT_STAGES["release"].block == ("fail", "gap", "stale", "error")
    assert DEFAULT_STAGES["merge"].block == ("fail", "error")


def test_unknown_stage_is_an_error_that_lists_the_stages() -> None:
    with pytest.raises(GateError) as caught:
        stage_policy({}, "prod")
    assert caught.value.exit_code == 2
    assert caught.value.hint is not None
    assert caught.value.hint.startswith("stages: deploy, merge, release")


def test_workspace_overrides_and_adds_stages() -> None:
    config = {
        "gate": {
            "stages": {
                "release": {"min_severity": "low"},
                "nightly": {"block": ["stale"], "families": ["ops"]},
            }
        }
    }
    stages = stage_policies(config)
    assert stages["release"].min_severity == "low"
    assert stages["release"].block == DEFAULT_STAGES["release"].block
    assert stages["nightly"].block == ("stale",)
    assert stages["nightly"].families == ("ops",)


def test_release_blocks_medium_and_up_most_severe_first() -> None:
    decision = decide(
        assessment(
            result("A-01", "gap", "medium"),
            result("B-01", "fail", "critical"),
            result("C-01", "fail", "low"),
            result("D-01", "pass"),
            result("E-01", "stale", "critical"),
        ),
        DEFAULT_STAGES["release"],
    )
    assert [r.control for r in decision.blocking] == ["B-01", "E-01", "A-01"]
    assert [r.control for r in decision.warnings] == ["C-01"]
    assert (decision.decision, decision.exit_code) == ("block", 1)
    assert decision.summary() == "block: svc may not pass release: 3 controls block"


def test_error_blocks_whatever_the_severity_or_block_list() -> None:
    decision = decide(assessment(result("A-01", "error", "low")), DEFAULT_STAGES["merge"])
    assert [r.control for r in decision.blocking] == ["A-01"]


def test_merge_ignores_gaps() -> None:
    tested = Result("B-01", "b", "ops", "high", "o", "pass", evidence_ids=("e" * 64,))
    decision = decide(
        assessment(result("A-01", "gap", "critical"), tested), DEFAULT_STAGES["merge"]
    )
    assert decision.allowed
    assert decision.exit_code == 0
    assert [r.control for r in decision.warnings] == ["A-01"]


def test_no_stored_evidence_at_all_blocks_even_where_gaps_do_not() -> None:
    decision = decide(assessment(result("A-01", "gap", "critical")), DEFAULT_STAGES["merge"])
    assert decision.blocking == ()
    assert decision.unfounded
    assert not decision.allowed
    assert decision.exit_code == 1
    assert decision.summary() == "block: svc may not pass merge: no evidence is stored for svc"


def test_scope_limits_what_can_block() -> None:
    policy = stage_policies({"gate": {"stages": {"x": {"controls": ["B-01"]}}}})["x"]
    decision = decide(assessment(result("A-01", "error"), result("B-01", "fail", "low")), policy)
    assert [r.control for r in decision.blocking] == ["B-01"]
    assert decision.warnings == ()


def test_waived_and_expired_are_reported() -> None:
    waiver = WaiverInfo("svc", "A-01", "r", "Ada", date(2026, 1, 1), date(2026, 2, 1), "expired")
    expired = Result("A-01", "a", "ops", "high", "o", "fail", waiver=waiver)
    waived = Result("B-01", "b", "ops", "high", "o", "waived", underlying_status="gap")
    decision = decide(assessment(expired, waived), DEFAULT_STAGES["release"])
    assert [r.control for r in decision.blocking] == ["A-01"]
    assert [r.control for r in decision.waived] == ["B-01"]
    assert [r.control for r in decision.expired_waivers] == ["A-01"]
    facts = decision.facts()
    assert facts["blocking_controls"] == ["A-01"]
    assert facts["by_status"]["waived"] == 1


def test_no_evidence_hint() -> None:
    decision = decide(assessment(result("A-01", "gap")), DEFAULT_STAGES["release"])
    assert decision.no_evidence
    assert decision.hints() == [
        "no evidence is stored for svc: run 'assay collect --service svc' before the gate "
        "(or pass --collect)"
    ]
