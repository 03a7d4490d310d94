"""SoA sheets come from the loaded catalogs: imported and workspace frameworks get their
own sheets, named validly and uniquely, with hostile text kept as text."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from typer.testing import CliRunner

from assay.errors import InvalidInput
from assay.governance import Governance
from assay.mappings.catalog import load_frameworks
from assay.mappings.crosswalk import Crosswalks, Link
from assay.mappings.oscal_import import import_oscal_catalog
from assay.mappings.soa_layout import STATUS_HEADERS
from assay.reports.soa import build_workbook
from assay.reports.soa_model import ServiceAssessment
from tests.support.paths import DATA
from tests.unit.reports.sample import Sample
from tests.unit.reports.workspace import build

OSCAL = DATA / "oscal" / "sp800-53-moderate-trimmed.json"
BUILT_IN_SHEETS = [
    "Cover",
    "ISO 27001 SoA",
    "ISO 27001 clauses 4-10",
    "NIST AI RMF",
    "Service Standard",
]
FIXED_SHEETS = ["Gap register", "Waivers", "Scope"]
EXCEL_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
HOSTILE = '=HYPERLINK("http://evil.example/","click")'


def catalog(framework_id: str, title: str, *, extra: str = "", requirements: str = "") -> str:
    return (
        f"id: {framework_id}\ntitle: {json.dumps(title)}\nversion: '1'\npublisher: Example\n"
        f"description: A catalog made for a test.\n{extra}"
        + (requirements or "requirements:\n  - id: R-1\n    title: First\n")
    )


def with_frameworks(sample: Sample, folder: Path, links: tuple[Link, ...] = ()) -> Governance:
    """The sample's governance, plus every catalog in ``folder`` and extra crosswalk links."""
    base = sample.governance
    crosswalks = Crosswalks([*base.crosswalks.links, *links], list(base.crosswalks.unmapped))
    return Governance(base.library, load_frameworks([folder]), crosswalks)


def workbook(sample: Sample, governance: Governance) -> Workbook:
    scope = (ServiceAssessment(sample.service, sample.assessment),)
    data = build_workbook(governance, scope, generated=sample.assessment.created_at)
    return load_workbook(io.BytesIO(data))


def table(book: Workbook, sheet: str) -> tuple[tuple[object, ...], dict[object, dict[str, object]]]:
    header, *body = book[sheet].iter_rows(values_only=True)
    names = [str(name) for name in header]
    return header, {row[0]: dict(zip(names, row, strict=True)) for row in body}


def assert_valid_sheet_names(names: list[str]) -> None:
    assert len({name.casefold() for name in names}) == len(names), names
    for name in names:
        assert 1 <= len(name) <= 31, name
        assert not EXCEL_FORBIDDEN.search(name), name
        assert name == name.strip("' "), name
        assert name.casefold() != "history"


def test_an_imported_oscal_catalog_gets_its_own_sheet_with_status(
    sample: Sample, tmp_path: Path
) -> None:
    folder = tmp_path / "frameworks"
    imported = import_oscal_catalog(OSCAL, folder, framework_id=None, existing=set())
    link = Link("CHG-01", imported.framework_id, "AC-2", "intersect", "Reviewed account changes.")
    governance = with_frameworks(sample, folder, (link,))
    framework = governance.frameworks[imported.framework_id]
    book = workbook(sample, governance)

    sheet = "NIST Special Publication 800-53"  # the title, cut to Excel's 31 characters
    assert book.sheetnames == [*BUILT_IN_SHEETS, sheet, *FIXED_SHEETS]
    header, rows = table(book, sheet)
    assert header == (
        "Requirement",
        "Title",
        "Group",
        "Applicable",
        "Basis",
        "Justification",
        "Owner",
        *STATUS_HEADERS,
    )
    assert list(rows) == [r.id for r in framework.assessable]
    account = rows["AC-2"]
    assert account["Title"] == framework.by_id["AC-2"].title
    assert account["Group"] == "Access Control"
    assert account["Implementing controls"] == "CHG-01 (intersect)"
    assert account["Implementation status"] == "Not implemented"  # CHG-01 fails
    assert account["Results across services"] == "Failed 1"
    assert rows["AU-2"]["Implementation status"] == "Not assessed"
    assert rows["AU-2"]["Implementing controls"] == "none"
    statuses = {str(dv.sqref): dv.formula1 for dv in book[sheet].data_validations.dataValidation}
    last = len(rows) + 1
    assert statuses[f"D2:D{last}"] == '"Yes,No,Not decided"'
    assert statuses[f"H2:H{last}"].startswith('"Implemented in all services,Implemented in some')
    assert book.properties.subject.endswith(", " + framework.title)


def test_the_built_in_workbook_does_not_depend_on_an_added_framework(
    sample: Sample, tmp_path: Path
) -> None:
    folder = tmp_path / "frameworks"
    folder.mkdir()
    (folder / "extra.yaml").write_text(catalog("extra", "Extra"), encoding="utf-8")
    plain = workbook(sample, sample.governance)
    extended = workbook(sample, with_frameworks(sample, folder))
    assert extended.sheetnames == [*BUILT_IN_SHEETS, "Extra", *FIXED_SHEETS]
    for name in plain.sheetnames[1:]:  # the cover lists the frameworks loaded
        assert list(plain[name].values) == list(extended[name].values), name
    header, rows = table(extended, "Extra")
    assert header[:3] == ("Requirement", "Title", "Applicable")  # no groups, no Group column
    assert rows["R-1"]["Implementation status"] == "Not assessed"


def test_invalid_and_duplicate_titles_make_valid_unique_sheet_names(
    sample: Sample, tmp_path: Path
) -> None:
    folder = tmp_path / "frameworks"
    folder.mkdir()
    titles = {
        "a-clash": "service standard",  # a built-in sheet's name, in another case
        "b-fixed": "Scope",  # one of the fixed sheets
        "c-excel": "History",  # a name Excel keeps for itself
        "d-chars": "[Draft] Cloud: controls/checks? *2026* edition \\ long",
        "e-long": "A framework title far longer than thirty-one characters",
        "f-long": "A framework title far longer than thirty-one characters, again",
        "g-quote": "'Quoted'",
        "h-nothing": "[]:*?/\\",  # nothing left: the framework id
        "i-control": "Tab\tand\x07bell\x1b",
    }
    for framework_id, title in titles.items():
        (folder / f"{framework_id}.yaml").write_text(catalog(framework_id, title), encoding="utf-8")
    book = workbook(sample, with_frameworks(sample, folder))
    names = book.sheetnames
    assert_valid_sheet_names(names)
    assert names[: len(BUILT_IN_SHEETS)] == BUILT_IN_SHEETS
    assert names[-3:] == FIXED_SHEETS
    assert names[len(BUILT_IN_SHEETS) : -3] == [
        "service standard (2)",
        "Scope (2)",
        "History (2)",
        "Draft Cloud controls checks",  # cut at a word boundary
        "A framework title far longer",
        "A framework title far (2)",
        "Quoted",
        "h-nothing",
        "Tab and bell",
    ]
    for name in names[len(BUILT_IN_SHEETS) : -3]:
        assert book[name]["A2"].value == "R-1"  # each sheet lists its own catalog


def test_hostile_catalog_text_is_written_as_text(sample: Sample, tmp_path: Path) -> None:
    folder = tmp_path / "frameworks"
    folder.mkdir()
    requirements = (
        "groups:\n"
        f"  - id: G\n    title: '{HOSTILE}'\n"
        "requirements:\n"
        f"  - id: '=SUM(1,2)'\n    title: '{HOSTILE}'\n    group: G\n"
        '  - id: R-2\n    title: "Bell\\a and\\x1b escape"\n    group: G\n'
    )
    extra = (
        "soa:\n  sheets:\n    - columns:\n"
        "        - {value: id, header: '=1+1'}\n"
        "        - {value: title}\n        - {value: group}\n"
    )
    (folder / "evil.yaml").write_text(
        catalog("evil", HOSTILE, extra=extra, requirements=requirements),
        encoding="utf-8",
    )
    governance = with_frameworks(sample, folder)
    book = workbook(sample, governance)
    name = book.sheetnames[len(BUILT_IN_SHEETS)]
    assert_valid_sheet_names(book.sheetnames)
    assert name == '=HYPERLINK("http evil.example'  # : and / dropped, cut at a space
    ws = book[name]
    assert (ws["A1"].value, ws["A1"].data_type) == ("=1+1", "s")
    assert (ws["A2"].value, ws["A2"].data_type) == ("=SUM(1,2)", "s")
    assert (ws["B2"].value, ws["B2"].data_type) == (HOSTILE, "s")
    assert (ws["C2"].value, ws["C2"].data_type) == (HOSTILE, "s")
    assert ws["B3"].value == "Bell  and  escape"  # control characters become spaces
    assert HOSTILE in book.properties.subject


def test_a_catalog_lays_out_its_sheets(sample: Sample, tmp_path: Path) -> None:
    folder = tmp_path / "frameworks"
    folder.mkdir()
    requirements = (
        "groups:\n  - id: P\n    title: Principles\n  - id: Q\n    title: Practices\n"
        "  - id: Q.1\n    title: Everyday practices\n    parent: Q\n"
        "requirements:\n"
        "  - id: P-1\n    title: Be open\n    group: P\n"
        "  - id: Q-1\n    title: Review\n    group: Q.1\n"
    )
    extra = (
        "short_title: Principles\n"
        "soa:\n  sheets:\n"
        "    - title: Our SoA\n      primary: true\n      scope: [Q]\n"
        "      columns:\n        - {value: id, header: Practice, width: 12}\n"
        "        - {value: parent_group, header: Area}\n        - {value: rag}\n"
        "    - scope: [P]\n      subject: our principles\n"
    )
    (folder / "ours.yaml").write_text(
        catalog("ours", "Our principles", extra=extra, requirements=requirements),
        encoding="utf-8",
    )
    book = workbook(sample, with_frameworks(sample, folder))
    # primary sheets first, in load order; then the rest in load order
    assert book.sheetnames == [
        "Cover",
        "ISO 27001 SoA",
        "Our SoA",
        "ISO 27001 clauses 4-10",
        "NIST AI RMF",
        "Service Standard",
        "Principles",
        *FIXED_SHEETS,
    ]
    header, rows = table(book, "Our SoA")
    assert header[:3] == ("Practice", "Area", "RAG")
    assert list(rows) == ["Q-1"]  # scope Q takes in its sub-group Q.1
    assert (rows["Q-1"]["Area"], rows["Q-1"]["RAG"]) == ("Practices", "Grey")
    assert book["Our SoA"].column_dimensions["A"].width == 12
    assert list(table(book, "Principles")[1]) == ["P-1"]
    validations = {
        str(dv.sqref): dv.formula1 for dv in book["Our SoA"].data_validations.dataValidation
    }
    assert validations["C2"] == '"Red,Amber,Green,Grey"'
    assert book.properties.keywords == "assay, statement of applicability, ISO 27001, Principles"
    assert book.properties.subject == (
        "ISO/IEC 27001:2022 Annex A, Our principles, clauses 4-10, NIST AI RMF 1.0, "
        "Service Standard, our principles"
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            "soa:\n  sheets:\n    - scope: [NOPE]\n",
            "ws.yaml:8:15: unknown group 'NOPE'",
        ),
        (
            "soa:\n  sheets:\n    - columns:\n        - {value: id, header: Last verified}\n",
            "ws.yaml:9:11: column header 'Last verified' is already used in this sheet",
        ),
        (
            "soa:\n  sheets:\n    - title: 'a/b'\n",
            "ws.yaml:8:14: soa.sheets[0].title: 'a/b' is not a valid Excel sheet name",
        ),
        (
            "soa:\n  sheets:\n    - title: Thirty-two characters, one too many\n",
            "ws.yaml:8:14: soa.sheets[0].title: 'Thirty-two characters, one too many' is too long",
        ),
    ],
)
def test_a_bad_soa_layout_is_a_located_problem(tmp_path: Path, extra: str, message: str) -> None:
    folder = tmp_path / "frameworks"
    folder.mkdir()
    requirements = (
        "groups:\n  - id: G\n    title: G\nrequirements:\n  - id: R\n    title: R\n    group: G\n"
    )
    (folder / "ws.yaml").write_text(
        catalog("ws", "Workspace", extra=extra, requirements=requirements), encoding="utf-8"
    )
    with pytest.raises(InvalidInput) as caught:
        load_frameworks([folder], lambda path: path.name)
    shown = [str(problem) for problem in caught.value.problems]
    assert len(shown) == 1
    assert shown[0].startswith(message), shown


def test_report_soa_in_a_workspace_with_an_imported_catalog(tmp_path: Path) -> None:
    runner = CliRunner()
    ws = build(tmp_path / "workspace", runner)
    code, out, err = ws.invoke(runner, "frameworks", "import", str(OSCAL), "--id", "sp800-53")
    assert code == 0, out + err
    (ws.root / "crosswalks" / "sp800-53.yaml").write_text(
        "framework: sp800-53\ndescription: Links to the imported catalog.\nlinks:\n"
        "  - control: REV-01\n    requirement: AC-2\n    relationship: subset\n"
        "    rationale: Reviews control configuration changes.\n",
        encoding="utf-8",
    )
    target = tmp_path / "soa.xlsx"
    code, out, err = ws.invoke(runner, "report", "soa", "-o", str(target))
    assert code == 0, out + err
    book = load_workbook(target)
    sheet = "NIST Special Publication 800-53"
    assert book.sheetnames == [*BUILT_IN_SHEETS, sheet, *FIXED_SHEETS]
    _, rows = table(book, sheet)
    assert rows["AC-2"]["Implementing controls"] == "REV-01 (subset)"
    assert (
        rows["AC-2"]["Results across services"] == "Failed 1"
    )  # REV-01: 96.6% reviewed, 99% needed
    assert rows["AU-2"]["Implementation status"] == "Not assessed"
