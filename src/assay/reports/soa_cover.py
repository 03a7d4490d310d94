"""The SoA workbook's cover sheet: whose statement it is, what it covers, its approval.

Organisation (``assay.toml``), the scope statement and services in scope, version,
approver and approval date (``soa.yaml``), when it was generated, the period the
evidence was observed in, how complete the Annex A decisions are, and a legend of every
status the sheets use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from assay.governance import Governance
from assay.reports.soa_decisions import (
    ANNEX_A_FRAMEWORK,
    BASES,
    Decisions,
    annex_a,
    incomplete,
)
from assay.reports.soa_model import (
    ALL,
    EXCLUDED,
    NONE,
    NOT_APPLICABLE,
    NOT_ASSESSED,
    SOME,
    UNVERIFIABLE,
    ServiceAssessment,
    evidence_time,
)

COVER = "Cover"
MAX_SCOPE_NAMES = 40
NOT_RECORDED = "Not recorded"
LEGEND: Mapping[str, str] = {
    ALL: "Every service in scope that the requirement applies to passed every linked control.",
    SOME: "Some services passed every linked control; the Where column names them and the others.",
    NONE: "No service passed: a linked control failed, had no evidence, had evidence out of "
    "date, errored or was waived.",
    UNVERIFIABLE: "Nothing failed, but Assay was not allowed to look at some of the evidence; "
    "the Notes column says what it needs.",
    NOT_ASSESSED: "No assessment to go on, or no control of the library is linked.",
    NOT_APPLICABLE: "No service's linked controls apply to it (each service's justification "
    "is in Notes).",
    EXCLUDED: "The organisation decided it does not apply (soa.yaml); the justification says "
    "why. Notes flag services whose evidence suggests otherwise.",
    "Not decided": "soa.yaml holds no decision for it yet.",
    "Last verified": "When the oldest evidence the status rests on was observed (UTC); not "
    "when this workbook was made.",
}


@dataclass
class CoverSheet:
    title: str = COVER
    columns: list[tuple[str, int]] = field(default_factory=lambda: [("Item", 30), ("Detail", 110)])
    rows: list[list[Any]] = field(default_factory=list)


def _naive(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _span(moments: Sequence[datetime]) -> str:
    if not moments:
        return NOT_RECORDED
    first, last = min(moments), max(moments)
    return _naive(first) if first == last else f"{_naive(first)} to {_naive(last)}"


def cover_sheet(
    governance: Governance,
    scope: Sequence[ServiceAssessment],
    decisions: Decisions,
    *,
    organisation: str,
    generated: datetime | None,
) -> CoverSheet:
    """The cover: one row per item, then the legend."""
    sheet = CoverSheet()
    services = [item.service.id for item in scope]
    named = ", ".join(services[:MAX_SCOPE_NAMES])
    if len(services) > MAX_SCOPE_NAMES:
        named += f" and {len(services) - MAX_SCOPE_NAMES:,} more (see the Scope sheet)"
    assessed = [item.assessment for item in scope if item.assessment is not None]
    observed = [
        when
        for assessment in assessed
        for result in assessment.results
        if (when := evidence_time(result)) is not None
    ]
    frameworks = ", ".join(f.title for f in governance.frameworks.values())
    sheet.rows = [
        ["Statement of Applicability", "ISO/IEC 27001:2022 clause 6.1.3 d)"],
        ["Organisation", organisation or "Not named in assay.toml"],
        ["Scope", decisions.scope or NOT_RECORDED],
        [f"Services in scope ({len(services):,})", named],
        ["Version", decisions.version or NOT_RECORDED],
        ["Approved by", decisions.approved_by or NOT_RECORDED],
        ["Approval date", decisions.approved_on or NOT_RECORDED],
        ["Decisions", _completeness(governance, decisions)],
        ["Generated at", _naive(generated) if generated else NOT_RECORDED],
        ["Evidence observed", _span(observed)],
        ["Assessments as of", _span([a.as_of for a in assessed])],
        ["Frameworks", frameworks],
        ["Bases for inclusion", "; ".join(BASES.values())],
    ]
    sheet.rows.extend([f"Legend: {term}", meaning] for term, meaning in LEGEND.items())
    return sheet


def _completeness(governance: Governance, decisions: Decisions) -> str:
    framework = governance.frameworks.get(ANNEX_A_FRAMEWORK)
    controls = annex_a(framework)
    if not controls:
        return "No ISO/IEC 27001:2022 catalog is loaded."
    missing = len(incomplete(decisions, governance.frameworks))
    where = f" in {decisions.source}" if decisions.source else " (no soa.yaml)"
    if not missing:
        return f"All {len(controls)} Annex A controls are decided and justified{where}."
    return (
        f"{len(controls) - missing} of {len(controls)} Annex A controls are decided and "
        f"justified{where}; {missing} are not."
    )
