"""Validating documents against NIST's OSCAL 1.2.1 JSON schemas, ECMA-262 regex semantics kept.

The schemas are draft-07 and their patterns are ECMA-262 regular expressions. Python's
``re`` cannot compile ``\\p{L}``; the ``regex`` package can, but three more differences
would make a validator too lenient, so each pattern is translated before use:

* ``$`` (outside a class) means end of input in ECMA; in Python it also matches before
  a final newline, which would let ``"title\\n"`` pass ``^[^\\n]+$``. It becomes ``\\Z``.
* ``.`` excludes every ECMA line terminator (``\\n``, ``\\r``, U+2028, U+2029); Python's
  excludes only ``\\n``.
* ``\\d`` and ``\\w`` are ASCII-only in ECMA and Unicode-aware in Python.

Formats (``date-time``, ``uri``, ``uri-reference``, ``email``) are checked by
jsonschema's format checker, backed by the ``format-nongpl`` extras.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from typing import Any

import regex
from jsonschema import Draft7Validator, ValidationError, validators

from tests.support.paths import DATA

SCHEMA_DIR = DATA / "oscal" / "schemas"

MODELS = {
    "catalog": "oscal_catalog_schema.json",
    "component-definition": "oscal_component_schema.json",
    "assessment-results": "oscal_assessment-results_schema.json",
    "plan-of-action-and-milestones": "oscal_poam_schema.json",
    "assessment-plan": "oscal_assessment-plan_schema.json",
    "system-security-plan": "oscal_ssp_schema.json",
}

_ESCAPES_OUTSIDE = {"d": "[0-9]", "w": "[A-Za-z0-9_]", "D": "[^0-9]", "W": "[^A-Za-z0-9_]"}
_ESCAPES_INSIDE = {"d": "0-9", "w": "A-Za-z0-9_"}


def ecma_to_python(pattern: str) -> str:
    """Translate an ECMA-262 pattern into an equivalent ``regex`` pattern."""
    out: list[str] = []
    index = 0
    in_class = False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            nxt = pattern[index + 1]
            table = _ESCAPES_INSIDE if in_class else _ESCAPES_OUTSIDE
            out.append(table.get(nxt, char + nxt))
            index += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
            out.append(char)
        elif char == "[":
            in_class = True
            out.append(char)
            if pattern[index + 1 : index + 2] == "^":
                out.append("^")
                index += 1
            if pattern[index + 1 : index + 2] == "]":  # a literal ] first in a class
                out.append("\\]")
                index += 1
        elif char == "$":
            out.append(r"\Z")
        elif char == ".":
            out.append("[^\\n\\r\\u2028\\u2029]")
        else:
            out.append(char)
        index += 1
    return "".join(out)


@cache
def _compiled(pattern: str) -> Any:
    return regex.compile(ecma_to_python(pattern))


def _pattern(
    validator: Any, pattern: str, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not _compiled(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


OscalValidator = validators.extend(Draft7Validator, {"pattern": _pattern})


@cache
def schema_for(model: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMA_DIR / MODELS[model]).read_text("utf-8"))
    return schema


@cache
def validator_for(model: str) -> Any:
    schema = schema_for(model)
    for pattern in _all_patterns(schema):
        _compiled(pattern)  # every pattern must compile: a schema problem fails loudly here
    return OscalValidator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


def _all_patterns(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield value
            else:
                yield from _all_patterns(value)
    elif isinstance(node, list):
        for item in node:
            yield from _all_patterns(item)


def oscal_errors(document: dict[str, Any]) -> list[str]:
    """Every schema error in an OSCAL document, as ``path: message`` lines."""
    (model,) = document.keys()
    errors = sorted(validator_for(model).iter_errors(document), key=lambda e: list(e.path))
    return [
        "/".join(str(p) for p in error.absolute_path) + ": " + error.message for error in errors
    ]
