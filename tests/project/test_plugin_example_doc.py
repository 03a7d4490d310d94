"""The third-party parser example in docs/collectors.md is installed as a package and run."""

from __future__ import annotations

import json
import re
import tomllib
from datetime import UTC, datetime
from pathlib import Path

from assay.evidence.collectors.interface import ArtefactTarget, CollectContext
from assay.evidence.kinds import fact_names, kind_names
from assay.evidence.registry import collectors_for, load_collectors
from assay.evidence.store.drafts import prepare
from tests.support.entry_points import Distribution, plugin_dist
from tests.support.paths import DOCS

__all__ = ["plugin_dist"]

PAGE = DOCS / "collectors.md"
FILE = re.compile(r"<!-- example file: (\S+) -->\n```\w+\n(.*?)```", re.S)
FACTS = re.compile(r"<!-- example facts -->\n```json\n(.*?)```", re.S)


def example() -> tuple[dict[str, str], dict[str, str]]:
    """(package files, other files) of the worked example, as the page shows them."""
    text = PAGE.read_text(encoding="utf-8")
    files = dict(FILE.findall(text))
    package = {path: body for path, body in files.items() if path.startswith("example_axe/")}
    return package, {path: body for path, body in files.items() if path not in package}


def test_the_page_shows_the_whole_example() -> None:
    package, other = example()
    assert sorted(package) == [
        "example_axe/__init__.py",
        "example_axe/example.accessibility.schema.json",
    ]
    assert sorted(other) == ["pyproject.toml", "reports/axe-home.json"]


def test_the_worked_parser_example_runs_as_documented(
    plugin_dist: Distribution, tmp_path: Path
) -> None:
    package, other = example()
    declared = tomllib.loads(other["pyproject.toml"])["project"]["entry-points"]
    plugin_dist.name = "example-axe"
    plugin_dist.files = package
    plugin_dist.entry_points = declared
    plugin_dist.install()

    assert "example.accessibility" in kind_names()
    assert fact_names("example.accessibility") == {"pages", "violations", "serious_violations"}
    parser = load_collectors()["example.axe"]
    report = tmp_path / "axe-home.json"
    report.write_text(other["reports/axe-home.json"], encoding="utf-8")
    target = ArtefactTarget(path=report, name="axe-home.json", data=report.read_bytes())
    takers = [c.name for c in collectors_for("artefact") if c.accepts(target)]
    assert takers == ["example.axe"], "no built-in parser reads it, and the example does"

    (draft,) = parser.collect_all([target], CollectContext(service="payments"))
    facts = json.loads(FACTS.findall(PAGE.read_text(encoding="utf-8"))[0])
    assert draft.facts == facts
    assert draft.kind == "example.accessibility"
    assert draft.observed_at == datetime(2026, 3, 12, 22, 41, 7, tzinfo=UTC)
    assert draft.subject == {"pipeline": "artefacts", "run_id": None, "commit": None}
    (prepared,) = prepare([draft])  # valid against the kind's schema, as the store checks
    assert json.loads(prepared.row["facts"]) == facts
