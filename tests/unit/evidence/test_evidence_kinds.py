"""The evidence-kind contracts: schemas well formed, documented, and matched by real examples."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from assay.evidence import kinds
from assay.evidence.kinds import (
    BUILTIN_KINDS,
    KIND_GROUP,
    fact_names,
    kind_names,
    kind_schema,
    kind_validator,
    render_markdown,
)
from tests.support.entry_points import declared
from tests.support.paths import ROOT

EXAMPLES = ROOT / "tests" / "data" / "kind-examples"
DOCS = ROOT / "docs" / "evidence-kinds.md"
REGENERATE = "python -m assay.evidence.kinds > docs/evidence-kinds.md"

EXPECTED_KINDS = set(declared(KIND_GROUP))


def _example(kind: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{kind}.json").read_text(encoding="utf-8"))
    return data


def _types(schema: dict[str, Any]) -> list[str]:
    given = schema["type"]
    return [given] if isinstance(given, str) else list(given)


def _walk(schema: dict[str, Any], path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every property schema below ``schema``, with a dotted path (``[]`` for list items)."""
    for name, prop in schema.get("properties", {}).items():
        here = f"{path}.{name}" if path else name
        yield here, prop
        yield from _walk(prop, here)
        items = prop.get("items")
        if isinstance(items, dict):
            yield from _walk(items, f"{here}[]")


def _objects(schema: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object schema with fixed keys, the top level included."""
    if "properties" in schema:
        yield path or "(top)", schema
    for name, prop in schema.get("properties", {}).items():
        here = f"{path}.{name}" if path else name
        yield from _objects(prop, here)
        items = prop.get("items")
        if isinstance(items, dict):
            yield from _objects(items, f"{here}[]")


def _errors(kind: str, facts: object) -> list[str]:
    return [error.message for error in kind_validator(kind).iter_errors(facts)]


# ------------------------------------------------------------------------ the set of kinds


def test_every_kind_is_discovered_and_listed_as_an_entry_point() -> None:
    assert set(BUILTIN_KINDS) == EXPECTED_KINDS
    assert set(declared(KIND_GROUP).values()) == {"assay.evidence.kinds"}
    assert set(BUILTIN_KINDS) <= set(kind_names())
    assert list(BUILTIN_KINDS) == sorted(BUILTIN_KINDS)


def test_every_kind_has_an_example_and_no_example_is_orphaned() -> None:
    assert {path.name.removesuffix(".json") for path in EXAMPLES.glob("*.json")} == set(
        BUILTIN_KINDS
    )


def test_unknown_kind_is_a_key_error() -> None:
    with pytest.raises(KeyError, match=r"no\.such\.kind"):
        kind_schema("no.such.kind")
    with pytest.raises(KeyError):
        fact_names("../controls/schemas/control")


def test_kind_schema_returns_a_private_copy() -> None:
    schema = kind_schema("git.history")
    schema["properties"].clear()
    assert "review_ratio" in kind_schema("git.history")["properties"]
    assert "review_ratio" in fact_names("git.history")


def test_fact_names_are_the_top_level_properties() -> None:
    for kind in BUILTIN_KINDS:
        assert fact_names(kind) == frozenset(kind_schema(kind)["properties"])
    assert {"review_ratio", "unreviewed_shas", "period", "shallow"} <= fact_names("git.history")
    assert "files.codeowners.present" not in fact_names("repo.files")


# ------------------------------------------------------------------------ schema shape


@pytest.mark.parametrize("kind", sorted(EXPECTED_KINDS))
def test_schema_is_valid_draft_2020_12(kind: str) -> None:
    Draft202012Validator.check_schema(kind_schema(kind))


@pytest.mark.parametrize("kind", sorted(EXPECTED_KINDS))
def test_schema_header(kind: str) -> None:
    schema = kind_schema(kind)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"urn:assay:kind:{kind}"
    assert schema["title"] == kind
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert len(schema["description"]) > 80
    assert "\n" not in schema["description"]
    assert schema["required"], "a kind must promise some facts"


@pytest.mark.parametrize("kind", sorted(EXPECTED_KINDS))
def test_every_property_has_description_and_type(kind: str) -> None:
    for path, prop in _walk(kind_schema(kind), ""):
        assert prop.get("description", "").strip(), f"{kind}: {path} has no description"
        assert "type" in prop, f"{kind}: {path} has no type"
        if "array" in _types(prop):
            assert "type" in prop.get("items", {}), f"{kind}: {path} items have no type"
            assert isinstance(prop.get("maxItems"), int), f"{kind}: {path} list is not capped"


@pytest.mark.parametrize("kind", sorted(EXPECTED_KINDS))
def test_objects_are_closed_and_required_names_exist(kind: str) -> None:
    for path, schema in _objects(kind_schema(kind)):
        assert schema.get("additionalProperties") is False, f"{kind}: {path} is open"
        missing = set(schema.get("required", ())) - set(schema["properties"])
        assert not missing, f"{kind}: {path} requires undefined {sorted(missing)}"


@pytest.mark.parametrize("kind", sorted(EXPECTED_KINDS))
def test_value_conventions(kind: str) -> None:
    for path, prop in _walk(kind_schema(kind), ""):
        name = path.rsplit(".", 1)[-1]
        types = _types(prop)
        if "integer" in types:
            assert prop.get("minimum", -1) >= 0, f"{kind}: count {path} may be negative"
        if name.endswith(("_ratio", "_rate")):
            assert "number" in types, path
            assert (prop.get("minimum"), prop.get("maximum")) == (0, 1), f"{kind}: {path}"
        if name.endswith("_at") and name != "signed_at":
            assert prop.get("format") == "date-time", f"{kind}: {path} is not a date-time"
        if name in {"head", "commit"}:
            assert prop.get("pattern") == "^[0-9a-f]{40}([0-9a-f]{24})?$", f"{kind}: {path}"
        if name.endswith("sha256") or name.endswith("_hash"):
            assert prop.get("pattern") == "^[0-9a-f]{64}$", f"{kind}: {path}"


@pytest.mark.parametrize("kind", sorted(EXPECTED_KINDS))
def test_no_fact_describes_the_collection(kind: str) -> None:
    for path, _ in _walk(kind_schema(kind), ""):
        name = path.rsplit(".", 1)[-1]
        assert "collect" not in name, f"{kind}: {path} would make evidence ids unreproducible"
        assert name not in {"hostname", "cwd", "local_path", "workdir"}, f"{kind}: {path}"


# ------------------------------------------------------------------------ examples


@pytest.mark.parametrize("kind", sorted(EXPECTED_KINDS))
def test_example_is_valid(kind: str) -> None:
    assert _errors(kind, _example(kind)) == []


@pytest.mark.parametrize("kind", sorted(EXPECTED_KINDS))
def test_example_shows_every_fact(kind: str) -> None:
    assert set(_example(kind)) == set(fact_names(kind))


def _wrong_value(schema: dict[str, Any]) -> object:
    """A value of a JSON type the property does not allow."""
    types = set(_types(schema))
    candidates: tuple[object, ...] = ("not a valid value", 7, 2.5, True, [], {}, None)
    for candidate in candidates:
        allowed = {
            str: "string",
            int: "integer",
            float: "number",
            bool: "boolean",
            list: "array",
            dict: "object",
            type(None): "null",
        }[type(candidate)]
        if allowed in types or (allowed == "integer" and "number" in types):
            continue
        return candidate
    raise AssertionError("property allows every type")


@pytest.mark.parametrize("kind", sorted(EXPECTED_KINDS))
def test_wrong_typed_facts_fail(kind: str) -> None:
    schema = kind_schema(kind)
    for name, prop in schema["properties"].items():
        facts = _example(kind)
        facts[name] = _wrong_value(prop)
        assert _errors(kind, facts), f"{kind}: {name}={facts[name]!r} was accepted"


@pytest.mark.parametrize("kind", sorted(EXPECTED_KINDS))
def test_missing_and_unknown_facts_fail(kind: str) -> None:
    example = _example(kind)
    for name in kind_schema(kind)["required"]:
        facts = copy.deepcopy(example)
        del facts[name]
        assert _errors(kind, facts), f"{kind}: missing {name} was accepted"
    assert _errors(kind, {**example, "collected_at": "2026-03-13T17:00:00Z"})


def test_nested_values_are_checked() -> None:
    history = _example("git.history")
    history["review_ratio"] = 1.2
    history["period"]["until"] = "last tuesday"
    history["unreviewed_shas"] = ["HEAD~1"]
    messages = _errors("git.history", history)
    assert len(messages) == 3, messages

    files = _example("repo.files")
    files["files"]["codeowners"]["present"] = "yes"
    files["files"]["readme"]["surprise"] = 1
    assert len(_errors("repo.files", files)) == 2

    workflows = _example("ci.workflows")
    workflows["unpinned_action_refs"] = [
        {"file": "ci.yml", "line": n, "uses": "a/b@v1"} for n in range(1, 102)
    ]
    assert _errors("ci.workflows", workflows), "lists must be capped"


# ------------------------------------------------------------------------ documentation


def test_docs_are_generated_from_the_schemas() -> None:
    assert DOCS.read_text(encoding="utf-8") == render_markdown(), (
        f"docs/evidence-kinds.md is out of date; regenerate it with `{REGENERATE}`"
    )


def test_docs_cover_every_fact() -> None:
    text = render_markdown()
    for kind in BUILTIN_KINDS:
        assert f"\n## {kind}\n" in text
        for path, _ in _walk(kind_schema(kind), ""):
            assert f"| `{path}` |" in text, f"{kind}: {path} is not documented"
    assert "| `files.codeowners.present` |" in text
    assert "| `tags[].signed` |" in text
    assert render_markdown() == text, "rendering must be deterministic"


def test_module_main_prints_the_docs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "assay.evidence.kinds"],
        capture_output=True,
        check=True,
        env={"PYTHONPATH": str(Path(kinds.__file__).resolve().parents[3])},
    )
    assert result.stdout.decode("utf-8") == render_markdown()
