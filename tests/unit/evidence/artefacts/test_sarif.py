"""sast.findings from SARIF 2.1.0: real Bandit output, the resolution rules, bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest

from assay.evidence.collectors.sarif import SarifParser
from assay.evidence.parsing.errors import ArtefactError
from assay.evidence.parsing.severity import severity_band
from tests.unit.evidence.artefacts.helpers import artefact, collect, fixture, one, takers

PARSER = SarifParser()


def test_real_bandit_sarif() -> None:
    target = fixture("sarif/bandit.sarif")
    assert takers(target) == ["sarif"]
    facts = one(PARSER, target)
    assert facts["tools"] == ["Bandit"]
    assert (facts["runs"], facts["total"], facts["suppressed"]) == (1, 3, 0)
    assert facts["by_level"] == {"error": 2, "warning": 0, "note": 1, "none": 0}
    # No security-severity: Bandit's own issue_severity (HIGH, HIGH, LOW) is read.
    assert facts["by_severity"] == {"critical": 0, "high": 2, "medium": 0, "low": 1, "unknown": 0}
    assert {rule["rule"] for rule in facts["top_rules"]} == {"B324", "B404", "B602"}
    assert (facts["rules"], facts["files"]) == (3, 1)


def test_levels_suppressions_and_severities_follow_the_rules() -> None:
    (draft,) = collect(PARSER, [fixture("sarif/codeql.sarif")])
    facts = draft.facts
    # 7 results: 1 with an accepted suppression; a rejected suppression still counts.
    assert (facts["total"], facts["suppressed"]) == (6, 1)
    # error: 2 sql-injection (rule default) + code-injection; warning: explicit level;
    # note: unused-import default; none: the result of kind "pass".
    assert facts["by_level"] == {"error": 3, "warning": 1, "note": 1, "none": 1}
    # security-severity 8.8 (x2) and 7.5 are high, 9.3 critical; unused-import states none,
    # so its rule's default level (note) makes it low; the "pass" result states nothing.
    assert facts["by_severity"] == {"critical": 1, "high": 3, "medium": 0, "low": 1, "unknown": 1}
    # Files come from the uri, or from the run's artifacts table by index.
    assert facts["files"] == 3
    assert facts["top_rules"][0] == {
        "rule": "py/sql-injection",
        "tool": "CodeQL",
        "level": "error",
        "count": 2,
    }
    assert draft.observed_at.isoformat() == "2026-03-12T22:07:41+00:00"  # invocation end


def test_several_sarif_files_merge() -> None:
    (draft,) = collect(PARSER, [fixture("sarif/bandit.sarif"), fixture("sarif/codeql.sarif")])
    assert draft.facts["tools"] == ["Bandit", "CodeQL"]
    assert (draft.facts["runs"], draft.facts["total"]) == (2, 9)
    assert len(draft.artefacts) == 2


def test_other_sarif_versions_are_refused() -> None:
    target = fixture("sarif/sarif-2.0.0.sarif")
    assert takers(target) == ["sarif"]
    with pytest.raises(ArtefactError) as caught:
        collect(PARSER, [target])
    assert caught.value.diagnostics() == [
        "sarif/sarif-2.0.0.sarif: SARIF version 2.0.0 is not supported: "
        "Assay reads SARIF 2.1.0 only"
    ]


def test_truncated_sarif_is_refused_with_its_position() -> None:
    data = fixture("sarif/codeql.sarif").data
    target = artefact("sarif/cut.sarif", data[:1500])
    assert takers(target) == ["sarif"]
    with pytest.raises(ArtefactError) as caught:
        collect(PARSER, [target])
    (problem,) = caught.value.problems
    assert problem.message == "JSON ends unexpectedly: the file is truncated"
    assert (problem.line, problem.path) == (data[:1500].count(b"\n") + 1, "sarif/cut.sarif")


def test_hostile_json_is_refused_cleanly() -> None:
    nan = '{"version": "2.1.0", "runs": [{"results": [{"rank": NaN}]}]}'
    with pytest.raises(ArtefactError, match="NaN is not allowed"):
        collect(PARSER, [artefact("nan.sarif", nan)])
    deep = '{"version": "2.1.0", "runs": ' + "[" * 100_000 + "]" * 100_000 + "}"
    with pytest.raises(ArtefactError, match="nested too deeply"):
        collect(PARSER, [artefact("deep.sarif", deep)])


def sarif(results: list[Any], rules: list[Any] | None = None, **run: Any) -> str:
    driver: dict[str, Any] = {"name": "semgrep"}
    if rules is not None:
        driver["rules"] = rules
    return json.dumps(
        {"version": "2.1.0", "runs": [{"tool": {"driver": driver}, "results": results, **run}]}
    )


def test_results_without_rules_or_locations_are_still_counted() -> None:
    document = sarif([{"message": {"text": "no rule id"}}, {"ruleId": "x", "kind": "fail"}])
    facts = one(PARSER, artefact("s.sarif", document))
    assert facts["total"] == 2
    assert facts["by_level"]["warning"] == 2
    assert facts["by_severity"]["unknown"] == 2, "nothing stated: SARIF's default level is not"
    assert {r["rule"] for r in facts["top_rules"]} == {"unknown", "x"}
    assert facts["files"] == 0


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (sarif([None, 1, "x"]), "runs[0].results[0] must be an object, not null"),
        (sarif([{"ruleId": "a"}, 1]), "runs[0].results[1] must be an object, not a number"),
        (sarif([{"ruleId": "a", "level": "bogus"}]),
         "runs[0].results[0].level must be one of error, warning, note, none, not 'bogus'"),
        (sarif([{"ruleId": "a", "level": {"x": 1}}]),
         "runs[0].results[0].level must be one of error, warning, note, none, not an object"),
        (sarif([{"ruleId": "a", "properties": {"security-severity": {"score": 9}}}]),
         "runs[0].results[0].properties.security-severity must be a severity word or score, "
         "not an object"),
        (sarif([{"ruleId": "a", "properties": {"issue_severity": None}}]),
         "runs[0].results[0].properties.issue_severity must be a severity word or score, "
         "not null"),
        (sarif([{"ruleId": "a", "properties": ["high"]}]),
         "runs[0].results[0].properties must be an object, not a list"),
        (sarif([], rules=[None]), "runs[0].tool.driver.rules[0] must be an object, not null"),
        (sarif([], rules=[{"id": "a", "properties": {"security-severity": True}}]),
         "runs[0].tool.driver.rules[0].properties.security-severity must be a severity word "
         "or score, not a boolean"),
        (sarif([], rules=[{"id": "a", "defaultConfiguration": {"level": "fatal"}}]),
         "runs[0].tool.driver.rules[0].defaultConfiguration.level must be one of error, "
         "warning, note, none, not 'fatal'"),
        (json.dumps({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}}]}),
         "runs[0] has no 'results': a SARIF scan lists its results, an empty list when it "
         "found nothing"),
        (sarif({"0": {}}),  # type: ignore[arg-type]
         "runs[0] has 'results' as an object: a SARIF scan lists its results, an empty list "
         "when it found nothing"),
    ],
)  # fmt: skip
def test_entries_of_the_wrong_shape_refuse_the_file(document: str, message: str) -> None:
    target = artefact("reports/odd.sarif", document)
    assert takers(target) == ["sarif"]
    with pytest.raises(ArtefactError) as caught:
        collect(PARSER, [target])
    assert caught.value.diagnostics() == [f"reports/odd.sarif: {message}"]


def test_severity_is_the_first_the_report_states() -> None:
    rules = [
        {"id": "scored", "properties": {"security-severity": "9.1", "issue_severity": "LOW"}},
        {"id": "snyk", "properties": {"cvssv3_baseScore": 7.5}},
        {"id": "levelled", "defaultConfiguration": {"level": "warning"}},
        {"id": "silent"},
    ]
    results = [
        # the result's security-severity outranks everything else
        {"ruleId": "snyk", "level": "note", "properties": {"security-severity": "4.0"}},
        # the rule's security-severity outranks the result's own tool property and level
        {"ruleId": "scored", "level": "note", "properties": {"issue_severity": "MEDIUM"}},
        # the rule's tool score (Snyk) outranks the level
        {"ruleId": "snyk", "level": "note"},
        # Bandit's issue_severity on the result outranks its level
        {"ruleId": "silent", "level": "error", "properties": {"issue_severity": "LOW"}},
        # Bandit's UNDEFINED says nothing: the level decides
        {"ruleId": "silent", "level": "error", "properties": {"issue_severity": "UNDEFINED"}},
        # the result's level, else its rule's default level
        {"ruleId": "silent", "level": "note"},
        {"ruleId": "levelled"},
        # nothing stated at all; and a result that is not a problem
        {"ruleId": "silent"},
        {"ruleId": "silent", "kind": "pass"},
    ]
    facts = one(PARSER, artefact("order.sarif", sarif(results, rules)))
    assert facts["by_severity"] == {"critical": 1, "high": 2, "medium": 2, "low": 2, "unknown": 2}


def test_dependency_scanner_sarif_goes_to_the_vulnerability_parser() -> None:
    assert takers(fixture("vulns/trivy.sarif")) == ["vulns"]


@pytest.mark.parametrize(
    ("score", "band"),
    [("9.0", "critical"), (7, "high"), ("6.9", "medium"), (0.1, "low"), (0, "unknown"),
     ("n/a", "unknown"), (None, "unknown")],
)  # fmt: skip
def test_severity_bands(score: object, band: str) -> None:
    assert severity_band(score) == band
