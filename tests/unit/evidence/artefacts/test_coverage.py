"""test.coverage from Cobertura, coverage.py JSON and lcov: real coverage.py output and attacks."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from assay.evidence.collectors.coverage import CoverageParser
from assay.evidence.parsing.errors import ArtefactError
from tests.unit.evidence.artefacts.helpers import FIXED, artefact, collect, fixture, one, takers

PARSER = CoverageParser()
MEASURED = {
    "files": 1,
    "lines_valid": 12,
    "lines_covered": 10,
    "line_rate": 0.833333,
    "branches_valid": 4,
    "branches_covered": 3,
    "branch_rate": 0.75,
}


@pytest.mark.parametrize(
    ("relpath", "fmt"),
    [
        ("coverage/cobertura.xml", "cobertura"),
        ("coverage/coverage.json", "coverage-py"),
        ("coverage/coverage.lcov", "lcov"),
    ],
)
def test_the_three_reports_of_one_run_agree(relpath: str, fmt: str) -> None:
    target = fixture(relpath)
    assert takers(target) == ["coverage"]
    assert one(PARSER, target) == {"format": fmt, **MEASURED}


def test_report_times() -> None:
    (xml,) = collect(PARSER, [fixture("coverage/cobertura.xml")])
    (json_report,) = collect(PARSER, [fixture("coverage/coverage.json")])
    (lcov,) = collect(PARSER, [fixture("coverage/coverage.lcov")])
    assert xml.observed_at.isoformat() == "2026-11-26T05:48:24+00:00"  # epoch milliseconds
    assert json_report.observed_at.isoformat() == "2026-11-26T05:48:24+00:00"  # naive: UTC
    assert lcov.observed_at == FIXED  # lcov states no time: the file's time


def test_reports_of_different_formats_are_added_up_as_mixed() -> None:
    lcov = """SF:web/app.js
DA:1,1
DA:2,0
DA:3,4
end_of_record
SF:web/util.js
LF:10
LH:10
BRF:2
BRH:1
end_of_record
"""
    (draft,) = collect(PARSER, [fixture("coverage/cobertura.xml"), artefact("web.lcov", lcov)])
    assert draft.facts == {
        "format": "mixed",
        "files": 3,
        "lines_valid": 25,
        "lines_covered": 22,
        "line_rate": round(22 / 25, 6),
        "branches_valid": 6,
        "branches_covered": 4,
        "branch_rate": round(4 / 6, 6),
    }


def test_cobertura_without_totals_is_counted_from_class_lines() -> None:
    report = """<?xml version="1.0"?>
<!DOCTYPE coverage SYSTEM "http://cobertura.sourceforge.net/xml/coverage-04.dtd">
<coverage line-rate="0.5" branch-rate="0" version="gcovr 7.0" timestamp="1741817560">
  <packages><package name="src"><classes>
    <class name="main_c" filename="src/main.c" line-rate="0.5">
      <methods><method name="main"><lines><line number="1" hits="1"/></lines></method></methods>
      <lines>
        <line number="1" hits="1"/>
        <line number="2" hits="0" branch="true" condition-coverage="50% (1/2)"/>
      </lines>
    </class>
  </classes></package></packages>
</coverage>"""
    target = artefact("gcovr.xml", report)
    assert takers(target) == ["coverage"]
    (draft,) = collect(PARSER, [target])
    assert draft.facts["lines_valid"] == 2, "method lines repeat class lines and are not counted"
    assert (draft.facts["lines_covered"], draft.facts["branches_valid"]) == (1, 2)
    assert draft.observed_at.isoformat() == "2025-03-12T22:12:40+00:00"  # epoch seconds


def test_no_branch_data_gives_a_null_branch_rate() -> None:
    facts = one(PARSER, artefact("a.lcov", "SF:a.py\nDA:1,1\nend_of_record\n"))
    assert (facts["branches_valid"], facts["branch_rate"], facts["line_rate"]) == (0, None, 1.0)


def test_billion_laughs_in_cobertura_is_refused() -> None:
    bomb = """<?xml version="1.0"?>
<!DOCTYPE coverage [
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
  <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
  <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
  <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
]>
<coverage line-rate="1" lines-valid="1" lines-covered="1">
<sources><source>&f;</source></sources></coverage>"""
    target = artefact("coverage/bomb.xml", bomb)
    assert takers(target) == ["coverage"]
    started = time.monotonic()
    with pytest.raises(ArtefactError, match="DOCTYPE"):
        collect(PARSER, [target])
    assert time.monotonic() - started < 1


def test_external_entity_in_cobertura_never_reads_the_file(tmp_path: Path) -> None:
    secret = tmp_path / "passwd"
    secret.write_text("root:TOP-SECRET:0:0", encoding="utf-8")
    with_subset = f"""<?xml version="1.0"?>
<!DOCTYPE coverage [<!ENTITY leak SYSTEM "file://{secret}">]>
<coverage line-rate="1"><packages><package name="&leak;"/></packages></coverage>"""
    with pytest.raises(ArtefactError) as caught:
        collect(PARSER, [artefact("coverage/xxe.xml", with_subset)])
    assert "TOP-SECRET" not in "\n".join(caught.value.diagnostics())
    # A bare external DOCTYPE is allowed for Cobertura, but the DTD is never fetched and an
    # entity it would define stays empty: the file's content reaches nothing.
    bare = f"""<?xml version="1.0"?>
<!DOCTYPE coverage SYSTEM "file://{secret}">
<coverage line-rate="1"><packages><package name="p"><classes>
<class name="&leak;" filename="&leak;"><lines><line number="1" hits="1"/></lines></class>
</classes></package></packages></coverage>"""
    (draft,) = collect(PARSER, [artefact("coverage/bare.xml", bare)])
    assert "TOP-SECRET" not in repr(draft.facts) + repr(draft.subject)
    assert draft.facts["lines_valid"] == 1


def test_truncated_coverage_reports_are_errors() -> None:
    json_data = fixture("coverage/coverage.json").data
    cut = artefact("coverage/cut.json", json_data[: len(json_data) // 2])
    assert takers(cut) == ["coverage"], "a truncated file is recognised, then refused"
    with pytest.raises(ArtefactError) as caught:
        collect(PARSER, [cut])
    assert caught.value.problems[0].message == "JSON ends unexpectedly: the file is truncated"
    assert caught.value.problems[0].line is not None
    lcov = fixture("coverage/coverage.lcov").data
    with pytest.raises(ArtefactError, match="truncated"):
        collect(PARSER, [artefact("cut.lcov", lcov[: lcov.index(b"end_of_record")])])


def test_unrelated_files_are_not_coverage() -> None:
    assert takers(artefact("readme.txt", "Some notes\nSF: not really\n")) == []
    assert takers(artefact("x.json", '{"meta": 1, "totals": {}}')) == []
    assert takers(artefact("c.xml", "<coverage><nothing/></coverage>")) == []


def nyc(root: str, lines: str = "") -> str:
    """A Cobertura report as Istanbul (nyc, jest --coverage) writes it, with the given root."""
    return f"""<?xml version="1.0" ?>
<!DOCTYPE coverage SYSTEM "http://cobertura.sourceforge.net/xml/coverage-04.dtd">
<coverage {root} timestamp="1741817560" complexity="0" version="0.1">
  <sources><source>/app</source></sources>
  <packages><package name="src"><classes>
    <class name="index.js" filename="src/index.js"><lines>{lines}</lines></class>
  </classes></package></packages>
</coverage>"""


@pytest.mark.parametrize(
    ("report", "message"),
    [
        (nyc('lines-valid="0" lines-covered="0" line-rate="NaN" branches-valid="0" '
             'branches-covered="0" branch-rate="NaN"'),
         "line-rate is 'NaN': coverage must be a finite number from 0 to 1"),
        (nyc('line-rate="NaN"', '<line number="1" hits="1"/>'),
         "line-rate is 'NaN': coverage must be a finite number from 0 to 1"),
        (nyc('line-rate="inf"', '<line number="1" hits="1"/>'),
         "line-rate is 'inf': coverage must be a finite number from 0 to 1"),
        (nyc('line-rate="1.5"', '<line number="1" hits="1"/>'),
         "line-rate is '1.5': coverage must be a finite number from 0 to 1"),
        (nyc('lines-valid="Infinity" lines-covered="10" line-rate="1"'),
         "lines-valid is 'Infinity': a count must be a whole number"),
        (nyc('lines-valid="10" lines-covered="-3" line-rate="0.1"'),
         "lines-covered is '-3': a count must be a whole number"),
        (nyc('lines-valid="10" lines-covered="8" line-rate="0.8" branches-valid="4" '
             'branches-covered="0" branch-rate="NaN"'),
         "branch-rate is 'NaN': coverage must be a finite number from 0 to 1"),
        (nyc('lines-valid="0" lines-covered="0" line-rate="1"'),
         "the report measured no lines: there is no coverage to read (check the coverage "
         "tool's source and include settings)"),
        (nyc('line-rate="1"'),
         "the report measured no lines: there is no coverage to read (check the coverage "
         "tool's source and include settings)"),
    ],
)  # fmt: skip
def test_nan_infinite_or_absent_cobertura_coverage_is_refused(report: str, message: str) -> None:
    target = artefact("web/cobertura-coverage.xml", report)
    assert takers(target) == ["coverage"]
    with pytest.raises(ArtefactError) as caught:
        collect(PARSER, [target])
    assert caught.value.diagnostics() == [f"web/cobertura-coverage.xml: {message}"]


def test_istanbul_nan_branch_rate_with_no_branches_is_no_branch_data() -> None:
    root = ('lines-valid="2" lines-covered="1" line-rate="0.5" branches-valid="0" '
            'branches-covered="0" branch-rate="NaN"')  # fmt: skip
    facts = one(PARSER, artefact("c.xml", nyc(root)))
    assert (facts["line_rate"], facts["branch_rate"]) == (0.5, None)


def test_coverage_py_and_lcov_counts_must_be_numbers_and_measure_something() -> None:
    base = json.loads(fixture("coverage/coverage.json").data)
    cases = {
        "num_statements": (None, "totals.num_statements is None: a count must be a whole number"),
        "covered_lines": ("10", "totals.covered_lines is '10': a count must be a whole number"),
    }
    for key, (value, message) in cases.items():
        broken = {**base, "totals": {**base["totals"], key: value}}
        with pytest.raises(ArtefactError) as caught:
            collect(PARSER, [artefact("cov.json", json.dumps(broken))])
        assert caught.value.diagnostics() == [f"cov.json: {message}"]
    empty = {**base, "files": {}, "totals": {**base["totals"], "num_statements": 0,
                                             "covered_lines": 0}}  # fmt: skip
    with pytest.raises(ArtefactError, match="measured no lines"):
        collect(PARSER, [artefact("cov.json", json.dumps(empty))])
    with pytest.raises(ArtefactError) as caught:
        collect(PARSER, [artefact("a.lcov", "SF:a.js\nDA:1,1\nLF:NaN\nLH:1\nend_of_record\n")])
    assert caught.value.diagnostics() == ["a.lcov:3:1: LF is 'NaN': a count must be a whole number"]
    with pytest.raises(ArtefactError, match="measured no lines"):
        collect(PARSER, [artefact("a.lcov", "SF:a.js\nLF:0\nLH:0\nend_of_record\n")])
