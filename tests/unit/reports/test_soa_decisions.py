"""The organisation's SoA decisions (soa.yaml): loading, merging, the cover, ``--check``."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from typer.testing import CliRunner

from assay.errors import InvalidInput, WorkspaceError
from assay.governance import load_governance
from assay.reports.soa import build_workbook
from assay.reports.soa_decisions import Decisions, annex_a, incomplete, load_decisions
from assay.reports.soa_model import ServiceAssessment
from assay.reports.sources import TREND_POINTS, ReportRequest, load_scope
from assay.workspace import open_workspace
from tests.unit.reports.sample import Sample
from tests.unit.reports.workspace import ReportWorkspace, build

DECISIONS = """\
version: "2.1"
approved_by: Dana Okafor, CISO
approved_on: 2026-01-15
scope: Public digital services and the platform they run on.
decisions:
  iso27001-2022:
    A.8.32:
      applicable: true
      basis: [risk-treatment, contractual]
      justification: Unreviewed change is our largest risk.
      risks: [R-02, R-05]
      owner: Head of Engineering
    A.8.13:
      applicable: false
      justification: We hold no data of our own; the customer backs up.
      owner: Head of Platform
    A.7.12:
      applicable: false
      justification: No cabling of our own carries in-scope information.
    A.5.1:
      applicable: true
      basis: [business]
"""


def decisions(sample: Sample, tmp_path: Path, text: str = DECISIONS) -> Decisions:
    path = tmp_path / "soa.yaml"
    path.write_text(text, encoding="utf-8")
    return load_decisions(path, sample.governance.frameworks, "soa.yaml")


def workbook(sample: Sample, decided: Decisions, *extra: ServiceAssessment) -> Workbook:
    scope = (ServiceAssessment(sample.service, sample.assessment), *extra)
    data = build_workbook(
        sample.governance,
        scope,
        generated=datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
        decisions=decided,
        organisation="Example Organisation",
    )
    return load_workbook(io.BytesIO(data))


def by_id(book: Workbook, sheet: str) -> dict[object, dict[str, object]]:
    header, *body = book[sheet].iter_rows(values_only=True)
    return {row[0]: dict(zip([str(h) for h in header], row, strict=True)) for row in body}


def test_decisions_give_the_reasons_and_the_crosswalk_keeps_its_column(
    sample: Sample, tmp_path: Path
) -> None:
    soa = by_id(workbook(sample, decisions(sample, tmp_path)), "ISO 27001 SoA")
    change = soa["A.8.32"]
    assert change["Applicable"] == "Yes"
    assert change["Basis for inclusion"] == "Risk treatment; Contractual requirement"
    assert change["Justification"] == "Unreviewed change is our largest risk."
    assert (change["Risks treated"], change["Owner"]) == ("R-02, R-05", "Head of Engineering")
    assert change["Implementing controls"] == "CHG-01 (equal)"
    assert change["Implementation status"] == "Not implemented"
    assert soa["A.5.1"]["Justification"] == "No justification recorded."
    assert soa["A.5.2"]["Applicable"] == "Not decided"


def test_an_exclusion_stands_and_evidence_against_it_is_flagged(
    sample: Sample, tmp_path: Path
) -> None:
    soa = by_id(workbook(sample, decisions(sample, tmp_path)), "ISO 27001 SoA")
    backup = soa["A.8.13"]  # OPS-01 passes in payments-api: the services say it applies
    assert backup["Applicable"] == "No"
    assert backup["Implementation status"] == "Excluded"
    assert backup["Justification"] == "We hold no data of our own; the customer backs up."
    assert backup["Notes"] == (
        "Check the exclusion: linked controls apply to 1 service(s): payments-api."
    )
    assert backup["Last verified"] is None
    cabling = soa["A.7.12"]  # nothing linked, nothing to contradict it
    assert (cabling["Implementation status"], cabling["Notes"]) == ("Excluded", None)


def test_the_cover_names_organisation_scope_version_and_approval(
    sample: Sample, tmp_path: Path
) -> None:
    other = replace(sample.service, id="other-api", name="Other")
    book = workbook(sample, decisions(sample, tmp_path), ServiceAssessment(other, None))
    assert book.sheetnames[0] == "Cover"
    cover = {row[0]: row[1] for row in book["Cover"].iter_rows(min_row=2, values_only=True)}
    assert cover["Organisation"] == "Example Organisation"
    assert cover["Scope"] == "Public digital services and the platform they run on."
    assert cover["Services in scope (2)"] == "payments-api, other-api"
    assert (cover["Version"], cover["Approved by"]) == ("2.1", "Dana Okafor, CISO")
    assert cover["Approval date"] == "2026-01-15"
    assert cover["Generated at"] == "2026-03-02 08:00 UTC"
    assert cover["Evidence observed"] == "2026-02-28 10:00 UTC"
    assert cover["Decisions"] == (
        "3 of 93 Annex A controls are decided and justified in soa.yaml; 90 are not."
    )
    assert cover["Legend: Excluded"].startswith("The organisation decided it does not apply")


def test_without_a_decisions_file_the_cover_says_what_is_missing(sample: Sample) -> None:
    book = workbook(sample, Decisions())
    cover = {row[0]: row[1] for row in book["Cover"].iter_rows(min_row=2, values_only=True)}
    assert cover["Version"] == "Not recorded"
    assert cover["Decisions"] == (
        "0 of 93 Annex A controls are decided and justified (no soa.yaml); 93 are not."
    )


def test_check_lists_every_annex_a_control_missing_a_decision_or_justification(
    sample: Sample, tmp_path: Path
) -> None:
    lines = incomplete(decisions(sample, tmp_path), sample.governance.frameworks)
    controls = annex_a(sample.governance.frameworks["iso27001-2022"])
    assert len(controls) == 93
    assert len(lines) == 90
    assert "A.5.1 Policies for information security: no justification" in lines
    assert "A.5.2 Information security roles and responsibilities: no decision" in lines
    assert not any(line.startswith(("A.8.32 ", "A.8.13 ", "A.7.12 ")) for line in lines)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (DECISIONS.replace("[business]", "[hunch]"),
         "soa.yaml:22:15: decisions.iso27001-2022.A.5.1.basis[0]: 'hunch' is not"),
        (DECISIONS.replace("A.5.1:", "A.5.99:"), "soa.yaml:20:5: 'A.5.99' is not an assessable"),
        (DECISIONS.replace("iso27001-2022:", "iso27001-2013:"), "soa.yaml:6:3: unknown framework"),
        (DECISIONS.replace("2026-01-15", "15/01/2026"), "soa.yaml:3:14: approved_on"),
        (DECISIONS.replace('version: "2.1"\n', ""), "soa.yaml:1:1:"),
        (DECISIONS.replace("applicable: false\n      justification: No", "justification: No"),
         "soa.yaml:"),
    ],
)  # fmt: skip
def test_bad_decisions_are_one_located_line_each(
    sample: Sample, tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        decisions(sample, tmp_path, text)
    shown = [str(problem) for problem in caught.value.problems]
    assert len(shown) == 1, shown
    assert shown[0].startswith(message), shown


ALL_DECIDED = "version: '1'\ndecisions:\n  iso27001-2022:\n" + "".join(
    f"    {control}: {{applicable: true, basis: [risk-treatment], justification: Needed.}}\n"
    for control in [f"A.5.{n}" for n in range(1, 38)]
    + [f"A.6.{n}" for n in range(1, 9)]
    + [f"A.7.{n}" for n in range(1, 15)]
    + [f"A.8.{n}" for n in range(1, 35)]
)


@pytest.fixture(scope="module")
def reported(tmp_path_factory: pytest.TempPathFactory) -> ReportWorkspace:
    return build(tmp_path_factory.mktemp("soa") / "workspace", CliRunner())


def test_report_soa_check_exits_1_then_0(reported: ReportWorkspace) -> None:
    runner = CliRunner()
    path = reported.root / "soa.yaml"
    path.write_text(DECISIONS, encoding="utf-8")
    code, out, _ = reported.invoke(runner, "report", "soa", "--check")
    lines = out.splitlines()
    assert code == 1
    assert lines[0] == "A.5.1 Policies for information security: no justification"
    assert lines[-1] == "90 Annex A control(s) without a decision or justification in soa.yaml"
    assert len(lines) == 91
    path.write_text(ALL_DECIDED, encoding="utf-8")
    code, out, _ = reported.invoke(runner, "report", "soa", "--check")
    assert (code, out) == (0, "every Annex A control is decided and justified in soa.yaml\n")


def test_report_soa_reads_the_decisions_and_refuses_bad_ones(
    reported: ReportWorkspace, tmp_path: Path
) -> None:
    runner = CliRunner()
    (reported.root / "soa.yaml").write_text(DECISIONS, encoding="utf-8")
    target = tmp_path / "soa.xlsx"
    code, out, err = reported.invoke(runner, "report", "soa", "-o", str(target))
    assert code == 0, out + err
    soa = by_id(load_workbook(target), "ISO 27001 SoA")
    assert soa["A.8.32"]["Justification"] == "Unreviewed change is our largest risk."
    # the evidence's observation time (the workspace's git.history), not the run's
    assert soa["A.8.32"]["Last verified"] == datetime(2026, 3, 1, 9, 0)
    (reported.root / "soa.yaml").write_text(DECISIONS.replace("true", "yes", 1), "utf-8")
    code, out, err = reported.invoke(runner, "report", "soa", "-o", str(target))
    assert code == 2
    assert err.splitlines()[0].startswith(
        "soa.yaml:8:19: decisions.iso27001-2022.A.8.32.applicable: expected a boolean"
    )
    assert "Traceback" not in err
    code, _, err = reported.invoke(runner, "report", "soa")
    assert code == 2
    assert "-o FILE, or --check" in err


class CountingStore:
    """Records how many assessments each read asks for; holds none."""

    def __init__(self) -> None:
        self.limits: list[int] = []

    def assessments_as_of(self, service: str, as_of: object = None, limit: int = 100) -> list[Any]:
        self.limits.append(limit)
        return []

    def head(self) -> None:
        return None


def test_the_soa_reads_only_the_assessment_it_shows(reported: ReportWorkspace) -> None:
    ws = open_workspace(reported.root)
    governance = load_governance(ws)
    store = CountingStore()
    load_scope(ws, governance, store, ReportRequest(), trend=False)  # type: ignore[arg-type]
    load_scope(ws, governance, store, ReportRequest())  # type: ignore[arg-type]
    assert store.limits == [1, TREND_POINTS + 1]  # a pack's trend reads the earlier ones too


def test_a_decisions_file_named_in_assay_toml_must_exist(tmp_path: Path) -> None:
    (tmp_path / "assay.toml").write_text('[report]\nsoa = "isms/soa.yaml"\n', encoding="utf-8")
    with pytest.raises(WorkspaceError, match=r"report.soa names 'isms/soa.yaml', which does not"):
        _ = open_workspace(tmp_path).soa_path
    (tmp_path / "isms").mkdir()
    (tmp_path / "isms" / "soa.yaml").write_text(DECISIONS, encoding="utf-8")
    assert open_workspace(tmp_path).soa_path == tmp_path / "isms" / "soa.yaml"
    (tmp_path / "assay.toml").write_text("", encoding="utf-8")
    assert open_workspace(tmp_path).soa_path == tmp_path / "soa.yaml"  # absent: no decisions
