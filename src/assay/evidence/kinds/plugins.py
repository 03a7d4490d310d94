"""Evidence kinds from plugins: the ``assay.kinds`` entry-point group.

Each entry point's name is a kind, and its value says where the kind's JSON Schema is:

- a package (``example_pkg.kinds``): the file ``<kind>.schema.json`` inside it;
- a callable (``example_pkg.kinds:license_headers``): called with no arguments, it returns
  the schema as a JSON object.

Assay lists its own kinds in the group the same way (each naming this package), so every
kind can be found through the entry points; the built-ins are read from this package's
files whatever the installed metadata says.

A plugin kind is checked when it is found: its name is a kind name, its schema a valid
draft 2020-12 JSON Schema of an object with ``properties`` (the facts). A plugin that
cannot be loaded, whose schema is not usable, that redefines a built-in kind or that
registers a kind twice stops the command with a :class:`CollectorError` naming it: a kind
whose contract cannot be read must not quietly accept evidence.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from importlib import resources
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType
from typing import Any

from assay.errors import CollectorError

KIND_GROUP = "assay.kinds"
#: Kind names: lower-case words joined by dots, e.g. ``git.history``, ``ai.model_card``.
KIND_NAME = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*$")


def plugin_schemas(
    builtin: Collection[str], builtin_package: str, suffix: str
) -> dict[str, dict[str, Any]]:
    """The schema of every kind a plugin registers, by kind name (built-ins left out)."""
    found: dict[str, dict[str, Any]] = {}
    for entry in sorted(entry_points(group=KIND_GROUP), key=lambda e: (e.name, e.value)):
        where = _where(entry)
        if entry.name in builtin:
            if entry.value == builtin_package:  # Assay's own listing of a built-in kind
                continue
            raise CollectorError(f"{where} redefines Assay's evidence kind '{entry.name}'")
        if entry.name in found:
            raise CollectorError(f"evidence kind '{entry.name}' is registered twice")
        found[entry.name] = load_schema(entry, suffix)
    return found


def _where(entry: EntryPoint) -> str:
    return f"evidence kind plugin '{entry.name}' ({entry.value})"


def load_schema(entry: EntryPoint, suffix: str) -> dict[str, Any]:
    """The checked schema an entry point of the group names; see the module docstring."""
    where = _where(entry)
    if not KIND_NAME.fullmatch(entry.name):
        raise CollectorError(f"{where} is invalid: a kind name is lower-case words joined by dots")
    try:
        loaded = entry.load()
    except Exception as exc:  # noqa: BLE001 - any import failure of a plugin is reported
        raise CollectorError(f"{where} cannot be loaded: {type(exc).__name__}: {exc}") from None
    if isinstance(loaded, ModuleType):
        raw = _schema_file(loaded, entry.name + suffix, where)
    elif callable(loaded):
        try:
            raw = loaded()
        except Exception as exc:  # noqa: BLE001 - a plugin's function is third-party code
            raise CollectorError(f"{where} failed: {type(exc).__name__}: {exc}") from None
    else:
        raise CollectorError(
            f"{where} names neither a package holding {entry.name}{suffix} nor a callable"
        )
    try:
        schema = json.loads(json.dumps(raw, allow_nan=False))  # a private, JSON-only copy
    except (TypeError, ValueError) as exc:
        raise CollectorError(f"{where} gave a schema that is not JSON: {exc}") from None
    problems = schema_problems(schema)
    if problems:
        raise CollectorError(f"{where} is invalid: " + "; ".join(problems))
    result: dict[str, Any] = schema
    return result


def _schema_file(package: ModuleType, filename: str, where: str) -> Any:
    try:
        text = resources.files(package.__name__).joinpath(filename).read_text(encoding="utf-8")
    except (OSError, TypeError, ValueError) as exc:  # missing file, or not a package
        raise CollectorError(f"{where} has no readable {filename}: {exc}") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise CollectorError(f"{where}: {filename} is not valid JSON: {exc}") from None


def schema_problems(schema: Any) -> list[str]:
    """Why ``schema`` cannot be a kind's contract (empty when it can)."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    if not isinstance(schema, dict):
        return ["its schema is not a JSON object"]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        path = "/".join(str(part) for part in exc.path)
        return [f"its schema is not valid JSON Schema (draft 2020-12) at '{path}': {exc.message}"]
    problems = []
    if schema.get("type") != "object":
        problems.append('its schema must have "type": "object" (facts are a JSON object)')
    if not isinstance(schema.get("properties"), dict):
        problems.append('its schema must list the facts under "properties"')
    return problems
