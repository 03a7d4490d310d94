"""Store fixtures: every store test runs on SQLite and on PostgreSQL.

Each PostgreSQL test gets a schema of its own (named by the URL's ``search_path``
option), so tests, and the writer processes a test starts, share nothing with others.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from assay.evidence.store import Store, open_store
from tests.store.helpers import libpq_url


@pytest.fixture
def pg_store_url(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL store URL whose search_path is a fresh, empty schema."""
    schema = f"assay_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(libpq_url(postgres_url), autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(libpq_url(postgres_url), autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a store not created yet, on each database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ws' / '.assay' / 'assay.db'}"
    url: str = request.getfixturevalue("pg_store_url")
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with open_store(store_url) as opened:
        yield opened
