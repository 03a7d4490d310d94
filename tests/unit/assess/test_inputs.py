"""Workspace inputs and the compiled-library cache."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from assay.assess.inputs import CACHE_DIR, load_inputs, load_workspace_library
from assay.errors import InvalidInput, WorkspaceError
from assay.workspace import open_workspace
from tests.unit.assess.helpers import CODEOWNERS_CONTROL, REVIEW_CONTROL


def workspace(tmp_path: Path) -> Path:
    (tmp_path / "assay.toml").write_text("[library]\nbuiltin = false\n", encoding="utf-8")
    (tmp_path / "controls").mkdir()
    (tmp_path / "controls" / "chg.yaml").write_text(textwrap.dedent(REVIEW_CONTROL))
    (tmp_path / "services").mkdir()
    for name in ("a", "b"):
        (tmp_path / "services" / f"{name}.yaml").write_text(
            f"id: {name}\nname: {name}\nowner: o\ntier: 1\n"
        )
    return tmp_path


def test_library_is_cached_and_the_cache_follows_edits(tmp_path: Path) -> None:
    ws = open_workspace(workspace(tmp_path))
    first = load_workspace_library(ws)
    (cached,) = (tmp_path / CACHE_DIR).glob("library-*.json")
    again = load_workspace_library(ws)
    assert again.digest == first.digest
    assert again.controls["CHG-01"] == first.controls["CHG-01"]
    (tmp_path / "controls" / "sec.yaml").write_text(textwrap.dedent(CODEOWNERS_CONTROL))
    grown = load_workspace_library(ws)
    assert set(grown.controls) == {"CHG-01", "SEC-02"}
    assert not cached.exists()  # the stale entry was replaced
    assert len(list((tmp_path / CACHE_DIR).glob("library-*.json"))) == 1


def test_a_tampered_cache_is_ignored(tmp_path: Path) -> None:
    ws = open_workspace(workspace(tmp_path))
    load_workspace_library(ws)
    (cached,) = (tmp_path / CACHE_DIR).glob("library-*.json")
    data = json.loads(cached.read_text())
    data["controls"][0]["severity"] = "low"
    cached.write_text(json.dumps(data))
    assert load_workspace_library(ws).controls["CHG-01"].severity == "high"
    cached.write_text("not json")
    assert load_workspace_library(ws).controls["CHG-01"].severity == "high"


def test_bad_control_is_reported_even_with_a_cache(tmp_path: Path) -> None:
    ws = open_workspace(workspace(tmp_path))
    load_workspace_library(ws)
    (tmp_path / "controls" / "chg.yaml").write_text("id: CHG-01\n")
    with pytest.raises(InvalidInput):
        load_workspace_library(ws)


def test_only_one_service_is_parsed_for_a_gate(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    (root / "services" / "b.yaml").write_text("id: b\nbroken: [\n")
    ws = open_workspace(root)
    inputs = load_inputs(ws, only="a")
    assert list(inputs.services) == ["a"]
    assert inputs.service_ids == {"a", "b"}
    with pytest.raises(InvalidInput):
        load_inputs(ws)
    with pytest.raises(WorkspaceError, match="unknown service 'c'"):
        load_inputs(ws, only="c")
