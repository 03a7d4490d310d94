"""deps.vulnerabilities from pip-audit (real output), osv-scanner, Trivy, Grype and SARIF."""

from __future__ import annotations

import json
from typing import Any

import pytest

from assay.evidence.collectors.vulns import VulnerabilityParser
from assay.evidence.parsing.errors import ArtefactError
from assay.evidence.parsing.severity import severity_word
from tests.unit.evidence.artefacts.helpers import artefact, collect, fixture, one, takers

PARSER = VulnerabilityParser()
NONE = {"critical": 0, "high": 0, "medium": 0, "low": 0, "unknown": 0}


def test_real_pip_audit_report() -> None:
    target = fixture("vulns/pip-audit.json")
    assert takers(target) == ["vulns"]
    facts = one(PARSER, target)
    assert facts["format"] == "pip-audit"
    assert (facts["ecosystems"], facts["dependencies_scanned"]) == (["pypi"], 4)
    assert (facts["total"], facts["advisories"], facts["packages_affected"]) == (6, 6, 4)
    assert "PYSEC-2018-28" in facts["advisory_ids"]
    assert facts["by_severity"] == {**NONE, "unknown": 6}, "pip-audit reports no severity"
    assert (facts["fixable"], facts["unfixable"]) == (6, 0)


def test_osv_scanner_groups_aliases_into_one_finding() -> None:
    facts = one(PARSER, fixture("vulns/osv-scanner.json"))
    assert facts["format"] == "osv-scanner"
    assert facts["ecosystems"] == ["npm", "pypi"]
    assert facts["dependencies_scanned"] is None
    # jinja2's GHSA and PYSEC records are one group: one finding, not two.
    assert facts["total"] == 3
    assert facts["advisory_ids"] == [
        "GHSA-35jh-r3h4-6jhm",
        "GHSA-462w-v97r-4m45",
        "GHSA-x5rq-j2xg-h7qm",
    ]
    # max_severity 8.6 and 7.2 are high; the group without a score takes MODERATE.
    assert facts["by_severity"] == {**NONE, "high": 2, "medium": 1}
    assert (facts["fixable"], facts["unfixable"]) == (2, 1)
    assert facts["fixable_by_severity"] == {**NONE, "high": 2}


def test_trivy_report() -> None:
    (draft,) = collect(PARSER, [fixture("vulns/trivy.json")])
    facts = draft.facts
    assert (facts["format"], facts["ecosystems"]) == ("trivy", ["debian", "pypi"])
    assert facts["by_severity"] == {**NONE, "critical": 2, "medium": 1, "low": 1}
    assert facts["fixable_by_severity"] == {**NONE, "critical": 1, "medium": 1, "low": 1}
    assert facts["unfixable"] == 1
    assert draft.observed_at.isoformat() == "2026-03-12T22:09:12+00:00"  # CreatedAt, nanoseconds


def test_grype_report() -> None:
    (draft,) = collect(PARSER, [fixture("vulns/grype.json")])
    facts = draft.facts
    assert facts["format"] == "grype"
    assert facts["by_severity"] == {**NONE, "critical": 1, "medium": 1, "low": 1}, (
        "negligible is low"
    )
    assert (facts["fixable"], facts["unfixable"]) == (2, 1)
    assert draft.observed_at.isoformat() == "2026-03-12T22:10:02+00:00"


def test_dependency_scanner_sarif() -> None:
    facts = one(PARSER, fixture("vulns/trivy.sarif"))
    assert facts["format"] == "sarif"
    assert facts["by_severity"] == {**NONE, "critical": 1, "medium": 1}
    assert facts["packages_affected"] == 2, "packages are read from Trivy's messages"
    assert facts["fixable"] == 2


def test_reports_of_one_run_merge_and_duplicates_count_once() -> None:
    (draft,) = collect(
        PARSER,
        [fixture("vulns/trivy.json"), fixture("vulns/trivy.json"), fixture("vulns/grype.json")],
    )
    facts = draft.facts
    assert facts["format"] == "mixed"
    # Trivy's four findings once, plus Grype's three less zlib1g CVE-2023-45853, which both
    # scanners report for the same package version.
    assert facts["total"] == 4 + 3 - 1
    assert len(draft.artefacts) == 3


def test_clean_scan_has_no_findings() -> None:
    clean = {"dependencies": [{"name": "attrs", "version": "23.2.0", "vulns": []}], "fixes": []}
    facts = one(PARSER, artefact("clean.json", json.dumps(clean)))
    assert (facts["total"], facts["dependencies_scanned"], facts["advisory_ids"]) == (0, 1, [])


def test_truncated_scans_are_refused() -> None:
    data = fixture("vulns/trivy.json").data
    target = artefact("trivy-cut.json", data[:900])
    assert takers(target) == ["vulns"]
    with pytest.raises(ArtefactError, match="truncated"):
        collect(PARSER, [target])


def test_unrelated_json_is_not_a_scan() -> None:
    assert (
        takers(artefact("package.json", '{"name": "web", "dependencies": {"react": "18"}}')) == []
    )
    assert takers(artefact("list.json", "[1, 2, 3]")) == []


@pytest.mark.parametrize(
    ("value", "word"),
    [("MODERATE", "medium"), ("Negligible", "low"), ("important", "high"), (9.8, "critical"),
     ("4.0", "medium"), ("whatever", "unknown"), (None, "unknown")],
)  # fmt: skip
def test_severity_words(value: object, word: str) -> None:
    assert severity_word(value) == word


def trivy(vulnerability: Any) -> str:
    results = [{"Target": "requirements.txt", "Class": "lang-pkgs", "Type": "pip",
                "Vulnerabilities": [vulnerability]}]  # fmt: skip
    return json.dumps({"SchemaVersion": 2, "ArtifactName": ".", "Results": results})


def grype(vulnerability: Any) -> str:
    match = {"vulnerability": vulnerability, "artifact": {"name": "zlib", "version": "1.2"}}
    return json.dumps({"matches": [match], "descriptor": {"name": "grype"}})


CVE = {"VulnerabilityID": "CVE-2024-1", "PkgName": "requests", "InstalledVersion": "2.19.1"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (trivy({**CVE, "Severity": {"level": "HIGH"}}),
         "Results[0].Vulnerabilities[0].Severity must be a severity word or score, not an object"),
        (trivy({**CVE, "Severity": None}),
         "Results[0].Vulnerabilities[0].Severity must be a severity word or score, not null"),
        (trivy("CVE-2024-1"), "Results[0].Vulnerabilities[0] must be an object, not a string"),
        (trivy({"PkgName": "requests", "Severity": "HIGH"}),
         "Results[0].Vulnerabilities[0].VulnerabilityID is missing: every finding names its "
         "advisory"),
        (json.dumps({"SchemaVersion": 2, "Results": [None]}),
         "Results[0] must be an object, not null"),
        (json.dumps({"SchemaVersion": 2, "Results": [{"Vulnerabilities": {"a": 1}}]}),
         "Results[0].Vulnerabilities must be a list, not an object"),
        (grype({"id": "CVE-2024-2", "severity": None}),
         "matches[0].vulnerability.severity must be a severity word or score, not null"),
        (grype({"id": "CVE-2024-2", "severity": ["High"]}),
         "matches[0].vulnerability.severity must be a severity word or score, not a list"),
        (grype({"id": 7, "severity": "High"}),
         "matches[0].vulnerability.id is a number: every finding names its advisory"),
        (grype(None), "matches[0].vulnerability must be an object, not null"),
        (json.dumps({"matches": [1], "descriptor": {"name": "grype"}}),
         "matches[0] must be an object, not a number"),
        (json.dumps({"results": [{"packages": [{"package": {"name": "jinja2"},
                     "vulnerabilities": [{"id": "GHSA-1"}], "groups": [{"ids": "GHSA-1"}]}]}]}),
         "results[0].packages[0].groups[0].ids must list advisory ids, not a string"),
        (json.dumps({"results": [{"packages": [None]}]}),
         "results[0].packages[0] must be an object, not null"),
        (json.dumps({"dependencies": [{"name": "attrs", "version": "1", "vulns": [{"id": None}]}]}),
         "dependencies[0].vulns[0].id is null: every finding names its advisory"),
        (json.dumps({"dependencies": [{"name": "attrs", "version": "1", "vulns": ["PYSEC-1"]}]}),
         "dependencies[0].vulns[0] must be an object, not a string"),
    ],
)  # fmt: skip
def test_entries_of_the_wrong_shape_refuse_the_file(data: str, message: str) -> None:
    target = artefact("scans/odd.json", data)
    assert takers(target) == ["vulns"]
    with pytest.raises(ArtefactError) as caught:
        collect(PARSER, [target])
    assert caught.value.diagnostics() == [f"scans/odd.json: {message}"]


def test_absent_severity_is_unknown_and_go_nulls_are_empty_lists() -> None:
    empty = {"SchemaVersion": 2, "ArtifactName": ".", "Results": [{"Vulnerabilities": None}]}
    assert one(PARSER, artefact("t.json", json.dumps(empty)))["total"] == 0
    facts = one(PARSER, artefact("t.json", trivy(CVE)))
    assert facts["by_severity"] == {**NONE, "unknown": 1}, "Trivy stated no severity"
