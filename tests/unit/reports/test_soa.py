"""The SoA workbook: sheets, rows, decisions, styling, and text that stays text."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import datetime

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from assay.reports.soa import build_workbook
from assay.reports.soa_model import ServiceAssessment
from tests.unit.reports.sample import AWS_KEY, Sample


def workbook(sample: Sample, extra: tuple[ServiceAssessment, ...] = ()) -> Workbook:
    scope = (ServiceAssessment(sample.service, sample.assessment), *extra)
    data = build_workbook(sample.governance, scope, generated=sample.assessment.created_at)
    return load_workbook(io.BytesIO(data))


def rows(book: Workbook, sheet: str) -> list[tuple[object, ...]]:
    return list(book[sheet].iter_rows(values_only=True))


def by_id(book: Workbook, sheet: str) -> dict[object, dict[str, object]]:
    header, *body = rows(book, sheet)
    names = [str(name) for name in header]
    return {row[0]: dict(zip(names, row, strict=True)) for row in body}


def test_the_sheets_and_their_sizes(sample: Sample) -> None:
    book = workbook(sample)
    assert book.sheetnames == [
        "Cover",
        "ISO 27001 SoA",
        "ISO 27001 clauses 4-10",
        "NIST AI RMF",
        "Service Standard",
        "Gap register",
        "Waivers",
        "Scope",
    ]
    assert len(rows(book, "ISO 27001 SoA")) == 1 + 93
    assert len(rows(book, "NIST AI RMF")) == 1 + 72
    assert len(rows(book, "Service Standard")) == 1 + 14
    clauses = [row[0] for row in rows(book, "ISO 27001 clauses 4-10")[1:]]
    assert clauses[0] == "4.1"
    assert clauses[-1] == "10.2"
    assert "6.1" not in clauses  # a heading; its sub-clauses are listed instead
    assert rows(book, "ISO 27001 SoA")[0] == (
        "Control",
        "Title",
        "Theme",
        "Applicable",
        "Basis for inclusion",
        "Justification",
        "Risks treated",
        "Owner",
        "Implementation status",
        "Where",
        "Implementing controls",
        "Results across services",
        "Evidence references",
        "Last verified",
        "Notes",
    )


def test_without_decisions_each_control_says_so_and_status_follows_results(
    sample: Sample,
) -> None:
    soa = by_id(workbook(sample), "ISO 27001 SoA")
    change = soa["A.8.32"]
    assert change["Theme"] == "Technological controls"
    assert change["Applicable"] == "Not decided"
    assert change["Justification"] == "No decision recorded."
    assert change["Implementation status"] == "Not implemented"
    assert change["Where"] == "Not implemented in 1: payments-api (failed)."
    assert change["Implementing controls"] == "CHG-01 (equal)"
    assert change["Results across services"] == "Failed 1"
    # the evidence's observation time, not the assessment's or the report's
    assert change["Last verified"] == datetime(2026, 2, 28, 10, 0)
    evidence = sample.assessment.results[0].evidence_ids[0]
    assert change["Evidence references"] == evidence[:12]
    waived = soa["A.5.21"]
    assert waived["Implementation status"] == "Not implemented"  # a waiver is not a control
    assert "waived" in str(waived["Where"])
    assert soa["A.8.13"]["Implementation status"] == "Implemented in all services"
    assert soa["A.8.13"]["Where"] == "Implemented in payments-api"
    assert soa["A.5.1"]["Implementation status"] == "Not assessed"
    assert soa["A.5.1"]["Implementing controls"] == "none"


def test_no_raw_status_tokens_anywhere(sample: Sample) -> None:
    other = replace(sample.service, id="other-api", name="Other")
    book = workbook(sample, (ServiceAssessment(other, None),))
    for ws in book.worksheets:
        for row in ws.iter_rows(values_only=True):
            for value in row:
                if isinstance(value, str):
                    assert not re.search(r"\b(not_assessed|not_applicable)\b", value), value


def test_a_requirement_whose_controls_never_apply_says_so_with_why(sample: Sample) -> None:
    results = tuple(
        replace(r, status="not_applicable", justification="No backups: stateless service.")
        if r.control == "OPS-01"
        else r
        for r in sample.assessment.results
    )
    sample.assessment = replace(sample.assessment, results=results)
    row = by_id(workbook(sample), "ISO 27001 SoA")["A.8.13"]
    assert row["Applicable"] == "Not decided"  # only the organisation decides that
    assert row["Implementation status"] == "Not applicable to any service"
    assert row["Notes"] == "Not applicable to payments-api: No backups: stateless service."


def test_results_across_services_name_where_it_is_implemented(sample: Sample) -> None:
    other = replace(sample.service, id="other-api", name="Other")
    passing = replace(
        sample.assessment,
        service="other-api",
        results=tuple(
            replace(r, status="pass", underlying_status=None, waiver=None)
            for r in sample.assessment.results
        ),
    )
    row = by_id(workbook(sample, (ServiceAssessment(other, passing),)), "ISO 27001 SoA")["A.8.32"]
    assert row["Results across services"] == "Passed 1, Failed 1"
    assert row["Implementation status"] == "Implemented in some services"
    assert row["Where"] == (
        "Implemented in 1: other-api. Not implemented in 1: payments-api (failed)."
    )
    backup = by_id(workbook(sample, (ServiceAssessment(other, None),)), "ISO 27001 SoA")["A.8.13"]
    assert backup["Implementation status"] == "Implemented in some services"  # not all
    assert backup["Where"] == "Implemented in 1: payments-api. Not assessed in 1: other-api."
    scope = rows(workbook(sample, (ServiceAssessment(other, None),)), "Scope")
    assert scope[2][:6] == (
        "other-api",
        "Other",
        "payments-team@example.org",
        1,
        "internet-facing, pii",
        "Not assessed",
    )


def test_service_standard_points_are_met_or_not_with_a_rating(sample: Sample) -> None:
    points = by_id(workbook(sample), "Service Standard")
    assert (points["point 14"]["Met"], points["point 14"]["RAG"]) == ("Not met", "Red")
    assert (points["point 1"]["Met"], points["point 1"]["RAG"]) == ("Not assessed", "Grey")


def test_the_gap_register_and_waivers(sample: Sample) -> None:
    book = workbook(sample)
    gaps = rows(book, "Gap register")
    assert [row[:6] for row in gaps[1:]] == [
        ("payments-api", "CHG-01", "Changes are reviewed", "Failed", None, "high"),
        ("payments-api", "SUP-01", "An SBOM is produced", "Waived", "Failed", "medium"),
    ]
    assert gaps[2][9:] == ("Ada Lovelace", "2026-03-20")
    assert rows(book, "Waivers")[1] == (
        "payments-api",
        "SUP-01",
        "Active",
        "Vendor SBOM pending, see ticket.",
        "Ada Lovelace",
        "2026-02-01",
        "2026-03-20",
        "SEC-1",
    )


def test_cells_are_redacted_and_formulas_stay_text(sample: Sample) -> None:
    first = sample.assessment.results[0]
    hostile = replace(first, reasons=('=HYPERLINK("http://evil.example/","click")', AWS_KEY))
    sample.assessment = replace(
        sample.assessment, results=(hostile, *sample.assessment.results[1:])
    )
    book = workbook(sample)
    cell = book["Gap register"]["H2"]
    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("http://evil.example/","click")\n[REDACTED:aws-access-key]'


@pytest.mark.parametrize("sheet", ["ISO 27001 SoA", "Service Standard", "Gap register"])
def test_styling_filters_panes_validation_and_status_colours(sample: Sample, sheet: str) -> None:
    ws = workbook(sample)[sheet]
    assert ws.freeze_panes in ("B2", "C2")
    assert ws.auto_filter.ref.startswith("A1:")
    header = ws["A1"]
    assert header.font.b is True
    assert header.fill.fgColor.rgb.endswith("1F3864")
    assert ws.column_dimensions["B"].width > 8
    validations = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    assert validations
    rules = [rule for cf in ws.conditional_formatting for rule in cf.rules]
    assert any(rule.formula in (['"Failed"'], ['"Red"'], ['"Not implemented"']) for rule in rules)


def test_every_sheet_is_set_up_to_print(sample: Sample) -> None:
    book = workbook(sample)
    for ws in book.worksheets:
        setup = ws.page_setup
        assert setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True, ws.title
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0), ws.title
        assert ws.print_title_rows == "$1:$1", ws.title
        assert ws.freeze_panes, ws.title
        assert ws.oddFooter.right.text == "Page &P of &N"
        assert ws.oddHeader.right.text == ws.title
        widths = [ws.column_dimensions[letter].width for letter in ("A", "B")]
        assert all(width and width >= 8 for width in widths), ws.title
        body = [cell for row in ws.iter_rows(min_row=2, max_row=3) for cell in row]
        texts = [cell for cell in body if isinstance(cell.value, str)]
        assert texts, ws.title
        assert all(cell.alignment.wrap_text for cell in texts), ws.title
    annex = book["ISO 27001 SoA"]
    assert annex.print_area == "'ISO 27001 SoA'!$A$1:$O$94"  # the table, no more
    # rows are as tall as their wrapped text: nothing opens a file and works that out
    tall = [annex.row_dimensions[row].height or 15 for row in range(1, 95)]
    assert max(tall) >= 45
    assert annex.row_dimensions[1].height == 30  # "Implementation status" takes two lines
    wide = annex.page_setup.paperSize
    assert str(wide) == "8"  # A3: fifteen columns do not read on A4


def test_status_columns_only_accept_known_values(sample: Sample) -> None:
    ws = workbook(sample)["ISO 27001 SoA"]
    validations = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    assert validations["I2:I94"] == (
        '"Implemented in all services,Implemented in some services,Not implemented,'
        'Unverifiable,Not assessed,Not applicable to any service,Excluded"'
    )
    assert validations["D2:D94"] == '"Yes,No,Not decided"'


def test_document_properties(sample: Sample) -> None:
    props = workbook(sample).properties
    assert props.title == "Statement of Applicability: payments-api"
    assert props.creator == "assay 0.1.0"
    assert props.created == datetime(2026, 3, 1, 12, 5)
