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


# --------------------------------------------------------------------------- unverifiable


def unverifiable(control: str, *others: str, severity: str = "high") -> Result:
    """An unverifiable result; ``others``: the statuses of the control's other tests."""
    from assay.assess.model import TestOutcome

    tests = (
        TestOutcome("t0", "git.history", "repo:api", "unverifiable", "could not look: no token"),
        *(TestOutcome(f"t{i + 1}", "k", "service", s) for i, s in enumerate(others)),
    )
    return Result(
        control,
        control.lower(),
        "ops",
        severity,
        "Owner",
        "unverifiable",
        reasons=("could not look: no token",),
        evidence_ids=("e" * 64,),
        tests=tests,
    )


def test_unverifiable_blocks_like_a_gap_by_default() -> None:
    release = decide(assessment(unverifiable("A-01")), DEFAULT_STAGES["release"])
    assert [r.control for r in release.blocking] == ["A-01"]
    assert release.exit_code == 1
    assert release.blocking[0].reasons == (
        "could not look: no token",
        "stage release counts unverifiable as gap: give Assay what it needs to look, or "
        "record a waiver",
    )
    assert release.warning_lines() == []
    assert DEFAULT_STAGES["release"].to_dict()["unverifiable"] == "block"
    # merge does not block on gap, so neither on unverifiable: it is a warning there.
    merge = decide(assessment(unverifiable("A-01")), DEFAULT_STAGES["merge"])
    assert merge.blocking == ()
    assert [r.control for r in merge.warnings] == ["A-01"]
    assert merge.warning_lines() == []  # counted as gap, not let through as unverifiable


def test_a_stage_may_allow_unverifiable_with_a_warning_naming_the_controls() -> None:
    config = {"gate": {"stages": {"release": {"unverifiable": "allow"}}}}
    policy = stage_policy(config, "release")
    assert policy.unverifiable == "allow"
    assert policy.block == DEFAULT_STAGES["release"].block
    assert "allows unverifiable with a warning" in policy.describe()
    decision = decide(
        assessment(unverifiable("A-01"), unverifiable("B-02", "pass"), result("C-01", "pass")),
        policy,
    )
    assert decision.allowed
    assert decision.exit_code == 0
    assert [r.control for r in decision.unverifiable_allowed] == ["A-01", "B-02"]
    assert decision.warning_lines() == [
        "warning: 2 controls are unverifiable and allowed at stage release: A-01, B-02; "
        "Assay could not look at their evidence (each says what it needs)"
    ]
    assert decision.to_dict()["unverifiable_allowed"] == ["A-01", "B-02"]


def test_allowing_unverifiable_never_lets_a_gap_beside_it_through() -> None:
    config = {"gate": {"stages": {"release": {"unverifiable": "allow"}}}}
    decision = decide(assessment(unverifiable("A-01", "gap")), stage_policy(config, "release"))
    assert not decision.allowed
    assert [r.control for r in decision.blocking] == ["A-01"]
    assert decision.blocking[0].reasons[-1] == (
        "another test has a gap, so stage release counts it as gap"
    )
    assert decision.unverifiable_allowed == ()


def test_unverifiable_below_the_severity_floor_is_a_warning() -> None:
    decision = decide(assessment(unverifiable("A-01", severity="low")), DEFAULT_STAGES["release"])
    assert decision.allowed
    assert [r.control for r in decision.warnings] == ["A-01"]


def test_a_waived_unverifiable_result_does_not_block() -> None:
    waived = Result(
        "A-01",
        "a",
        "ops",
        "high",
        "Owner",
        "waived",
        underlying_status="unverifiable",
        evidence_ids=("e" * 64,),
    )
    decision = decide(assessment(waived), DEFAULT_STAGES["release"])
    assert decision.allowed
    assert [r.control for r in decision.waived] == ["A-01"]


def test_unverifiable_sorts_between_stale_and_gap() -> None:
    decision = decide(
        assessment(
            result("A-01", "gap"),
            unverifiable("B-01"),
            result("C-01", "stale"),
        ),
        DEFAULT_STAGES["release"],
    )
    assert [r.control for r in decision.blocking] == ["C-01", "B-01", "A-01"]
