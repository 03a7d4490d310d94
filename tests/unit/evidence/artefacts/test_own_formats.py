"""Assay's own JSON formats: AI evaluation, model card, SLO report, review export."""

from __future__ import annotations

import json
from typing import Any

import pytest

from assay.evidence.collectors.ai import EvaluationParser, ModelCardParser
from assay.evidence.collectors.reviews import ReviewsParser
from assay.evidence.collectors.slo import SloReportParser
from assay.evidence.parsing.errors import ArtefactError
from assay.schemas import validator_for
from tests.unit.evidence.artefacts.helpers import (
    FIXED,
    FIXTURES,
    artefact,
    collect,
    context,
    fixture,
    one,
    takers,
)

EVALUATION = EvaluationParser()
MODEL_CARD = ModelCardParser()
SLO = SloReportParser()
REVIEWS = ReviewsParser()


@pytest.mark.parametrize(
    ("relpath", "schema"),
    [
        ("ai/evaluation.json", "ai-evaluation"),
        ("ai/model-card.json", "ai-model-card"),
        ("slo/slo-report.json", "slo-report"),
        ("reviews/reviews.json", "reviews-export"),
    ],
)
def test_fixtures_are_valid_against_the_published_schemas(relpath: str, schema: str) -> None:
    document = json.loads((FIXTURES / relpath).read_text(encoding="utf-8"))
    assert list(validator_for(schema).iter_errors(document)) == []


def test_evaluation_judgements() -> None:
    target = fixture("ai/evaluation.json")
    assert takers(target) == ["ai-evaluation"]
    (draft,) = collect(EVALUATION, [target])
    facts = draft.facts
    by_name = {m["name"]: m for m in facts["metrics"]}
    assert by_name["auroc"]["passed"] is True
    assert by_name["recall_at_1pct_fpr"]["direction"] == "min", "min is the default"
    assert by_name["p95_latency_ms"]["passed"] is True, "a max threshold is a ceiling"
    assert by_name["calibration_error"]["passed"] is None, "no threshold, no judgement"
    assert (facts["metrics_total"], facts["metrics_failed"]) == (4, 0)
    assert facts["regressions"] == 1, "recall fell below its baseline"
    fairness = facts["fairness"]
    assert (fairness["groups"], fairness["failed"], fairness["max_disparity"]) == (4, 1, 0.062)
    assert facts["all_passed"] is False, "age_65_plus is outside its threshold in absolute value"
    assert draft.observed_at.isoformat() == "2026-03-12T22:10:00+00:00"


def test_model_card_sections() -> None:
    facts = one(MODEL_CARD, fixture("ai/model-card.json"))
    assert facts["path"] == "ai/model-card.json"
    assert (facts["model_name"], facts["risk_tier"], facts["license"]) == (
        "fraud-scorer",
        "high",
        None,
    )
    assert facts["human_oversight"] is False, "an empty section is not documented"
    assert facts["out_of_scope_use"] is True, "a list documents a section"
    assert "contact" in facts["sections"]
    assert facts["sections"][0] == "model_details"


def test_slo_report() -> None:
    (draft,) = collect(SLO, [fixture("slo/slo-report.json")])
    facts = draft.facts
    slos = {s["name"]: s for s in facts["slos"]}
    availability = slos["api-availability"]
    assert availability["measured"] == round(8991234 / 8994834, 6)
    expected = 1 - (1 - 8991234 / 8994834) / (1 - 0.999)
    assert availability["error_budget_remaining"] == round(expected, 6)
    assert slos["api-latency-p99"]["error_budget_remaining"] == -0.29
    assert slos["settlement-freshness"]["error_budget_remaining"] == 0.6, "the file's own value"
    assert (facts["objectives"], facts["met"], facts["breached"]) == (3, 2, 1)
    assert facts["min_error_budget_remaining"] == -0.29
    assert [s["name"] for s in facts["slos"]] == sorted(slos)
    assert draft.observed_at.isoformat() == "2026-03-13T00:00:00+00:00"  # end of the period


def test_review_export() -> None:
    ctx = context(ci_run={"run_id": "77", "commit": "a" * 40, "started_at": "2026-03-14T08:00:00Z"})
    (draft,) = collect(REVIEWS, [fixture("reviews/reviews.json")], ctx)
    facts = draft.facts
    assert (facts["commits"], facts["pull_requests"], facts["approvals_total"]) == (4, 4, 5)
    assert (facts["approvers"], facts["self_approvals"]) == (3, 1)
    assert facts["approvals"][0] == {
        "commit": "9fa7860355a4f8ba04bcf3df2cad426374c55e18",
        "approver": "a-okafor",
        "author": "jlindqvist",
        "approved_at": "2026-03-10T09:14:02Z",
        "pr": 881,
    }
    # A request without a merge commit is keyed by its head commit.
    assert facts["approvals"][-1]["commit"] == "e095f6247c9d1df85a65c046bffc9550de552fd9"
    assert draft.subject == {
        "repo": "https://github.com/example-org/payments-api",
        "pipeline": "artefacts",
        "run_id": "77",
        "commit": "a" * 40,
    }
    assert draft.observed_at.isoformat() == "2026-03-13T16:30:45+00:00"  # latest approval


def _invalid(parser: Any, text: str) -> list[str]:
    with pytest.raises(ArtefactError) as caught:
        collect(parser, [artefact("bad.json", text)])
    return caught.value.diagnostics()


def test_schema_problems_are_listed_with_lines() -> None:
    text = """{
  "format": "assay.ai-evaluation/v1",
  "model": {"name": "m"},
  "dataset": {"name": "d"},
  "metrics": [
    {"name": "auroc", "value": "high"},
    {"name": "f1", "value": 0.8, "direction": "up"}
  ],
  "surprise": true
}"""
    assert _invalid(EVALUATION, text) == [
        "bad.json:6:32: metrics[0].value: expected a number, got a string",
        "bad.json:7:47: metrics[1].direction: 'up' is not one of 'min', 'max'",
        "bad.json:9:3: unknown field 'surprise'",
    ]


def test_a_large_invalid_file_is_reported_by_path_without_a_second_reading() -> None:
    metrics = [{"name": f"m{i}", "value": 0.5} for i in range(30_000)] + [{"value": "bad"}]
    document = {"format": "assay.ai-evaluation/v1", "model": {"name": "m"},
                "dataset": {"name": "d"}, "metrics": metrics}  # fmt: skip
    text = json.dumps(document, indent=1)
    assert len(text) > 1024 * 1024
    assert _invalid(EVALUATION, text) == [
        "bad.json:1:1: metrics[30000].value: expected a number, got a string",
        "bad.json:1:1: metrics[30000]: missing required field 'name'",
    ]


def test_slo_objective_needs_measured_or_counts() -> None:
    report = {
        "format": "assay.slo-report/v1",
        "period": {"since": "2026-01-01T00:00:00Z", "until": "2026-02-01T00:00:00Z"},
        "objectives": [{"name": "a", "target": 0.99, "window": "P30D"}],
    }
    lines = _invalid(SLO, json.dumps(report))
    assert len(lines) == 1
    assert lines[0].startswith("bad.json:1:")
    assert "objectives[0]" in lines[0]


def test_unknown_marker_is_not_recognised() -> None:
    assert takers(artefact("x.json", '{"format": "assay.something-else/v9"}')) == []
    assert takers(artefact("y.json", '{"format": "not-assay"}')) == []


def test_truncated_own_format_is_recognised_and_refused() -> None:
    data = fixture("reviews/reviews.json").data[:300]
    target = artefact("reviews-cut.json", data)
    assert takers(target) == ["reviews-export"]
    with pytest.raises(ArtefactError, match="truncated"):
        collect(REVIEWS, [target])


def test_model_card_without_a_time_uses_the_file_time() -> None:
    card = {"format": "assay.ai-model-card/v1", "model": {"name": "m"}, "sections": {}}
    (draft,) = collect(MODEL_CARD, [artefact("card.json", json.dumps(card))])
    assert draft.observed_at == FIXED
    assert draft.facts["sections"] == []
