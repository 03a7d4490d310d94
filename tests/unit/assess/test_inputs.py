"""Workspace inputs, and the cache of library files already checked."""

from __future__ import annotations

import hashlib
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from assay.assess.inputs import load_inputs, load_workspace_library
from assay.errors import InvalidInput, Problem, WorkspaceError
from assay.workspace import open_workspace
from assay.yamlfile import YamlDocument
from tests.unit.assess.helpers import REVIEW_CONTROL


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


def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the files whose expectations are checked against JSON Schema."""
    from assay.controls import loader

    seen: list[str] = []
    real = loader.check_expectation

    def spy(document: YamlDocument, *args: Any) -> list[Problem]:
        seen.append(Path(document.path).name)
        return real(document, *args)

    monkeypatch.setattr(loader, "check_expectation", spy)
    return seen


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_workspace_controls_are_checked_on_every_load_and_nothing_is_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = open_workspace(workspace(tmp_path))
    seen = checks(monkeypatch)
    first = load_workspace_library(ws)
    again = load_workspace_library(ws)
    assert seen == ["chg.yaml", "chg.yaml"]
    assert again.digest == first.digest
    assert not (tmp_path / ".assay").exists()


def test_a_file_under_assay_folder_takes_no_part(tmp_path: Path) -> None:
    ws = open_workspace(workspace(tmp_path))
    source = tmp_path / "controls" / "chg.yaml"
    cache = tmp_path / ".assay" / "cache"
    cache.mkdir(parents=True)
    forged = {"format": 2, "checked": [sha256(source)], "controls": [{"id": "CHG-01"}]}
    (cache / "library-0.json").write_text(json.dumps(forged))
    assert load_workspace_library(ws).controls["CHG-01"].severity == "high"
    source.write_text("id: CHG-01\n")
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
