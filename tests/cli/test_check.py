"""assay check and assay assessments: stored, sealed assessments, tables, JSON, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from assay.cli.app import app
from assay.evidence.store import open_store
from assay.schemas import validator_for
from tests.cli.sample import Sample, make_sample


@pytest.fixture
def sample(tmp_path: Path) -> Sample:
    return make_sample(tmp_path / "ws")


def run(runner: CliRunner, sample: Sample, *args: str) -> Result:
    return runner.invoke(app, [*args, "-w", str(sample.root)])


def test_check_stores_and_seals_every_service(runner: CliRunner, sample: Sample) -> None:
    sample.good_evidence("payments", git_history__review_ratio=0.5)
    result = run(runner, sample, "check")
    assert result.exit_code == 1
    out = result.stdout
    assert "CHG-01   fail    high      Only 0.5 of change sets on main were reviewed" in out
    assert "SEC-02   pass    medium" in out
    assert (
        "pass 3  fail 1  gap 1  unverifiable 0  stale 0  waived 0  not_applicable 0  error 0" in out
    )
    assert (
        "pass 0  fail 0  gap 5  unverifiable 0  stale 0  waived 0  not_applicable 0  error 0" in out
    )
    assert out.rstrip().endswith(
        "2 services assessed; 2 with fail, gap, unverifiable, stale or error"
    )
    with open_store(sample.url) as store:
        records = store.list_assessments()
        seals = [e for e in store.ledger() if e.entry_type == "assessment"]
    assert sorted(r.service for r in records) == ["payments", "search"]
    assert sorted(e.ref_id for e in seals) == sorted(r.id for r in records)


def test_check_one_service_as_json(runner: CliRunner, sample: Sample) -> None:
    sample.good_evidence()
    result = run(runner, sample, "check", "--service", "payments", "--format", "json")
    assert result.exit_code == 1  # BCP-02 has no attestation: a gap
    (document,) = json.loads(result.stdout)
    assert list(validator_for("assessment").iter_errors(document)) == []
    assert document["service"] == "payments"
    assert document["counts"]["gap"] == 1
    with open_store(sample.url) as store:
        (record,) = store.list_assessments()
    assert record.hash == document["hash"]


def test_no_fail_exits_zero(runner: CliRunner, sample: Sample) -> None:
    sample.empty_store()
    assert run(runner, sample, "check", "--no-fail").exit_code == 0


def test_check_without_a_store_cannot_decide_and_creates_none(
    runner: CliRunner, sample: Sample
) -> None:
    result = run(runner, sample, "check")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0].startswith("error: no store at ")
    assert not (sample.root / ".assay" / "assay.db").exists()


def test_check_passes_when_everything_passes(runner: CliRunner, sample: Sample) -> None:
    sample.good_evidence()
    path = sample.attestation()
    assert runner.invoke(app, ["attest", str(path), "-w", str(sample.root)]).exit_code == 0
    result = run(runner, sample, "check", "-s", "payments")
    assert result.exit_code == 0, result.output
    assert "pass 5  fail 0" in result.stdout


def test_check_refuses_bad_input(runner: CliRunner, sample: Sample) -> None:
    unknown = run(runner, sample, "check", "--service", "billing")
    assert unknown.exit_code == 2
    assert unknown.stderr.splitlines()[0] == "error: unknown service 'billing'"
    sample.write("waivers/x.yaml", "service: payments\ncontrol: CHG-01\n")
    bad = run(runner, sample, "check")
    assert bad.exit_code == 2
    assert bad.stderr.splitlines() == [
        "waivers/x.yaml:1:1: missing required field 'approver'",
        "waivers/x.yaml:1:1: missing required field 'created'",
        "waivers/x.yaml:1:1: missing required field 'expires'",
        "waivers/x.yaml:1:1: missing required field 'reason'",
    ]


def test_waiver_for_unknown_control_or_service_is_refused(
    runner: CliRunner, sample: Sample
) -> None:
    body = (
        "reason: Pairing replaces review for now.\napprover: Ada Lovelace\n"
        'created: "2026-01-01"\nexpires: "2026-06-01"\n'
    )
    sample.write("waivers/a.yaml", "service: payments\ncontrol: XYZ-01\n" + body)
    sample.write("waivers/b.yaml", "service: billing\ncontrol: CHG-01\n" + body)
    result = run(runner, sample, "check")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[:2] == [
        "waivers/a.yaml:2:10: waiver names unknown control 'XYZ-01'",
        "waivers/b.yaml:1:10: waiver names unknown service 'billing' (services: payments, search)",
    ]


def test_assessments_list_and_show(runner: CliRunner, sample: Sample) -> None:
    sample.good_evidence(git_history__review_ratio=0.5)
    assert run(runner, sample, "check", "-s", "payments").exit_code == 1
    listed = run(runner, sample, "assessments", "list", "--format", "json")
    assert listed.exit_code == 0
    (entry,) = json.loads(listed.stdout)
    assert entry["counts"]["fail"] == 1
    text = run(runner, sample, "assessments", "list")
    assert entry["id"][:12] in text.stdout
    shown = run(runner, sample, "assessments", "show", entry["id"][:10])
    assert shown.exit_code == 0
    assert "CHG-01 Reviewed changes: fail" in shown.stdout
    assert "  fix: Require an approving review in branch protection." in shown.stdout
    as_json = json.loads(
        run(runner, sample, "assessments", "show", entry["id"], "-f", "json").stdout
    )
    assert as_json["hash"] == entry["hash"]
    missing = run(runner, sample, "assessments", "show", "deadbeef00")
    assert missing.exit_code == 2
    assert missing.stderr.splitlines()[0] == (
        f"error: no assessment with id deadbeef00 in {sample.root / '.assay' / 'assay.db'}"
    )
    bad = run(runner, sample, "assessments", "show", "xyz")
    assert bad.exit_code == 2
    assert bad.stderr.splitlines()[0] == "error: 'xyz' is not an assessment id"


def test_as_of_before_any_evidence(runner: CliRunner, sample: Sample) -> None:
    sample.good_evidence()
    result = run(runner, sample, "check", "-s", "payments", "--as-of", "2020-01-01", "-f", "json")
    (document,) = json.loads(result.stdout)
    assert document["as_of"] == "2020-01-01T23:59:59.999999Z"
    assert document["evidence_ids"] == []


def test_as_of_off_the_calendar_cannot_decide(runner: CliRunner, sample: Sample) -> None:
    for moment in ("0001-01-01T00:00:00+01:00", "9999-12-31"):
        result = run(runner, sample, "check", "-s", "payments", "--as-of", moment)
        assert result.exit_code == 2
        assert result.stderr == (f"error: --as-of: '{moment}' is outside the years 1970 to 2999\n")
