"""``test.coverage`` from Cobertura XML, coverage.py JSON, Istanbul's JSON summary and lcov.

Recognised by content:

- Cobertura: an XML root element ``coverage`` with a ``line-rate`` or ``lines-valid``
  attribute (coverage.py's ``coverage xml``, JaCoCo converters, Istanbul's cobertura
  reporter, gcovr ...);
- coverage.py JSON (``coverage json``): an object with ``meta`` (holding ``format``) and
  ``totals``;
- Istanbul's ``json-summary`` reporter (``coverage-summary.json`` from nyc, Jest, Vitest's
  istanbul provider): an object whose ``total`` holds ``lines`` (``total``, ``covered``,
  ``skipped``, ``pct``), ``statements``, ``functions`` and ``branches``, beside one such
  entry per source file. Lines and branches are read from ``total``'s counts (``pct`` is
  Istanbul's rounding of them, and ``Unknown`` when nothing was counted); the files are
  the other keys;
- lcov: text whose records start ``TN:`` or ``SF:`` and end ``end_of_record``.

Several reports from one run are added together (for example a Python and a JavaScript
suite); the ``format`` is then ``mixed`` if they differ.

A report must measure something, in numbers that mean something: a rate that is not a
finite number from 0 to 1 (Istanbul writes ``line-rate="NaN"`` when it measured nothing), a
count that is not a whole number, or a report that measured no line at all is refused,
naming the file. Read as 100%, any of these would pass a coverage floor on no evidence.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from assay.evidence.collectors.interface import ArtefactParser, ArtefactTarget, CollectContext, Part
from assay.evidence.parsing.errors import refuse
from assay.evidence.parsing.recognition import Recognition
from assay.evidence.parsing.safe_xml import local_name, stream_xml
from assay.evidence.parsing.values import as_int, parse_time, ratio

_LCOV_START = re.compile(r"^(TN|SF):", re.M)
_ROOT_COUNTS = ("lines-valid", "lines-covered", "branches-valid", "branches-covered")
_ROOT_RATES = ("line-rate", "branch-rate")


def _number(text: Any) -> float | None:
    """A finite number from an attribute or field; None for anything else."""
    if isinstance(text, bool):
        return None
    try:
        value = float(text)
    except (TypeError, ValueError, OverflowError):
        return None
    return value if math.isfinite(value) else None


def _whole(value: Any) -> int | None:
    """A whole number of 0 or more (``12`` or ``"12"``); None for anything else."""
    number = _number(value)
    if number is None or number < 0 or not number.is_integer():
        return None
    return int(number)


def _check_cobertura_root(root: dict[str, str], name: str) -> None:
    """Refuse root counts and rates that are not numbers, or rates outside 0..1."""
    for key in _ROOT_COUNTS:
        if key in root and _whole(root[key]) is None:
            raise refuse(name, f"{key} is {root[key]!r}: a count must be a whole number")
    for key in _ROOT_RATES:
        if key not in root:
            continue
        rate = _number(root[key])
        if rate is not None and 0 <= rate <= 1:
            continue
        if key == "branch-rate" and _whole(root.get("branches-valid")) == 0:
            continue  # Istanbul's NaN for "no branches": branch_rate is then null
        raise refuse(name, f"{key} is {root[key]!r}: coverage must be a finite number from 0 to 1")


def _measured(totals: CoverageTotals, name: str) -> CoverageTotals:
    """The totals of a report that measured at least one line; otherwise a refusal."""
    if totals.lines_valid <= 0:
        raise refuse(
            name,
            "the report measured no lines: there is no coverage to read "
            "(check the coverage tool's source and include settings)",
        )
    return totals


@dataclass
class CoverageTotals:
    format: str
    files: int = 0
    lines_valid: int = 0
    lines_covered: int = 0
    branches_valid: int = 0
    branches_covered: int = 0


class _CoberturaTarget:
    """Streams a Cobertura report: root totals when given, else counts of class lines."""

    def __init__(self) -> None:
        self.depth = 0
        self.root: dict[str, str] = {}
        self.files: set[str] = set()
        self.path: list[str] = []
        self.lines_valid = 0
        self.lines_covered = 0
        self.branches_valid = 0
        self.branches_covered = 0

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        tag = local_name(tag)
        self.path.append(tag)
        if len(self.path) == 1:
            self.root = dict(attrib)
        elif tag == "class" and attrib.get("filename"):
            self.files.add(attrib["filename"])
        elif tag == "line" and self.path[-3:-1] == ["class", "lines"]:
            self.lines_valid += 1
            if as_int(attrib.get("hits")) > 0:
                self.lines_covered += 1
            if attrib.get("branch") == "true":
                covered, valid = _condition(attrib.get("condition-coverage", ""))
                self.branches_valid += valid
                self.branches_covered += covered

    def end(self, tag: str) -> None:
        self.path.pop()

    def close(self) -> None:
        return None


def _condition(text: str) -> tuple[int, int]:
    """``50% (1/2)`` -> (1, 2)."""
    match = re.search(r"\((\d+)/(\d+)\)", text)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def read_cobertura(data: bytes, name: str) -> tuple[CoverageTotals, datetime | None]:
    target = _CoberturaTarget()
    stream_xml(data, name, target, bare_doctype=True)
    root = target.root
    _check_cobertura_root(root, name)
    totals = CoverageTotals("cobertura", files=len(target.files))
    if "lines-valid" in root and "lines-covered" in root:
        totals.lines_valid = as_int(root["lines-valid"])
        totals.lines_covered = as_int(root["lines-covered"])
    else:
        totals.lines_valid, totals.lines_covered = target.lines_valid, target.lines_covered
    if "branches-valid" in root and "branches-covered" in root:
        totals.branches_valid = as_int(root["branches-valid"])
        totals.branches_covered = as_int(root["branches-covered"])
    else:
        totals.branches_valid = target.branches_valid
        totals.branches_covered = target.branches_covered
    return _measured(totals, name), parse_time(root.get("timestamp"))


def read_coverage_py(document: dict[str, Any], name: str) -> tuple[CoverageTotals, datetime | None]:
    totals_in = document.get("totals")
    files = document.get("files")
    if not isinstance(totals_in, dict) or not isinstance(files, dict):
        raise refuse(name, "coverage.py JSON needs 'totals' and 'files' objects")
    counts: dict[str, int] = {}
    for key in ("num_statements", "covered_lines", "num_branches", "covered_branches"):
        if key not in totals_in and key in ("num_branches", "covered_branches"):
            counts[key] = 0  # written only when branch coverage was measured
            continue
        value = totals_in.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            shown = "missing" if key not in totals_in else repr(value)
            raise refuse(name, f"totals.{key} is {shown}: a count must be a whole number")
        counts[key] = value
    totals = CoverageTotals(
        "coverage-py",
        files=len(files),
        lines_valid=counts["num_statements"],
        lines_covered=counts["covered_lines"],
        branches_valid=counts["num_branches"],
        branches_covered=counts["covered_branches"],
    )
    meta = document.get("meta")
    stamp = parse_time(meta.get("timestamp")) if isinstance(meta, dict) else None
    return _measured(totals, name), stamp


def _summary_counts(total: dict[str, Any], key: str, name: str) -> tuple[int, int]:
    """(total, covered) of one metric of an Istanbul summary; (0, 0) when it is absent."""
    if key not in total and key == "branches":
        return 0, 0
    metric = total.get(key)
    if not isinstance(metric, dict):
        shown = "missing" if key not in total else f"a {type(metric).__name__}"
        raise refuse(name, f"total.{key} is {shown}: it must be an object with total and covered")
    counts = []
    for field_name in ("total", "covered"):
        value = metric.get(field_name)
        whole = None if isinstance(value, bool | str) else _whole(value)
        if whole is None:
            shown = repr(value)[:40]
            raise refuse(
                name, f"total.{key}.{field_name} is {shown}: a count must be a whole number"
            )
        counts.append(whole)
    if counts[1] > counts[0]:
        raise refuse(
            name, f"total.{key} says {counts[1]} covered of {counts[0]}: more than there are"
        )
    return counts[0], counts[1]


def read_istanbul_summary(document: dict[str, Any], name: str) -> CoverageTotals:
    total = document.get("total")
    if not isinstance(total, dict):
        raise refuse(name, "an Istanbul summary needs a 'total' object")
    lines_valid, lines_covered = _summary_counts(total, "lines", name)
    branches_valid, branches_covered = _summary_counts(total, "branches", name)
    totals = CoverageTotals(
        "istanbul-summary",
        files=sum(1 for key in document if key != "total"),
        lines_valid=lines_valid,
        lines_covered=lines_covered,
        branches_valid=branches_valid,
        branches_covered=branches_covered,
    )
    return _measured(totals, name)


def is_istanbul_summary(document: Any) -> bool:
    total = document.get("total") if isinstance(document, dict) else None
    lines = total.get("lines") if isinstance(total, dict) else None
    return isinstance(lines, dict) and "total" in lines and "covered" in lines


def read_lcov(data: bytes, name: str) -> CoverageTotals:
    """Sum the LF/LH and BRF/BRH summaries; count DA/BRDA lines where a summary is missing."""
    totals = CoverageTotals("lcov")
    record: dict[str, int] = {}
    counted = {"da": 0, "da_hit": 0, "brda": 0, "brda_hit": 0}
    in_record = False
    for lineno, raw in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("TN:"):
            continue
        key, _, value = line.partition(":")
        if key == "SF":
            in_record, record = True, {}
            counted = dict.fromkeys(counted, 0)
            totals.files += 1
        elif key == "end_of_record":
            if not in_record:
                raise refuse(name, "end_of_record without a matching SF: line", lineno, 1)
            in_record = False
            totals.lines_valid += record.get("LF", counted["da"])
            totals.lines_covered += record.get("LH", counted["da_hit"])
            totals.branches_valid += record.get("BRF", counted["brda"])
            totals.branches_covered += record.get("BRH", counted["brda_hit"])
        elif key in ("LF", "LH", "BRF", "BRH"):
            number = _whole(value.strip())
            if number is None:
                raise refuse(name, f"{key} is {value!r}: a count must be a whole number", lineno, 1)
            record[key] = number
        elif key == "DA":
            counted["da"] += 1
            fields = value.split(",")
            if len(fields) >= 2 and as_int(fields[1]) > 0:
                counted["da_hit"] += 1
        elif key == "BRDA":
            counted["brda"] += 1
            fields = value.split(",")
            if len(fields) >= 4 and fields[3] not in ("-", "0"):
                counted["brda_hit"] += 1
    if in_record:
        raise refuse(name, "lcov record not closed by end_of_record: the file is truncated")
    return _measured(totals, name)


def _looks_like_istanbul_summary(head: str) -> bool:
    """A truncated Istanbul summary: ``total`` first, with its metrics' counts."""
    start = head.lstrip()[:200]
    return '"total"' in start and '"lines"' in head and '"covered"' in head and '"pct"' in head


def _is_lcov(head: str) -> bool:
    return bool(_LCOV_START.search(head[:4096])) and (
        "end_of_record" in head or "\nDA:" in head or "\nLF:" in head
    )


class CoverageParser(ArtefactParser):
    """Cobertura XML, coverage.py JSON and lcov -> ``test.coverage``."""

    name = "coverage"
    version = "1.0.0"
    kind = "test.coverage"
    mergeable = True
    formats = "Cobertura XML, coverage.py JSON, Istanbul JSON summary or lcov"

    def recognise(self, found: Recognition) -> bool:
        if found.form == "xml":
            return found.xml_root == "coverage" and bool(
                {"line-rate", "lines-valid"} & set(found.xml_attrs)
            )
        if found.form == "json":
            if found.parsed:
                keys = found.keys()
                meta = found.document.get("meta") if "meta" in keys else None
                return (
                    {"meta", "totals"} <= keys and isinstance(meta, dict) and "format" in meta
                ) or is_istanbul_summary(found.document)
            head = found.head  # a truncated coverage.py report: its meta block comes first
            return (
                '"meta"' in head
                and any(key in head for key in ('"totals"', '"branch_coverage"', '"show_contexts"'))
            ) or _looks_like_istanbul_summary(head)
        return found.form == "text" and _is_lcov(found.head)

    def parse(self, target: ArtefactTarget, found: Recognition, context: CollectContext) -> Part:
        if found.form == "xml":
            totals, stamp = read_cobertura(target.data, target.name)
            return self.part(target, totals, stamp, "application/xml")
        if found.form == "json":
            if found.error is not None:
                raise found.error
            if is_istanbul_summary(found.document):
                summary = read_istanbul_summary(found.document, target.name)
                return self.part(target, summary, None, "application/json")
            totals, stamp = read_coverage_py(found.document, target.name)
            return self.part(target, totals, stamp, "application/json")
        return self.part(target, read_lcov(target.data, target.name), None, "text/plain")

    def summarise(self, parts: Sequence[Part]) -> dict[str, Any]:
        formats = {part.value.format for part in parts}
        lines_valid = sum(part.value.lines_valid for part in parts)
        lines_covered = sum(part.value.lines_covered for part in parts)
        branches_valid = sum(part.value.branches_valid for part in parts)
        branches_covered = sum(part.value.branches_covered for part in parts)
        return {
            "format": formats.pop() if len(formats) == 1 else "mixed",
            "files": sum(part.value.files for part in parts),
            "lines_valid": lines_valid,
            "lines_covered": min(lines_covered, lines_valid),
            "line_rate": ratio(lines_covered, lines_valid),
            "branches_valid": branches_valid,
            "branches_covered": min(branches_covered, branches_valid),
            "branch_rate": ratio(branches_covered, branches_valid) if branches_valid else None,
        }
