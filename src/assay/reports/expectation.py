"""An expectation (a JSON Schema over facts) in words an auditor reads without JSON Schema.

``{"properties": {"review_ratio": {"minimum": 0.95}}, "required": ["review_ratio"]}``
reads ``review_ratio is at least 0.95``. Keywords without a plain reading fall back to
their JSON, so nothing is ever hidden: the pack also prints the exact schema.
"""

from __future__ import annotations

import json
from typing import Any

_BOUNDS = (
    ("minimum", "is at least"),
    ("exclusiveMinimum", "is more than"),
    ("maximum", "is at most"),
    ("exclusiveMaximum", "is less than"),
    ("minItems", "has at least {} item(s)"),
    ("maxItems", "has at most {} item(s)"),
    ("minLength", "is at least {} character(s) long"),
    ("maxLength", "is at most {} character(s) long"),
    ("minProperties", "has at least {} entr(y/ies)"),
)
_HANDLED = {
    "properties",
    "required",
    "const",
    "enum",
    "type",
    "pattern",
    "contains",
    "items",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "uniqueItems",
    "minContains",
    "maxContains",
    "description",
    "title",
    "$comment",
    "additionalProperties",
    *(name for name, _ in _BOUNDS),
}


_OPTIONAL = " (when present)"


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def describe(schema: Any, subject: str = "facts") -> list[str]:
    """One plain sentence per condition ``schema`` puts on ``subject``."""
    if schema is True or schema == {}:
        return []
    if schema is False:
        return [f"{subject} must not be present"]
    if not isinstance(schema, dict):
        return [f"{subject} matches {_value(schema)}"]
    lines: list[str] = []
    if "const" in schema:
        lines.append(f"{subject} is {_value(schema['const'])}")
    if "enum" in schema:
        choices = ", ".join(_value(v) for v in schema["enum"])
        lines.append(f"{subject} is one of {choices}")
    if "type" in schema and "const" not in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        lines.append(f"{subject} is of type {' or '.join(str(k) for k in kinds)}")
    for keyword, words in _BOUNDS:
        if keyword in schema:
            text = words.format(schema[keyword]) if "{}" in words else f"{words} {schema[keyword]}"
            lines.append(f"{subject} {text}")
    if "pattern" in schema:
        lines.append(f"{subject} matches the pattern {_value(schema['pattern'])}")
    if schema.get("uniqueItems"):
        lines.append(f"{subject} has no duplicate items")
    for name in schema.get("required", []):
        if name not in schema.get("properties", {}):
            lines.append(f"{_join(subject, name)} is present")
    for name, sub in schema.get("properties", {}).items():
        path = _join(subject, name)
        inner = describe(sub, path)
        if name in schema.get("required", []):
            lines.extend(inner or [f"{path} is present"])
        else:
            lines.extend(
                line if line.endswith(_OPTIONAL) else f"{line}{_OPTIONAL}" for line in inner
            )
    if isinstance(schema.get("contains"), dict) and set(schema["contains"]) == {"const"}:
        lines.append(f"{subject} contains {_value(schema['contains']['const'])}")
    elif "contains" in schema:
        inner = describe(schema["contains"], "an item")
        count = schema.get("minContains", 1)
        lead = (
            f"{subject} contains at least {count} item(s) where "
            if count != 1
            else (f"{subject} contains an item where ")
        )
        lines.append(lead + ("; ".join(inner) if inner else "anything holds"))
    if "items" in schema and isinstance(schema["items"], dict):
        inner = describe(schema["items"], "each item")
        if inner:
            lines.append(f"in {subject}: " + "; ".join(inner))
    for keyword, lead in (("anyOf", "at least one of: "), ("oneOf", "exactly one of: ")):
        if keyword in schema:
            options = [
                "(" + "; ".join(describe(sub, subject) or ["anything"]) + ")"
                for sub in schema[keyword]
            ]
            lines.append(lead + " or ".join(options))
    for sub in schema.get("allOf", []):
        lines.extend(describe(sub, subject))
    if "not" in schema:
        inner = describe(schema["not"], subject)
        lines.append("not: " + ("; ".join(inner) if inner else _value(schema["not"])))
    unknown = sorted(set(schema) - _HANDLED)
    if unknown:
        rest = {key: schema[key] for key in unknown}
        lines.append(f"{subject} satisfies {_value(rest)}")
    return lines


def _join(subject: str, name: str) -> str:
    return name if subject == "facts" else f"{subject}.{name}"


def pretty(schema: Any) -> str:
    """The exact schema, indented, keys sorted."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False)
