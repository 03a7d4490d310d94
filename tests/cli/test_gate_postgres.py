"""check and gate against a PostgreSQL store: the engine reads and seals through it too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assay.cli.app import app
from assay.evidence.store import open_store
from tests.cli.sample import good_drafts, make_sample

pytestmark = pytest.mark.postgres


def test_check_and_gate_on_postgresql(
    runner: CliRunner, tmp_path: Path, pg_store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSAY_STORE_URL", pg_store_url)
    sample = make_sample(tmp_path / "ws")
    with open_store(pg_store_url) as store:
        store.record(good_drafts("payments", **{"git_history__review_ratio": 0.5}), context={})
    checked = runner.invoke(app, ["check", "-s", "payments", "-f", "json", "-w", str(sample.root)])
    assert checked.exit_code == 1
    (document,) = json.loads(checked.stdout)
    assert document["counts"]["fail"] == 1
    gated = runner.invoke(
        app, ["gate", "-s", "payments", "--stage", "release", "-f", "json", "-w", str(sample.root)]
    )
    assert gated.exit_code == 1
    assert [b["control"] for b in json.loads(gated.stdout)["blocking"]] == ["CHG-01", "BCP-02"]
    with open_store(pg_store_url) as store:
        (decision,) = store.latest("payments", ["gate.decision"])
        assert decision.facts["decision"] == "block"
        assert len(store.list_assessments(service="payments")) == 2
        assert store.verify().ok
    assert not (sample.root / ".assay" / "assay.db").exists()
