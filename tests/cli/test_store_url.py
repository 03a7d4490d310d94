"""Every command that writes evidence finds its store the same way: --store-url first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assay.cli.app import app
from assay.evidence.store import open_store
from tests.support.gitrepo import GitRepo
from tests.unit.evidence.collection.helpers import workspace


@pytest.fixture
def root(tmp_path: Path, git_repo: GitRepo) -> Path:
    git_repo.commit("first", {"README.md": "hello\n"})
    return workspace(
        tmp_path / "ws", {"payments": {"repos": [{"name": "api", "path": str(git_repo.path)}]}}
    )


def test_collect_writes_to_the_store_named_by_store_url(
    runner: CliRunner, root: Path, tmp_path: Path
) -> None:
    other = f"sqlite:///{tmp_path / 'other.db'}"
    result = runner.invoke(
        app, ["collect", "--store-url", other, "--format", "json", "-w", str(root)]
    )
    assert result.exit_code == 0, result.output
    ids = {c["id"] for c in json.loads(result.stdout)["evidence"]}
    assert ids
    with open_store(other, create=False) as store:
        assert {e.id for e in store.list_evidence(service="payments")} == ids
    assert not (root / ".assay" / "assay.db").exists()


def test_collect_store_url_overrides_the_environment(
    runner: CliRunner, root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSAY_STORE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    named = tmp_path / "named.db"
    result = runner.invoke(app, ["collect", "--store-url", f"sqlite:///{named}", "-w", str(root)])
    assert result.exit_code == 0, result.output
    assert named.exists()
    assert not (tmp_path / "env.db").exists()
