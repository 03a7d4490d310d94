"""``assay report soa`` for 1,000 services against openpyxl writing the same cells, unstyled.

    .venv/bin/python benchmarks/soa.py [--quick]

Builds a workspace of N services (1,000; --quick: 100) with the demo's decisions file
(every Annex A control decided) and a SQLite store holding one sealed assessment per
service, of every built-in control, with statuses drawn at random (mostly pass; some
fail, gap, unverifiable, stale, waived, not applicable) and test outcomes carrying
observation times.

The candidate is the whole command, as a user runs it: a fresh ``python -m assay report
soa -o FILE`` process that opens the workspace, loads the library, the catalogs and the
decisions, reads and hash-checks every assessment from the store, decides every
requirement and writes the styled, print-ready workbook. Its wall time includes
interpreter start-up and imports.

The baseline is openpyxl in write-only mode writing exactly the same cells (computed
once, in this process, from the same store) with no styling, no validation, no
conditional formats, no print setup: only the time of that write is counted, not the
reading or the deciding. The two are interleaved, run after run, so load from other
processes hits both alike; each is reported as median and spread (min to max). The
target is a median ratio of at most 2; the script exits 1 when it is missed.
"""

from __future__ import annotations

import io
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from _evidence import services
from _timing import compile_assay, quick_flag
from assay.assess.model import Assessment, Result, TestOutcome, WaiverInfo
from assay.demo.soa_decisions import write_decisions
from assay.evidence.store import open_store
from assay.governance import load_governance
from assay.reports.soa_decisions import load_decisions
from assay.reports.soa_model import ServiceAssessment
from assay.reports.soa_sheets import SheetSpec, sheets
from assay.reports.sources import ReportRequest, load_scope
from assay.workspace import open_workspace

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
STATUSES = ["pass"] * 12 + ["fail", "fail", "gap", "unverifiable", "stale", "waived"]
STATUSES += ["not_applicable"]
TARGET = 2.0


def _result(control: Any, status: str, rng: random.Random, service: str) -> Result:
    waiver = None
    if status == "waived":
        waiver = WaiverInfo(
            service,
            control.id,
            "Compensating review by the team lead.",
            "Ada Lovelace",
            date(2026, 2, 1),
            date(2026, 5, 1),
            "active",
            ticket="SEC-1",
        )
    observed = NOW - timedelta(days=rng.randint(1, 40), minutes=rng.randint(0, 1440))
    evidence = tuple(f"{rng.getrandbits(256):064x}" for _ in range(2))
    tests = tuple(
        TestOutcome(
            test.id,
            test.kind,
            "service",
            "pass" if status in ("pass", "waived") else status,
            evidence_id=evidence[0],
            observed_at=observed,
            collected_at=observed,
        )
        for test in control.tests[:2]
    )
    reason = f"{control.id}: review_ratio is 0.{rng.randint(50, 94)}; it must be at least 0.95"
    return Result(
        control=control.id,
        title=control.title,
        family=control.family,
        severity=control.severity,
        owner_role=control.owner_role,
        status=status,
        underlying_status="fail" if status == "waived" else None,
        reasons=() if status == "pass" else (reason,),
        evidence_ids=evidence,
        tests=tests,
        waiver=waiver,
        remediation=control.remediation,
        justification="Not in scope." if status == "not_applicable" else "",
    )


def build_estate(root: Path, count: int) -> None:
    """A workspace of ``count`` services, its decisions, and one stored assessment each."""
    root.mkdir(parents=True)
    (root / "assay.toml").write_text(
        '[workspace]\norganisation = "Benchmark Organisation"\n', encoding="utf-8"
    )
    write_decisions(root / "soa.yaml")
    (root / "services").mkdir()
    governance = load_governance(None)
    controls = governance.library.sorted()
    rng = random.Random(3)
    with open_store(f"sqlite:///{root / '.assay' / 'assay.db'}", create=True) as store:
        for svc in services(count):
            document = {"id": svc.id, "name": svc.name, "owner": svc.owner, "tier": svc.tier}
            text = yaml.safe_dump(document, sort_keys=False)
            (root / "services" / f"{svc.id}.yaml").write_text(text, encoding="utf-8")
            results = tuple(
                _result(control, rng.choice(STATUSES), rng, svc.id) for control in controls
            )
            digest = governance.library.digest
            assessment = Assessment(svc.id, NOW, NOW, "0.1.0", digest, results)
            store.save_assessment(
                service=svc.id,
                as_of=NOW,
                library_digest=digest,
                payload=assessment.to_dict(),
                context={"benchmark": True},
                created_at=NOW,
            )


def same_cells(root: Path) -> list[SheetSpec]:
    """The cells the command writes, computed from the same workspace and store."""
    ws = open_workspace(root)
    governance = load_governance(ws)
    decisions = load_decisions(ws.soa_path, governance.frameworks, "soa.yaml")
    with open_store(ws.store_url) as store:
        scope = load_scope(ws, governance, store, ReportRequest(), trend=False)
    items = [
        ServiceAssessment(service, sources.assessment if sources else None)
        for service, sources in scope.services
    ]
    return sheets(
        governance, items, decisions=decisions, organisation=ws.organisation, generated=NOW
    )


def plain(specs: list[SheetSpec]) -> bytes:
    """The same cells, openpyxl write-only, no styling of any kind."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for spec in specs:
        sheet = workbook.create_sheet(spec.title)
        sheet.append([name for name, _ in spec.columns])
        for row in spec.rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def command(root: Path, target: Path) -> float:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    argv = [sys.executable, "-m", "assay", "report", "soa", "-o", str(target)]
    start = time.perf_counter()
    done = subprocess.run(
        [*argv, "--workspace", str(root)], env=env, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"assay report soa failed:\n{done.stderr}")
    return elapsed


def spread(samples: list[float]) -> str:
    return (
        f"median {statistics.median(samples) * 1000:7.0f} ms "
        f"(min {min(samples) * 1000:.0f}, max {max(samples) * 1000:.0f})"
    )


def main() -> int:
    quick = quick_flag(sys.argv)
    count = 100 if quick else 1000
    runs = 5
    compile_assay()
    with tempfile.TemporaryDirectory(prefix="assay-soa-bench-") as folder:
        root = Path(folder) / "workspace"
        started = time.perf_counter()
        build_estate(root, count)
        built = time.perf_counter() - started
        specs = same_cells(root)
        cells = sum(len(spec.rows) * len(spec.columns) for spec in specs)
        target = Path(folder) / "soa.xlsx"
        command(root, target)  # warm-up: the file cache, bytecode
        plain(specs)
        ours: list[float] = []
        base: list[float] = []
        for _ in range(runs):  # interleaved
            start = time.perf_counter()
            plain(specs)
            base.append(time.perf_counter() - start)
            ours.append(command(root, target))
        size = target.stat().st_size
    ratio = statistics.median(ours) / statistics.median(base)
    print(
        f"SoA for {count:,} services: {cells:,} cells in {len(specs)} sheets, {size:,} bytes; "
        f"{runs} interleaved runs (estate built in {built:.1f} s)"
    )
    print(f"{'openpyxl write-only, same cells, unstyled (write only)':<58} {spread(base)}")
    print(f"{'assay report soa, whole process (read store, decide, write)':<58} {spread(ours)}")
    verdict = "met" if ratio <= TARGET else "MISSED"
    print(f"ratio of medians {ratio:.2f}x (target <= {TARGET:g}x): {verdict}")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
