"""The assessment engine against bare validation, same run, same compiled validators.

    .venv/bin/python benchmarks/engine.py [--quick]

Assesses N services (1,000; --quick: 100) against the full built-in library, reading
evidence from an in-memory reader, and compares with the baseline: validating exactly
the facts the engine reads, with the very validators it compiled (each record against
its kind's schema once, and against every expectation that reads it) and nothing else.
The ratio is the engine's own overhead: picking evidence, freshness, waivers, reasons,
building the records. Target: at most 2x.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from _evidence import drafts, library_kinds, services
from _timing import quick_flag
from assay.assess.engine import AssessOptions, Assessor, per_repo_kind
from assay.assess.model import Assessment
from assay.controls.loader import load_library
from assay.durations import utc_now
from assay.evidence.kinds import kind_validator
from assay.evidence.model import Evidence
from assay.workspace import Service


class IndexedReader:
    """An EvidenceReader holding one latest record per (service, kind, subject)."""

    def __init__(self, records: Sequence[Evidence]) -> None:
        self.by_service: dict[str, list[Evidence]] = {}
        for record in records:
            self.by_service.setdefault(record.service, []).append(record)

    def latest(
        self, service: str, kinds: Sequence[str], *, as_of: datetime | None = None
    ) -> list[Evidence]:
        wanted = set(kinds)
        return [r for r in self.by_service.get(service, ()) if r.kind in wanted]

    def get(self, evidence_id: str) -> Evidence | None:
        return None


def stored(service: Service, kinds: list[str], now: datetime, rng: random.Random) -> list[Evidence]:
    found = []
    for made in drafts(service, kinds, now - timedelta(days=2), rng):
        found.append(
            Evidence(
                id=made.id,
                kind=made.kind,
                service=made.service,
                subject=made.subject,
                observed_at=made.observed_at,
                collector=made.collector,
                facts=made.facts,
                first_collected_at=now - timedelta(days=1),
                last_collected_at=now - timedelta(days=1),
            )
        )
    return found


def run_engine(
    assessor: Assessor, estate: list[Service], options: AssessOptions
) -> list[Assessment]:
    assessor._kind_checks.clear()  # each run checks every record again, as a fresh run would
    return [assessor.assess(service, options) for service in estate]


def run_baseline(assessor: Assessor, estate: list[Service], reader: IndexedReader) -> int:
    """Validate the same facts with the same compiled validators, nothing else: each record
    a test reads against its kind's schema once, and against every expectation reading it."""
    errors = 0
    for service in estate:
        by_kind: dict[str, list[Evidence]] = {}
        for record in reader.by_service.get(service.id, []):
            by_kind.setdefault(record.kind, []).append(record)
        repos = {repo.name for repo in service.repos}
        checked: set[str] = set()
        for control in assessor.applicable(service):
            for test in control.tests:
                if test.manual:
                    continue
                validator = assessor.evaluator.validator(control.id, test)
                for record in by_kind.get(test.kind, ()):
                    if per_repo_kind(test.kind) and record.subject.get("repo") not in repos:
                        continue
                    if record.id not in checked:
                        checked.add(record.id)
                        errors += len(list(kind_validator(record.kind).iter_errors(record.facts)))
                    errors += len(list(validator.iter_errors(record.facts)))
    return errors


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main() -> int:
    quick = quick_flag(sys.argv)
    count = 100 if quick else 1000
    runs = 3 if quick else 5
    library = load_library()
    kinds = library_kinds(library)
    rng = random.Random(7)
    now = utc_now()
    estate = services(count)
    records = [r for service in estate for r in stored(service, kinds, now, rng)]
    reader = IndexedReader(records)
    assessor = Assessor(library, reader)
    options = AssessOptions(as_of=now, created_at=now)
    results = run_engine(assessor, estate, options)  # warm-up: compiles every validator
    run_baseline(assessor, estate, reader)
    engine_runs: list[float] = []
    baseline_runs: list[float] = []
    for _ in range(runs):  # interleaved, so load from other processes hits both alike
        baseline_runs.append(timed(lambda: run_baseline(assessor, estate, reader)))
        engine_runs.append(timed(lambda: run_engine(assessor, estate, options)))
    engine = statistics.median(engine_runs)
    baseline = statistics.median(baseline_runs)
    statuses: dict[str, int] = {}
    for assessment in results:
        for status, number in assessment.counts.items():
            statuses[status] = statuses.get(status, 0) + number
    print(
        f"{count} services x {len(library)} controls, {len(records)} evidence records; "
        f"median of {runs} runs"
    )
    print("results: " + ", ".join(f"{k} {v}" for k, v in statuses.items()))
    print(f"{'validation only (baseline)':<44} {baseline * 1000:8.1f} ms")
    ratio = engine / baseline
    print(f"{'engine (Assessor.assess)':<44} {engine * 1000:8.1f} ms   {ratio:5.2f}x baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
