"""``assay demo``: the whole job on a generated sample, offline and repeatable.

The demo is a list of steps, each a function of a shared :class:`DemoContext`. Later
stages (CI artefacts, checks, gates, reports) join by adding a step to :data:`STEPS`
at the right place; a step reads what earlier ones left in ``ctx.state`` (for example
``ctx.state["collect"]``, the :class:`~assay.evidence.collect.CollectReport`), uses
``ctx.workspace()`` and ``ctx.store_url`` (the demo's own SQLite store, never the one
``ASSAY_STORE_URL`` names), writes its outputs under ``ctx.out`` and prints through
``ctx.echo``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from assay.demo.anchor_steps import anchor_ledger
from assay.demo.assess_steps import (
    check_services,
    gate_services,
    record_attestations,
    write_corrective_action,
    write_waiver,
)
from assay.demo.ci_samples import write_ci_artefacts
from assay.demo.people_steps import write_people
from assay.demo.report_steps import write_reports
from assay.demo.steps import (
    DemoContext,
    build_repositories,
    collect_evidence,
    prepare_folder,
    summarise,
    write_coverage,
    write_workspace,
)

Step = Callable[[DemoContext], None]

#: The demo, in order. ``summarise`` stays last.
STEPS: list[Step] = [
    prepare_folder,
    write_workspace,
    write_people,
    build_repositories,
    write_ci_artefacts,
    collect_evidence,
    write_waiver,
    write_corrective_action,
    record_attestations,
    check_services,
    gate_services,
    anchor_ledger,
    write_reports,
    write_coverage,
    summarise,
]


def run_demo(
    out: Path, *, echo: Callable[[str], None] = print, steps: list[Step] | None = None
) -> DemoContext:
    """Run every step into ``out`` (its ``workspace/`` folder is replaced)."""
    ctx = DemoContext(out=out.resolve(), echo=echo)
    for step in STEPS if steps is None else steps:
        step(ctx)
    return ctx


__all__ = ["STEPS", "DemoContext", "Step", "run_demo"]
