"""Shared helpers for the benchmark scripts: run commands, take medians, print ratios."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
_compiled = False


def wall(command: Sequence[str], *, runs: int, cwd: Path | None = None) -> float:
    """Median wall time in seconds of ``command`` over ``runs`` runs after one warm-up."""
    compile_assay()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=False)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=False)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def compile_assay() -> None:
    """Write the assay package's bytecode, as installing it from a wheel does.

    Timed commands run with PYTHONDONTWRITEBYTECODE=1 so they leave nothing behind; an
    editable install has no bytecode of its own, and without this every timed run would
    compile about a hundred modules from source (some 90 ms) that a pipeline's
    ``pip install assay`` compiles once, at install. The baselines' packages (sqlmodel,
    git...) were compiled by pip when they were installed.
    """
    global _compiled
    if _compiled:
        return
    import compileall

    import assay

    compileall.compile_dir(Path(assay.__file__).parent, quiet=1)
    _compiled = True


def report(name: str, seconds: float, baseline_name: str, baseline: float) -> None:
    print(f"{name:<44} {seconds * 1000:8.1f} ms   {seconds / baseline:5.2f}x {baseline_name}")


def quick_flag(argv: Sequence[str]) -> bool:
    return "--quick" in argv
