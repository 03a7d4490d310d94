"""The one way a workspace is opened, and the one order a store URL is resolved in."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.errors import StoreError, WorkspaceError
from assay.workspace import open_workspace, resolve_store_url


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "ws"
    (folder / "services").mkdir(parents=True)
    (folder / "assay.toml").write_text("")
    return folder


def test_found_by_walking_up_or_named(root: Path) -> None:
    assert open_workspace(cwd=root / "services").root == root.resolve()
    assert open_workspace(root).root == root.resolve()
    assert open_workspace(cwd=root / "services", required=False) is not None


def test_outside_any_workspace(tmp_path: Path) -> None:
    assert open_workspace(cwd=tmp_path, required=False) is None
    with pytest.raises(WorkspaceError, match=r"no assay\.toml in this folder or any parent"):
        open_workspace(cwd=tmp_path)
    with pytest.raises(WorkspaceError, match=r"no assay\.toml here"):
        open_workspace(tmp_path, required=False)  # a named folder must be a workspace


def test_store_url_order(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSAY_STORE_URL", raising=False)
    ws = open_workspace(root)
    assert resolve_store_url(None, ws) == f"sqlite:///{root.resolve() / '.assay' / 'assay.db'}"
    (root / "assay.toml").write_text('[store]\nurl = "sqlite:///configured.db"\n')
    ws = open_workspace(root)
    assert resolve_store_url(None, ws) == "sqlite:///configured.db"
    assert ws.store_url == "sqlite:///configured.db"
    monkeypatch.setenv("ASSAY_STORE_URL", "sqlite:///env.db")
    assert resolve_store_url(None, ws) == "sqlite:///env.db"
    assert resolve_store_url(None, None) == "sqlite:///env.db"
    assert resolve_store_url("sqlite:///flag.db", ws) == "sqlite:///flag.db"


def test_no_store_without_a_workspace_url_or_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSAY_STORE_URL", raising=False)
    with pytest.raises(StoreError) as caught:
        resolve_store_url(None, None)
    assert caught.value.message == "no store to use: not inside a workspace"
