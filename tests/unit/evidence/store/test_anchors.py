"""Anchors: the ledger head timestamped by a TSA on 127.0.0.1, kept append-only, verified."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from typer.testing import CliRunner

from assay.cli.app import app
from assay.errors import StoreError, TimestampError
from assay.evidence.store import HEAD_REVISION, Store, open_store
from assay.evidence.store.connection import WRITE, create_engine, parse_url, prepare_sqlite_file
from assay.evidence.store.migrate import MIGRATIONS_DIR
from assay.timestamps import check_token, read_token
from tests.support.fake_tsa import FakeTSA, running_tsa
from tests.unit.evidence.store.helpers import at, draft, execute, tamper


@pytest.fixture(scope="module")
def tsa() -> Iterator[FakeTSA]:
    with running_tsa() as served:
        yield served


def _url(store: Store) -> str:
    return store.target.url.render_as_string(hide_password=False)


def test_an_empty_ledger_cannot_be_anchored(store: Store, tsa: FakeTSA) -> None:
    with pytest.raises(StoreError, match="the ledger is empty"):
        store.anchor(tsa.url)
    assert tsa.server.requests("POST") == []


def test_the_head_is_timestamped_and_kept(store: Store, tsa: FakeTSA) -> None:
    store.record([draft(1), draft(2)], context={}, collected_at=at(1))
    head = store.head()
    assert head is not None
    before = len(tsa.server.requests("POST"))
    made = store.anchor(tsa.url)
    sent = tsa.server.requests("POST")[before:]
    assert [r.headers["content-type"] for r in sent] == ["application/timestamp-query"]
    assert (made.seq, made.head_seq, made.head_hash) == (1, *head)
    info = read_token(made.token)
    assert info.imprint == bytes.fromhex(head[1])
    assert made.gen_time == info.gen_time
    assert made.tsa == "Common Name: Assay Test TSA"
    assert "BEGIN CERTIFICATE" in made.certificates
    # The token verifies against the TSA's root, offline.
    assert check_token(made.token, bytes.fromhex(head[1]), [tsa.ca], trust=True).trusted
    assert store.anchors() == [made]
    assert store.counts().anchors == 1
    assert store.verify().ok


def test_the_covering_anchor_is_the_newest_head_at_or_before(store: Store, tsa: FakeTSA) -> None:
    store.record([draft(1)], context={}, collected_at=at(1))
    first = store.anchor(tsa.url)
    again = store.anchor(tsa.url)  # the same head, anchored twice
    store.record([draft(2), draft(3)], context={}, collected_at=at(2))
    later = store.anchor(tsa.url)
    assert (first.head_seq, again.head_seq, later.head_seq) == (1, 1, 3)
    assert store.covering_anchor(2) == first  # the first made, of those over head 1
    assert store.covering_anchor(3) == later
    assert store.covering_anchor(0) is None


def test_the_entries_an_assessment_used(store: Store) -> None:
    (one,) = store.record([draft(1)], context={"n": 1}, collected_at=at(1))
    store.record([draft(1)], context={"n": 2}, collected_at=at(5))
    store.record([draft(1)], context={"n": 3}, collected_at=at(9))
    assert [e.context for e in store.evidence_entries([one.evidence_id], at(6))] == [{"n": 2}]
    assert [e.context for e in store.evidence_entries([one.evidence_id], None)] == [{"n": 3}]
    # Collected only after the moment: its first entry.
    assert [e.seq for e in store.evidence_entries([one.evidence_id], at(0))] == [1]
    assert store.evidence_entries(["f" * 64], None) == []
    # Entries after a ledger head do not count for a pack made at that head.
    assert [e.context for e in store.evidence_entries([one.evidence_id], None, 2)] == [{"n": 2}]
    assert [e.seq for e in store.ledger_range(2, 3)] == [2, 3]


def test_a_tsa_answering_garbage_stores_nothing(store: Store, tsa: FakeTSA) -> None:
    store.record([draft(1)], context={})
    tsa.broken = b"not a timestamp reply"
    try:
        with pytest.raises(TimestampError, match=r"timestamp authority http://127\.0\.0\.1"):
            store.anchor(tsa.url)
    finally:
        tsa.broken = None
    assert store.anchors() == []


def test_an_unreachable_tsa_is_one_line(runner: CliRunner, store: Store) -> None:
    store.record([draft(1)], context={})
    args = ["store", "anchor", "--tsa", "http://127.0.0.1:9/tsa", "--store-url", _url(store)]
    result = runner.invoke(app, [*args, "--timeout", "2"])
    assert result.exit_code == 2
    assert "timestamp authority http://127.0.0.1:9/tsa" in result.output
    assert "Traceback" not in result.output
    bad = runner.invoke(app, ["store", "anchor", "--tsa", "file:///x", "--store-url", _url(store)])
    assert bad.exit_code == 2
    assert "not an http(s) URL" in bad.output


def test_the_cli_anchors_and_status_counts(runner: CliRunner, store: Store, tsa: FakeTSA) -> None:
    store.record([draft(1), draft(2)], context={})
    result = runner.invoke(app, ["store", "anchor", "--tsa", tsa.url, "--store-url", _url(store)])
    assert result.exit_code == 0, result.output
    head = store.head()
    assert head is not None
    assert result.output.startswith(f"anchor 1: ledger head 2 ({head[1][:12]}…) timestamped at ")
    assert result.output.rstrip().endswith("by Common Name: Assay Test TSA")
    status = runner.invoke(app, ["store", "status", "--store-url", _url(store), "-f", "json"])
    assert '"anchors": 1' in status.output


def test_verify_names_an_anchor_whose_head_was_rewritten(store: Store, tsa: FakeTSA) -> None:
    store.record([draft(1), draft(2)], context={})
    store.anchor(tsa.url)
    tamper(_url(store), "anchors", "UPDATE anchors SET head_seq = 1")
    assert store.verify().problems == [
        "anchor 1: ledger entry 1 does not have the hash it covers",
    ]


def test_verify_names_a_token_that_is_not_one(store: Store, tsa: FakeTSA) -> None:
    store.record([draft(1)], context={})
    store.anchor(tsa.url)
    tamper(_url(store), "anchors", "UPDATE anchors SET token = ?", (b"junk",))
    (problem,) = store.verify().problems
    assert problem.startswith("anchor 1: not an RFC 3161 timestamp token")


def _first_revision_store(url: str) -> None:
    """A store as assay's first schema made it: migrated to revision 0001 only."""
    target = parse_url(url)
    prepare_sqlite_file(target, create=True)
    engine = create_engine(target)
    try:
        with engine.connect() as connection:
            locked = connection.execution_options(**{WRITE: True})
            with locked.begin():
                config = Config()
                config.set_main_option("script_location", str(MIGRATIONS_DIR))
                config.attributes["connection"] = locked
                command.upgrade(config, "0001")
    finally:
        engine.dispose()


def test_a_store_of_the_first_revision_is_upgraded(runner: CliRunner, store_url: str) -> None:
    """A 0001 store gains the anchors table, append-only, and its evidence stays whole."""
    _first_revision_store(store_url)
    assert execute(store_url, "SELECT version_num FROM assay_schema_version") == [("0001",)]
    with pytest.raises(Exception, match="anchors"):
        execute(store_url, "SELECT count(*) FROM anchors")
    result = runner.invoke(app, ["store", "upgrade", "--store-url", store_url])
    assert result.exit_code == 0, result.output
    assert f"from revision 0001 to {HEAD_REVISION}" in result.output
    with open_store(store_url, create=False) as store:
        store.record([draft(1)], context={})
        assert store.anchors() == []
        assert store.verify().ok
    execute(
        store_url,
        "INSERT INTO anchors VALUES (1, 1, 'h', 'a', 'b', 'u', 't', ?, '')",
        (b"",),
    )
    with pytest.raises(Exception, match="anchors is append-only"):
        execute(store_url, "DELETE FROM anchors")


def test_the_migration_scripts_form_one_chain() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    revisions = [s.revision for s in ScriptDirectory.from_config(config).walk_revisions()]
    assert revisions == ["0002", "0001"]


def test_credentials_in_the_tsa_url_are_not_kept(store: Store, tsa: FakeTSA) -> None:
    store.record([draft(1)], context={})
    with_secret = tsa.url.replace("http://", "http://user:s3cret@")
    made = store.anchor(with_secret)
    assert "s3cret" not in made.tsa_url
    assert made.tsa_url == tsa.url  # over http(s) the whole user information goes
    sent = tsa.server.requests("POST")[-1]
    assert sent.headers["authorization"].startswith("Basic ")
