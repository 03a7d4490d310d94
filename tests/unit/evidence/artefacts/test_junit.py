"""test.results from JUnit XML: real pytest output, merging, and hostile XML."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from assay.evidence.collectors.junit import JUnitParser
from assay.evidence.parsing.errors import ArtefactError
from tests.unit.evidence.artefacts.helpers import FIXED, artefact, collect, fixture, one, takers

PARSER = JUnitParser()

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<testsuite name="bomb" tests="1"><testcase classname="x" name="&lol9;"/></testsuite>
"""


def xxe(secret: Path, root: str = "testsuite") -> str:
    return f"""<?xml version="1.0"?>
<!DOCTYPE {root} [<!ENTITY leak SYSTEM "file://{secret}">]>
<{root} name="xxe" tests="1"><testcase classname="x" name="&leak;"/></{root}>
"""


def test_real_pytest_report() -> None:
    target = fixture("junit/pytest-junit.xml")
    assert takers(target) == ["junit"]
    (draft,) = collect(PARSER, [target])
    assert draft.facts == {
        "files": 1,
        "suites": 1,
        "tests": 7,
        "passed": 4,
        "failures": 1,
        "errors": 1,
        "skipped": 1,
        "time_seconds": 0.147,
        "pass_ratio": 0.666667,
        "failed_tests": [
            "tests.test_pricing.test_rounding_is_wrong_on_purpose",
            "tests.test_pricing.test_uses_a_broken_fixture",
        ],
    }
    assert draft.kind == "test.results"
    assert draft.collector == "junit@1.0.0"
    # The suite's timestamp dates the evidence, not the clock or the file.
    assert draft.observed_at.isoformat() == "2026-11-26T05:48:23+00:00"
    assert draft.artefacts[0].name == "junit/pytest-junit.xml"
    assert draft.artefacts[0].data == target.data


def test_several_reports_are_merged_into_one_record() -> None:
    targets = [
        fixture("junit/pytest-junit.xml"),
        fixture("junit/surefire-TEST-PaymentServiceTest.xml"),
        fixture("junit/jest-junit.xml"),
    ]
    (draft,) = collect(PARSER, targets)
    facts = draft.facts
    assert (facts["files"], facts["suites"], facts["tests"]) == (3, 4, 16)
    assert (facts["passed"], facts["failures"], facts["errors"], facts["skipped"]) == (10, 2, 2, 2)
    assert facts["time_seconds"] == round(0.147 + 1.284 + 2.918, 3)
    assert facts["pass_ratio"] == round(10 / 14, 6)
    assert "com.example.payments.PaymentServiceTest.refundsInFull" in facts["failed_tests"]
    assert facts["failed_tests"] == sorted(facts["failed_tests"])
    assert [a.name for a in draft.artefacts] == [t.name for t in targets]
    # The latest timestamp across files dates the merged record.
    assert draft.observed_at.isoformat() == "2026-11-26T05:48:23+00:00"


def test_case_counts_ignore_wrong_suite_attributes() -> None:
    report = """<testsuites><testsuite name="s" tests="99" failures="0">
      <testcase classname="a" name="one"/>
      <testcase classname="a" name="two"><failure message="x"/><error/></testcase>
      <testcase classname="a" name="three" status="disabled"/>
      <testsuite name="nested"><testcase name="four"><error message="boom"/></testcase></testsuite>
    </testsuite></testsuites>"""
    facts = one(PARSER, artefact("r.xml", report))
    assert (facts["tests"], facts["passed"], facts["failures"], facts["errors"]) == (4, 1, 1, 1)
    assert facts["skipped"] == 1
    assert facts["suites"] == 2
    assert facts["failed_tests"] == ["a.two", "four"]
    assert facts["time_seconds"] == 0


def test_failed_names_are_capped_but_counts_are_not() -> None:
    cases = "".join(
        f'<testcase classname="c" name="t{i:04d}"><failure/></testcase>' for i in range(6000)
    )
    facts = one(PARSER, artefact("many.xml", f"<testsuite>{cases}</testsuite>"))
    assert facts["failures"] == 6000
    assert facts["failed_tests"] == [f"c.t{i:04d}" for i in range(50)]


def test_billion_laughs_is_refused_quickly() -> None:
    target = artefact("junit/bomb.xml", BILLION_LAUGHS)
    assert takers(target) == ["junit"], "recognised, so it is refused rather than skipped"
    started = time.monotonic()
    with pytest.raises(ArtefactError) as caught:
        collect(PARSER, [target])
    assert time.monotonic() - started < 1
    assert caught.value.diagnostics() == [
        "junit/bomb.xml: refused: the XML has a DOCTYPE (document type declaration)",
        "hint: XML artefacts may not declare a DTD or entities: entity expansion "
        "(billion laughs) and external entities (XXE) are refused",
    ]


def test_external_entity_is_refused_and_the_file_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN-1234", encoding="utf-8")
    target = artefact("junit/xxe.xml", xxe(secret))
    with pytest.raises(ArtefactError) as caught:
        collect(PARSER, [target])
    shown = "\n".join(caught.value.diagnostics()) + str(caught.value)
    assert "refused" in shown
    assert "TOP-SECRET" not in shown


def test_external_doctype_is_refused_too(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN-1234", encoding="utf-8")
    report = f"""<?xml version="1.0"?>
<!DOCTYPE testsuite SYSTEM "file://{secret}">
<testsuite><testcase name="&leak;"/></testsuite>"""
    with pytest.raises(ArtefactError) as caught:
        collect(PARSER, [artefact("junit/ext.xml", report)])
    assert "TOP-SECRET" not in "\n".join(caught.value.diagnostics())
    assert caught.value.problems[0].message == (
        "refused: the XML has a DOCTYPE (document type declaration)"
    )


def test_truncated_report_is_a_located_error() -> None:
    data = fixture("junit/surefire-TEST-PaymentServiceTest.xml").data
    with pytest.raises(ArtefactError) as caught:
        collect(PARSER, [artefact("junit/cut.xml", data[: len(data) // 2])])
    (problem,) = caught.value.problems
    assert problem.path == "junit/cut.xml"
    assert problem.line is not None
    assert problem.message.startswith("not well-formed XML")


def test_not_junit_xml_is_not_recognised() -> None:
    assert takers(artefact("page.xml", "<html><body>hi</body></html>")) == []
    assert takers(artefact("x.txt", "testsuite")) == []


def test_report_without_time_uses_the_fallback_time() -> None:
    (draft,) = collect(
        PARSER, [artefact("plain.xml", "<testsuite><testcase name='a'/></testsuite>")]
    )
    assert draft.observed_at == FIXED


def test_a_report_where_every_test_was_skipped_is_not_a_pass() -> None:
    report = """<?xml version="1.0"?>
<testsuite name="unit" tests="2" skipped="2">
  <testcase classname="t" name="a"><skipped message="no database"/></testcase>
  <testcase classname="t" name="b" status="disabled"/>
</testsuite>"""
    facts = one(PARSER, artefact("skipped.xml", report))
    assert (facts["tests"], facts["skipped"], facts["passed"]) == (2, 2, 0)
    assert facts["pass_ratio"] == 0.0, "nothing ran, so nothing passed"
    empty = one(PARSER, artefact("empty.xml", '<testsuite name="none" tests="0"/>'))
    assert (empty["tests"], empty["pass_ratio"]) == (0, 0.0)
    merged = collect(PARSER, [artefact("skipped.xml", report), fixture("junit/pytest-junit.xml")])
    assert 0 < merged[0].facts["pass_ratio"] < 1, "a run elsewhere still counts"
