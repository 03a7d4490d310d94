"""Evidence store figures: append rate, ``verify --store`` rate, and ``latest()`` staying flat.

Builds a store of 100,000 evidence records (``--quick``: 10,000) the way pipelines do,
in batches of 100 per ``record()`` call, spread over 20 services x 5 pipelines so each
(service, subject) accumulates a deep history. At 1k, 10k and 100k records it times
``latest()`` for one service over every evidence kind (what an assessment asks), and
prints each time as a ratio to the 1k time: ~1x means the lookup is indexed and does
not grow with the store.

    .venv/bin/python benchmarks/store.py [--quick] [--url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from assay.evidence.kinds import kind_names
from assay.evidence.model import EvidenceDraft
from assay.evidence.store import Store, open_store

ROOT = Path(__file__).resolve().parents[1]
FACTS = json.loads((ROOT / "tests" / "data" / "kind-examples" / "ci.run.json").read_text())
SERVICES = 20
PIPELINES = 5
BATCH = 100
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def make_draft(number: int) -> EvidenceDraft:
    service = f"svc-{number % SERVICES:02d}"
    pipeline = f"pipe-{(number // SERVICES) % PIPELINES}"
    return EvidenceDraft(
        kind="ci.run",
        service=service,
        subject={"pipeline": pipeline, "run_id": str(number)},
        observed_at=T0 + timedelta(seconds=number),
        collector="ci-env@1.0.0",
        facts={**FACTS, "run_id": str(number), "attempt": 1 + number % 3},
    )


def time_latest(store: Store, repeats: int = 50) -> tuple[float, float]:
    """Best and median seconds of one assessment-shaped latest() call.

    The ratios use the best time: on a shared machine the median also measures the
    neighbours, while the best of 50 is what the query itself costs.
    """
    kinds = list(kind_names())
    found = store.latest("svc-07", kinds)
    assert len(found) == PIPELINES, found
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        store.latest("svc-07", kinds)
        samples.append(time.perf_counter() - start)
    return min(samples), statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 records instead of 100,000")
    parser.add_argument("--url", help="store URL (default: a new SQLite file in a temp folder)")
    args = parser.parse_args()
    total = 10_000 if args.quick else 100_000
    checkpoints = [1_000, 10_000] + ([] if args.quick else [100_000])

    with tempfile.TemporaryDirectory() as folder:
        url = args.url or f"sqlite:///{Path(folder) / 'assay.db'}"
        store = open_store(url)
        if store.counts().ledger:
            print(f"error: {store.url} is not empty; give an empty store", file=sys.stderr)
            return 2
        print(f"store: {store.url} ({store.dialect}), {total:,} records in batches of {BATCH}")
        append_seconds = 0.0
        latest_at: dict[int, tuple[float, float]] = {}
        for start in range(0, total, BATCH):
            drafts = [make_draft(n) for n in range(start, start + BATCH)]
            began = time.perf_counter()
            store.record(drafts, context={"benchmark": "store"})
            append_seconds += time.perf_counter() - began
            if start + BATCH in checkpoints:
                latest_at[start + BATCH] = time_latest(store)
        print(f"append:  {total / append_seconds:,.0f} records/s ({append_seconds:.1f} s)")

        baseline = latest_at[checkpoints[0]][0]
        for size in checkpoints:
            best, median = latest_at[size]
            print(
                f"latest() at {size:>7,} records: best {best * 1000:5.2f} ms "
                f"({best / baseline:.2f}x the 1,000-record time), median {median * 1000:5.2f} ms"
            )

        began = time.perf_counter()
        report = store.verify()
        verify_seconds = time.perf_counter() - began
        assert report.ok, report.problems
        print(
            f"verify:  {total / verify_seconds:,.0f} records/s "
            f"({verify_seconds:.1f} s for {report.counts.evidence:,} evidence records and "
            f"{report.counts.ledger:,} ledger entries)"
        )
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
