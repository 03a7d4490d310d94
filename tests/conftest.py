"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.gitrepo import GitRepo
from tests.privileges import shared_folder


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
    """A fresh folder that an unprivileged user can enter (see tests.privileges)."""
    with shared_folder() as path:
        yield path
