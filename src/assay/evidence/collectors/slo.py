"""``slo.report`` from Assay's documented SLO report JSON (``assay.slo-report/v1``).

Each objective gives its target, window and either the measured SLI (a fraction) or good
and total event counts (measured = good / total; no events counts as 1). Derived facts:

- ``met``: measured ≥ target;
- ``error_budget_remaining``: as the file states it, else ``1 - (1 - measured) / (1 -
  target)``: 1 when nothing of the budget is spent, 0 when it is exactly spent, negative
  when overspent; rounded to 6 places;
- ``min_error_budget_remaining``: the lowest across objectives (1 when there are none).

The evidence is dated by the end of the reported period.
"""

from __future__ import annotations

from typing import Any

from assay.durations import isoformat
from assay.evidence.collectors.ai import _OwnFormatParser
from assay.evidence.collectors.interface import ArtefactTarget, CollectContext, Part
from assay.evidence.parsing.recognition import Recognition
from assay.evidence.parsing.values import parse_time

SLO_REPORT_FORMAT = "assay.slo-report/v1"
MAX_SLOS = 100


def _measured(objective: dict[str, Any]) -> float:
    if "measured" in objective:
        return float(objective["measured"])
    total = int(objective["total"])
    return 1.0 if total == 0 else min(int(objective["good"]) / total, 1.0)


def slo_facts(document: dict[str, Any]) -> dict[str, Any]:
    slos = []
    for objective in document["objectives"]:
        target = float(objective["target"])
        measured = _measured(objective)
        remaining = objective.get("error_budget_remaining")
        if remaining is None:
            remaining = 1 - (1 - measured) / (1 - target)
        slos.append(
            {
                "name": objective["name"],
                "target": target,
                "measured": round(measured, 6),
                "window": objective["window"],
                "error_budget_remaining": round(min(float(remaining), 1.0), 6),
                "met": measured >= target,
            }
        )
    slos.sort(key=lambda slo: slo["name"])
    met = sum(1 for slo in slos if slo["met"])
    since = parse_time(document["period"]["since"])
    until = parse_time(document["period"]["until"])
    assert since is not None
    assert until is not None
    return {
        "period": {"since": isoformat(since), "until": isoformat(until)},
        "objectives": len(slos),
        "met": met,
        "breached": len(slos) - met,
        "slos": slos[:MAX_SLOS],
        "min_error_budget_remaining": min(
            (slo["error_budget_remaining"] for slo in slos), default=1.0
        ),
    }


class SloReportParser(_OwnFormatParser):
    """``assay.slo-report/v1`` -> ``slo.report``."""

    name = "slo-report"
    version = "1.0.0"
    kind = "slo.report"
    formats = "assay.slo-report/v1 JSON"
    marker = SLO_REPORT_FORMAT
    schema = "slo-report"

    def parse(self, target: ArtefactTarget, found: Recognition, context: CollectContext) -> Part:
        facts = slo_facts(self.document(target, found))
        until = parse_time(facts["period"]["until"])
        return self.part(target, facts, until, "application/json")
