"""Workspace inputs, and the cache of library files already checked."""

from __future__ import annotations

import hashlib
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from assay.assess.inputs import CACHE_DIR, load_inputs, load_workspace_library
from assay.errors import InvalidInput, Problem, WorkspaceError
from assay.workspace import open_workspace
from assay.yamlfile import YamlDocument
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


def test_the_cache_skips_only_the_checks_of_unchanged_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = open_workspace(workspace(tmp_path))
    seen = checks(monkeypatch)
    first = load_workspace_library(ws)
    assert seen == ["chg.yaml"]
    (cached,) = (tmp_path / CACHE_DIR).glob("library-*.json")
    assert json.loads(cached.read_text())["checked"] == [sha256(tmp_path / "controls/chg.yaml")]
    again = load_workspace_library(ws)
    assert seen == ["chg.yaml"], "checked once, parsed every time"
    assert again.digest == first.digest
    assert again.controls["CHG-01"] == first.controls["CHG-01"]
    (tmp_path / "controls" / "sec.yaml").write_text(textwrap.dedent(CODEOWNERS_CONTROL))
    grown = load_workspace_library(ws)
    assert seen == ["chg.yaml", "sec.yaml"]
    assert set(grown.controls) == {"CHG-01", "SEC-02"}
    assert len(json.loads(cached.read_text())["checked"]) == 2
    assert list((tmp_path / CACHE_DIR).glob("library-*.json")) == [cached]


def test_the_cache_never_holds_the_library(tmp_path: Path) -> None:
    ws = open_workspace(workspace(tmp_path))
    load_workspace_library(ws)
    (cached,) = (tmp_path / CACHE_DIR).glob("library-*.json")
    data = json.loads(cached.read_text())
    control = load_workspace_library(ws).controls["CHG-01"].to_dict()
    data["controls"] = [{**control, "severity": "low", "tests": []}]
    cached.write_text(json.dumps(data))
    assert load_workspace_library(ws).controls["CHG-01"].severity == "high"
    cached.write_text("not json")
    assert load_workspace_library(ws).controls["CHG-01"].severity == "high"
    cached.write_text(json.dumps({**data, "checked": ["not a digest"]}))
    assert load_workspace_library(ws).controls["CHG-01"].severity == "high"


def test_a_recorded_digest_of_other_bytes_does_not_skip_the_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = open_workspace(workspace(tmp_path))
    load_workspace_library(ws)
    seen = checks(monkeypatch)
    source = tmp_path / "controls" / "chg.yaml"
    source.write_text(source.read_text().replace("minimum: 0.95", "minimum: 0.5"))
    expectation = load_workspace_library(ws).controls["CHG-01"].tests[0].expectation
    assert expectation["properties"]["review_ratio"] == {"minimum": 0.5}
    assert seen == ["chg.yaml"]


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
