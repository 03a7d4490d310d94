"""Many ``assay collect`` processes at once, and one killed with SIGKILL mid-collection."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assay.evidence.context import CI_MARKERS
from assay.evidence.store import open_store
from tests.support.gitrepo import GitRepo
from tests.unit.evidence.collection.helpers import workspace

PROCESSES = 8


def services(root: Path, count: int, commits: int = 3) -> Path:
    specs = {}
    for number in range(count):
        repo = GitRepo.init(root / "repos" / f"r{number}")
        for index in range(commits):
            repo.commit(f"change {index} (#{index})", {f"f{index}.txt": str(number)})
        specs[f"s{number}"] = {"repos": [{"name": f"r{number}", "path": f"repos/r{number}"}]}
    return workspace(root, specs)


def assay(root: Path, url: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, **dict.fromkeys(CI_MARKERS, ""), "ASSAY_STORE_URL": url}
    return subprocess.Popen(
        [sys.executable, "-m", "assay", "collect", "-w", str(root), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_concurrent_collections_lose_nothing_and_keep_one_chain(
    tmp_path: Path, store_url: str
) -> None:
    root = services(tmp_path / "ws", 2)
    processes = [assay(root, store_url, "--format", "json") for _ in range(PROCESSES)]
    outputs = []
    for process in processes:
        out, errors = process.communicate(timeout=300)
        assert process.returncode == 0, errors
        outputs.append(json.loads(out)["evidence"])
    ids = {record["id"] for output in outputs for record in output}
    assert all({r["id"] for r in output} == ids for output in outputs)  # same commits, same ids
    with open_store(store_url, create=False) as store:
        counts = store.counts()
        assert counts.evidence == len(ids)
        assert counts.ledger == PROCESSES * len(ids)
        entries = list(store.ledger())
        assert [entry.seq for entry in entries] == list(range(1, counts.ledger + 1))
        assert {entry.ref_id for entry in entries} == ids
        assert store.verify().problems == []


@pytest.mark.slow
def test_a_collection_killed_mid_run_leaves_a_clean_store(tmp_path: Path, store_url: str) -> None:
    root = services(tmp_path / "ws", 8, commits=2)
    process = assay(root, store_url)
    deadline = time.monotonic() + 60
    ledger = 0
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with open_store(store_url, create=False) as store:
                ledger = store.counts().ledger
        except Exception:  # noqa: BLE001 - the store may not exist yet
            ledger = 0
        if ledger:
            break
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)  # reap it and close its pipes
    with open_store(store_url, create=False) as store:
        assert store.verify().problems == []
        before = store.counts()
    assert before.evidence == before.ledger  # whole services only
    rerun = assay(root, store_url, "--format", "json")
    out, errors = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, errors
    ids = {record["id"] for record in json.loads(out)["evidence"]}
    with open_store(store_url, create=False) as store:
        assert store.verify().ok
        assert {entry.ref_id for entry in store.ledger()} == ids
        assert store.counts().evidence == len(ids)
