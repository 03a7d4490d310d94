"""The Statement of Applicability workbook (``assay report soa``), written with openpyxl.

Sheets: the cover (organisation, scope, version and approval, generated-at, evidence
period, legend: :mod:`assay.reports.soa_cover`), then each loaded framework's, as its
catalog lays them out (built in: the 93 ISO/IEC 27001:2022 Annex A controls, the SoA
proper, then clauses 4 to 10, the 72 NIST AI RMF subcategories, the 14 Service Standard
points with met / not met and a red-amber-green rating; a catalog the workspace adds or
imports gets one sheet listing its requirements), then the gap register, the waivers,
and the scope (services and the assessments read). Each requirement merges the
organisation's decision (``soa.yaml``) with what the services show, as
:mod:`assay.reports.soa_model` describes.

Written in openpyxl's write-only mode, which streams rows: styling is kept to what
does not cost per cell. Headers are styled cells; data cells wrap (one styled cell per
column, reused); status colours are conditional formats on the status columns (one rule
per value, also right after an auditor edits a cell); the status columns carry list
validation; panes are frozen, filters set, widths fixed; every sheet prints landscape,
one page wide, with the header row repeated and page numbers in the footer; the document
properties name the tool and the time. Every text cell, headers included, is redacted,
stripped of characters XML cannot hold, and stored as text even when it starts with
``=``, so neither evidence nor a catalog can ever become a formula.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from assay import __version__
from assay.errors import ReportError
from assay.governance import Governance
from assay.reports.redact import redact
from assay.reports.soa_decisions import Decisions
from assay.reports.soa_model import ServiceAssessment
from assay.reports.soa_sheets import SheetSpec, sheets

MAX_CELL_CHARS = 32_000
MAX_ERROR_TITLE, MAX_ERROR_TEXT = 32, 255  # Excel's limits for a validation's message
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
HEADER_FILL = "1F3864"
GREEN, RED, AMBER, GREY, LILAC, BROWN, PEACH = (
    "C6EFCE", "FFC7CE", "FFEB9C", "EDEDED", "E4DFEC", "D7CCC8", "F8CBAD",
)  # fmt: skip
FILLS = {
    "Passed": GREEN,
    "Implemented in all services": GREEN,
    "Met": GREEN,
    "Green": GREEN,
    "Yes": GREEN,
    "Active": LILAC,
    "Failed": RED,
    "Not implemented": RED,
    "Not met": RED,
    "Red": RED,
    "Error": "D9B3FF",
    "No evidence": PEACH,
    "Not decided": PEACH,
    "Unverifiable": BROWN,
    "Evidence out of date": AMBER,
    "Implemented in some services": AMBER,
    "Amber": AMBER,
    "Waived": LILAC,
    "Expired": PEACH,
    "Excluded": GREY,
    "No": GREY,
    "Not applicable": GREY,
    "Not applicable to any service": GREY,
    "Not assessed": GREY,
    "Grey": GREY,
}
A4, A3 = 9, 8  # openpyxl's paper size codes
LINE_HEIGHT, MAX_ROW_HEIGHT = 15, 409  # points: one line of 11 pt text; Excel's limit
CHARS_PER_WIDTH = 1.05  # characters of text a line holds per unit of column width
A4_WIDE_ENOUGH = 150  # characters of column width that still read well on A4 landscape


@lru_cache(maxsize=65536)
def _clean(value: str) -> str:
    """Redacted, XML-safe, capped: cached, since a workbook repeats most of its strings."""
    return _ILLEGAL.sub(" ", redact(value))[:MAX_CELL_CHARS]


def text(value: Any) -> Any:
    """A cell value: strings redacted, made XML-safe and capped; others unchanged."""
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    return value


class SheetWriter:
    """One write-only sheet: header, rows, then filters, validation, colours and print setup.

    Data cells are plain values, wrapped by the workbook's default style
    (:func:`wrap_by_default`), so wrapping costs nothing per cell; only a date (number
    format) or a text that starts with ``=`` (kept text) goes through a styled cell, one
    per column, reused for every row (write-only mode writes a row as it is appended).
    """

    def __init__(
        self, workbook: Any, title: str, columns: Sequence[tuple[str, int]], *, freeze: str = "B2"
    ) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Font, PatternFill
        from openpyxl.utils import get_column_letter

        self.ws = workbook.create_sheet(title)
        self.title = title
        self.columns = [name for name, _ in columns]
        self.letters = [get_column_letter(i + 1) for i in range(len(columns))]
        align = Alignment(wrap_text=True, vertical="top")
        for letter, (_, width) in zip(self.letters, columns, strict=True):
            dimension = self.ws.column_dimensions[letter]
            dimension.width = width
            dimension.alignment = align  # the column's format wraps too (LibreOffice uses it)
        self.width = sum(width for _, width in columns)
        self.ws.freeze_panes = freeze
        # Written with the sheet's first row, so set before it: print one page wide.
        self.ws.sheet_properties.pageSetUpPr.fitToPage = True
        font = Font(bold=True, color="FFFFFF")
        fill = PatternFill("solid", fgColor=HEADER_FILL)
        header = []
        for name in self.columns:
            cell = WriteOnlyCell(self.ws, value=text(name))
            cell.data_type = "s"  # a header from a catalog is text, never a formula
            cell.font, cell.fill, cell.alignment = font, fill, align
            header.append(cell)
        self.widths = [width for _, width in columns]
        self._fit_height(1, self.columns)
        self.ws.append(header)
        self._text = [WriteOnlyCell(self.ws) for _ in columns]
        self._dates = [WriteOnlyCell(self.ws) for _ in columns]
        for cell in (*self._text, *self._dates):
            cell.alignment = align
        for cell in self._dates:
            cell.number_format = "yyyy-mm-dd hh:mm"
        self.rows = 0

    def append(self, values: Iterable[Any]) -> None:
        row: list[Any] = []
        for position, value in enumerate(values):
            cleaned = text(value)
            if isinstance(cleaned, str):
                if cleaned.startswith("="):
                    cell = self._text[position]
                    cell.value = cleaned
                    cell.data_type = "s"  # text, never a formula
                    cleaned = cell
            elif isinstance(cleaned, datetime):
                cell = self._dates[position]
                cell.value = cleaned
                cleaned = cell
            row.append(cleaned)
        self._fit_height(self.rows + 2, row)
        self.ws.append(row)
        self.rows += 1

    def _fit_height(self, index: int, values: Sequence[Any]) -> None:
        """Give a row the height its wrapped text needs. Neither Excel nor LibreOffice
        works this out when it opens a file, so the text would overlap the next row."""
        lines = 1
        for value, width in zip(values, self.widths, strict=False):
            shown = value.value if hasattr(value, "value") else value
            if isinstance(shown, str) and len(shown) > width:
                per_line = max(int(width * CHARS_PER_WIDTH), 1)
                needed = sum(-(-len(part) // per_line) or 1 for part in shown.split("\n"))
                lines = max(lines, needed)
            elif isinstance(shown, str) and "\n" in shown:
                lines = max(lines, shown.count("\n") + 1)
        if lines > 1:
            self.ws.row_dimensions[index].height = min(LINE_HEIGHT * lines, MAX_ROW_HEIGHT)

    def finish(self, status_columns: Mapping[str, Sequence[str]]) -> None:
        """Autofilter over the table; list validation and colours on status columns;
        the page set up to print."""
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
                errorTitle=column[:MAX_ERROR_TITLE],
                error=(f"{column} must be one of: " + ", ".join(allowed))[:MAX_ERROR_TEXT],
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
        self.print_setup()

    def print_setup(self) -> None:
        """Landscape, every column on one page width, the header row on every page,
        the sheet's name and page numbers in the header and footer."""
        ws = self.ws
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = A4 if self.width <= A4_WIDE_ENOUGH else A3
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.print_title_rows = "1:1"
        ws.print_area = f"A1:{self.letters[-1]}{max(self.rows + 1, 2)}"  # the table, no more
        ws.print_options.gridLines = True
        ws.page_margins.left = ws.page_margins.right = 0.4
        ws.page_margins.top = ws.page_margins.bottom = 0.75
        ws.page_margins.header = ws.page_margins.footer = 0.3
        title = self.title.replace("&", "&&")
        ws.oddHeader.left.text = "Statement of Applicability"
        ws.oddHeader.right.text = title
        ws.oddFooter.left.text = "&D"
        ws.oddFooter.right.text = "Page &P of &N"


def build_workbook(
    governance: Governance,
    scope: Sequence[ServiceAssessment],
    *,
    generated: datetime,
    decisions: Decisions | None = None,
    organisation: str = "",
) -> bytes:
    """The SoA workbook for ``scope`` as xlsx bytes."""
    specs = sheets(
        governance, scope, decisions=decisions, organisation=organisation, generated=generated
    )
    return write_workbook(specs, scope, generated)


def write_workbook(
    specs: Sequence[SheetSpec], scope: Sequence[ServiceAssessment], generated: datetime
) -> bytes:
    """Write ``specs`` styled, with the document properties for ``scope``."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    wrap_by_default(workbook)
    for spec in specs:
        sheet = SheetWriter(workbook, spec.title, spec.columns, freeze=spec.freeze)
        for row in spec.rows:
            sheet.append(row)
        sheet.finish(spec.status_columns)
    _properties(workbook, specs, scope, generated)
    buffer = io.BytesIO()
    try:
        workbook.save(buffer)
    except (ValueError, TypeError) as exc:  # openpyxl refuses a value it cannot store
        raise ReportError(f"cannot write the SoA workbook: {exc}") from None
    return buffer.getvalue()


def wrap_by_default(workbook: Any) -> None:
    """Make the workbook's default cell format wrap text at the top of the cell.

    A cell written without a style uses the first cell format (``cellXfs`` 0) in Excel,
    and the ``Normal`` cell style in LibreOffice; openpyxl keeps the first as the first of
    ``_cell_styles``. Setting the alignment of both wraps every plain cell at no cost per
    cell. The attributes are
    openpyxl's own (3.1): a test reads the written cells back and checks they wrap.
    """
    from openpyxl.styles import Alignment
    from openpyxl.styles.cell_style import StyleArray
    from openpyxl.utils.indexed_list import IndexedList

    wrap = Alignment(wrap_text=True, vertical="top")
    default = StyleArray()
    default.alignmentId = workbook._alignments.add(wrap)
    workbook._cell_styles = IndexedList([default])
    workbook._named_styles["Normal"].alignment = wrap  # LibreOffice reads the cell style


def _properties(
    workbook: Any,
    specs: Sequence[SheetSpec],
    scope: Sequence[ServiceAssessment],
    generated: datetime,
) -> None:
    moment = generated.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    services = [item.service.id for item in scope]
    what = services[0] if len(services) == 1 else f"{len(services)} services"
    props = workbook.properties
    props.title = f"Statement of Applicability: {what}"
    props.subject = text(", ".join(dict.fromkeys(s.subject for s in specs if s.subject)))
    props.creator = f"assay {__version__}"
    props.lastModifiedBy = f"assay {__version__}"
    keywords = ["assay", "statement of applicability", *(s.keyword for s in specs if s.keyword)]
    props.keywords = text(", ".join(dict.fromkeys(keywords)))
    props.description = text(
        "Generated from the latest stored assessment of each service in scope: "
        + ", ".join(services[:50])
        + (" ..." if len(services) > 50 else "")
    )
    props.created = moment
    props.modified = moment
