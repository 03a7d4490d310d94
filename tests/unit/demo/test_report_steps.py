"""The demo's report step writes the five files and verifies the pack against the store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from typer.testing import CliRunner

from assay.demo.report_steps import write_reports
from assay.demo.soa_decisions import write_decisions
from assay.demo.steps import DemoContext
from tests.unit.reports.oscal_schema import oscal_errors
from tests.unit.reports.workspace import build


def test_the_report_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSAY_STORE_URL", raising=False)
    out = tmp_path / "out"
    build(out / "workspace", CliRunner())
    write_decisions(out / "workspace" / "soa.yaml")
    lines: list[str] = []
    ctx = DemoContext(out=out, echo=lines.append, state={"pack_service": "svc"})
    write_reports(ctx)
    oscal = ["assessment-results.json", "poam.json", "assessment-plan.json", "ssp.json"]
    names = ["pack.pdf", "pack.html", "soa.xlsx", *oscal]
    assert [p.name for p in ctx.state["reports"]] == names
    assert "manifest.json" in PdfReader(out / "pack.pdf").attachments
    assert "<h1>Evidence pack: Service</h1>" in (out / "pack.html").read_text("utf-8")
    book = load_workbook(out / "soa.xlsx")
    assert book.sheetnames[:2] == ["Cover", "ISO 27001 SoA"]
    cover = {row[0]: row[1] for row in book["Cover"].iter_rows(min_row=2, values_only=True)}
    assert cover["Decisions"] == ("All 93 Annex A controls are decided and justified in soa.yaml.")
    assert cover["Version"] == "1.3"
    for name in oscal:
        assert oscal_errors(json.loads((out / name).read_text("utf-8"))) == []
    assert lines[-1].startswith(f"  verify: OK: {out / 'pack.pdf'}: manifest, 5 attachments")
    assert lines[-1].endswith("; matches the demo store")
