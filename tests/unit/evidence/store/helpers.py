"""Helpers for the store tests: drafts, raw database access behind the store's back."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from assay.evidence.model import ArtefactDraft, EvidenceDraft
from tests.support.paths import ROOT

CI_RUN = json.loads((ROOT / "tests/data/kind-examples/ci.run.json").read_text())
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def draft(
    run: int | str,
    *,
    service: str = "payments",
    pipeline: str = "release",
    observed: datetime | None = None,
    artefacts: tuple[ArtefactDraft, ...] = (),
    **facts: Any,
) -> EvidenceDraft:
    """A valid ``ci.run`` draft for run ``run`` of ``pipeline``."""
    return EvidenceDraft(
        kind="ci.run",
        service=service,
        subject={"pipeline": pipeline, "run_id": str(run)},
        observed_at=observed or (T0 + timedelta(minutes=run) if isinstance(run, int) else T0),
        collector="ci-env@1.0.0",
        facts={**CI_RUN, "run_id": str(run), **facts},
        artefacts=artefacts,
    )


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    assert database
    return Path(database)


def libpq_url(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as psycopg.connect() takes it (password kept)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def raw(url: str) -> Iterator[Any]:
    """A raw DB-API connection to the store, in autocommit mode (no assay in between)."""
    if is_sqlite(url):
        connection = sqlite3.connect(sqlite_path(url), isolation_level=None)
        try:
            yield connection
        finally:
            connection.close()
    else:
        with psycopg.connect(libpq_url(url), autocommit=True) as pg:
            yield pg


def execute(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with raw(url) as connection:
        if not is_sqlite(url):
            sql = sql.replace("?", "%s")
        cursor = connection.execute(sql, params)
        return list(cursor.fetchall()) if cursor.description else []


def tamper(url: str, table: str, sql: str, params: tuple[Any, ...] = ()) -> None:
    """Change ``table`` as an attacker with database access would: switch off the
    append-only triggers, run ``sql``, switch them back on."""
    with raw(url) as connection:
        if is_sqlite(url):
            triggers = connection.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?",
                (table,),
            ).fetchall()
            assert triggers, f"no triggers on {table}"
            for name, _ in triggers:
                connection.execute(f"DROP TRIGGER {name}")
            connection.execute(sql, params)
            for _, definition in triggers:
                connection.execute(definition)
        else:
            connection.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            connection.execute(sql.replace("?", "%s"), params)
            connection.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
