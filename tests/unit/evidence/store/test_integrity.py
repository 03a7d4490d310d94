"""Append-only triggers, and ``assay verify --store`` catching changes made behind them."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from assay.cli.app import app
from assay.errors import IntegrityError
from assay.evidence.model import ArtefactDraft
from assay.evidence.store import Store
from assay.evidence.store.tables import APPEND_ONLY
from tests.unit.evidence.store.helpers import at, draft, execute, is_sqlite, tamper

ARTEFACT = ArtefactDraft("junit.xml", b"<testsuite tests='1'/>", "application/xml")


def short(digest: str) -> str:
    return digest[:12] + "…"


@pytest.fixture
def filled(store: Store) -> Store:
    """Three evidence records (one with an artefact), four ledger entries, one assessment."""
    store.record([draft(1, artefacts=(ARTEFACT,)), draft(2)], context={}, collected_at=at(10))
    store.record([draft(3), draft(1, artefacts=(ARTEFACT,))], context={}, collected_at=at(20))
    store.save_assessment(
        service="payments", as_of=at(20), library_digest="lib", payload={"ok": True}, context={}
    )
    return store


def verify(runner: CliRunner, store: Store) -> tuple[int, list[str]]:
    result = runner.invoke(app, ["verify", "--store", "--store-url", _url(store)])
    return result.exit_code, result.output.splitlines()


def _url(store: Store) -> str:
    return store.target.url.render_as_string(hide_password=False)


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_update_and_delete_are_refused(filled: Store, table: str) -> None:
    url = _url(filled)
    if table == "anchors":  # a row for the triggers to refuse changing
        head = filled.head()
        assert head is not None
        execute(
            url,
            "INSERT INTO anchors VALUES (1, ?, ?, ?, ?, 'http://tsa', 'TSA', ?, '')",
            (*head, "2026-01-01T00:00:00.000000Z", "2026-01-01T00:00:00.000000Z", b"token"),
        )
    for statement in (
        f"UPDATE {table} SET {_column(table)} = {_column(table)}",  # noqa: S608 (constants)
        f"DELETE FROM {table}",  # noqa: S608
    ):
        with pytest.raises(Exception, match=f"{table} is append-only"):
            execute(url, statement)
    if table != "anchors":  # the row inserted above holds no token
        assert filled.verify().ok


def _column(table: str) -> str:
    return {
        "evidence": "kind",
        "blobs": "size",
        "ledger": "collector",
        "assessments": "service",
        "anchors": "tsa",
    }[table]


def test_truncate_is_refused_on_postgresql(filled: Store) -> None:
    if is_sqlite(_url(filled)):
        pytest.skip("SQLite has no TRUNCATE (DELETE is refused, see above)")
    with pytest.raises(Exception, match="ledger is append-only"):
        execute(_url(filled), "TRUNCATE ledger CASCADE")


def test_a_clean_store_verifies(runner: CliRunner, filled: Store) -> None:
    head = filled.head()
    assert head is not None
    code, lines = verify(runner, filled)
    assert code == 0
    assert lines == [f"store OK: 3 evidence records, 1 blobs, ledger of 5 entries, head {head[1]}"]


def test_altered_facts_are_named(runner: CliRunner, filled: Store) -> None:
    ident = draft(2).id
    tamper(
        _url(filled),
        "evidence",
        "UPDATE evidence SET facts = replace(facts, 'release-bot', 'me') WHERE id = ?",
        (ident,),
    )
    code, lines = verify(runner, filled)
    assert code == 1
    assert lines[0] == f"evidence {short(ident)}: id does not match its content"
    assert lines[-1].startswith("store NOT OK: 1 problem in 3 evidence records")


@pytest.mark.parametrize(
    ("column", "value"),
    [("subject", "[1]"), ("subject", "not json"), ("artefacts", '[{"name": 1}]')],
)
def test_a_row_that_no_longer_decodes_is_named_and_never_read(
    runner: CliRunner, filled: Store, column: str, value: str
) -> None:
    ident = draft(2).id
    sql = f"UPDATE evidence SET {column} = ? WHERE id = ?"  # noqa: S608 (constant column)
    tamper(_url(filled), "evidence", sql, (value, ident))
    code, lines = verify(runner, filled)
    assert code == 1
    assert lines[0] == f"evidence {short(ident)}: row is not readable"
    with pytest.raises(IntegrityError, match=f"evidence {ident[:12]}: row is not readable"):
        filled.get(ident)


def test_a_blob_whose_size_or_content_changed_type_is_named(
    runner: CliRunner, filled: Store
) -> None:
    if not is_sqlite(_url(filled)):
        pytest.skip("only SQLite stores a value of another type in a typed column")
    sha = ARTEFACT.artefact().sha256
    tamper(
        _url(filled),
        "blobs",
        "UPDATE blobs SET size = 'big', data = 'text' WHERE sha256 = ?",
        (sha,),
    )
    code, lines = verify(runner, filled)
    assert code == 1
    assert f"blob {short(sha)}: content is not bytes" in lines
    ident = draft(1, artefacts=(ARTEFACT,)).id
    assert any(line.startswith(f"evidence {short(ident)}: artefact 'junit.xml'") for line in lines)


def test_an_altered_blob_is_named(runner: CliRunner, filled: Store) -> None:
    sha = ARTEFACT.artefact().sha256
    tamper(_url(filled), "blobs", "UPDATE blobs SET data = ? WHERE sha256 = ?", (b"<forged/>", sha))
    code, lines = verify(runner, filled)
    assert code == 1
    assert lines[:-1] == [f"blob {short(sha)}: content does not match its sha256"]


def test_a_deleted_blob_is_named_by_the_evidence_needing_it(
    runner: CliRunner, filled: Store
) -> None:
    sha = ARTEFACT.artefact().sha256
    tamper(_url(filled), "blobs", "DELETE FROM blobs WHERE sha256 = ?", (sha,))
    code, lines = verify(runner, filled)
    assert code == 1
    ident = draft(1, artefacts=(ARTEFACT,)).id
    assert lines[:-1] == [
        f"evidence {short(ident)}: artefact 'junit.xml' (blob {short(sha)}) is missing"
    ]


def test_an_altered_ledger_entry_is_named_alone(runner: CliRunner, filled: Store) -> None:
    tamper(
        _url(filled),
        "ledger",
        "UPDATE ledger SET collected_at = ? WHERE seq = 4",
        ("2025-12-31T00:00:00.000000Z",),
    )
    code, lines = verify(runner, filled)
    assert code == 1
    assert lines[:-1] == ["ledger entry 4: entry hash does not match its content"]


def test_a_rewritten_chain_is_caught_at_its_first_link(runner: CliRunner, filled: Store) -> None:
    """Recomputing the altered entry's own hash does not help: the next link breaks."""
    from assay.evidence.store.ledger import entry_hash

    entries = list(filled.ledger())
    fourth = entries[3]  # a re-collection: no evidence row remembers its time
    forged_time = "2025-12-31T00:00:00.000000Z"
    forged = entry_hash(
        seq=4,
        entry_type=fourth.entry_type,
        ref_id=fourth.ref_id,
        collected_at=forged_time,
        collector=fourth.collector,
        context=fourth.context,
        prev_hash=fourth.prev_hash,
    )
    tamper(
        _url(filled),
        "ledger",
        "UPDATE ledger SET collected_at = ?, entry_hash = ? WHERE seq = 4",
        (forged_time, forged),
    )
    code, lines = verify(runner, filled)
    assert code == 1
    assert lines[:-1] == ["ledger entry 5: previous hash does not match the entry before it"]


def test_deleted_ledger_entries_and_evidence_are_named(runner: CliRunner, filled: Store) -> None:
    url = _url(filled)
    tamper(url, "ledger", "DELETE FROM ledger WHERE seq IN (2, 3)")
    tamper(url, "evidence", "DELETE FROM evidence WHERE id = ?", (draft(3).id,))
    code, lines = verify(runner, filled)
    assert code == 1
    assert lines[:-1] == [
        f"evidence {short(draft(2).id)}: no ledger entry records its collection",
        "ledger entry 4: entries 2 to 3 are missing before it",
        "ledger entry 4: previous hash does not match the entry before it",
    ]


def test_evidence_slipped_in_without_a_ledger_entry_is_named(
    runner: CliRunner, filled: Store
) -> None:
    forged = draft(99)
    row = execute(_url(filled), "SELECT * FROM evidence WHERE id = ?", (draft(2).id,))[0]
    values = (forged.id, *row[1:])
    tamper(
        _url(filled),
        "evidence",
        "INSERT INTO evidence VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        values,
    )
    code, lines = verify(runner, filled)
    assert code == 1
    assert f"evidence {short(forged.id)}: id does not match its content" in lines
    assert f"evidence {short(forged.id)}: no ledger entry records its collection" in lines


def test_an_altered_assessment_is_named(runner: CliRunner, filled: Store) -> None:
    (saved,) = filled.list_assessments()
    tamper(
        _url(filled),
        "assessments",
        "UPDATE assessments SET payload = ? WHERE id = ?",
        ('{"ok":false}', saved.id),
    )
    code, lines = verify(runner, filled)
    assert code == 1
    assert lines[:-1] == [
        f"assessment {short(saved.id)}: payload does not match its hash",
        f"assessment {short(saved.id)}: id does not match its content",
    ]


def test_verify_json_lists_problems(runner: CliRunner, filled: Store) -> None:
    import json

    tamper(_url(filled), "ledger", "UPDATE ledger SET collector = 'x@1' WHERE seq = 1")
    result = runner.invoke(
        app, ["verify", "--store", "--store-url", _url(filled), "--format", "json"]
    )
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["ok"] is False
    assert data["problems"] == ["ledger entry 1: entry hash does not match its content"]
    assert (data["evidence"], data["ledger"], data["assessments"]) == (3, 5, 1)


def test_an_assessment_naming_evidence_the_store_lacks_is_named(
    runner: CliRunner, store: Store
) -> None:
    """Each sealed assessment's evidence must still exist: one sealed over a record the
    store does not hold (never stored, or removed with its ledger entries) is reported."""
    kept, absent = draft(1), draft(2)
    store.record([kept], context={}, collected_at=at(10))
    payload = {
        "evidence_ids": [kept.id, absent.id],
        "results": [{"evidence_ids": [absent.id], "tests": [{"evidence_id": absent.id}]}],
    }
    saved = store.save_assessment(
        service="payments", as_of=at(20), library_digest="lib", payload=payload, context={}
    )
    code, lines = verify(runner, store)
    assert code == 1
    assert lines[:-1] == [
        f"assessment {short(saved.id)}: evidence {short(absent.id)} it used is missing"
    ]
    store.record([absent], context={}, collected_at=at(30))
    assert store.verify().ok
