"""Plugins add evidence kinds through the ``assay.kinds`` entry-point group.

Each test installs a real distribution (a package and a ``.dist-info`` folder with
``entry_points.txt``) in a folder on ``sys.path``, so discovery goes through
``importlib.metadata`` exactly as for an installed plugin.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from assay.cli.app import app
from assay.errors import CollectorError, InvalidInput
from assay.evidence.collect_results import check_drafts
from assay.evidence.kinds import (
    BUILTIN_KINDS,
    KIND_GROUP,
    fact_names,
    kind_names,
    kind_schema,
    kind_validator,
)
from assay.evidence.model import EvidenceDraft
from assay.evidence.registry import load_collectors
from assay.evidence.store.drafts import prepare
from tests.support.entry_points import Distribution, plugin_dist

__all__ = ["plugin_dist"]

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "example.headers",
    "description": "Source files with a licence header.",
    "type": "object",
    "additionalProperties": False,
    "required": ["files", "with_header"],
    "properties": {
        "files": {"type": "integer", "minimum": 0, "description": "Source files."},
        "with_header": {"type": "integer", "minimum": 0, "description": "Files with one."},
    },
}

COLLECTOR = """
from assay.evidence.collectors.interface import Collector
from assay.evidence.model import EvidenceDraft


class HeadersCollector(Collector):
    name = "example.headers"
    version = "1"
    kinds = ("example.headers",)
    target = "repo"

    def collect(self, target, context):
        yield EvidenceDraft(
            kind="example.headers",
            service=context.service,
            subject=target.subject,
            observed_at=target.commit_time,
            collector=self.ident,
            facts={"files": 3, "with_header": 2},
        )
"""


def with_kinds(dist: Distribution, kinds: dict[str, str], **files: str) -> Distribution:
    dist.files = {"example_kinds/__init__.py": "", **files}
    dist.entry_points = {KIND_GROUP: kinds}
    dist.install()
    return dist


def test_a_kind_from_a_schema_file_in_a_package(plugin_dist: Distribution) -> None:
    with_kinds(
        plugin_dist,
        {"example.headers": "example_kinds"},
        **{"example_kinds/example.headers.schema.json": json.dumps(SCHEMA)},
    )
    assert "example.headers" in kind_names()
    assert set(BUILTIN_KINDS) < set(kind_names())
    assert kind_schema("example.headers") == SCHEMA
    assert fact_names("example.headers") == {"files", "with_header"}
    validator = kind_validator("example.headers")
    assert validator.is_valid({"files": 3, "with_header": 2})
    assert not validator.is_valid({"files": -1, "with_header": 2})


def test_a_kind_from_a_callable(plugin_dist: Distribution) -> None:
    module = f"SCHEMA = {SCHEMA!r}\n\ndef headers():\n    return SCHEMA\n"
    with_kinds(
        plugin_dist,
        {"example.headers": "example_kinds.schemas:headers"},
        **{"example_kinds/schemas.py": module},
    )
    assert kind_schema("example.headers") == SCHEMA


def test_a_collector_plugin_may_produce_a_plugin_kind(plugin_dist: Distribution) -> None:
    plugin_dist.files = {
        "example_kinds/__init__.py": COLLECTOR,
        "example_kinds/example.headers.schema.json": json.dumps(SCHEMA),
    }
    plugin_dist.entry_points = {
        KIND_GROUP: {"example.headers": "example_kinds"},
        "assay.collectors": {"example.headers": "example_kinds:HeadersCollector"},
    }
    plugin_dist.install()
    collectors = load_collectors()
    assert collectors["example.headers"].kinds == ("example.headers",)
    draft = EvidenceDraft(
        kind="example.headers",
        service="svc",
        subject={"repo": "api", "commit": "a" * 40},
        observed_at=datetime(2026, 1, 1, tzinfo=UTC),
        collector="example.headers@1",
        facts={"files": 3, "with_header": "two"},
    )
    check_drafts([draft], "svc", collectors)  # a kind the collector declares
    (good,) = prepare([replace(draft, facts={"files": 3, "with_header": 2})])
    assert good.row["kind"] == "example.headers"
    with pytest.raises(InvalidInput) as caught:
        prepare([draft])  # what the store does before writing anything
    assert "'two' is not of type 'integer'" in "\n".join(caught.value.diagnostics())


def test_without_the_plugin_the_kind_is_unknown(plugin_dist: Distribution) -> None:
    assert "example.headers" not in kind_names()
    with pytest.raises(KeyError, match=r"unknown evidence kind 'example\.headers'"):
        kind_schema("example.headers")


WHERE = "evidence kind plugin"


@pytest.mark.parametrize(
    ("kinds", "files", "message"),
    [
        (
            {"git.history": "example_kinds"},
            {},
            f"{WHERE} 'git.history' (example_kinds) redefines Assay's evidence kind 'git.history'",
        ),
        (
            {"example.headers": "example_kinds"},
            {},
            f"{WHERE} 'example.headers' (example_kinds) has no readable "
            "example.headers.schema.json",
        ),
        (
            {"example.headers": "example_kinds.schemas:headers"},
            {"example_kinds/schemas.py": "def headers():\n    return ['a list']\n"},
            f"{WHERE} 'example.headers' (example_kinds.schemas:headers) is invalid: "
            "its schema is not a JSON object",
        ),
        (
            {"example.headers": "example_kinds.schemas:headers"},
            {"example_kinds/schemas.py": "def headers():\n    return {'type': 'thing'}\n"},
            f"{WHERE} 'example.headers' (example_kinds.schemas:headers) is invalid: "
            "its schema is not valid JSON Schema (draft 2020-12) at 'type'",
        ),
        (
            {"example.headers": "example_kinds.schemas:headers"},
            {"example_kinds/schemas.py": "def headers():\n    return {'type': 'array'}\n"},
            f"{WHERE} 'example.headers' (example_kinds.schemas:headers) is invalid: "
            'its schema must have "type": "object" (facts are a JSON object); '
            'its schema must list the facts under "properties"',
        ),
        (
            {"example.headers": "example_kinds.schemas:headers"},
            {"example_kinds/schemas.py": "def headers():\n    raise OSError('gone')\n"},
            f"{WHERE} 'example.headers' (example_kinds.schemas:headers) failed: OSError: gone",
        ),
        (
            {"example.headers": "example_kinds.schemas:NUMBER"},
            {"example_kinds/schemas.py": "NUMBER = 7\n"},
            f"{WHERE} 'example.headers' (example_kinds.schemas:NUMBER) names neither a "
            "package holding example.headers.schema.json nor a callable",
        ),
        (
            {"example.headers": "example_kinds_missing"},
            {},
            f"{WHERE} 'example.headers' (example_kinds_missing) cannot be loaded: "
            "ModuleNotFoundError: No module named 'example_kinds_missing'",
        ),
        (
            {"Example.Headers": "example_kinds"},
            {},
            f"{WHERE} 'Example.Headers' (example_kinds) is invalid: "
            "a kind name is lower-case words joined by dots",
        ),
    ],
)
def test_a_kind_plugin_that_cannot_be_used_is_an_error_naming_it(
    plugin_dist: Distribution, kinds: dict[str, str], files: dict[str, str], message: str
) -> None:
    with_kinds(plugin_dist, kinds, **files)
    with pytest.raises(CollectorError) as caught:
        kind_names()
    assert caught.value.message.startswith(message), caught.value.message


CONTROL = """\
id: SDL-91
title: Source files carry a licence header
statement: Every source file states its licence in a header.
family: secure-development
owner_role: Engineering lead
severity: low
freshness: P90D
tests:
  - id: headers
    description: Every source file has a licence header.
    kind: example.headers
    expectation:
      required: [{fact}]
      properties:
        {fact}: {{minimum: 1}}
    explain: "{{with_header}} of {{files}} source files have a licence header."
"""


def workspace_with_control(root: Path, fact: str) -> Path:
    (root / "controls").mkdir(parents=True)
    (root / "assay.toml").write_text("", encoding="utf-8")
    text = CONTROL.format(fact=fact)
    (root / "controls" / "SDL-91.yaml").write_text(text, encoding="utf-8")
    return root


def test_a_control_may_test_a_plugin_kind_by_its_facts(
    plugin_dist: Distribution, runner: CliRunner, tmp_path: Path
) -> None:
    with_kinds(
        plugin_dist,
        {"example.headers": "example_kinds"},
        **{"example_kinds/example.headers.schema.json": json.dumps(SCHEMA)},
    )
    good = workspace_with_control(tmp_path / "good", "with_header")
    result = runner.invoke(app, ["library", "validate", "--workspace", str(good)])
    assert result.exit_code == 0, result.output
    bad = workspace_with_control(tmp_path / "bad", "with_headers")
    result = runner.invoke(app, ["library", "validate", "--workspace", str(bad)])
    assert result.exit_code == 2
    assert "expectation names 'with_headers'" in result.stderr


def test_a_broken_kind_plugin_stops_a_command_with_one_line(
    plugin_dist: Distribution, runner: CliRunner, tmp_path: Path
) -> None:
    with_kinds(plugin_dist, {"example.headers": "example_kinds"})
    root = workspace_with_control(tmp_path / "ws", "with_header")
    result = runner.invoke(app, ["library", "validate", "--workspace", str(root)])
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: evidence kind plugin 'example.headers' (example_kinds) has no readable "
        "example.headers.schema.json"
    )
    assert len(result.stderr.splitlines()) == 1, result.stderr
