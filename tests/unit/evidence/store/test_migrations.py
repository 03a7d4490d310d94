"""Migrations: the packaged scripts, the models and the running code agree."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel
from typer.testing import CliRunner

from assay.cli.app import app
from assay.evidence.store import HEAD_REVISION, open_store
from assay.evidence.store.migrate import KNOWN_REVISIONS, VERSION_TABLE, script_heads
from assay.evidence.store.tables import APPEND_ONLY, MODELS
from tests.unit.evidence.store.helpers import execute, is_sqlite


def test_the_code_knows_the_scripts_head() -> None:
    assert script_heads() == (HEAD_REVISION,)
    assert KNOWN_REVISIONS[-1] == HEAD_REVISION


def test_migrated_schema_matches_the_models(store_url: str) -> None:
    """Autogenerate finds nothing to change: tables, columns, types and indexes agree."""
    metadata = sa.MetaData()
    for table in SQLModel.metadata.tables.values():
        table.to_metadata(metadata)

    def ours(obj: Any, name: str | None, kind: str, *_: Any) -> bool:
        return kind != "table" or name != VERSION_TABLE

    with open_store(store_url) as store, store._engine.connect() as connection:
        options = {"compare_type": True, "include_object": ours}
        context = MigrationContext.configure(connection, opts=options)
        diff = compare_metadata(context, metadata)
    assert diff == []
    assert len(metadata.tables) == len(APPEND_ONLY)


def test_upgrade_creates_then_reports_up_to_date(runner: CliRunner, store_url: str) -> None:
    first = runner.invoke(app, ["store", "upgrade", "--store-url", store_url])
    second = runner.invoke(app, ["store", "upgrade", "--store-url", store_url])
    assert first.exit_code == second.exit_code == 0
    with open_store(store_url) as store:
        shown = store.url
    assert first.stdout == f"created store {shown} at revision {HEAD_REVISION}\n"
    assert second.stdout == f"store {shown} is up to date (revision {HEAD_REVISION})\n"
    version = execute(store_url, f"SELECT version_num FROM {VERSION_TABLE}")  # noqa: S608
    assert version == [(HEAD_REVISION,)]


def test_every_append_only_table_has_its_triggers(store_url: str) -> None:
    open_store(store_url).close()
    if is_sqlite(store_url):
        rows = execute(store_url, "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger'")
        expected = 2  # BEFORE UPDATE, BEFORE DELETE
    else:
        rows = execute(
            store_url,
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace",
        )
        expected = 2  # UPDATE OR DELETE per row, TRUNCATE per statement
    per_table = {table: sum(1 for (name,) in rows if name == table) for table in APPEND_ONLY}
    assert per_table == dict.fromkeys(APPEND_ONLY, expected)


def test_every_model_table_is_one_the_migrations_create(store_url: str) -> None:
    """SQLModel.metadata holds the store's tables, and the migrations create each one."""
    declared = {model.__tablename__ for model in MODELS}
    assert set(SQLModel.metadata.tables) == declared == set(APPEND_ONLY)
    for model in MODELS:
        assert SQLModel.metadata.tables[str(model.__tablename__)] is model.__table__  # type: ignore[attr-defined]
    with open_store(store_url) as store, store._engine.connect() as connection:
        created = set(sa.inspect(connection).get_table_names()) - {VERSION_TABLE}
    assert created == declared
