"""assay waivers list and assay attest."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assay.cli.app import app
from assay.durations import utc_now
from assay.evidence.store import open_store
from tests.cli.sample import Sample, make_sample


@pytest.fixture
def sample(tmp_path: Path) -> Sample:
    return make_sample(tmp_path / "ws")


def waiver(
    sample: Sample, name: str, created: int, expires: int, service: str = "payments"
) -> None:
    today = utc_now().date()
    sample.write(
        f"waivers/{name}.yaml",
        f"""\
        service: "{service}"
        control: CHG-01
        reason: Pairing replaces review during the migration.
        approver: Ada Lovelace
        created: "{today + timedelta(days=created)}"
        expires: "{today + timedelta(days=expires)}"
        ticket: GOV-{name}
        """,
    )


def test_waivers_list_states_and_expiring(runner: CliRunner, sample: Sample) -> None:
    waiver(sample, "1", -100, 10)
    waiver(sample, "2", -100, 200, service="*")
    waiver(sample, "3", -300, -5, service="search")
    result = runner.invoke(app, ["waivers", "list", "-w", str(sample.root)])
    assert result.exit_code == 0
    rows = [line.split() for line in result.stdout.splitlines()[2:5]]
    assert [(r[0], r[3], r[4]) for r in rows] == [
        ("search", "expired", "-5"),
        ("payments", "active", "10"),
        ("*", "active", "200"),
    ]
    assert result.stdout.rstrip().endswith("3 waivers; 1 expired and no longer applied")
    soon = runner.invoke(
        app, ["waivers", "list", "--expiring", "P30D", "-f", "json", "-w", str(sample.root)]
    )
    (only,) = json.loads(soon.stdout)
    assert (only["service"], only["state"], only["days_left"]) == ("payments", "active", 10)
    bad = runner.invoke(app, ["waivers", "list", "--expiring", "soon", "-w", str(sample.root)])
    assert bad.exit_code == 2
    assert bad.stderr.startswith("error: --expiring: 'soon' is not an ISO 8601 duration")
    huge = runner.invoke(
        app, ["waivers", "list", "--expiring", "P99999999999D", "-w", str(sample.root)]
    )
    assert huge.exit_code == 2
    assert huge.stderr == "error: --expiring: 'P99999999999D' is longer than 100 years\n"


def test_waiver_more_than_a_year_is_refused(runner: CliRunner, sample: Sample) -> None:
    waiver(sample, "long", 0, 400)
    result = runner.invoke(app, ["waivers", "list", "-w", str(sample.root)])
    assert result.exit_code == 2
    assert "is more than one year after created" in result.stderr


def test_no_waivers(runner: CliRunner, sample: Sample) -> None:
    result = runner.invoke(app, ["waivers", "list", "--expiring", "P30D", "-w", str(sample.root)])
    assert (result.exit_code, result.stdout) == (0, "no waivers expiring within P30D\n")


def test_attest_records_evidence_and_pins_the_hash(runner: CliRunner, sample: Sample) -> None:
    path = sample.attestation()
    result = runner.invoke(app, ["attest", str(path), "-w", str(sample.root)])
    assert result.exit_code == 0, result.output
    digest = hashlib.sha256(b"restore log\n").hexdigest()
    lines = result.stdout.splitlines()
    assert lines[0].startswith("recorded: BCP-02 for *, evidence ")
    assert lines[1] == f"evidence/restore.txt: sha256 {digest}"
    assert path.read_text(encoding="utf-8").endswith(f"sha256: {digest}\n")
    with open_store(sample.url) as store:
        (record,) = store.latest("*", ["manual.attestation"])
        assert store.blob(record.artefacts[0].sha256) == b"restore log\n"
    again = runner.invoke(app, ["attest", str(path), "-w", str(sample.root)])
    assert again.stdout.startswith("already recorded; re-sealed: BCP-02 for *")


def test_attest_on_a_flow_mapping_changes_nothing(runner: CliRunner, sample: Sample) -> None:
    path = sample.attestation()
    block = path.read_text(encoding="utf-8").replace("Priya Raman, Head", "Priya Raman - Head")
    flow = "{" + ", ".join(block.splitlines()) + "}\n"
    path.write_text(flow, encoding="utf-8")
    result = runner.invoke(app, ["attest", str(path), "-w", str(sample.root)])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        "attestations/restore.yaml: a sha256 line cannot be appended to it"
    )
    assert path.read_text(encoding="utf-8") == flow
    with open_store(sample.url) as store:
        assert store.list_evidence(kind="manual.attestation") == []


def test_attestation_whose_file_changed_is_refused(runner: CliRunner, sample: Sample) -> None:
    path = sample.attestation()
    assert runner.invoke(app, ["attest", str(path), "-w", str(sample.root)]).exit_code == 0
    (sample.root / "attestations" / "evidence" / "restore.txt").write_text("forged\n")
    result = runner.invoke(app, ["attest", str(path), "-w", str(sample.root)])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0].startswith(
        "attestations/restore.yaml: file evidence/restore.txt no longer matches its sha256"
    )
    with open_store(sample.url) as store:
        assert len(store.list_evidence(kind="manual.attestation")) == 1


def test_attest_refuses_unknown_control(runner: CliRunner, sample: Sample) -> None:
    path = sample.attestation()
    path.write_text(path.read_text().replace("BCP-02", "BCP-09"))
    result = runner.invoke(app, ["attest", str(path), "-w", str(sample.root)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "attestations/restore.yaml:1:10: attestation names unknown control 'BCP-09'"
    ]
    assert not (sample.root / ".assay" / "assay.db").exists()
