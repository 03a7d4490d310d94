"""The demo anchors its ledger at its own TSA, and its pack verifies against that TSA's CA."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from assay.cli.app import app
from assay.demo.anchor_steps import ROOT_FILE, anchor_ledger
from assay.demo.report_steps import write_reports
from assay.demo.steps import DemoContext
from assay.evidence.store import open_store
from tests.unit.reports.workspace import build


def test_the_anchor_step_and_the_pack_it_vouches_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ASSAY_STORE_URL", raising=False)
    out = tmp_path / "out"
    ws = build(out / "workspace", CliRunner())
    lines: list[str] = []
    ctx = DemoContext(out=out, echo=lines.append, state={"pack_service": "svc"})
    anchor_ledger(ctx)
    with open_store(ws.store_url) as store:
        (anchor,) = store.anchors()
        assert (anchor.head_seq, anchor.head_hash) == store.head()
    assert lines == [
        f"  anchored ledger head {anchor.head_seq} at {anchor.summary()['gen_time']} by "
        f"Common Name: Assay Demo TSA (the demo's own TSA; its CA certificate: {ROOT_FILE})"
    ]
    write_reports(ctx)
    (note,) = [line for line in lines if line.startswith("  ledger anchor:")]
    assert "by Common Name: Assay Demo TSA, a trusted TSA; it covers 2 of 2" in note
    manifest = json.loads(PdfReader(out / "pack.pdf").attachments["manifest.json"][0])
    assert manifest["ledger"]["anchor"]["head_hash"] == anchor.head_hash
    # A reader verifies with the CA certificate the demo wrote, and with nothing else.
    root = out / ROOT_FILE
    args = ["verify", str(out / "pack.pdf"), "--store-url", ws.store_url]
    assert CliRunner().invoke(app, [*args, "--tsa-cert", str(root)]).exit_code == 0
    other = tmp_path / "other.pem"
    from assay.demo.tsa import make_authority

    other.write_bytes(make_authority("Someone Else").ca_pem())
    refused = CliRunner().invoke(app, [*args, "--tsa-cert", str(other)])
    assert refused.exit_code == 1
    assert "does not chain to a trusted TSA certificate" in refused.output
