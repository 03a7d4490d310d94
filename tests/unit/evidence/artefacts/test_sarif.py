"""sast.findings from SARIF 2.1.0: real Bandit output, the resolution rules, bad input."""

from __future__ import annotations

import json

import pytest

from assay.evidence.collectors.sarif import SarifParser, severity_band
from assay.evidence.parsing.errors import ArtefactError
from tests.unit.evidence.artefacts.helpers import artefact, collect, fixture, one, takers

PARSER = SarifParser()


def test_real_bandit_sarif() -> None:
    target = fixture("sarif/bandit.sarif")
    assert takers(target) == ["sarif"]
    facts = one(PARSER, target)
    assert facts["tools"] == ["Bandit"]
    assert (facts["runs"], facts["total"], facts["suppressed"]) == (1, 3, 0)
    assert facts["by_level"] == {"error": 2, "warning": 0, "note": 1, "none": 0}
    assert facts["by_severity"]["unknown"] == 3, "Bandit sets no security-severity"
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
    # security-severity 8.8 (x2) and 7.5 are high, 9.3 critical, unused-import has none.
    assert facts["by_severity"] == {"critical": 1, "high": 3, "medium": 0, "low": 0, "unknown": 2}
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


def test_results_without_rules_or_locations_are_still_counted() -> None:
    document = {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "semgrep"}},
                "results": [
                    {"message": {"text": "no rule id"}},
                    {"ruleId": "x", "level": "bogus", "message": {"text": "bad level"}},
                    "not an object",
                ],
            }
        ],
    }
    facts = one(PARSER, artefact("s.sarif", json.dumps(document)))
    assert facts["total"] == 2
    assert facts["by_level"]["warning"] == 2
    assert {r["rule"] for r in facts["top_rules"]} == {"unknown", "x"}
    assert facts["files"] == 0


def test_dependency_scanner_sarif_goes_to_the_vulnerability_parser() -> None:
    assert takers(fixture("vulns/trivy.sarif")) == ["vulns"]


@pytest.mark.parametrize(
    ("score", "band"),
    [("9.0", "critical"), (7, "high"), ("6.9", "medium"), (0.1, "low"), (0, "unknown"),
     ("n/a", "unknown"), (None, "unknown")],
)  # fmt: skip
def test_severity_bands(score: object, band: str) -> None:
    assert severity_band(score) == band
