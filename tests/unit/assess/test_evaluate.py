"""Expectation errors as plain sentences, and explain templates that facts cannot subvert."""

from __future__ import annotations

from typing import Any

import pytest

from assay.assess.evaluate import (
    anchored_findings,
    explain_errors,
    fill_template,
    kind_problems,
    show,
)
from assay.schemas import compile_schema


def sentences(schema: dict[str, Any], facts: Any) -> list[str]:
    return explain_errors(compile_schema(schema).iter_errors(facts))


@pytest.mark.parametrize(
    ("schema", "facts", "expected"),
    [
        (
            {"properties": {"r": {"minimum": 0.95}}},
            {"r": 0.82},
            "r is 0.82; it must be at least 0.95",
        ),
        ({"properties": {"r": {"maximum": 3}}}, {"r": 4}, "r is 4; it must be at most 3"),
        (
            {"properties": {"r": {"exclusiveMinimum": 0}}},
            {"r": 0},
            "r is 0; it must be more than 0",
        ),
        (
            {"properties": {"r": {"exclusiveMaximum": 1}}},
            {"r": 1},
            "r is 1; it must be less than 1",
        ),
        (
            {"properties": {"f": {"properties": {"c": {"properties": {"p": {"const": True}}}}}}},
            {"f": {"c": {"p": False}}},
            "f.c.p is false; it must be true",
        ),
        ({"required": ["tool_categories"]}, {}, "required fact tool_categories is missing"),
        (
            {"properties": {"f": {"required": ["codeowners"]}}},
            {"f": {}},
            "required fact f.codeowners is missing",
        ),
        (
            {"properties": {"e": {"enum": ["a", "b"]}}},
            {"e": "c"},
            "e is 'c'; it must be one of 'a', 'b'",
        ),
        (
            {"properties": {"n": {"type": "number"}}},
            {"n": None},
            "n is null; it must be a number",
        ),
        (
            {"properties": {"t": {"contains": {"const": "sast"}}}},
            {"t": ["lint"]},
            "t does not include 'sast'",
        ),
        (
            {"properties": {"t": {"contains": {"enum": ["sast", "dast"]}}}},
            {"t": []},
            "t includes none of 'sast', 'dast'",
        ),
        (
            {"properties": {"t": {"minItems": 2}}},
            {"t": ["x"]},
            "t has 1 item; it must have at least 2",
        ),
        (
            {"properties": {"s": {"not": {"const": True}}}},
            {"s": True},
            "s is true; it must not be true",
        ),
        (
            {"properties": {"s": {"pattern": "^v"}}},
            {"s": "1.0"},
            "s is '1.0'; it must match the pattern '^v'",
        ),
        (
            {"properties": {"s": {"minLength": 3}}},
            {"s": "ab"},
            "s is 2 characters long; it must be at least 3",
        ),
        (
            {"properties": {"x": {"anyOf": [{"minimum": 0.9}, {"const": None}]}}},
            {"x": 0.5},
            "x is 0.5; it must be at least 0.9, or it must be null",
        ),
        ({"properties": {"u": {"uniqueItems": True}}}, {"u": [1, 1]}, "u has duplicate items"),
        (
            {"properties": {"w": {"items": {"minimum": 1}}}},
            {"w": [3, 0]},
            "w[1] is 0; it must be at least 1",
        ),
        (
            {"properties": {"gone": False}},
            {"gone": 1},
            "the value 1 is not allowed by the expectation",
        ),
    ],
)
def test_plain_sentences(schema: dict[str, Any], facts: Any, expected: str) -> None:
    assert sentences(schema, facts) == [expected]


def test_many_problems_are_capped_and_counted() -> None:
    schema = {"required": [f"f{i}" for i in range(20)]}
    found = sentences(schema, {})
    assert len(found) == 8
    assert found[-1] == "and 13 more problems"


def test_long_and_hostile_values_are_clipped_and_cleaned() -> None:
    shown = show("x" * 500 + "\x1b[31m")
    assert len(shown) <= 82
    assert "\x1b" not in show("a\x1b[31mred\nline")
    assert show(list(range(50))) == "a list of 50 items"


def test_template_fills_top_level_facts() -> None:
    facts = {"review_ratio": 0.8234, "branch": "main", "tools": ["ruff", "mypy"]}
    assert (
        fill_template("{review_ratio:.0%} of {branch} reviewed; tools {tools}", facts)
        == "82% of main reviewed; tools ruff, mypy"
    )


@pytest.mark.parametrize(
    "template",
    [
        "{branch.__class__}",
        "{branch[0]}",
        "{branch.__class__.__mro__}",
        "{0}",
        "{missing}",
    ],
)
def test_template_never_reaches_python_objects(template: str) -> None:
    assert fill_template(template, {"branch": "main"}) == template


def test_template_reaches_into_object_facts_by_key_only() -> None:
    facts = {
        "platform_reviews": {"status": "no_token", "reason": "no token", "needs": None},
        "branch": "main",
    }
    assert fill_template("{platform_reviews.reason}", facts) == "no token"
    assert fill_template("{platform_reviews.needs}", facts) == "null"
    for template in (
        "{platform_reviews.missing}",
        "{branch.upper}",  # text has no keys: never an attribute
        "{platform_reviews.__class__}",
        "{platform_reviews._private}",
        "{platform_reviews.status.x}",
    ):
        assert fill_template(template, facts) == template


def test_template_shows_a_whole_sentence_a_collector_wrote() -> None:
    needs = "Set ASSAY_GITHUB_TOKEN to a token that can read pull requests, " * 2
    assert fill_template("{needs}", {"needs": needs.strip()}) == needs.strip()
    assert fill_template("{needs}", {"needs": "x" * 500}).endswith("…")
    assert len(fill_template("{needs}", {"needs": "x" * 500})) == 200


def test_template_refuses_huge_widths() -> None:
    assert fill_template("{n:99999999}", {"n": 1}) == "1"


def test_malformed_template_is_shown_as_written() -> None:
    assert fill_template("broken {", {}) == "broken {"


def test_kind_problems() -> None:
    assert kind_problems("no.such.kind", {}) == [
        "evidence kind 'no.such.kind' is unknown to this assay"
    ]
    assert kind_problems("git.history", []) == ["facts are not a JSON object"]
    assert "required fact repo is missing" in kind_problems("git.history", {})


def test_findings_are_anchored_for_workflow_problems() -> None:
    facts = {
        "findings": [
            {
                "rule": "script_injection",
                "file": ".github/workflows/ci.yml",
                "line": 9,
                "message": "m",
            },
            {"rule": "bad", "file": "x", "line": 0, "message": "line zero is dropped"},
        ],
        "unpinned_action_refs": [
            {"file": ".github/workflows/ci.yml", "line": 4, "uses": "actions/checkout@v4"}
        ],
        "unpinned_image_refs": [{"file": ".gitlab-ci.yml", "line": 2, "image": "python:3"}],
    }
    found = anchored_findings(
        "ci.workflows", facts, {"dangerous_patterns", "unpinned_actions"}, "api"
    )
    assert [(f.rule, f.file, f.line, f.repo) for f in found] == [
        ("script_injection", ".github/workflows/ci.yml", 9, "api"),
        ("unpinned_action", ".github/workflows/ci.yml", 4, "api"),
    ]
    assert found[1].message == "action actions/checkout@v4 is not pinned to a full commit id"
    images = anchored_findings("ci.workflows", facts, {"unpinned_images"}, None)
    assert images[0].message == "image python:3 is not pinned by digest"
    assert anchored_findings("git.history", facts, {"findings"}, None) == ()


def test_a_file_name_cannot_carry_lines_into_the_outputs() -> None:
    forged = ".github/workflows/x\n::error title=FORGED::all controls passed\n.yml"
    facts = {
        "findings": [{"rule": "r\nx", "file": forged, "line": 3, "message": "m"}],
    }
    (found,) = anchored_findings("ci.workflows", facts, {"dangerous_patterns"}, "api")
    assert found.file == ".github/workflows/x?::error title=FORGED::all controls passed?.yml"
    assert found.rule == "r x"
