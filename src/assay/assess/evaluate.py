"""Expectations: facts in, ``pass`` or ``fail`` with plain sentences out.

A test's expectation is a JSON Schema over an evidence kind's facts. This module
compiles each expectation (and each ``unverifiable_when`` trigger) once, cached by
control and test, validates facts against it, and turns jsonschema's errors into
sentences a service team can act on:
``review_ratio is 0.82; it must be at least 0.95``. The test's ``explain`` template is
filled from the facts with ``{name}`` and ``{name.inner}`` placeholders only: facts come
from repositories and CI, so they must never reach attribute or index lookups.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assay.assess.model import Finding

if TYPE_CHECKING:
    from jsonschema import ValidationError
    from jsonschema.protocols import Validator

    from assay.controls.model import ControlTest

#: Longest rendering of one value inside a sentence.
MAX_SHOWN = 80
#: Longest text fact filled into a template, and longest filled template.
MAX_TEXT_SHOWN = 200
MAX_LINE = 600
#: At most this many sentences per test: the rest are counted.
MAX_REASONS = 8

_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: Format specs allowed in explain placeholders: alignment, sign, a small width and
#: precision, a numeric type. Anything else is ignored (a huge width could exhaust memory).
_SAFE_SPEC = re.compile(r"^[<>^]?[+\- ]?,?\d{0,2}(\.\d{1,2})?[%dfeEgGs]?$")


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking facts against one expectation."""

    passed: bool
    reasons: tuple[str, ...] = ()
    #: Top-level facts the failures were about (used to anchor findings to files).
    failed_facts: frozenset[str] = frozenset()


class Evaluator:
    """Compiles expectations once and checks facts against them.

    Validators are cached by (control id, test id): one library has one expectation per
    test, and an assessment of many services reuses every compiled validator.
    """

    def __init__(self) -> None:
        self._validators: dict[tuple[str, str], Validator] = {}

    def validator(self, control_id: str, test: ControlTest) -> Validator:
        key = (control_id, test.id)
        found = self._validators.get(key)
        if found is None:
            from assay.schemas import compile_schema

            found = compile_schema(test.expectation)
            self._validators[key] = found
        return found

    def unverifiable(self, control_id: str, test: ControlTest, facts: Mapping[str, Any]) -> bool:
        """Whether the facts match the test's ``unverifiable_when`` (``False`` without one)."""
        if test.unverifiable_when is None:
            return False
        key = (control_id, f"{test.id}#unverifiable_when")
        found = self._validators.get(key)
        if found is None:
            from assay.schemas import compile_schema

            found = compile_schema(test.unverifiable_when)
            self._validators[key] = found
        return bool(found.is_valid(facts))

    def evaluate(self, control_id: str, test: ControlTest, facts: Mapping[str, Any]) -> Verdict:
        errors = list(self.validator(control_id, test).iter_errors(facts))
        if not errors:
            return Verdict(True)
        return Verdict(False, tuple(explain_errors(errors)), failed_fact_names(errors))


def kind_problems(kind: str, facts: Any) -> list[str]:
    """Why ``facts`` do not match their kind's schema (empty when they do)."""
    from assay.evidence.kinds import kind_names, kind_validator

    if kind not in kind_names():
        return [f"evidence kind '{kind}' is unknown to this assay"]
    if not isinstance(facts, dict):
        return ["facts are not a JSON object"]
    errors = list(kind_validator(kind).iter_errors(facts))
    return explain_errors(errors)


# --------------------------------------------------------------------------- sentences


def explain_errors(errors: Iterable[ValidationError]) -> list[str]:
    """Plain sentences for jsonschema errors, without duplicates, at most :data:`MAX_REASONS`."""
    sentences: list[str] = []
    seen: set[str] = set()
    for error in sorted(errors, key=_error_order):
        for sentence in _sentences(error):
            if sentence not in seen:
                seen.add(sentence)
                sentences.append(sentence)
    if len(sentences) > MAX_REASONS:
        extra = len(sentences) - MAX_REASONS + 1
        sentences = [*sentences[: MAX_REASONS - 1], f"and {extra} more problems"]
    return sentences


def _error_order(error: ValidationError) -> tuple[str, str]:
    return (_name(tuple(error.absolute_path)), str(error.validator))


def failed_fact_names(errors: Iterable[ValidationError]) -> frozenset[str]:
    names: set[str] = set()
    for error in errors:
        path = tuple(error.absolute_path)
        if path:
            names.add(str(path[0]))
        elif error.validator == "required" and isinstance(error.instance, dict):
            names.update(n for n in error.validator_value if n not in error.instance)
    return frozenset(names)


def _name(path: tuple[str | int, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _sentences(error: ValidationError) -> Iterator[str]:
    path = tuple(error.absolute_path)
    name = _name(path) or "the facts"
    kind = error.validator
    value = error.instance
    rule = error.validator_value
    shown = f"{name} is {show(value)}"
    if kind == "required":
        for missing in rule:
            if isinstance(value, dict) and missing not in value:
                yield f"required fact {_name((*path, missing))} is missing"
        return
    simple = {
        "minimum": "at least",
        "maximum": "at most",
        "exclusiveMinimum": "more than",
        "exclusiveMaximum": "less than",
    }
    if kind in simple:
        yield f"{shown}; it must be {simple[kind]} {show(rule)}"
    elif kind == "const":
        yield f"{shown}; it must be {show(rule)}"
    elif kind == "enum":
        yield f"{shown}; it must be one of {_choices(rule)}"
    elif kind == "type":
        yield f"{name} is {_type_phrase(value)}; it must be {_wanted_type(rule)}"
    elif kind in ("minItems", "maxItems"):
        bound = "at least" if kind == "minItems" else "at most"
        yield f"{name} has {_count(value)}; it must have {bound} {rule}"
    elif kind in ("minLength", "maxLength"):
        bound = "at least" if kind == "minLength" else "at most"
        yield f"{name} is {len(value)} characters long; it must be {bound} {rule}"
    elif kind == "contains":
        yield _contains(name, value, error.schema)
    elif kind == "not":
        yield f"{shown}; it must not be {_describe_schema(rule)}"
    elif kind == "pattern":
        yield f"{shown}; it must match the pattern {show(rule)}"
    elif kind == "format":
        yield f"{shown}; it must be a valid {rule}"
    elif kind == "multipleOf":
        yield f"{shown}; it must be a multiple of {show(rule)}"
    elif kind == "uniqueItems":
        yield f"{name} has duplicate items"
    elif kind in ("anyOf", "oneOf") and error.context:
        yield _alternatives(name, shown, error)
    elif kind in ("additionalProperties", "unevaluatedProperties") and isinstance(value, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(k for k in value if k not in allowed)
        yield f"{name} has facts the expectation does not allow: {', '.join(extra) or '?'}"
    elif kind == "dependentRequired" and isinstance(value, dict):
        for fact, needs in rule.items():
            for need in needs:
                if fact in value and need not in value:
                    yield f"{_name((*path, fact))} needs {_name((*path, need))}, which is missing"
    elif kind is None or rule is False:
        where = f" at {_name(path)}" if path else ""
        yield f"the value {show(value)}{where} is not allowed by the expectation"
    else:
        yield f"{name}: {_clip(error.message)}"


def _contains(name: str, value: Any, schema: Mapping[str, Any]) -> str:
    inner = schema.get("contains", {})
    low = schema.get("minContains", 1)
    high = schema.get("maxContains")
    what = _describe_schema(inner) if isinstance(inner, dict) else "a matching item"
    if high is not None and low <= 1:
        return f"{name} has more than {high} items that are {what}"
    if isinstance(inner, dict) and "const" in inner and low == 1:
        return f"{name} does not include {show(inner['const'])}"
    if isinstance(inner, dict) and "enum" in inner and low == 1:
        return f"{name} includes none of {_choices(inner['enum'])}"
    if low != 1:
        return f"{name} must have at least {low} items that are {what}"
    return f"{name} has no item that is {what}"


def _alternatives(name: str, shown: str, error: ValidationError) -> str:
    branches: dict[int, str] = {}
    for sub in error.context or ():
        index = sub.schema_path[0] if sub.schema_path else 0
        if isinstance(index, int) and index not in branches:
            text = next(_sentences(sub), "")
            prefix = f"{shown}; "
            branches[index] = text.removeprefix(prefix)
    if error.validator == "oneOf" and not branches:  # pragma: no cover - context is set
        return f"{shown}; it matches more than one alternative"
    joined = ", or ".join(branches[i] for i in sorted(branches))
    return f"{shown}; {joined}" if joined else f"{shown}; it matches no allowed alternative"


def _describe_schema(schema: Any) -> str:
    if isinstance(schema, dict):
        if "const" in schema and len(schema) == 1:
            return show(schema["const"])
        if "enum" in schema and len(schema) == 1:
            return "one of " + _choices(schema["enum"])
    return "matching " + _clip(json.dumps(schema, sort_keys=True))


def _choices(values: Iterable[Any]) -> str:
    return ", ".join(show(v) for v in values)


def _count(value: Any) -> str:
    size = len(value) if isinstance(value, list) else 0
    return "1 item" if size == 1 else f"{size} items"


def _type_phrase(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {show(value)}"
    if isinstance(value, int | float):
        return f"the number {show(value)}"
    if isinstance(value, str):
        return f"the text {show(value)}"
    if isinstance(value, list):
        return "a list"
    return "an object"


_TYPE_WORDS = {
    "null": "null",
    "boolean": "true or false",
    "integer": "a whole number",
    "number": "a number",
    "string": "text",
    "array": "a list",
    "object": "an object",
}


def _wanted_type(rule: Any) -> str:
    names = [rule] if isinstance(rule, str) else list(rule)
    return " or ".join(_TYPE_WORDS.get(n, str(n)) for n in names)


def show(value: Any) -> str:
    """A fact value as it reads in a sentence: JSON spelling, clipped, no control characters."""
    if isinstance(value, str):
        return "'" + _clip(value) + "'"
    if isinstance(value, list) and len(value) > 5:
        return f"a list of {len(value)} items"
    try:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):
        text = type(value).__name__
    return _clip(text)


def _clip(text: str, limit: int = MAX_SHOWN) -> str:
    text = _CONTROL_CHARS.sub(" ", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------- explain


def fill_template(template: str, facts: Mapping[str, Any]) -> str:
    """Fill ``{name}`` and ``{name.inner}`` placeholders from facts; leave others as written.

    Only identifiers are looked up, only as keys of ``facts`` and of the objects inside it
    (never attributes or indexes), and format specs are honoured only when small and
    numeric.
    """
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        return _clip_line(template)
    out: list[str] = []
    for literal, field, spec, _conversion in parts:
        out.append(literal)
        if field is None:
            continue
        found, value = _lookup(facts, field)
        if not found:
            out.append("{" + field + (f":{spec}" if spec else "") + "}")
            continue
        out.append(_fact_text(value, spec or ""))
    return _clip_line("".join(out))


def _lookup(facts: Mapping[str, Any], field: str) -> tuple[bool, Any]:
    """The fact at a dotted path of identifiers, through JSON objects only."""
    value: Any = facts
    for part in field.split("."):
        if not part.isidentifier() or part.startswith("_"):
            return False, None
        if not isinstance(value, Mapping) or part not in value:
            return False, None
        value = value[part]
    return True, value


def _fact_text(value: Any, spec: str) -> str:
    numeric_or_text = isinstance(value, int | float | str) and not isinstance(value, bool)
    if spec and _SAFE_SPEC.match(spec) and numeric_or_text:
        try:
            return _clip(format(value, spec))
        except (ValueError, TypeError):
            pass
    if isinstance(value, str):
        # A sentence a collector wrote (what is missing, how to give it) reads whole.
        return _clip(value, MAX_TEXT_SHOWN)
    if isinstance(value, list):
        items = [_fact_text(item, "") for item in value[:10]]
        more = f" (and {len(value) - 10} more)" if len(value) > 10 else ""
        return ", ".join(items) + more if items else "none"
    return show(value)


def _clip_line(text: str) -> str:
    text = _CONTROL_CHARS.sub(" ", text)
    return text if len(text) <= MAX_LINE else text[: MAX_LINE - 1] + "…"


# --------------------------------------------------------------------------- anchors

#: A failing top-level fact -> the list of file-anchored items that explains it.
_ANCHOR_LISTS: dict[str, dict[str, str]] = {
    "ci.workflows": {
        "dangerous_patterns": "findings",
        "findings": "findings",
        "unpinned_actions": "unpinned_action_refs",
        "unpinned_action_refs": "unpinned_action_refs",
        "unpinned_images": "unpinned_image_refs",
        "unpinned_image_refs": "unpinned_image_refs",
    },
}


def anchored_findings(
    kind: str, facts: Mapping[str, Any], failed_facts: Iterable[str], repo: str | None
) -> tuple[Finding, ...]:
    """File-anchored findings behind a failure: what SARIF and annotations point at."""
    lists = _ANCHOR_LISTS.get(kind, {})
    sources = sorted({lists[name] for name in failed_facts if name in lists})
    found: list[Finding] = []
    for source in sources:
        items = facts.get(source)
        if not isinstance(items, list):
            continue
        for item in items:
            finding = _finding(source, item, repo)
            if finding is not None:
                found.append(finding)
    return tuple(found)


def _finding(source: str, item: Any, repo: str | None) -> Finding | None:
    if not isinstance(item, dict):
        return None
    file, line = item.get("file"), item.get("line")
    if not isinstance(file, str) or not isinstance(line, int) or line < 1:
        return None
    # Git allows any byte but NUL and / in a file name: a newline in one would let it
    # forge lines (GitHub workflow commands) in every output that shows the finding.
    file = _CONTROL_CHARS.sub("?", file)
    if source == "unpinned_action_refs":
        uses = _clip(str(item.get("uses", "")))
        message = f"action {uses} is not pinned to a full commit id"
        return Finding(file, line, message, "unpinned_action", repo)
    if source == "unpinned_image_refs":
        image = _clip(str(item.get("image", "")))
        message = f"image {image} is not pinned by digest"
        return Finding(file, line, message, "unpinned_image", repo)
    rule = _clip(str(item.get("rule", "finding")))
    return Finding(file, line, _clip_line(str(item.get("message", rule))), rule, repo)
