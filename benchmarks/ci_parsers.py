"""CI artefact parsers against a bare parse of the same bytes: time and peak memory.

Two figures, each measured in the same run as its baseline:

- a ~50 MB SARIF 2.1.0 file (``--quick``: ~5 MB) through the ``sarif`` parser
  (recognition plus facts), against ``json.loads`` of the same bytes;
- a JUnit XML report with 100,000 test cases (``--quick``: 10,000) through the ``junit``
  parser, against ``defusedxml.ElementTree.fromstring`` of the same bytes.

Times are the best of several runs, interleaved with the baseline so both see the same
machine load; the target is at most 1.5x. Peak memory (tracemalloc, a separate pass) is
printed beside the baseline's: the JUnit parser streams, so its peak must stay far below
a parsed tree's and not grow with the report.

    .venv/bin/python benchmarks/ci_parsers.py [--quick]
"""

from __future__ import annotations

import json
import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from defusedxml.ElementTree import fromstring

from assay.evidence.collectors.interface import ArtefactParser, ArtefactTarget, CollectContext
from assay.evidence.collectors.junit import JUnitParser
from assay.evidence.collectors.sarif import SarifParser

TARGET = 1.5
WHEN = datetime(2026, 3, 12, 22, tzinfo=UTC)
CONTEXT = CollectContext(service="bench", max_artefact_bytes=1 << 30)


def make_sarif(megabytes: int, seed: int = 7) -> bytes:
    """A CodeQL-shaped SARIF file of about ``megabytes`` MB."""
    rng = random.Random(seed)
    rules = [
        {
            "id": f"py/rule-{n:03d}",
            "defaultConfiguration": {"level": rng.choice(["error", "warning", "note"])},
            "properties": {"security-severity": f"{rng.uniform(1, 10):.1f}", "tags": ["security"]},
        }
        for n in range(200)
    ]
    results = []
    size, target = 0, megabytes * 1024 * 1024
    while size < target:
        index = rng.randrange(len(rules))
        result = {
            "ruleId": rules[index]["id"],
            "ruleIndex": index,
            "message": {
                "text": "Untrusted data flows to a sensitive sink " + "x" * rng.randrange(40, 200)
            },
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": f"src/pkg{rng.randrange(300)}/mod{rng.randrange(50)}.py"
                        },
                        "region": {"startLine": rng.randrange(1, 2000), "startColumn": 5},
                    }
                }
            ],
            "partialFingerprints": {"primaryLocationLineHash": f"{rng.getrandbits(64):016x}:1"},
        }
        if rng.random() < 0.02:
            result["suppressions"] = [{"kind": "inSource", "status": "accepted"}]
        results.append(result)
        size += 640  # about what one result takes once serialised
    document = {
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{"tool": {"driver": {"name": "CodeQL", "rules": rules}}, "results": results}],
    }
    return json.dumps(document, indent=1).encode("utf-8")


def make_junit(cases: int) -> bytes:
    parts = ['<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests">']
    per_suite = 1000
    for suite in range(max(cases // per_suite, 1)):
        parts.append(
            f'<testsuite name="suite{suite}" tests="{per_suite}" time="12.5" '
            'timestamp="2026-03-12T22:00:00+00:00" hostname="runner">'
        )
        for case in range(per_suite):
            number = suite * per_suite + case
            body = ""
            if number % 97 == 0:
                body = '<failure message="assert 1 == 2">E   assert 1 == 2</failure>'
            elif number % 301 == 0:
                body = '<skipped type="pytest.skip" message="no database"/>'
            parts.append(
                f'<testcase classname="tests.test_mod{suite}" name="test_{case}[param-{number}]" '
                f'time="0.00{case % 10}">{body}</testcase>'
            )
        parts.append("</testsuite>")
    parts.append("</testsuites>")
    return "".join(parts).encode("utf-8")


def through(parser: ArtefactParser, target: ArtefactTarget) -> Callable[[], object]:
    def run() -> object:
        fresh = replace(target)  # every run recognises and parses from scratch
        assert parser.accepts(fresh)
        return parser.collect_all([fresh], CONTEXT)

    return run


def best(
    fn: Callable[[], object], baseline: Callable[[], object], runs: int
) -> tuple[float, float]:
    ours, base = float("inf"), float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        baseline()
        base = min(base, time.perf_counter() - start)
        start = time.perf_counter()
        fn()
        ours = min(ours, time.perf_counter() - start)
    return ours, base


def peak(fn: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / (1024 * 1024)
    finally:
        tracemalloc.stop()


def measure(name: str, fn: Callable[[], object], baseline: Callable[[], object], runs: int) -> bool:
    ours, base = best(fn, baseline, runs)
    ratio = ours / base
    ours_mb, base_mb = peak(fn), peak(baseline)
    verdict = "ok" if ratio <= TARGET else f"OVER {TARGET}x"
    print(
        f"{name:<34} {ours * 1000:8.0f} ms vs {base * 1000:6.0f} ms bare  {ratio:5.2f}x  {verdict}"
        f"   peak {ours_mb:7.1f} MB vs {base_mb:7.1f} MB bare"
    )
    return ratio <= TARGET


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    megabytes, cases, runs = (5, 10_000, 3) if quick else (50, 100_000, 5)
    sarif = make_sarif(megabytes)
    junit = make_junit(cases)
    sarif_target = ArtefactTarget(
        path=Path("b.sarif"), name="b.sarif", data=sarif, modified_at=WHEN
    )
    junit_target = ArtefactTarget(path=Path("junit.xml"), name="junit.xml", data=junit)
    ok = measure(
        f"sarif {len(sarif) / 1e6:.0f} MB ({sarif.count(b'ruleIndex'):,} results)",
        through(SarifParser(), sarif_target),
        lambda: json.loads(sarif),
        runs,
    )
    ok &= measure(
        f"junit {len(junit) / 1e6:.0f} MB ({cases:,} cases)",
        through(JUnitParser(), junit_target),
        lambda: fromstring(junit, forbid_dtd=True),
        runs,
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
