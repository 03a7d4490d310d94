"""Schema migrations, applied on first use and by ``assay store upgrade``.

The alembic scripts live in ``migrations/`` inside the package and run on a connection
the store opened itself, inside a transaction that holds the write lock (SQLite's
``BEGIN IMMEDIATE``; a PostgreSQL advisory lock), so eight pipelines opening a new
store at once create it exactly once. An up-to-date store costs one small query.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from assay.errors import StoreError
from assay.evidence.store.connection import WRITE, StoreTarget, guard

#: The newest revision this version of assay knows (a test checks it is alembic's head).
HEAD_REVISION = "0002"
KNOWN_REVISIONS = ("0001", "0002")
#: Alembic's bookkeeping table, named so it cannot clash with another application's.
VERSION_TABLE = "assay_schema_version"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# pg_advisory_xact_lock(MIGRATION_LOCK, schema hash) serialises migrations per schema.
MIGRATION_LOCK = 0x61737379  # "assy"


def current_revision(connection: sa.Connection) -> str | None:
    """The store's schema revision, or ``None`` for an empty database."""
    if not sa.inspect(connection).has_table(VERSION_TABLE):
        return None
    table = sa.table(VERSION_TABLE, sa.column("version_num"))
    value = connection.execute(sa.select(table.c.version_num)).scalar()
    return None if value is None else str(value)


def has_store_tables(connection: sa.Connection) -> bool:
    return bool(sa.inspect(connection).has_table("ledger"))


def schema_lock(connection: sa.Connection, key: int) -> None:
    """On PostgreSQL, take a transaction-scoped advisory lock for this schema."""
    if connection.dialect.name == "postgresql":
        connection.execute(
            sa.text("SELECT pg_advisory_xact_lock(:key, hashtext(coalesce(current_schema(), '')))"),
            {"key": key},
        )


def _check_known(revision: str | None, target: StoreTarget) -> None:
    if revision is not None and revision not in KNOWN_REVISIONS:
        raise StoreError(
            f"store {target.display} has schema revision {revision}, newer than this "
            f"assay knows ({HEAD_REVISION})",
            hint="upgrade assay to use this store",
        )


def ensure_schema(
    engine: sa.Engine, target: StoreTarget, *, create: bool
) -> tuple[str | None, str]:
    """Bring the store to :data:`HEAD_REVISION`; return (revision before, revision after).

    With ``create=False`` an empty database is refused instead of initialised.
    """
    with guard(target, connecting=True), engine.connect() as connection, connection.begin():
        before = current_revision(connection)
    _check_known(before, target)
    if before == HEAD_REVISION:
        return before, before
    if before is None and not create:
        raise StoreError(
            f"store {target.display} has not been created yet",
            hint="run `assay store upgrade` or `assay collect` to create it",
        )
    with guard(target), engine.connect() as connection:
        locked = connection.execution_options(**{WRITE: True})
        with locked.begin():
            schema_lock(locked, MIGRATION_LOCK)
            now = current_revision(locked)  # another process may have migrated meanwhile
            _check_known(now, target)
            if now != HEAD_REVISION:
                if now is None and has_store_tables(locked):
                    raise StoreError(
                        f"store {target.display} has assay tables but no schema revision",
                        hint="it was not created by assay; use another database or schema",
                    )
                _run_alembic(locked)
    return before, HEAD_REVISION


def _run_alembic(connection: sa.Connection) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def script_heads() -> tuple[str, ...]:
    """The head revisions of the packaged scripts (for the consistency test)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return tuple(ScriptDirectory.from_config(config).get_heads())
