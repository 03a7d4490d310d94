"""Entry points: those Assay declares, and real distributions made up in a folder for tests.

``declared`` reads the groups from ``pyproject.toml``, the source of the installed metadata
(an editable install keeps the metadata of the day it was installed). ``Distribution``
writes a package and a ``.dist-info`` folder with ``entry_points.txt``: once its folder is
on ``sys.path``, ``importlib.metadata`` finds it like any installed plugin.
"""

from __future__ import annotations

import importlib
import sys
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def declared(group: str) -> dict[str, str]:
    """The entry points of ``group`` in Assay's own ``pyproject.toml``: name -> value."""
    with (ROOT / "pyproject.toml").open("rb") as handle:
        project = tomllib.load(handle)["project"]
    table: dict[str, str] = project["entry-points"][group]
    return dict(table)


@dataclass
class Distribution:
    """A distribution installed into ``root``: files and entry points, written on ``install``."""

    root: Path
    name: str = "example-plugin"
    files: dict[str, str] = field(default_factory=dict)
    entry_points: dict[str, dict[str, str]] = field(default_factory=dict)

    def install(self) -> None:
        for relpath, text in self.files.items():
            path = self.root / relpath
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        info = self.root / f"{self.name.replace('-', '_')}-1.0.dist-info"
        info.mkdir(parents=True, exist_ok=True)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {self.name}\nVersion: 1.0\n", encoding="utf-8"
        )
        (info / "entry_points.txt").write_text(_entry_points_txt(self.entry_points), "utf-8")
        importlib.invalidate_caches()


def _entry_points_txt(groups: Mapping[str, Mapping[str, str]]) -> str:
    lines: list[str] = []
    for group, entries in groups.items():
        lines.append(f"[{group}]")
        lines.extend(f"{name} = {value}" for name, value in entries.items())
        lines.append("")
    return "\n".join(lines)


def _forget_registries() -> None:
    from assay.evidence.kinds import reload_kinds
    from assay.evidence.registry import load_collectors

    reload_kinds()
    load_collectors.cache_clear()


@pytest.fixture
def plugin_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Distribution]:
    """A distribution whose folder is on ``sys.path``; the registries see it once installed."""
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    before = set(sys.modules)
    _forget_registries()
    yield Distribution(root)
    for name in set(sys.modules) - before:
        if getattr(sys.modules[name], "__file__", None) and str(root) in str(
            sys.modules[name].__file__
        ):
            del sys.modules[name]
    monkeypatch.undo()
    importlib.invalidate_caches()
    _forget_registries()
