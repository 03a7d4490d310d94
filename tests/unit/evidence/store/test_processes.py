"""Separate processes writing at once, and a writer killed mid-transaction."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from assay.evidence.store import Store, open_store
from tests.support.paths import ROOT
from tests.unit.evidence.store.helpers import draft

WRITERS = 8
EACH = 12


def writer(url: str, name: str, count: int, batch: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.unit.evidence.store.writer",
            url,
            name,
            str(count),
            str(batch),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_concurrent_writers_lose_nothing_and_keep_one_chain(store_url: str) -> None:
    """Eight processes open a store nobody has created yet, then all append at once."""
    processes = [writer(store_url, f"w{n}", EACH, 1 + n % 3) for n in range(WRITERS)]
    for process in processes:
        _, errors = process.communicate(timeout=120)
        assert process.returncode == 0, errors
    with open_store(store_url, create=False) as store:
        counts = store.counts()
        assert (counts.evidence, counts.ledger) == (WRITERS * EACH, WRITERS * EACH)
        expected = {
            draft(f"w{n}-{i}").subject["run_id"] for n in range(WRITERS) for i in range(EACH)
        }
        entries = list(store.ledger())
        assert [entry.seq for entry in entries] == list(range(1, WRITERS * EACH + 1))
        runs = {store_run(store, entry.ref_id) for entry in entries}
        assert runs == expected
        report = store.verify()
        assert report.problems == []
        assert {entry.context["writer"] for entry in entries} == {f"w{n}" for n in range(WRITERS)}


def store_run(store: Store, evidence_id: str) -> str:
    record = store.get(evidence_id)
    assert record is not None
    return str(record.subject["run_id"])


@pytest.mark.slow
def test_a_writer_killed_mid_batch_leaves_a_clean_store(store_url: str) -> None:
    batch = 50
    process = writer(store_url, "crash", 0, batch)
    assert process.stdout is not None
    committed = 0
    for _ in range(3):  # let a few batches commit; the writer is always mid-batch
        committed = int(process.stdout.readline())
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)  # reap it and close its pipes
    assert process.returncode == -signal.SIGKILL

    with open_store(store_url, create=False) as store:
        report = store.verify()
        assert report.problems == []
        counts = store.counts()
        assert counts.ledger >= committed
        assert counts.ledger % batch == 0  # whole batches only: the killed one left nothing
        assert counts.evidence == counts.ledger == counts.blobs

    rerun = writer(store_url, "crash", committed + batch, batch)
    _, errors = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, errors
    with open_store(store_url, create=False) as store:
        assert store.verify().ok
        assert store.counts().evidence >= committed + batch
