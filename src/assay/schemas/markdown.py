"""Markdown tables of JSON Schemas, for the generated reference pages."""

from __future__ import annotations

import json
from typing import Any


def resolve(schema: Any, root: dict[str, Any]) -> dict[str, Any]:
    """Follow local ``$ref`` (``#/$defs/...``) and merge ``oneOf`` of one type and null."""
    if not isinstance(schema, dict):
        return {}
    if isinstance(schema.get("$ref"), str) and schema["$ref"].startswith("#/"):
        target: Any = root
        for part in schema["$ref"][2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        return {**resolve(target, root), **{k: v for k, v in schema.items() if k != "$ref"}}
    if "oneOf" in schema and "type" not in schema:
        branches = [resolve(b, root) for b in schema["oneOf"]]
        types: list[str] = []
        for branch in branches:
            declared = branch.get("type")
            if isinstance(declared, str):
                types.append(declared)
        main = next((b for b in branches if b.get("type") != "null"), {})
        return {**main, **{k: v for k, v in schema.items() if k != "oneOf"}, "type": types or "any"}
    return schema


# Friendly names for the patterns the schemas use; any other pattern is shown as it is.
_PATTERN_NAMES = {
    "^[0-9a-f]{40}([0-9a-f]{24})?$": "git object id",
    "^[0-9a-f]{64}$": "sha256, hex",
    "^[A-Z]{2,5}-[0-9]{2,3}$": "control id",
    "^P(?!$)([0-9]+W)?([0-9]+D)?(T(?=[0-9])([0-9]+H)?([0-9]+M)?)?$": "ISO 8601 duration",
    "^P(?!$)([0-9]+Y)?([0-9]+M)?([0-9]+W)?([0-9]+D)?(T(?=[0-9])([0-9]+H)?([0-9]+M)?([0-9]+S)?)?$": (
        "ISO 8601 duration"
    ),
}


def cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _types(schema: dict[str, Any]) -> tuple[str, bool]:
    declared = schema.get("type", "any")
    names = [declared] if isinstance(declared, str) else list(declared)
    nullable = "null" in names
    rest = [name for name in names if name != "null"]
    return (" or ".join(rest) if rest else "null"), nullable


def _bounds(schema: dict[str, Any]) -> str:
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and high is not None:
        return f" {low}..{high}"
    if low is not None:
        return f" >= {low}"
    if high is not None:
        return f" <= {high}"
    return ""


def _scalar(schema: dict[str, Any]) -> str:
    base, _ = _types(schema)
    text = base + _bounds(schema)
    if "format" in schema:
        text += f" ({schema['format']})"
    elif "x-expected" in schema:
        text += f" ({schema['x-expected']})"
    elif "pattern" in schema:
        pattern = schema["pattern"]
        text += f" ({_PATTERN_NAMES.get(pattern, f'pattern `{pattern}`')})"
    return text


def type_text(schema: dict[str, Any]) -> str:
    base, nullable = _types(schema)
    if base == "array":
        items = schema.get("items", {})
        text = f"array of {_scalar(items)}"
        if "maxItems" in schema:
            text += f", at most {schema['maxItems']}"
    else:
        text = _scalar(schema)
    return text + (" or null" if nullable else "")


def _enum_note(schema: dict[str, Any]) -> str:
    values = schema.get("enum")
    if values is None and schema.get("type") == "array":
        values = schema.get("items", {}).get("enum")
    if not values:
        return ""
    shown = ", ".join(f"`{v if isinstance(v, str) else json.dumps(v)}`" for v in values)
    return f" Values: {shown}."


def schema_rows(
    schema: dict[str, Any], prefix: str = "", root: dict[str, Any] | None = None
) -> list[str]:
    """Markdown table rows (field, type, required, description) for every property, nested."""
    root = schema if root is None else root
    rows: list[str] = []
    required = set(schema.get("required", ()))
    for name, raw in schema.get("properties", {}).items():
        prop = resolve(raw, root)
        dotted = f"{prefix}{name}"
        description = prop.get("description", "") + _enum_note(prop)
        rows.append(
            f"| `{dotted}` | {cell(type_text(prop))} | {'yes' if name in required else 'no'} "
            f"| {cell(description)} |"
        )
        base, _ = _types(prop)
        if base == "object":
            rows.extend(schema_rows(prop, f"{dotted}.", root))
            extra = prop.get("additionalProperties")
            if isinstance(extra, dict) and "properties" in resolve(extra, root):
                rows.extend(schema_rows(resolve(extra, root), f"{dotted}.<name>.", root))
        elif base == "array":
            items = resolve(prop.get("items", {}), root)
            if "properties" in items:
                rows.extend(schema_rows(items, f"{dotted}[].", root))
    return rows


def anchor(heading: str) -> str:
    kept = "".join(ch for ch in heading.lower() if ch.isalnum() or ch in " _-")
    return kept.replace(" ", "-")
