"""``assay store``, ``assay evidence`` and ``assay verify`` as users see them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assay.cli.app import app
from assay.evidence.model import ArtefactDraft
from assay.evidence.store import Store, open_store
from tests.unit.evidence.store.helpers import at, draft, execute

JUNIT = ArtefactDraft("junit.xml", b"<testsuite/>", "application/xml")


@pytest.fixture
def workspace(in_dir: Path) -> Path:
    """A workspace whose default store holds three records."""
    (in_dir / "assay.toml").write_text("")
    with open_store(f"sqlite:///{in_dir / '.assay' / 'assay.db'}") as store:
        store.record([draft(1, artefacts=(JUNIT,)), draft(2)], context={}, collected_at=at(30))
        store.record([draft(3, service="ledger")], context={}, collected_at=at(40))
    return in_dir


def test_store_status_in_a_workspace(runner: CliRunner, workspace: Path) -> None:
    with open_store(f"sqlite:///{workspace / '.assay' / 'assay.db'}") as store:
        head = store.head()
    assert head is not None
    result = runner.invoke(app, ["store", "status"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "store        .assay/assay.db (sqlite)",
        "revision     0002 (current)",
        "evidence     3 records",
        "blobs        1",
        f"ledger       3 entries, head {head[1]}",
        "assessments  0",
        "anchors      0",
    ]
    data = json.loads(runner.invoke(app, ["store", "status", "--format", "json"]).stdout)
    assert data == {
        "url": ".assay/assay.db",
        "dialect": "sqlite",
        "revision": "0002",
        "evidence": 3,
        "blobs": 1,
        "ledger": 3,
        "assessments": 0,
        "anchors": 0,
        "head": head[1],
    }


def test_store_url_comes_from_the_environment(
    runner: CliRunner, workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "elsewhere.db"
    monkeypatch.setenv("ASSAY_STORE_URL", f"sqlite:///{other}")
    result = runner.invoke(app, ["store", "upgrade"])
    assert result.exit_code == 0
    assert result.stdout == "created store elsewhere.db at revision 0002\n"


def test_postgresql_status_masks_the_password(runner: CliRunner, store: Store) -> None:
    result = runner.invoke(
        app, ["store", "status", "--store-url", store.target.url.render_as_string(False)]
    )
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].startswith(f"store        {store.url} (")


def test_evidence_list(runner: CliRunner, workspace: Path) -> None:
    result = runner.invoke(app, ["evidence", "list"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "KIND", "SERVICE", "SUBJECT", "OBSERVED", "LAST", "COLLECTED"]
    assert [line.split()[0] for line in lines[2:5]] == [
        draft(3, service="ledger").id[:12],
        draft(2).id[:12],
        draft(1, artefacts=(JUNIT,)).id[:12],
    ]
    assert lines[3].split()[1:] == [
        "ci.run",
        "payments",
        "pipeline:release",
        "2026-01-01T00:02:00Z",
        "2026-01-01T00:30:00Z",
    ]
    assert lines[-1] == "3 evidence records"
    only = runner.invoke(app, ["evidence", "list", "--service", "ledger", "--format", "json"])
    assert [e["service"] for e in json.loads(only.stdout)] == ["ledger"]
    none = runner.invoke(app, ["evidence", "list", "--kind", "sbom"])
    assert none.stdout == "no evidence records match\n"


def test_evidence_show_by_prefix(runner: CliRunner, workspace: Path) -> None:
    record = draft(1, artefacts=(JUNIT,))
    result = runner.invoke(app, ["evidence", "show", record.id[:8]])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:8] == [
        f"id:               {record.id}",
        "kind:             ci.run",
        "service:          payments",
        'subject:          {"pipeline": "release", "run_id": "1"}',
        "observed at:      2026-01-01T00:01:00Z",
        "collector:        ci-env@1.0.0",
        "first collected:  2026-01-01T00:30:00Z",
        "last collected:   2026-01-01T00:30:00Z",
    ]
    sha = JUNIT.artefact().sha256
    assert lines[8:10] == ["artefacts:", f"  junit.xml  12 bytes  application/xml  sha256 {sha}"]
    assert '    "run_id": "1",' in lines
    shown = json.loads(runner.invoke(app, ["evidence", "show", record.id, "-f", "json"]).stdout)
    assert shown["id"] == record.id
    assert shown["facts"] == record.facts


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("abc", "error: 'abc' is not an evidence id"),
        ("zzzzzzzzzz", "error: 'zzzzzzzzzz' is not an evidence id"),
        ("00000000", "error: no evidence with id 00000000 in .assay/assay.db"),
    ],
)
def test_evidence_show_refuses_bad_ids(
    runner: CliRunner, workspace: Path, given: str, message: str
) -> None:
    result = runner.invoke(app, ["evidence", "show", given])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == message


def test_evidence_show_refuses_an_ambiguous_prefix(runner: CliRunner, store: Store) -> None:
    store.record([draft(1)], context={})
    url = store.target.url.render_as_string(False)
    (row,) = execute(url, "SELECT * FROM evidence")
    for twin in ("abcdef01" + "0" * 56, "abcdef01" + "1" * 56):  # forged, for the lookup only
        execute(url, "INSERT INTO evidence VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (twin, *row[1:]))
    result = runner.invoke(app, ["evidence", "show", "ABCDEF01", "--store-url", url])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: evidence id prefix abcdef01 is ambiguous",
        "hint: give more characters",
    ]
    assert runner.invoke(app, ["evidence", "show", "abcdef010", "--store-url", url]).exit_code == 0


def test_verify_needs_something_to_verify(runner: CliRunner, workspace: Path) -> None:
    result = runner.invoke(app, ["verify"])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: nothing to verify",
        "hint: pass --store to check the evidence store, or a pack: assay verify PACK.pdf",
    ]
    both = runner.invoke(app, ["verify", "pack.pdf", "--store"])
    assert both.exit_code == 2
    assert both.stderr.splitlines()[0] == "error: verify one thing at a time"


def test_verify_store_in_a_workspace(runner: CliRunner, workspace: Path) -> None:
    result = runner.invoke(app, ["verify", "--store"])
    assert result.exit_code == 0
    assert result.stdout.startswith("store OK: 3 evidence records, 1 blobs, ledger of 3 entries")
