"""``test.results`` from JUnit XML reports (pytest, Maven Surefire, Gradle, Jest, go-junit ...).

Recognised by content: an XML document whose root element is ``testsuites`` or
``testsuite``. The file is streamed through defusedxml's parser (DOCTYPEs refused) into
callbacks that count each test case as it passes; no tree is built, so memory stays flat
however many cases a report holds, and the pass is faster than building the tree. Counts
come from the ``testcase`` elements themselves, not from the suites' summary attributes,
which tools fill in inconsistently. A case's outcome is its worst child: ``failure``, then
``error``, then ``skipped``. The pass ratio is of the cases that ran, and 0 when none ran:
a report whose every case was skipped proves nothing passed.

Several reports from one run are added together into one record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from assay.evidence.collectors.interface import ArtefactParser, ArtefactTarget, CollectContext, Part
from assay.evidence.parsing.recognition import Recognition
from assay.evidence.parsing.safe_xml import local_name, stream_xml
from assay.evidence.parsing.values import as_float, parse_time, ratio

MAX_FAILED_NAMES = 50
_TRIM_AT = 5_000


@dataclass
class JUnitTotals:
    """Counts from one or more reports."""

    files: int = 0
    suites: int = 0
    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0
    time: float = 0.0
    failed: set[str] = field(default_factory=set)

    def note_failed(self, name: str) -> None:
        self.failed.add(name)
        if len(self.failed) > _TRIM_AT:
            self.failed = set(sorted(self.failed)[:MAX_FAILED_NAMES])

    def add(self, other: JUnitTotals) -> None:
        self.files += other.files
        self.suites += other.suites
        self.tests += other.tests
        self.failures += other.failures
        self.errors += other.errors
        self.skipped += other.skipped
        self.time += other.time
        for name in other.failed:
            self.note_failed(name)


_RANK = {"passed": 0, "skipped": 1, "error": 2, "failure": 3}
_SKIP_STATUS = frozenset({"skipped", "disabled", "notrun"})


class _JUnitTarget:
    """Parser callbacks that count test cases as they stream past; nothing is kept."""

    def __init__(self) -> None:
        self.totals = JUnitTotals(files=1)
        self.depth = 0
        self.case_depth = 0
        self.case: tuple[str, str] | None = None
        self.outcome = "passed"
        self.root_time: float | None = None
        self.top_suite_time = 0.0
        self.top_suite_timed = False
        self.case_time = 0.0
        self.latest: datetime | None = None

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self.depth += 1
        if "}" in tag:
            tag = local_name(tag)
        if self.depth == 1 and "time" in attrib:
            self.root_time = as_float(attrib["time"])
        if tag == "testcase":
            self.case = (attrib.get("classname") or "", attrib.get("name") or "?")
            self.case_depth = self.depth
            if self.root_time is None and not self.top_suite_timed:  # only then is it used
                self.case_time += as_float(attrib.get("time"))
            self.outcome = "skipped" if attrib.get("status") in _SKIP_STATUS else "passed"
        elif self.case is not None:
            direct = self.depth == self.case_depth + 1
            if direct and tag in _RANK and _RANK[tag] > _RANK[self.outcome]:
                self.outcome = tag
        elif tag == "testsuite":
            self._suite(attrib)

    def _suite(self, attrib: dict[str, str]) -> None:
        self.totals.suites += 1
        stamp = parse_time(attrib.get("timestamp"))
        if stamp is not None and (self.latest is None or stamp > self.latest):
            self.latest = stamp
        if self.depth <= 2 and "time" in attrib:
            self.top_suite_time += as_float(attrib["time"])
            self.top_suite_timed = True

    def end(self, tag: str) -> None:
        if self.case is not None and self.depth == self.case_depth:
            totals = self.totals
            totals.tests += 1
            outcome = self.outcome
            if outcome != "passed":
                if outcome == "skipped":
                    totals.skipped += 1
                else:
                    if outcome == "failure":
                        totals.failures += 1
                    else:
                        totals.errors += 1
                    classname, case = self.case
                    totals.note_failed(f"{classname}.{case}" if classname else case)
            self.case = None
        self.depth -= 1

    def close(self) -> None:
        totals = self.totals
        if self.root_time is not None:
            totals.time = self.root_time
        elif self.top_suite_timed:
            totals.time = self.top_suite_time
        else:
            totals.time = self.case_time


def read_junit(data: bytes, name: str) -> tuple[JUnitTotals, datetime | None]:
    """Stream one report: totals and the latest suite timestamp."""
    target = _JUnitTarget()
    stream_xml(data, name, target)
    return target.totals, target.latest


class JUnitParser(ArtefactParser):
    """JUnit XML test reports -> ``test.results``."""

    name = "junit"
    version = "1.0.0"
    kind = "test.results"
    mergeable = True
    formats = "JUnit XML"

    def recognise(self, found: Recognition) -> bool:
        return found.form == "xml" and found.xml_root in ("testsuites", "testsuite")

    def parse(self, target: ArtefactTarget, found: Recognition, context: CollectContext) -> Part:
        totals, latest = read_junit(target.data, target.name)
        return self.part(target, totals, latest, "application/xml")

    def summarise(self, parts: Sequence[Part]) -> dict[str, Any]:
        totals = JUnitTotals()
        for part in parts:
            totals.add(part.value)
        passed = totals.tests - totals.failures - totals.errors - totals.skipped
        ran = totals.tests - totals.skipped
        return {
            "files": totals.files,
            "suites": totals.suites,
            "tests": totals.tests,
            "passed": passed,
            "failures": totals.failures,
            "errors": totals.errors,
            "skipped": totals.skipped,
            "time_seconds": round(totals.time, 3),
            # A report where no test ran (none, or every one skipped) is not a passing one.
            "pass_ratio": ratio(passed, ran) if ran > 0 else 0.0,
            "failed_tests": sorted(totals.failed)[:MAX_FAILED_NAMES],
        }
