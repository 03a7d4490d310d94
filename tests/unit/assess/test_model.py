"""The assessment record: round trip, hash, schema, and refusal of altered records."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from assay.assess.model import (
    STATUSES,
    Assessment,
    Finding,
    Result,
    TestOutcome,
    WaiverInfo,
    worst,
)
from assay.errors import IntegrityError
from assay.schemas import validator_for

EVIDENCE_A = "a" * 64
EVIDENCE_B = "b" * 64


def sample() -> Assessment:
    outcome = TestOutcome(
        test="reviewed",
        kind="git.history",
        subject="repo:api",
        status="fail",
        summary="Only 82% of merges were reviewed.",
        reasons=("review_ratio is 0.82; it must be at least 0.95",),
        evidence_id=EVIDENCE_A,
        observed_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        collected_at=datetime(2026, 1, 3, 0, 0, 0, 123456, tzinfo=UTC),
        findings=(Finding(".github/workflows/ci.yml", 12, "unpinned", "unpinned_action", "api"),),
    )
    failing = Result(
        control="CHG-01",
        title="Reviewed changes",
        family="change-management",
        severity="high",
        owner_role="Engineering lead",
        status="waived",
        underlying_status="fail",
        reasons=(outcome.message,),
        evidence_ids=(EVIDENCE_A,),
        tests=(outcome,),
        waiver=WaiverInfo(
            service="api",
            control="CHG-01",
            reason="Migration in progress, pairing instead.",
            approver="Ada Lovelace",
            created=date(2026, 1, 1),
            expires=date(2026, 2, 1),
            state="active",
            source="waivers/chg.yaml",
            ticket="GOV-1",
        ),
        remediation="Require a review before merge.",
    )
    passing = Result(
        control="SEC-02",
        title="Security policy",
        family="secure-development",
        severity="low",
        owner_role="Security lead",
        status="pass",
        evidence_ids=(EVIDENCE_B,),
        tests=(TestOutcome("t", "repo.files", "repo:api", "pass", evidence_id=EVIDENCE_B),),
    )
    excluded = Result(
        control="AI-01",
        title="Model cards",
        family="ai",
        severity="medium",
        owner_role="ML lead",
        status="not_applicable",
        reasons=("No model is trained or served.",),
        justification="No model is trained or served.",
    )
    return Assessment(
        service="api",
        as_of=datetime(2026, 3, 1, 23, 59, 59, 999999, tzinfo=UTC),
        created_at=datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
        tool_version="0.1.0",
        library_digest="c" * 64,
        results=(failing, passing, excluded),
    )


def test_round_trip_is_lossless_and_hash_is_stable() -> None:
    assessment = sample()
    again = Assessment.from_dict(assessment.document())
    assert again == assessment
    assert again.hash == assessment.hash
    assert Assessment.from_json(assessment.canonical_json()) == assessment


def test_counts_and_evidence_ids() -> None:
    assessment = sample()
    assert assessment.counts == {
        "pass": 1,
        "fail": 0,
        "gap": 0,
        "unverifiable": 0,
        "stale": 0,
        "waived": 1,
        "not_applicable": 1,
        "error": 0,
    }
    assert list(assessment.counts) == list(STATUSES)
    assert assessment.evidence_ids == (EVIDENCE_A, EVIDENCE_B)
    assert assessment.problems == ()
    assert assessment.result("SEC-02") is not None
    assert assessment.result("NOPE-01") is None


def test_document_is_valid_against_the_published_schema() -> None:
    errors = list(validator_for("assessment").iter_errors(sample().document()))
    assert errors == []


def test_hash_covers_every_field() -> None:
    assessment = sample()
    changed = replace(assessment, results=(replace(assessment.results[0], status="fail"),))
    assert changed.hash != assessment.hash


def test_altered_record_is_refused() -> None:
    document: dict[str, Any] = sample().document()
    document["results"][1]["status"] = "fail"
    with pytest.raises(IntegrityError, match="does not match its hash"):
        Assessment.from_dict(document)


def test_counts_that_disagree_are_refused() -> None:
    document = sample().to_dict()
    document["counts"]["pass"] = 7
    with pytest.raises(IntegrityError, match="counts do not match"):
        Assessment.from_dict(document)


def test_unknown_schema_version_is_refused() -> None:
    document = sample().to_dict()
    document["schema_version"] = 99
    with pytest.raises(IntegrityError, match="schema version 99"):
        Assessment.from_dict(document)


def test_worst_orders_error_fail_stale_unverifiable_gap_pass() -> None:
    assert worst([]) == "pass"
    assert worst(["pass", "gap"]) == "gap"
    assert worst(["gap", "unverifiable", "pass"]) == "unverifiable"
    assert worst(["unverifiable", "stale"]) == "stale"
    assert worst(["unverifiable", "fail"]) == "fail"
    assert worst(["gap", "stale"]) == "stale"
    assert worst(["stale", "fail", "gap"]) == "fail"
    assert worst(["fail", "error", "pass"]) == "error"


def test_message_joins_summary_and_reasons() -> None:
    outcome = TestOutcome("t", "k", "service", "fail", "Too few reviews.", ("a is 1", "b is 2"))
    assert outcome.message == "Too few reviews: a is 1; b is 2"
    assert TestOutcome("t", "k", "service", "gap", "No evidence.").message == "No evidence."
    assert TestOutcome("t", "k", "service", "fail", "", ("x",)).message == "x"


def unverifiable_sample() -> Assessment:
    base = sample()
    outcome = TestOutcome(
        "review-ratio",
        "git.history",
        "repo:api",
        "unverifiable",
        "3 of 40 change sets on main came through pull or merge requests ...",
        evidence_id=EVIDENCE_A,
    )
    result = replace(
        base.results[1],
        control="CHG-02",
        status="unverifiable",
        reasons=(outcome.message,),
        evidence_ids=(EVIDENCE_A,),
        tests=(outcome,),
    )
    return replace(base, results=(*base.results, result))


def test_a_record_names_unverifiable_only_when_some_result_is() -> None:
    # Records made before the status existed never named it: with none, the record's
    # shape, and so its hash, is what it was.
    plain = sample().document()
    assert "unverifiable" not in plain["counts"]
    assert Assessment.from_dict(plain).hash == plain["hash"]
    document = unverifiable_sample().document()
    assert document["counts"]["unverifiable"] == 1
    assert list(validator_for("assessment").iter_errors(document)) == []
    again = Assessment.from_dict(document)
    assert again.problems == (again.results[-1],)
    assert again.counts["unverifiable"] == 1


def test_unverifiable_counts_that_disagree_are_refused() -> None:
    document = unverifiable_sample().to_dict()
    del document["counts"]["unverifiable"]
    with pytest.raises(IntegrityError, match="counts do not match"):
        Assessment.from_dict(document)
    zero = sample().to_dict()
    zero["counts"]["unverifiable"] = 0
    with pytest.raises(IntegrityError, match="counts do not match"):
        Assessment.from_dict(zero)
