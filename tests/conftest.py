"""Fixtures shared by the whole suite.

Store fixtures: every store test runs on SQLite and on PostgreSQL. Each PostgreSQL test gets
a schema of its own (named by the URL's ``search_path`` option), so tests, and the writer
processes a test starts, share nothing with others.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from assay.evidence.store import Store, open_store
from tests.support.gitrepo import GitRepo
from tests.support.platform_facts import platform_facts_schema
from tests.support.privileges import shared_folder
from tests.unit.evidence.store.helpers import libpq_url
from tests.unit.reports.workspace import ReportWorkspace, build

#: Fixtures defined elsewhere, offered to every test.
__all__ = ["platform_facts_schema"]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def git_repo(tmp_path: Path) -> GitRepo:
    """An empty git repository (branch main) in a fresh temporary folder."""
    return GitRepo.init(tmp_path / "repo")


@pytest.fixture
def postgres_url() -> str:
    """The PostgreSQL URL of ASSAY_TEST_POSTGRES_URL; the test is skipped without it."""
    url = os.environ.get("ASSAY_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("ASSAY_TEST_POSTGRES_URL is not set: no PostgreSQL to test against")
    return url


@pytest.fixture
def in_dir(tmp_path: Path) -> Iterator[Path]:
    """Run the test with the working directory set to a fresh folder."""
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A fresh folder that an unprivileged user can enter (see tests.support.privileges)."""
    with shared_folder() as path:
        yield path


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


@pytest.fixture
def no_ambient_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """No store or workspace named by the environment the suite runs in."""
    monkeypatch.delenv("ASSAY_STORE_URL", raising=False)
    monkeypatch.delenv("ASSAY_WORKSPACE", raising=False)


@pytest.fixture(scope="module")
def report_ws(tmp_path_factory: pytest.TempPathFactory) -> ReportWorkspace:
    """The reports' sample workspace, with a collected store, built once per module."""
    return build(tmp_path_factory.mktemp("reports") / "workspace", CliRunner())
