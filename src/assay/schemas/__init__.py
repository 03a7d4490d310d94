"""The JSON Schemas of every file format, and validation that points at lines.

A ``pattern`` may carry an ``x-expected`` annotation ("an ISO 8601 duration such
as P30D") so the message says what was expected instead of quoting a regex.

Schemas ship inside the package (``importlib.resources``) and are loaded once.
:func:`check_document` validates a located YAML document and returns every
problem as ``path:line:col: message``, worded for the person who wrote the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from assay.errors import Problem

if TYPE_CHECKING:
    from jsonschema import ValidationError
    from jsonschema.protocols import Validator

    from assay.yamlfile import JsonPath, YamlDocument

# Schema name -> (package, resource file). Every file format a user writes is here.
SCHEMAS: dict[str, tuple[str, str]] = {
    "control": ("assay.controls.schemas", "control.schema.json"),
    "framework": ("assay.mappings.schemas", "framework.schema.json"),
    "crosswalk": ("assay.mappings.schemas", "crosswalk.schema.json"),
    "workspace": ("assay.schemas", "workspace.schema.json"),
    "service": ("assay.schemas", "service.schema.json"),
    "waiver": ("assay.schemas", "waiver.schema.json"),
    "attestation": ("assay.schemas", "attestation.schema.json"),
    "people": ("assay.schemas", "people.schema.json"),
    "soa": ("assay.schemas", "soa.schema.json"),
    "coverage": ("assay.schemas", "coverage.schema.json"),
    "assessment": ("assay.schemas", "assessment.schema.json"),
    "report": ("assay.schemas", "report.schema.json"),
    "ci-tables": ("assay.evidence.ci.data", "ci-tables.schema.json"),
    "ai-evaluation": ("assay.evidence.parsing.schemas", "ai-evaluation.schema.json"),
    "ai-model-card": ("assay.evidence.parsing.schemas", "ai-model-card.schema.json"),
    "slo-report": ("assay.evidence.parsing.schemas", "slo-report.schema.json"),
    "reviews-export": ("assay.evidence.parsing.schemas", "reviews-export.schema.json"),
}


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The packaged JSON Schema called ``name`` (a key of :data:`SCHEMAS`)."""
    package, filename = SCHEMAS[name]
    text = resources.files(package).joinpath(filename).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def validator_for(name: str) -> Validator:
    """A compiled, cached validator (draft 2020-12, formats checked) for a packaged schema."""
    return compile_schema(load_schema(name))


def compile_schema(schema: dict[str, Any]) -> Validator:
    """Compile any schema as draft 2020-12 with format checking."""
    from jsonschema import Draft202012Validator

    validator: Validator = Draft202012Validator(
        schema, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    return validator


def check_document(document: YamlDocument, name_or_validator: str | Validator) -> list[Problem]:
    """Every schema problem in ``document``, located and in plain words."""
    validator = (
        validator_for(name_or_validator)
        if isinstance(name_or_validator, str)
        else name_or_validator
    )
    errors = list(_leaf_errors(validator.iter_errors(document.data)))
    # A value of the wrong type fails other keywords too (enum, pattern...): say it once.
    mistyped = {tuple(e.absolute_path) for e in errors if e.validator == "type"}
    problems: list[Problem] = []
    for error in errors:
        if error.validator != "type" and tuple(error.absolute_path) in mistyped:
            continue
        problems.extend(_describe(document, error))
    return problems


def check_mapping(
    document: YamlDocument, name: str, *, validate: bool = True
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """A document that must be one mapping of schema ``name``: the mapping, or the problems.

    ``validate=False`` skips the schema (trusted built-in files) but not the shape check.
    """
    problems = check_document(document, name) if validate else []
    if not problems and not isinstance(document.data, dict):
        problems.append(document.problem((), f"expected a mapping describing one {name}"))
    return (None if problems else document.data), problems


def _leaf_errors(errors: Iterable[ValidationError]) -> Iterable[ValidationError]:
    """Replace ``oneOf``/``anyOf`` umbrella errors by their most relevant branch."""
    from jsonschema.exceptions import best_match

    for error in errors:
        if error.validator in ("oneOf", "anyOf") and error.context:
            yield best_match(error.context)
        else:
            yield error


def dotted(json_path: JsonPath) -> str:
    """``("tests", 0, "kind")`` as ``tests[0].kind``."""
    text = ""
    for part in json_path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _describe(document: YamlDocument, error: ValidationError) -> list[Problem]:
    json_path: JsonPath = tuple(error.absolute_path)
    where = dotted(json_path)
    prefix = f"{where}: " if where else ""
    kind = error.validator
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        patterns = error.schema.get("patternProperties", {})
        extras = [
            key for key in error.instance if key not in allowed and not _matches_any(key, patterns)
        ]
        return [
            document.problem((*json_path, key), f"{prefix}unknown field '{key}'", key=True)
            for key in extras
        ]
    if kind == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else error.message
        return [document.problem(json_path, f"{prefix}missing required field '{missing}'")]
    if kind == "type":
        expected = error.validator_value
        names = " or ".join(expected) if isinstance(expected, list) else str(expected)
        article = "an" if names[:1] in "aeiou" else "a"
        got = _json_type(error.instance)
        return [document.problem(json_path, f"{prefix}expected {article} {names}, got {got}")]
    if kind == "enum":
        options = ", ".join(repr(v) for v in error.validator_value)
        return [document.problem(json_path, f"{prefix}{error.instance!r} is not one of {options}")]
    if kind == "pattern" and "x-expected" in error.schema:
        return [
            document.problem(
                json_path, f"{prefix}{error.instance!r} is not {error.schema['x-expected']}"
            )
        ]
    if kind == "const":
        return [document.problem(json_path, f"{prefix}must be {error.validator_value!r}")]
    return [document.problem(json_path, f"{prefix}{error.message}")]


def _matches_any(key: str, patterns: dict[str, Any]) -> bool:
    import re

    return any(re.search(pattern, key) for pattern in patterns)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
