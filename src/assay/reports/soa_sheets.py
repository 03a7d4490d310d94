"""The SoA workbook's content: each sheet's columns and rows, as plain values.

Kept apart from the writer (:mod:`assay.reports.soa`) so the content is testable
without a spreadsheet, and so the benchmark can write exactly the same cells with
openpyxl and no styling, for comparison.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from assay.assess.model import STATUSES
from assay.controls.model import SEVERITIES
from assay.governance import Governance
from assay.reports.soa_model import (
    AI_RMF,
    IMPLEMENTATION_STATUSES,
    ISO,
    RESULT_STATUSES,
    SERVICE_STANDARD,
    RequirementRow,
    ResultIndex,
    ServiceAssessment,
    requirement_rows,
    service_standard_rag,
)

WAIVER_STATES = ("active", "expired")


@dataclass
class SheetSpec:
    """One sheet: title, (column, width) pairs, rows, list-validated columns, frozen cell."""

    title: str
    columns: list[tuple[str, int]]
    rows: list[list[Any]] = field(default_factory=list)
    status_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    freeze: str = "B2"


def naive(moment: datetime | None) -> datetime | None:
    """Excel has no time zones: UTC wall time, whole seconds."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0)


_REQUIREMENT_TAIL = [
    ("Implementation status", 20),
    ("Implementing controls", 34),
    ("Latest result", 13),
    ("Results across services", 28),
    ("Evidence references", 40),
    ("Last verified", 17),
]
_STATUS_COLUMNS = {
    "Implementation status": IMPLEMENTATION_STATUSES,
    "Latest result": RESULT_STATUSES,
}


def _tail(row: RequirementRow) -> list[Any]:
    return [
        row.implementation,
        row.controls,
        row.result,
        row.result_counts,
        row.evidence,
        naive(row.last_verified),
    ]


def sheets(governance: Governance, scope: Sequence[ServiceAssessment]) -> list[SheetSpec]:
    """Every sheet of the workbook, in order."""
    index = ResultIndex(scope)
    return [
        _annex_a(governance, index),
        _clauses(governance, index),
        _ai_rmf(governance, index),
        _service_standard(governance, index),
        _gaps(scope),
        _waivers(scope),
        _scope(scope),
    ]


def _annex_a(governance: Governance, index: ResultIndex) -> SheetSpec:
    sheet = SheetSpec(
        "ISO 27001 SoA",
        [
            ("Control", 9),
            ("Title", 42),
            ("Theme", 22),
            ("Applicable", 11),
            ("Justification", 50),
            *_REQUIREMENT_TAIL,
        ],
        status_columns={"Applicable": ("Yes", "No"), **_STATUS_COLUMNS},
    )
    for row in requirement_rows(governance, ISO, index, groups=("A.5", "A.6", "A.7", "A.8")):
        sheet.rows.append(
            [row.id, row.title, row.group, row.applicable, row.justification, *_tail(row)]
        )
    return sheet


def _clauses(governance: Governance, index: ResultIndex) -> SheetSpec:
    sheet = SheetSpec(
        "ISO 27001 clauses 4-10",
        [("Clause", 8), ("Title", 48), ("Section", 30), *_REQUIREMENT_TAIL],
        status_columns=dict(_STATUS_COLUMNS),
    )
    groups = tuple(str(n) for n in range(4, 11))
    for row in requirement_rows(governance, ISO, index, groups=groups):
        sheet.rows.append([row.id, row.title, row.group, *_tail(row)])
    return sheet


def _ai_rmf(governance: Governance, index: ResultIndex) -> SheetSpec:
    sheet = SheetSpec(
        "NIST AI RMF",
        [
            ("Subcategory", 13),
            ("Function", 10),
            ("Category", 40),
            ("Outcome", 60),
            *_REQUIREMENT_TAIL,
        ],
        status_columns=dict(_STATUS_COLUMNS),
    )
    for row in requirement_rows(governance, AI_RMF, index):
        sheet.rows.append([row.id, row.parent_group, row.group, row.title, *_tail(row)])
    return sheet


def _service_standard(governance: Governance, index: ResultIndex) -> SheetSpec:
    sheet = SheetSpec(
        "Service Standard",
        [("Point", 9), ("Title", 44), ("Met", 14), ("RAG", 8), *_REQUIREMENT_TAIL],
        status_columns={
            "Met": ("Met", "Not met", "Not applicable", "Not assessed"),
            "RAG": ("Red", "Amber", "Green", "Grey"),
            **_STATUS_COLUMNS,
        },
    )
    for row in requirement_rows(governance, SERVICE_STANDARD, index):
        met, rag = service_standard_rag(row)
        sheet.rows.append([row.id, row.title, met, rag, *_tail(row)])
    return sheet


def _gaps(scope: Sequence[ServiceAssessment]) -> SheetSpec:
    sheet = SheetSpec(
        "Gap register",
        [
            ("Service", 18),
            ("Control", 9),
            ("Title", 34),
            ("Status", 10),
            ("Underlying status", 11),
            ("Severity", 9),
            ("Owner", 20),
            ("Reason", 60),
            ("Remediation", 44),
            ("Waiver approver", 18),
            ("Waiver expires", 13),
        ],
        status_columns={"Status": RESULT_STATUSES, "Severity": SEVERITIES},
        freeze="C2",
    )
    for item in scope:
        if item.assessment is None:
            continue
        for result in item.assessment.results:
            if result.status in ("pass", "not_applicable"):
                continue
            waiver = result.waiver
            sheet.rows.append([
                item.service.id, result.control, result.title, result.status,
                result.underlying_status or "", result.severity, result.owner_role,
                "\n".join(result.reasons), result.remediation,
                waiver.approver if waiver else "",
                waiver.expires.isoformat() if waiver else "",
            ])  # fmt: skip
    return sheet


def _waivers(scope: Sequence[ServiceAssessment]) -> SheetSpec:
    sheet = SheetSpec(
        "Waivers",
        [
            ("Service", 18),
            ("Control", 9),
            ("State", 9),
            ("Reason", 60),
            ("Approver", 20),
            ("Created", 11),
            ("Expires", 11),
            ("Ticket", 14),
        ],
        status_columns={"State": WAIVER_STATES},
        freeze="C2",
    )
    for item in scope:
        if item.assessment is None:
            continue
        for result in item.assessment.results:
            waiver = result.waiver
            if waiver is not None:
                sheet.rows.append([
                    item.service.id, result.control, waiver.state, waiver.reason,
                    waiver.approver, waiver.created.isoformat(), waiver.expires.isoformat(),
                    waiver.ticket or "",
                ])  # fmt: skip
    return sheet


def _scope(scope: Sequence[ServiceAssessment]) -> SheetSpec:
    sheet = SheetSpec(
        "Scope",
        [
            ("Service", 18),
            ("Name", 26),
            ("Owner", 26),
            ("Tier", 6),
            ("Tags", 24),
            ("Assessed as of", 17),
            ("Assessment hash (sha256)", 66),
            ("Pass", 7),
            ("Fail", 7),
            ("Gap", 7),
            ("Stale", 7),
            ("Waived", 7),
            ("Not applicable", 9),
            ("Error", 7),
        ],
    )
    for item in scope:
        service, assessment = item.service, item.assessment
        counts = assessment.counts if assessment else {}
        sheet.rows.append([
            service.id, service.name, service.owner, service.tier, ", ".join(sorted(service.tags)),
            naive(assessment.as_of) if assessment else "not assessed",
            assessment.hash if assessment else "",
            *(counts.get(status, 0) for status in STATUSES),
        ])  # fmt: skip
    return sheet
