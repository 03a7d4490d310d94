"""Istanbul's coverage-summary.json (nyc, Jest, Vitest): read from its totals' counts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from assay.evidence.collectors.coverage import CoverageParser
from assay.evidence.parsing.errors import ArtefactError
from tests.unit.evidence.artefacts.helpers import artefact, collect, fixture, one, takers

PARSER = CoverageParser()


def test_summary_totals_and_files() -> None:
    target = fixture("coverage/coverage-summary.json")
    assert takers(target) == ["coverage"]
    facts = one(PARSER, target)
    assert facts == {
        "format": "istanbul-summary",
        "files": 3,
        "lines_valid": 123,
        "lines_covered": 98,
        "line_rate": round(98 / 123, 6),
        "branches_valid": 42,
        "branches_covered": 24,
        "branch_rate": round(24 / 42, 6),
    }


def test_summary_and_cobertura_of_one_run_add_up_as_mixed() -> None:
    (draft,) = collect(
        PARSER, [fixture("coverage/coverage-summary.json"), fixture("coverage/cobertura.xml")]
    )
    assert draft.facts["format"] == "mixed"
    assert draft.facts["files"] > 3


def summary(**total: Any) -> str:
    return json.dumps({"total": total, "/src/a.js": {}})


LINES = {"total": 10, "covered": 5, "skipped": 0, "pct": 50}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (summary(lines={**LINES, "covered": "5"}),
         "total.lines.covered is '5': a count must be a whole number"),
        (summary(lines={**LINES, "total": 1.5}),
         "total.lines.total is 1.5: a count must be a whole number"),
        (summary(lines={**LINES, "total": True}),
         "total.lines.total is True: a count must be a whole number"),
        (summary(lines={**LINES, "covered": 11}),
         "total.lines says 11 covered of 10: more than there are"),
        (summary(lines=LINES, branches=[1]),
         "total.branches is a list: it must be an object with total and covered"),
        (summary(lines={**LINES, "total": 0, "covered": 0, "pct": "Unknown"}),
         "the report measured no lines"),
        (summary(lines={**LINES, "covered": 10**400}),
         "total.lines.covered is 1000000000000000000000000000000000000000: a count must be a "
         "whole number"),
    ],
)  # fmt: skip
def test_bad_summaries_are_refused(data: str, message: str) -> None:
    target = artefact("coverage-summary.json", data)
    assert takers(target) == ["coverage"]
    with pytest.raises(ArtefactError) as caught:
        collect(PARSER, [target])
    assert message in str(caught.value.problems[0])


def test_a_truncated_summary_is_recognised_and_refused() -> None:
    data = fixture("coverage/coverage-summary.json").data[:700]
    target = artefact("coverage-summary.json", data)
    assert takers(target) == ["coverage"]
    with pytest.raises(ArtefactError, match="truncated"):
        collect(PARSER, [target])


def test_json_with_an_unrelated_total_is_not_coverage() -> None:
    assert takers(artefact("invoice.json", '{"total": 12.5, "lines": []}')) == []
    assert takers(artefact("stats.json", '{"total": {"lines": 3}}')) == []
