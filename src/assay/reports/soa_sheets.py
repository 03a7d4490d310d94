"""The SoA workbook's content: each sheet's columns and rows, as plain values.

Kept apart from the writer (:mod:`assay.reports.soa`) so the content is testable
without a spreadsheet, and so the benchmark can write exactly the same cells with
openpyxl and no styling, for comparison. Which framework sheets there are, what they
list and their leading columns come from the catalogs (:mod:`assay.mappings.soa_layout`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

from assay.assess.model import STATUSES, Result
from assay.controls.model import SEVERITIES
from assay.governance import Governance
from assay.mappings.catalog import Framework
from assay.mappings.soa_layout import STATUS_HEADERS, SoaSheet, layout
from assay.reports.sheet_names import SheetNames
from assay.reports.soa_cover import COVER, cover_sheet
from assay.reports.soa_decisions import Decisions
from assay.reports.soa_model import (
    APPLICABLE_VALUES,
    IMPLEMENTATION_STATUSES,
    MET_VALUES,
    RAG_VALUES,
    RESULT_STATUSES,
    RequirementRow,
    ResultIndex,
    ServiceAssessment,
    met_and_rating,
    requirement_rows,
    unverifiable_wording,
    words,
)

WAIVER_STATES = ("Active", "Expired")
GAPS, WAIVERS, SCOPE = "Gap register", "Waivers", "Scope"


@dataclass
class SheetSpec:
    """One sheet: title, (column, width) pairs, rows, list-validated columns, frozen cell.

    ``subject`` and ``keyword``: what a framework sheet adds to the document properties.
    """

    title: str
    columns: list[tuple[str, int]]
    rows: list[list[Any]] = field(default_factory=list)
    status_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    freeze: str = "B2"
    subject: str = ""
    keyword: str = ""


def naive(moment: datetime | None) -> datetime | None:
    """Excel has no time zones: UTC wall time, whole seconds."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None, microsecond=0)


_STATUS_WIDTHS = (16, 30, 16, 20, 27, 16, 28)
_STATUS_CHOICES = {"Implementation status": IMPLEMENTATION_STATUSES}
# What each kind of leading column shows, and the values it accepts (if a fixed list).
_VALUES: dict[str, Callable[[RequirementRow], Any]] = {
    "id": attrgetter("id"),
    "title": attrgetter("title"),
    "group": attrgetter("group"),
    "parent_group": attrgetter("parent_group"),
    "applicable": attrgetter("applicable"),
    "basis": attrgetter("basis"),
    "justification": attrgetter("justification"),
    "risks": attrgetter("risks"),
    "owner": attrgetter("owner"),
    "met": lambda row: met_and_rating(row)[0],
    "rag": lambda row: met_and_rating(row)[1],
}
_CHOICES: dict[str, tuple[str, ...]] = {
    "applicable": APPLICABLE_VALUES,
    "met": MET_VALUES,
    "rag": RAG_VALUES,
}


def _tail(row: RequirementRow) -> list[Any]:
    return [
        row.implementation,
        row.where,
        row.controls,
        row.result_counts,
        row.evidence,
        naive(row.last_verified),
        row.notes,
    ]


def sheets(
    governance: Governance,
    scope: Sequence[ServiceAssessment],
    *,
    decisions: Decisions | None = None,
    organisation: str = "",
    generated: datetime | None = None,
) -> list[SheetSpec]:
    """Every sheet of the workbook, in order: the cover, the frameworks', then gaps,
    waivers and scope."""
    index = ResultIndex(scope)
    decided = decisions or Decisions()
    names = SheetNames(reserved=(COVER, GAPS, WAIVERS, SCOPE))
    frameworks = framework_sheets(governance, index, names, decided)
    cover = cover_sheet(governance, scope, decided, organisation=organisation, generated=generated)
    return [
        SheetSpec(cover.title, cover.columns, cover.rows, freeze="A2"),
        *frameworks,
        _gaps(scope),
        _waivers(scope),
        _scope(scope),
    ]


def framework_sheets(
    governance: Governance, index: ResultIndex, names: SheetNames, decisions: Decisions
) -> list[SheetSpec]:
    """Each loaded framework's sheets as its catalog lays them out: primary sheets first,
    then in the order the catalogs were loaded (built-in, then the workspace's)."""
    planned = [
        (not sheet.primary, order, position, framework, sheet)
        for order, framework in enumerate(governance.frameworks.values())
        for position, sheet in enumerate(layout(framework))
    ]
    planned.sort(key=lambda item: item[:3])
    return [
        _framework_sheet(
            governance, index, framework, sheet, names.claim(sheet.title, framework.id), decisions
        )
        for _, _, _, framework, sheet in planned
    ]


def _framework_sheet(
    governance: Governance,
    index: ResultIndex,
    framework: Framework,
    sheet: SoaSheet,
    title: str,
    decisions: Decisions,
) -> SheetSpec:
    lead = sheet.columns
    spec = SheetSpec(
        title,
        [
            *((column.header, column.width) for column in lead),
            *zip(STATUS_HEADERS, _STATUS_WIDTHS, strict=True),
        ],
        status_columns={
            **{c.header: _CHOICES[c.value] for c in lead if c.value in _CHOICES},
            **_STATUS_CHOICES,
        },
        subject=sheet.subject,
        keyword=(framework.short_title or framework.title) if sheet.primary else "",
    )
    values = [_VALUES[column.value] for column in lead]
    found = requirement_rows(
        governance, framework.id, index, groups=sheet.scope, decisions=decisions
    )
    for row in found:
        spec.rows.append([*(value(row) for value in values), *_tail(row)])
    return spec


def _with_trust(result: Result) -> list[str]:
    """The result's reasons, and the self-reported kinds it rests on (docs/trust.md); an
    unverifiable result's reasons say Assay could not look, and what it needs."""
    reasons = list(result.reasons)
    if result.status == "unverifiable":
        reasons = [unverifiable_wording(reason) for reason in reasons]
    if result.self_reported:
        reasons.append(f"self-reported: rests on {', '.join(result.self_reported)}")
    return reasons


def _gaps(scope: Sequence[ServiceAssessment]) -> SheetSpec:
    sheet = SheetSpec(
        GAPS,
        [
            ("Service", 18),
            ("Control", 9),
            ("Title", 28),
            ("Status", 14),
            ("Underlying status", 14),
            ("Severity", 9),
            ("Owner", 20),
            ("Reason", 50),
            ("Remediation", 36),
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
                item.service.id, result.control, result.title, words(result.status),
                words(result.underlying_status) if result.underlying_status else "",
                result.severity, result.owner_role,
                "\n".join(_with_trust(result)), result.remediation,
                waiver.approver if waiver else "",
                waiver.expires.isoformat() if waiver else "",
            ])  # fmt: skip
    return sheet


def _waivers(scope: Sequence[ServiceAssessment]) -> SheetSpec:
    sheet = SheetSpec(
        WAIVERS,
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
                    item.service.id, result.control, waiver.state.capitalize(), waiver.reason,
                    waiver.approver, waiver.created.isoformat(), waiver.expires.isoformat(),
                    waiver.ticket or "",
                ])  # fmt: skip
    return sheet


def _scope(scope: Sequence[ServiceAssessment]) -> SheetSpec:
    sheet = SheetSpec(
        SCOPE,
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
            ("Unverifiable", 12),
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
            naive(assessment.as_of) if assessment else "Not assessed",
            assessment.hash if assessment else "",
            *(counts.get(status, 0) for status in STATUSES),
        ])  # fmt: skip
    return sheet
