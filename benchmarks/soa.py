"""The SoA workbook against openpyxl writing the same cells unstyled, same run.

    .venv/bin/python benchmarks/soa.py [--quick]

N services (1,000; --quick: 100), each with an assessment of every built-in control
(statuses drawn at random: mostly pass, some fail, gap, stale, waived). The timed work
is ``build_workbook``: deciding every requirement across services, then writing all
seven sheets with styled headers, redacted and formula-safe text cells, conditional
status colours, list validation, filters, frozen panes and properties. The baselines
write exactly the same cells with openpyxl and no styling at all: in write-only mode
(the mode the report uses) and in the default mode. Target: at most 2x.
"""

from __future__ import annotations

import io
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime

from _evidence import services
from _timing import quick_flag
from assay.assess.model import Assessment, Result, WaiverInfo
from assay.governance import load_governance
from assay.reports.soa import build_workbook
from assay.reports.soa_model import ServiceAssessment
from assay.reports.soa_sheets import SheetSpec, sheets

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
STATUSES = ["pass"] * 12 + ["fail", "fail", "gap", "stale", "waived", "not_applicable"]


def estate(count: int) -> list[ServiceAssessment]:
    governance = load_governance(None)
    controls = governance.library.sorted()
    rng = random.Random(3)
    found = []
    for svc in services(count):
        results = []
        for control in controls:
            status = rng.choice(STATUSES)
            waiver = None
            if status == "waived":
                waiver = WaiverInfo(
                    svc.id,
                    control.id,
                    "Compensating review by the team lead.",
                    "Ada Lovelace",
                    date(2026, 2, 1),
                    date(2026, 5, 1),
                    "active",
                    ticket="SEC-1",
                )
            results.append(
                Result(
                    control=control.id,
                    title=control.title,
                    family=control.family,
                    severity=control.severity,
                    owner_role=control.owner_role,
                    status=status,
                    underlying_status="fail" if status == "waived" else None,
                    reasons=()
                    if status == "pass"
                    else (
                        f"{control.id}: review_ratio is 0.{rng.randint(50, 94)}; it must be at "
                        "least 0.95",
                    ),
                    evidence_ids=tuple(f"{rng.getrandbits(256):064x}" for _ in range(2)),
                    waiver=waiver,
                    remediation=control.remediation,
                    justification="Not in scope." if status == "not_applicable" else "",
                )
            )
        assessment = Assessment(svc.id, NOW, NOW, "0.1.0", "ab" * 32, tuple(results))
        found.append(ServiceAssessment(svc, assessment))
    return found


def plain(specs: Sequence[SheetSpec], *, write_only: bool) -> bytes:
    """The same cells, no styling of any kind."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=write_only)
    if not write_only:
        workbook.remove(workbook.active)
    for spec in specs:
        sheet = workbook.create_sheet(spec.title)
        sheet.append([name for name, _ in spec.columns])
        for row in spec.rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main() -> int:
    quick = quick_flag(sys.argv)
    count = 100 if quick else 1000
    runs = 3
    governance = load_governance(None)
    scope = estate(count)
    specs = sheets(governance, scope)  # the cells, computed once for the baselines
    cells = sum(len(spec.rows) * len(spec.columns) for spec in specs)

    def report() -> bytes:
        return build_workbook(governance, scope, generated=NOW)

    size = len(report())  # warm-up: imports
    plain(specs, write_only=True)
    ours: list[float] = []
    write_only: list[float] = []
    default: list[float] = []
    for _ in range(runs):  # interleaved, so load from other processes hits all alike
        write_only.append(timed(lambda: plain(specs, write_only=True)))
        default.append(timed(lambda: plain(specs, write_only=False)))
        ours.append(timed(report))
    mine = statistics.median(ours)
    base_wo = statistics.median(write_only)
    base_default = statistics.median(default)
    print(
        f"SoA for {count} services: {cells:,} cells in {len(specs)} sheets, {size:,} bytes; "
        f"median of {runs} runs"
    )
    print(f"{'openpyxl, same cells, unstyled, write-only':<46} {base_wo * 1000:8.1f} ms")
    print(f"{'openpyxl, same cells, unstyled, default mode':<46} {base_default * 1000:8.1f} ms")
    print(
        f"{'assay report soa (decide + styled write)':<46} {mine * 1000:8.1f} ms   "
        f"{mine / base_wo:5.2f}x write-only, {mine / base_default:5.2f}x default "
        "(target <= 2x)"
    )
    return 0 if mine / base_wo <= 2 else 1


if __name__ == "__main__":
    sys.exit(main())
