"""`assay gate` wall time for one service, as a ratio to `python -c "import sqlmodel"`.

    .venv/bin/python benchmarks/gate.py [--quick]

Builds a workspace with the full built-in library and N service constitutions (1,000;
--quick: 100) and a SQLite store holding every service's evidence, then times
`assay gate --service svc-0042 --stage release` end to end (process start to exit, the
decision recorded). The first run, not timed, fills the compiled-library cache, as the
first gate of a pipeline would; assay's bytecode is written first, as a wheel install
does. Baseline, same run: `python -c "import sqlmodel"`, the import the store's model
layer needs (the gate imports it). Targets: the gate at most 1.6x the import, and the
gate's own work (its time less the import's) under 0.6x the import. Exits 1 when either
is missed. Timed commands inherit this process's environment (PYTHONPATH included), and
the assay they run is printed first.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

import assay
from _evidence import drafts, library_kinds, services
from _timing import BIN, compile_assay, quick_flag, report
from assay.controls.loader import load_library
from assay.durations import utc_now
from assay.evidence.store import open_store


def build(root: Path, count: int) -> str:
    (root / "assay.toml").write_text('[workspace]\nname = "bench"\n', encoding="utf-8")
    (root / "services").mkdir()
    estate = services(count)
    for service in estate:
        document = {
            "id": service.id,
            "name": service.name,
            "owner": service.owner,
            "tier": service.tier,
            "tags": sorted(service.tags),
            "repos": [{"name": r.name, "url": r.url} for r in service.repos],
        }
        (root / "services" / f"{service.id}.yaml").write_text(yaml.safe_dump(document))
    url = f"sqlite:///{root / '.assay' / 'assay.db'}"
    kinds = library_kinds(load_library())
    rng = random.Random(11)
    observed = utc_now().replace(microsecond=0)
    start = time.perf_counter()
    with open_store(url) as store:
        for service in estate:
            store.record(drafts(service, kinds, observed, rng), context={"bench": True})
        counts = store.counts()
    print(
        f"store: {counts.evidence} evidence records of {count} services "
        f"(filled in {time.perf_counter() - start:.1f} s)"
    )
    return url


#: The gate's wall time as a ratio to importing sqlmodel, at most.
TARGET = 1.6
#: The gate's own work (its time less the import's) as a ratio to the import, under.
OWN_WORK_TARGET = 0.6


def interleaved(commands: dict[str, list[str]], runs: int) -> dict[str, float]:
    """Median wall time of each command, runs taken in turn so machine load hits all alike."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():  # warm-up: caches, page cache, the library cache
        subprocess.run(command, env=env, capture_output=True, check=False)
    for _ in range(runs):
        for name, command in commands.items():
            start = time.perf_counter()
            subprocess.run(command, env=env, capture_output=True, check=False)
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> int:
    quick = quick_flag(sys.argv)
    count = 100 if quick else 1000
    runs = 3 if quick else 11
    python = sys.executable
    compile_assay()
    probe = [str(BIN / "python"), "-c", "import assay; print(assay.__file__)"]
    where = subprocess.run(probe, capture_output=True, text=True, check=True).stdout.strip()
    print(f"assay under test: {where}")
    if where != assay.__file__:
        print(f"the timed commands would not run this assay ({assay.__file__})")
        return 2
    with tempfile.TemporaryDirectory(prefix="assay-gate-bench-") as folder:
        root = Path(folder)
        url = build(root, count)
        gate = [
            str(BIN / "assay"),
            "gate",
            "--service",
            "svc-0042",
            "--stage",
            "release",
            "--workspace",
            str(root),
        ]
        commands = {
            "baseline": [python, "-c", "import sqlmodel"],
            "store": [
                python,
                "-c",
                f"from assay.evidence.store import open_store; open_store({url!r})",
            ],
            "version": [str(BIN / "assay"), "--version"],
            "gate": gate,
        }
        times = interleaved(commands, runs)
        baseline, store_open, version, seconds = (
            times["baseline"],
            times["store"],
            times["version"],
            times["gate"],
        )
        print(f"median of {runs} runs each")
        report('python -c "import sqlmodel"', baseline, "import sqlmodel", baseline)
        report("open the store (reference)", store_open, "import sqlmodel", baseline)
        report("assay --version (reference)", version, "import sqlmodel", baseline)
        report("assay gate --stage release (one service)", seconds, "import sqlmodel", baseline)
        own = seconds - baseline
        report("the gate's own work (gate less the import)", own, "import sqlmodel", baseline)
    ratio, own_ratio = seconds / baseline, own / baseline
    met = ratio <= TARGET and own_ratio < OWN_WORK_TARGET
    print(
        f"target: gate <= {TARGET}x and own work < {OWN_WORK_TARGET}x the import: "
        f"{ratio:.2f}x and {own_ratio:.2f}x, {'met' if met else 'MISSED'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
