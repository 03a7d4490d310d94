"""The Statement of Applicability workbook (``assay report soa``), written with openpyxl.

Sheets: the 93 ISO/IEC 27001:2022 Annex A controls (the SoA proper), clauses 4 to 10,
the 72 NIST AI RMF subcategories, the 14 Service Standard points (met / not met and a
red-amber-green rating), the gap register, the waivers, and the scope (services and the
assessments read). Across every service in scope, each requirement is decided as
:mod:`assay.reports.soa_model` describes.

Written in openpyxl's write-only mode, which streams rows: styling is kept to what
does not cost per cell. Headers are styled cells; status colours are conditional
formats on the status columns (one rule per value, also right after an auditor edits a
cell); the status columns carry list validation; panes are frozen, filters set, widths
fixed, and the document properties name the tool and the time. Every text cell is
redacted, stripped of characters XML cannot hold, and stored as text even when it
starts with ``=``, so evidence can never become a formula.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from assay import __version__
from assay.errors import ReportError
from assay.governance import Governance
from assay.reports.redact import redact
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

MAX_CELL_CHARS = 32_000
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
HEADER_FILL = "1F3864"
FILLS = {
    "pass": "C6EFCE",
    "Implemented": "C6EFCE",
    "Met": "C6EFCE",
    "Green": "C6EFCE",
    "active": "E4DFEC",
    "fail": "FFC7CE",
    "Not implemented": "FFC7CE",
    "Not met": "FFC7CE",
    "Red": "FFC7CE",
    "error": "D9B3FF",
    "gap": "F8CBAD",
    "stale": "FFEB9C",
    "Partially implemented": "FFEB9C",
    "Amber": "FFEB9C",
    "waived": "E4DFEC",
    "expired": "F8CBAD",
    "not_applicable": "EDEDED",
    "Not applicable": "EDEDED",
    "not_assessed": "EDEDED",
    "Not assessed": "EDEDED",
    "Grey": "EDEDED",
}
WAIVER_STATES = ("active", "expired")


def text(value: Any) -> Any:
    """A cell value: strings redacted, made XML-safe and capped; others unchanged."""
    if isinstance(value, str):
        cleaned = _ILLEGAL.sub(" ", redact(value))
        return cleaned[:MAX_CELL_CHARS]
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    return value


class SheetWriter:
    """One write-only sheet: header, rows, then filters, validation and colours."""

    def __init__(
        self, workbook: Any, title: str, columns: Sequence[tuple[str, int]], *, freeze: str = "B2"
    ) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Font, PatternFill
        from openpyxl.utils import get_column_letter

        self.ws = workbook.create_sheet(title)
        self.columns = [name for name, _ in columns]
        self.letters = [get_column_letter(i + 1) for i in range(len(columns))]
        for letter, (_, width) in zip(self.letters, columns, strict=True):
            self.ws.column_dimensions[letter].width = width
        self.ws.freeze_panes = freeze
        font = Font(bold=True, color="FFFFFF")
        fill = PatternFill("solid", fgColor=HEADER_FILL)
        align = Alignment(wrap_text=True, vertical="top")
        header = []
        for name in self.columns:
            cell = WriteOnlyCell(self.ws, value=name)
            cell.font, cell.fill, cell.alignment = font, fill, align
            header.append(cell)
        self.ws.append(header)
        self._cell = WriteOnlyCell
        self.rows = 0
        self._date_style: Any = None

    def append(self, values: Iterable[Any]) -> None:
        row: list[Any] = []
        for value in values:
            cleaned = text(value)
            if isinstance(cleaned, str) and cleaned.startswith("="):
                cell = self._cell(self.ws, value=cleaned)
                cell.data_type = "s"  # text, never a formula
                row.append(cell)
            elif isinstance(cleaned, datetime):
                cell = self._cell(self.ws, value=cleaned)
                cell.number_format = "yyyy-mm-dd hh:mm"
                row.append(cell)
            else:
                row.append(cleaned)
        self.ws.append(row)
        self.rows += 1

    def finish(self, status_columns: Mapping[str, Sequence[str]]) -> None:
        """Autofilter over the table; list validation and colours on status columns."""
        from openpyxl.formatting.rule import CellIsRule
        from openpyxl.styles import PatternFill
        from openpyxl.worksheet.datavalidation import DataValidation

        last = max(self.rows + 1, 2)
        self.ws.auto_filter.ref = f"A1:{self.letters[-1]}{last}"
        for column, allowed in status_columns.items():
            letter = self.letters[self.columns.index(column)]
            area = f"{letter}2:{letter}{last}"
            validation = DataValidation(
                type="list",
                formula1='"' + ",".join(allowed) + '"',
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=column,
                error=f"{column} must be one of: " + ", ".join(allowed),
            )
            validation.add(area)
            self.ws.data_validations.append(validation)
            for value in allowed:
                colour = FILLS.get(value)
                if colour:
                    self.ws.conditional_formatting.add(
                        area,
                        CellIsRule(
                            operator="equal",
                            formula=[f'"{value}"'],
                            fill=PatternFill("solid", bgColor=colour, fgColor=colour),
                        ),
                    )


_REQUIREMENT_TAIL = [
    ("Implementation status", 20),
    ("Implementing controls", 34),
    ("Latest result", 13),
    ("Results across services", 28),
    ("Evidence references", 40),
    ("Last verified", 17),
]


def _tail(row: RequirementRow) -> list[Any]:
    return [
        row.implementation,
        row.controls,
        row.result,
        row.result_counts,
        row.evidence,
        row.last_verified,
    ]


_STATUS_COLUMNS = {
    "Implementation status": IMPLEMENTATION_STATUSES,
    "Latest result": RESULT_STATUSES,
}


def build_workbook(
    governance: Governance, scope: Sequence[ServiceAssessment], *, generated: datetime
) -> bytes:
    """The SoA workbook for ``scope`` as xlsx bytes."""
    from openpyxl import Workbook

    index = ResultIndex(scope)
    workbook = Workbook(write_only=True)
    _annex_a(workbook, governance, index)
    _clauses(workbook, governance, index)
    _ai_rmf(workbook, governance, index)
    _service_standard(workbook, governance, index)
    _gaps(workbook, scope)
    _waivers(workbook, scope)
    _scope(workbook, scope)
    _properties(workbook, scope, generated)
    buffer = io.BytesIO()
    try:
        workbook.save(buffer)
    except (ValueError, TypeError) as exc:  # openpyxl refuses a value it cannot store
        raise ReportError(f"cannot write the SoA workbook: {exc}") from None
    return buffer.getvalue()


def _annex_a(workbook: Any, governance: Governance, index: ResultIndex) -> None:
    sheet = SheetWriter(
        workbook,
        "ISO 27001 SoA",
        [
            ("Control", 9),
            ("Title", 42),
            ("Theme", 22),
            ("Applicable", 11),
            ("Justification", 50),
            *_REQUIREMENT_TAIL,
        ],
    )
    for row in requirement_rows(governance, ISO, index, groups=("A.5", "A.6", "A.7", "A.8")):
        sheet.append([row.id, row.title, row.group, row.applicable, row.justification, *_tail(row)])
    sheet.finish({"Applicable": ("Yes", "No"), **_STATUS_COLUMNS})


def _clauses(workbook: Any, governance: Governance, index: ResultIndex) -> None:
    sheet = SheetWriter(
        workbook,
        "ISO 27001 clauses 4-10",
        [
            ("Clause", 8),
            ("Title", 48),
            ("Section", 30),
            *_REQUIREMENT_TAIL,
        ],
    )
    clause_groups = tuple(str(n) for n in range(4, 11))
    for row in requirement_rows(governance, ISO, index, groups=clause_groups):
        sheet.append([row.id, row.title, row.group, *_tail(row)])
    sheet.finish(_STATUS_COLUMNS)


def _ai_rmf(workbook: Any, governance: Governance, index: ResultIndex) -> None:
    sheet = SheetWriter(
        workbook,
        "NIST AI RMF",
        [
            ("Subcategory", 13),
            ("Function", 10),
            ("Category", 40),
            ("Outcome", 60),
            *_REQUIREMENT_TAIL,
        ],
    )
    for row in requirement_rows(governance, AI_RMF, index):
        sheet.append([row.id, row.parent_group, row.group, row.title, *_tail(row)])
    sheet.finish(_STATUS_COLUMNS)


def _service_standard(workbook: Any, governance: Governance, index: ResultIndex) -> None:
    sheet = SheetWriter(
        workbook,
        "Service Standard",
        [
            ("Point", 9),
            ("Title", 44),
            ("Met", 14),
            ("RAG", 8),
            *_REQUIREMENT_TAIL,
        ],
    )
    for row in requirement_rows(governance, SERVICE_STANDARD, index):
        met, rag = service_standard_rag(row)
        sheet.append([row.id, row.title, met, rag, *_tail(row)])
    sheet.finish(
        {
            "Met": ("Met", "Not met", "Not applicable", "Not assessed"),
            "RAG": ("Red", "Amber", "Green", "Grey"),
            **_STATUS_COLUMNS,
        }
    )


def _gaps(workbook: Any, scope: Sequence[ServiceAssessment]) -> None:
    sheet = SheetWriter(
        workbook,
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
        freeze="C2",
    )
    for item in scope:
        if item.assessment is None:
            continue
        for result in item.assessment.results:
            if result.status in ("pass", "not_applicable"):
                continue
            waiver = result.waiver
            sheet.append(
                [
                    item.service.id,
                    result.control,
                    result.title,
                    result.status,
                    result.underlying_status or "",
                    result.severity,
                    result.owner_role,
                    "\n".join(result.reasons),
                    result.remediation,
                    waiver.approver if waiver else "",
                    waiver.expires.isoformat() if waiver else "",
                ]
            )
    sheet.finish(
        {
            "Status": RESULT_STATUSES,
            "Severity": ("critical", "high", "medium", "low"),
        }
    )


def _waivers(workbook: Any, scope: Sequence[ServiceAssessment]) -> None:
    sheet = SheetWriter(
        workbook,
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
        freeze="C2",
    )
    for item in scope:
        if item.assessment is None:
            continue
        for result in item.assessment.results:
            waiver = result.waiver
            if waiver is None:
                continue
            sheet.append(
                [
                    item.service.id,
                    result.control,
                    waiver.state,
                    waiver.reason,
                    waiver.approver,
                    waiver.created.isoformat(),
                    waiver.expires.isoformat(),
                    waiver.ticket or "",
                ]
            )
    sheet.finish({"State": WAIVER_STATES})


def _scope(workbook: Any, scope: Sequence[ServiceAssessment]) -> None:
    sheet = SheetWriter(
        workbook,
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
        sheet.append(
            [
                service.id,
                service.name,
                service.owner,
                service.tier,
                ", ".join(sorted(service.tags)),
                assessment.as_of if assessment else "not assessed",
                assessment.hash if assessment else "",
                *(
                    counts.get(s, 0)
                    for s in ("pass", "fail", "gap", "stale", "waived", "not_applicable", "error")
                ),
            ]
        )
    sheet.finish({})


def _properties(workbook: Any, scope: Sequence[ServiceAssessment], generated: datetime) -> None:
    moment = generated.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    services = [item.service.id for item in scope]
    what = services[0] if len(services) == 1 else f"{len(services)} services"
    props = workbook.properties
    props.title = f"Statement of Applicability: {what}"
    props.subject = "ISO/IEC 27001:2022 Annex A, clauses 4-10, NIST AI RMF 1.0, Service Standard"
    props.creator = f"assay {__version__}"
    props.lastModifiedBy = f"assay {__version__}"
    props.keywords = "assay, statement of applicability, ISO 27001"
    props.description = text(
        "Generated from the latest stored assessment of each service in scope: "
        + ", ".join(services[:50])
        + (" ..." if len(services) > 50 else "")
    )
    props.created = moment
    props.modified = moment
