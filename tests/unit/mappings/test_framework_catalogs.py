"""The built-in framework catalogs: valid against their schema, internally consistent, and
faithful to the reference CSVs they were generated from (copies in tests/data/reference/)."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from tests.support.paths import DATA, ROOT

MAPPINGS = ROOT / "src" / "assay" / "mappings"
FRAMEWORKS = MAPPINGS / "frameworks"
SCHEMA_PATH = MAPPINGS / "schemas" / "framework.schema.json"
REFERENCE = DATA / "reference"

CATALOG_IDS = ["iso27001-2022", "nist-ai-rmf-1.0", "uk-service-standard"]
HEADING_ONLY_CLAUSES = {"6.1", "7.5", "9.2", "9.3"}
TITLE_MAX = 90


def read_csv(name: str) -> list[dict[str, str]]:
    with (REFERENCE / name).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def load_catalog(framework_id: str) -> dict[str, Any]:
    with (FRAMEWORKS / f"{framework_id}.yaml").open(encoding="utf-8") as f:
        catalog: dict[str, Any] = yaml.safe_load(f)
    return catalog


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def iso() -> dict[str, Any]:
    return load_catalog("iso27001-2022")


@pytest.fixture(scope="module")
def ai_rmf() -> dict[str, Any]:
    return load_catalog("nist-ai-rmf-1.0")


@pytest.fixture(scope="module")
def service_standard() -> dict[str, Any]:
    return load_catalog("uk-service-standard")


def by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in items}


# --- schema ---------------------------------------------------------------------------


def test_schema_is_valid_draft_2020_12(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def _objects_with_properties(node: object) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node:
            yield node
        for value in node.values():
            yield from _objects_with_properties(value)
    elif isinstance(node, list):
        for value in node:
            yield from _objects_with_properties(value)


def test_schema_is_closed_and_documented(schema: dict[str, Any]) -> None:
    objects = list(_objects_with_properties(schema))
    assert len(objects) == 6  # catalog, group, requirement; soa, its sheet, a sheet column
    for obj in objects:
        assert obj.get("additionalProperties") is False
        for name, prop in obj["properties"].items():
            assert prop.get("description"), f"property {name!r} has no description"


def test_catalog_files_are_exactly_the_built_ins() -> None:
    assert sorted(p.stem for p in FRAMEWORKS.glob("*.yaml")) == sorted(CATALOG_IDS)


@pytest.mark.parametrize("framework_id", CATALOG_IDS)
def test_catalog_validates_against_schema(schema: dict[str, Any], framework_id: str) -> None:
    catalog = load_catalog(framework_id)
    errors = sorted(Draft202012Validator(schema).iter_errors(catalog), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    assert catalog["id"] == framework_id


@pytest.mark.parametrize(
    "mutate",
    [
        lambda c: c.update(extra=1),
        lambda c: c["requirements"][0].update(note="x"),
        lambda c: c["requirements"][0].update(id=4.1),
        lambda c: c["requirements"][0].update(title=" padded"),
        lambda c: c.update(id="Not A Slug"),
        lambda c: c.pop("version"),
    ],
    ids=[
        "extra-top-level",
        "extra-requirement-field",
        "numeric-id",
        "untrimmed",
        "bad-slug",
        "no-version",
    ],
)
def test_schema_rejects_malformed_catalogs(
    schema: dict[str, Any], mutate: Callable[[dict[str, Any]], object]
) -> None:
    catalog = load_catalog("iso27001-2022")
    mutate(catalog)
    assert list(Draft202012Validator(schema).iter_errors(catalog))


# --- internal consistency --------------------------------------------------------------


@pytest.mark.parametrize("framework_id", CATALOG_IDS)
def test_ids_are_unique_strings(framework_id: str) -> None:
    catalog = load_catalog(framework_id)
    for kind in ("requirements", "groups"):
        ids = [item["id"] for item in catalog.get(kind, [])]
        assert all(isinstance(i, str) for i in ids)
        duplicates = [i for i, n in Counter(ids).items() if n > 1]
        assert not duplicates, f"duplicate {kind} ids: {duplicates}"


@pytest.mark.parametrize("framework_id", CATALOG_IDS)
def test_references_resolve(framework_id: str) -> None:
    catalog = load_catalog(framework_id)
    groups = catalog.get("groups", [])
    requirements = catalog["requirements"]

    seen_groups: set[str] = set()
    for group in groups:
        parent = group.get("parent")
        # A parent group comes first, which also rules out cycles.
        assert parent is None or parent in seen_groups, f"group {group['id']}: parent {parent!r}"
        seen_groups.add(group["id"])

    seen: dict[str, dict[str, Any]] = {}
    for req in requirements:
        group = req.get("group")
        if groups:
            assert group in seen_groups, f"{req['id']}: unknown group {group!r}"
        else:
            assert group is None, f"{req['id']}: group {group!r} but the catalog has no groups"
        parent = req.get("parent")
        if parent is not None:
            assert parent in seen, f"{req['id']}: parent {parent!r} missing or listed later"
            assert seen[parent].get("group") == group, f"{req['id']}: not in its parent's group"
        seen[req["id"]] = req


@pytest.mark.parametrize("framework_id", CATALOG_IDS)
def test_only_parents_are_not_assessable(framework_id: str) -> None:
    requirements = load_catalog(framework_id)["requirements"]
    parents = {r["parent"] for r in requirements if r.get("parent")}
    for req in requirements:
        if req["id"] in parents:
            assert req.get("assessable") is False, f"{req['id']} is a heading-only parent"
        else:
            assert req.get("assessable", True) is True, f"{req['id']} should be assessable"


# --- ISO/IEC 27001:2022 ------------------------------------------------------------------


def _numeric_key(requirement_id: str) -> tuple[int, ...]:
    return tuple(int(part) for part in requirement_id.removeprefix("A.").split("."))


def test_iso_clauses_match_csv(iso: dict[str, Any]) -> None:
    expected = read_csv("iso27001-2022-clauses.csv")
    clauses = [r for r in iso["requirements"] if not r["id"].startswith("A.")]
    assert len(expected) == len(clauses) == 34
    assert [(r["id"], r["title"]) for r in clauses] == [(c["id"], c["title"]) for c in expected]
    assessable = [r["id"] for r in clauses if r.get("assessable", True)]
    assert len(assessable) == 30
    assert {r["id"] for r in clauses if r.get("assessable") is False} == HEADING_ONLY_CLAUSES
    for r in clauses:
        assert r["group"] == r["id"].split(".")[0]
        assert "text" not in r or r["text"] is None  # the standard's text is not public
        expected_parent = r["id"].rsplit(".", 1)[0] if r["id"].count(".") == 2 else None
        assert r.get("parent") == expected_parent


def test_iso_annex_a_matches_csv(iso: dict[str, Any]) -> None:
    expected = read_csv("iso27001-2022-annexA.csv")
    annex = [r for r in iso["requirements"] if r["id"].startswith("A.")]
    assert len(expected) == len(annex) == 93
    assert [(r["id"], r["title"]) for r in annex] == [(a["id"], a["title"]) for a in expected]
    theme_group = {
        "Organizational": "A.5",
        "People": "A.6",
        "Physical": "A.7",
        "Technological": "A.8",
    }
    for r, row in zip(annex, expected, strict=True):
        assert r["group"] == theme_group[row["theme"]]
        assert r.get("assessable", True) is True
        assert r.get("parent") is None
        assert "text" not in r or r["text"] is None
    assert Counter(r["group"] for r in annex) == {"A.5": 37, "A.6": 8, "A.7": 14, "A.8": 34}


def test_iso_order_and_groups(iso: dict[str, Any]) -> None:
    ids = [r["id"] for r in iso["requirements"]]
    clauses = [i for i in ids if not i.startswith("A.")]
    annex = [i for i in ids if i.startswith("A.")]
    assert ids == clauses + annex  # clauses first, then Annex A
    assert clauses == sorted(clauses, key=_numeric_key)
    assert annex == sorted(annex, key=_numeric_key)
    assert [(g["id"], g["title"]) for g in iso["groups"]] == [
        ("4", "Context of the organization"),
        ("5", "Leadership"),
        ("6", "Planning"),
        ("7", "Support"),
        ("8", "Operation"),
        ("9", "Performance evaluation"),
        ("10", "Improvement"),
        ("A.5", "Organizational controls"),
        ("A.6", "People controls"),
        ("A.7", "Physical controls"),
        ("A.8", "Technological controls"),
    ]
    assert iso["version"] == "2022"


def test_iso_ids_stay_strings_in_yaml() -> None:
    raw = (FRAMEWORKS / "iso27001-2022.yaml").read_text(encoding="utf-8")
    assert 'id: "4.1"' in raw
    assert 'id: "10"' in raw


# --- NIST AI RMF 1.0 --------------------------------------------------------------------


def _check_derived_title(title: str, statement: str) -> None:
    """A title is the statement's first sentence (without its full stop), or the start of
    it cut at a word boundary and ended with an ellipsis, at most TITLE_MAX characters."""
    assert len(title) <= TITLE_MAX
    if title.endswith("…"):
        head = title[:-1]
        assert statement.startswith(head), title
        assert statement[len(head)] in " ,;:", f"not cut at a word boundary: {title!r}"
    else:
        assert statement.startswith(title), title
        assert statement[len(title)] == ".", title
        rest = statement[len(title) + 1 :]
        assert rest == "" or rest.startswith(" "), title


def test_ai_rmf_subcategories_match_csv(ai_rmf: dict[str, Any]) -> None:
    expected = read_csv("nist-ai-rmf-1.0.csv")
    requirements = ai_rmf["requirements"]
    assert len(expected) == len(requirements) == 72
    for r, row in zip(requirements, expected, strict=True):
        assert r["id"] == row["id"]
        assert r["group"] == row["category"]
        assert r["text"] == row["text"]
        assert r.get("parent") is None
        assert r.get("assessable", True) is True
        _check_derived_title(r["title"], r["text"])
    counts = Counter(r["id"].split(" ")[0] for r in requirements)
    assert counts == {"GOVERN": 19, "MAP": 18, "MEASURE": 22, "MANAGE": 13}


def test_ai_rmf_groups_are_functions_and_categories(ai_rmf: dict[str, Any]) -> None:
    categories = read_csv("nist-ai-rmf-1.0-categories.csv")
    groups = ai_rmf["groups"]
    functions = [g for g in groups if g.get("parent") is None]
    assert [g["id"] for g in functions] == ["GOVERN", "MAP", "MEASURE", "MANAGE"]
    cats = [g for g in groups if g.get("parent") is not None]
    assert len(cats) == len(categories) == 19
    assert [(g["id"], g["parent"], g["text"]) for g in cats] == [
        (c["id"], c["function"], c["text"]) for c in categories
    ]
    for g in cats:
        _check_derived_title(g["title"], g["text"])
    # every category has at least one subcategory and every subcategory sits in one
    used = Counter(r["group"] for r in ai_rmf["requirements"])
    assert set(used) == {g["id"] for g in cats}


def test_ai_rmf_known_entries(ai_rmf: dict[str, Any]) -> None:
    reqs = by_id(ai_rmf["requirements"])
    assert reqs["GOVERN 1.6"]["title"] == (
        "Mechanisms are in place to inventory AI systems and are resourced according…"
    )
    assert reqs["MEASURE 2.13"]["group"] == "MEASURE 2"
    assert reqs["MANAGE 2.3"]["text"].startswith("Procedures are followed to respond to")


# --- UK Government Service Standard ------------------------------------------------------


def test_service_standard_matches_csv(service_standard: dict[str, Any]) -> None:
    expected = read_csv("uk-service-standard.csv")
    requirements = service_standard["requirements"]
    assert len(expected) == len(requirements) == 14
    assert [(r["id"], r["title"], r["text"]) for r in requirements] == [
        (f"point {p['point']}", p["title"], p["summary"]) for p in expected
    ]
    assert [r["id"] for r in requirements] == [f"point {n}" for n in range(1, 15)]
    assert by_id(requirements)["point 14"]["title"] == "Operate a reliable service"
    assert all(r.get("assessable", True) is True for r in requirements)
