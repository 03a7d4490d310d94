"""Expectations read as plain sentences."""

from __future__ import annotations

from assay.reports.expectation import describe


def test_bounds_and_required_facts() -> None:
    schema = {
        "properties": {"review_ratio": {"minimum": 0.95}, "direct_commits": {"maximum": 0}},
        "required": ["review_ratio"],
    }
    assert describe(schema) == [
        "review_ratio is at least 0.95",
        "direct_commits is at most 0 (when present)",
    ]


def test_nested_objects_constants_and_contains() -> None:
    schema = {
        "properties": {
            "files": {"properties": {"codeowners": {"properties": {"present": {"const": True}}}}},
            "tool_categories": {"contains": {"const": "sast"}},
        },
        "required": ["files", "tool_categories"],
    }
    lines = describe(schema)
    assert "files.codeowners.present is true (when present)" in lines
    assert 'tool_categories contains "sast"' in lines


def test_contains_with_conditions() -> None:
    schema = {
        "properties": {"jobs": {"contains": {"properties": {"kind": {"enum": ["a", "b"]}}}}},
        "required": ["jobs"],
    }
    assert describe(schema) == [
        'jobs contains an item where an item.kind is one of "a", "b" (when present)'
    ]


def test_unknown_keywords_are_shown_as_json() -> None:
    assert describe({"properties": {"x": {"multipleOf": 2}}, "required": ["x"]}) == [
        'x satisfies {"multipleOf": 2}'
    ]


def test_an_empty_expectation_has_no_conditions() -> None:
    assert describe({}) == []
