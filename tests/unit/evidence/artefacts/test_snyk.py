"""Snyk: `snyk test --json`, `snyk container test --json` and Snyk's SARIF are dependency
vulnerabilities, every affected package version counted once."""

from __future__ import annotations

import json
from typing import Any

import pytest

from assay.evidence.collectors.vulns import VulnerabilityParser
from assay.evidence.parsing.errors import ArtefactError
from assay.evidence.parsing.snyk import introduced, split_package
from assay.schemas import compile_schema
from tests.support.paths import DATA
from tests.unit.evidence.artefacts.helpers import artefact, collect, fixture, one, takers

PARSER = VulnerabilityParser()
NONE = {"critical": 0, "high": 0, "medium": 0, "low": 0, "unknown": 0}
LODASH = "SNYK-JS-LODASH-1040724"
GLIBC = "SNYK-DEBIAN11-GLIBC-5927133"


def test_one_issue_on_four_versions_counts_four_packages() -> None:
    target = fixture("vulns/snyk-test.json")
    assert takers(target) == ["vulns"]
    facts = one(PARSER, target)
    assert (facts["format"], facts["ecosystems"], facts["dependencies_scanned"]) == (
        "snyk",
        ["npm"],
        412,
    )
    # Six lodash paths reach four versions; minimist is one more; the licence issue is none.
    assert (facts["total"], facts["packages_affected"], facts["advisories"]) == (5, 5, 2)
    assert facts["advisory_ids"] == [LODASH, "SNYK-JS-MINIMIST-559764"]
    assert facts["by_severity"] == {**NONE, "high": 4, "medium": 1}
    assert facts["fixable_by_severity"] == {**NONE, "high": 4}, "fixedIn 4.17.21; minimist none"


def test_container_report_with_its_applications() -> None:
    facts = one(PARSER, fixture("vulns/snyk-container.json"))
    assert facts["ecosystems"] == ["debian", "npm"]  # Snyk's "deb" by its OSV name
    assert facts["dependencies_scanned"] == 96 + 120
    # glibc's one issue hits four binary packages; zlib one; lodash in the image's app one.
    assert (facts["total"], facts["packages_affected"], facts["advisories"]) == (6, 6, 3)
    assert facts["by_severity"] == {**NONE, "critical": 4, "high": 1, "low": 1}
    assert (facts["fixable"], facts["unfixable"]) == (5, 1)


def test_snyk_container_sarif_is_vulnerabilities_not_sast() -> None:
    target = fixture("vulns/snyk-container.sarif")
    assert takers(target) == ["vulns"]
    facts = one(PARSER, target)
    assert facts["format"] == "sarif"
    assert (facts["total"], facts["packages_affected"]) == (2, 2)
    assert facts["by_severity"] == {**NONE, "critical": 1, "low": 1}


def test_snyk_open_source_sarif_counts_every_version_its_paths_reach() -> None:
    target = fixture("vulns/snyk-open-source.sarif")
    assert takers(target) == ["vulns"]
    facts = one(PARSER, target)
    assert (facts["total"], facts["packages_affected"], facts["advisories"]) == (4, 4, 1)
    assert facts["fixable_by_severity"] == {**NONE, "high": 4}, "the result proposes a fix"


def test_the_json_and_the_sarif_of_one_scan_count_the_same_lodash_findings() -> None:
    (draft,) = collect(
        PARSER, [fixture("vulns/snyk-test.json"), fixture("vulns/snyk-open-source.sarif")]
    )
    assert draft.facts["format"] == "mixed"
    assert draft.facts["total"] == 5, "the same (package, version, issue) counts once"


@pytest.mark.parametrize("name", ["snyk-container.sarif", "snyk-open-source.sarif"])
def test_the_sarif_fixtures_are_valid_sarif(name: str) -> None:
    schema = json.loads((DATA / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    document = json.loads(fixture(f"vulns/{name}").data)
    assert [e.message for e in compile_schema(schema).iter_errors(document)] == []


def snyk(vulnerability: Any, **project: Any) -> str:
    report = {"vulnerabilities": [vulnerability], "packageManager": "pip", "dependencyCount": 3}
    return json.dumps({**report, **project})


VULN = {"id": "SNYK-PYTHON-X-1", "packageName": "x", "version": "1", "severity": "high"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (snyk({**VULN, "severity": {"level": "high"}}),
         "vulnerabilities[0].severity must be a severity word or score, not an object"),
        (snyk({**VULN, "id": None}),
         "vulnerabilities[0].id is null: every finding names its advisory"),
        (snyk({**VULN, "packageName": 3, "name": None}),
         "vulnerabilities[0].packageName is missing: every finding names its package"),
        (snyk("SNYK-PYTHON-X-1"), "vulnerabilities[0] must be an object, not a string"),
        (snyk(VULN, applications={"a": 1}), "applications must be a list, not an object"),
        (json.dumps([json.loads(snyk(VULN)), json.loads(snyk({**VULN, "severity": []}))]),
         "[1].vulnerabilities[0].severity must be a severity word or score, not a list"),
    ],
)  # fmt: skip
def test_wrong_shapes_refuse_the_file(data: str, message: str) -> None:
    target = artefact("snyk.json", data)
    assert takers(target) == ["vulns"]
    with pytest.raises(ArtefactError) as caught:
        collect(PARSER, [target])
    assert caught.value.diagnostics() == [f"snyk.json: {message}"]


def test_a_truncated_snyk_report_is_recognised_and_refused() -> None:
    data = fixture("vulns/snyk-test.json").data[:3000]
    target = artefact("snyk.json", data)
    assert takers(target) == ["vulns"]
    with pytest.raises(ArtefactError, match="truncated"):
        collect(PARSER, [target])


def test_a_snyk_error_or_unrelated_json_is_not_a_scan() -> None:
    error = {"ok": False, "error": "Could not detect supported target files", "path": "."}
    assert takers(artefact("snyk.json", json.dumps(error))) == []
    audit = {"auditReportVersion": 2, "vulnerabilities": {"x": {}}, "metadata": {}}
    assert takers(artefact("audit.json", json.dumps(audit))) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lodash@4.17.4", ("lodash", "4.17.4")),
        ("@babel/core@7.12.3", ("@babel/core", "7.12.3")),
        ("zlib/zlib1g@1:1.2.11.dfsg-2+deb11u2", ("zlib/zlib1g", "1:1.2.11.dfsg-2+deb11u2")),
        ("@scope/", None),
        ("noversion", None),
        ("trailing@", None),
    ],
)
def test_split_package(text: str, expected: tuple[str, str] | None) -> None:
    assert split_package(text) == expected


def test_introduced_reads_the_last_package_of_each_path() -> None:
    markdown = (
        "* _Introduced through_: app@1 \u203a a@2 \u203a lodash@4.17.4\n"
        "* _Introduced through_: app@1 \u203a lodash@4.17.4\n"
        "* _Introduced through_: app@1 > b@1 > lodash@4.17.15\n"
        "* _Introduced through_: garbage\n" + "x" * 100_000
    )
    assert introduced(markdown) == [("lodash", "4.17.4"), ("lodash", "4.17.15")]
