"""Loading and validating the control library.

The built-in library ships in ``assay/controls/library``; a workspace adds or
overrides controls from its own folders. Loading validates everything and
collects *every* problem before raising, so one run of ``assay library
validate`` lists them all.
"""

from __future__ import annotations

import hashlib
import json
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from assay.controls.model import Control
from assay.errors import InvalidInput, Problem, raise_if_problems
from assay.schemas import check_mapping
from assay.yamlfile import YamlDocument, parse_yaml, read_capped, yaml_files

BUILTIN_LABEL = "assay/controls/library"


@dataclass
class Library:
    """The controls in force, by id, with where each came from."""

    controls: dict[str, Control] = field(default_factory=dict)
    overridden: dict[str, str] = field(default_factory=dict)
    _digest: tuple[tuple[tuple[str, Control], ...], str] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __len__(self) -> int:
        return len(self.controls)

    def get(self, control_id: str) -> Control | None:
        return self.controls.get(control_id)

    def sorted(self) -> list[Control]:
        return [self.controls[key] for key in sorted(self.controls, key=control_sort_key)]

    @property
    def digest(self) -> str:
        """sha256 of the library's canonical JSON: identifies the exact rules applied.

        Remembered until the controls change (they are frozen, so the objects themselves
        are the library's state; holding them keeps their identities unique): a gate asks
        for it more than once.
        """
        state = tuple(self.controls.items())
        known = self._digest
        if (
            known is None
            or len(known[0]) != len(state)
            or not all(a[0] == b[0] and a[1] is b[1] for a, b in zip(known[0], state, strict=True))
        ):
            payload = [control.to_dict() for control in self.sorted()]
            canonical = json.dumps(
                payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False
            )
            known = (state, hashlib.sha256(canonical.encode("utf-8")).hexdigest())
            self._digest = known
        return known[1]


def control_sort_key(control_id: str) -> tuple[str, int, str]:
    prefix, _, number = control_id.partition("-")
    return (prefix, int(number) if number.isdigit() else 0, control_id)


def builtin_library_dir() -> Path:
    return Path(str(resources.files("assay.controls").joinpath("library")))


def load_library(
    extra_paths: Sequence[Path] = (),
    *,
    builtin: bool = True,
    display_root: Path | None = None,
    strict: bool = True,
) -> Library:
    """Load the built-in library plus the controls in ``extra_paths`` (folders or files).

    Controls in ``extra_paths`` override built-in controls with the same id. Raises
    :class:`InvalidInput` listing every problem found. Workspace controls are always
    checked in full; the built-in ones only when ``strict`` (the test suite checks them,
    and the checks cost more than the loading).
    """
    problems: list[Problem] = []
    library = Library()
    if builtin:
        builtin_dir = builtin_library_dir()
        layer = _load_layer(
            _files_in(builtin_dir),
            problems,
            lambda p: f"{BUILTIN_LABEL}/{p.name}",
            validate=strict,
        )
        library.controls.update(layer)
    extra_files: list[Path] = []
    for path in extra_paths:
        if path.is_dir():
            extra_files.extend(_files_in(path))
        else:
            extra_files.append(path)

    def label(path: Path) -> str:
        if display_root is not None:
            try:
                return str(path.resolve().relative_to(display_root.resolve()))
            except ValueError:
                pass
        return str(path)

    layer = _load_layer(extra_files, problems, label)
    for control_id, control in layer.items():
        if control_id in library.controls:
            library.overridden[control_id] = library.controls[control_id].source
        library.controls[control_id] = control
    raise_if_problems(problems)
    return library


def _files_in(folder: Path) -> list[Path]:
    return list(yaml_files(folder))


def _load_layer(
    files: Iterable[Path],
    problems: list[Problem],
    label: Any,
    *,
    validate: bool = True,
) -> dict[str, Control]:
    controls: dict[str, Control] = {}
    first_seen: dict[str, Problem] = {}
    for path in files:
        display = label(path)
        try:
            raw = read_capped(path, display)
            document = parse_yaml(raw, display)
        except InvalidInput as exc:
            problems.extend(exc.problems)
            continue
        control, found = parse_control(document, validate=validate)
        problems.extend(found)
        if control is None:
            continue
        where = document.problem(("id",), "")
        if control.id in controls:
            problems.append(
                Problem(
                    where.path,
                    where.line,
                    where.col,
                    f"duplicate control id {control.id} (also in {first_seen[control.id].path}"
                    f":{first_seen[control.id].line})",
                )
            )
            continue
        first_seen[control.id] = where
        controls[control.id] = control
    return controls


def parse_control(
    document: YamlDocument, *, validate: bool = True
) -> tuple[Control | None, list[Problem]]:
    """Validate one control document; return the control (when usable) and its problems."""
    data, problems = check_mapping(document, "control", validate=validate)
    if data is None:
        return None, problems
    test_ids: set[str] = set()
    for index, raw in enumerate(data["tests"]):
        test_id = raw.get("id", f"test-{index + 1}")
        if test_id in test_ids:
            problems.append(
                document.problem(("tests", index, "id"), f"duplicate test id '{test_id}'")
            )
        test_ids.add(test_id)
        if validate and not raw.get("manual"):
            problems.extend(check_expectation(document, index, raw["kind"], raw["expectation"]))
            problems.extend(_check_explain(document, index, raw["kind"], raw["explain"]))
            if "unverifiable_when" in raw:
                problems.extend(
                    check_expectation(
                        document,
                        index,
                        raw["kind"],
                        raw["unverifiable_when"],
                        key="unverifiable_when",
                    )
                )
                problems.extend(
                    _check_explain(
                        document,
                        index,
                        raw["kind"],
                        raw.get("unverifiable_explain", ""),
                        key="unverifiable_explain",
                    )
                )
    try:
        control = Control.from_dict(data, source=document.path)
    except ValueError as exc:  # a freshness the schema's pattern admits but is out of range
        problems.append(document.problem(("freshness",), str(exc)))
        return None, problems
    return (control if not problems else None), problems


def check_expectation(
    document: YamlDocument,
    index: int,
    kind: str,
    expectation: dict[str, Any],
    *,
    key: str = "expectation",
) -> list[Problem]:
    """An expectation must be valid JSON Schema and name only facts the kind defines.

    ``key="unverifiable_when"`` checks a test's unverifiable trigger the same way, except
    that it may name facts the kind does not (yet) define: the trigger can only withhold a
    verdict, never give one, and evidence from collectors that predate those facts simply
    never matches it.
    """
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    from assay.evidence.kinds import kind_names, read_schema

    base = ("tests", index)
    if kind not in kind_names():
        known = ", ".join(kind_names())
        return [
            document.problem((*base, "kind"), f"unknown evidence kind '{kind}' (known: {known})")
        ]
    problems: list[Problem] = []
    try:
        Draft202012Validator.check_schema(expectation)
    except SchemaError as exc:
        where = (*base, key, *tuple(exc.path))
        problems.append(document.problem(where, f"{key} is not a valid JSON Schema: {exc.message}"))
        return problems
    for json_path, reason in _slow_patterns(expectation, ()):
        problems.append(
            document.problem((*base, key, *json_path), f"{key}'s regular expression {reason}")
        )
    if key != "expectation":
        return problems
    for json_path, name in _unknown_facts(expectation, read_schema(kind), ()):
        problems.append(
            document.problem(
                (*base, key, *json_path),
                f"expectation names '{name}', which evidence kind '{kind}' does not have",
                key=True,
            )
        )
    return problems


def _slow_patterns(
    schema: Any, json_path: tuple[str | int, ...]
) -> Iterable[tuple[tuple[str | int, ...], str]]:
    """``pattern`` values and ``patternProperties`` keys that could hang an assessment.

    They run over facts a repository wrote, so they follow the CI tables' rule (no repeat
    inside a repeat, no backreference: :mod:`assay.evidence.ci.pattern_rules`).
    """
    if isinstance(schema, list):
        for index, item in enumerate(schema):
            yield from _slow_patterns(item, (*json_path, index))
        return
    if not isinstance(schema, dict):
        return
    for key, value in schema.items():
        where = (*json_path, key)
        if key == "pattern" and isinstance(value, str):
            reason = _pattern_problem(value)
            if reason is not None:
                yield where, reason
        elif key == "patternProperties" and isinstance(value, dict):
            for name, sub in value.items():
                reason = _pattern_problem(name)
                if reason is not None:
                    yield (*where, name), reason
                yield from _slow_patterns(sub, (*where, name))
        elif key not in ("const", "enum", "default", "examples"):
            yield from _slow_patterns(value, where)


def _pattern_problem(pattern: str) -> str | None:
    import re

    from assay.evidence.ci.pattern_rules import pattern_problem

    try:
        return pattern_problem(pattern)
    except re.error:
        return None  # not a Python regular expression: check_schema has its say


def _unknown_facts(
    expectation: Any, schema: Mapping[str, Any], json_path: tuple[str | int, ...]
) -> Iterable[tuple[tuple[str | int, ...], str]]:
    """Property names used in ``expectation`` that ``schema`` does not define."""
    if not isinstance(expectation, dict):
        return
    known: dict[str, Any] = schema.get("properties", {})
    closed = schema.get("additionalProperties") is False
    for name, sub in expectation.get("properties", {}).items():
        if name not in known:
            if closed:
                yield (*json_path, "properties", name), _dotted_name(json_path, name)
            continue
        yield from _unknown_facts(sub, known[name], (*json_path, "properties", name))
    for position, name in enumerate(expectation.get("required", [])):
        if closed and isinstance(name, str) and name not in known:
            yield (*json_path, "required", position), _dotted_name(json_path, name)
    items_schema = schema.get("items")
    if isinstance(items_schema, dict):
        for keyword in ("items", "contains"):
            if keyword in expectation:
                yield from _unknown_facts(expectation[keyword], items_schema, (*json_path, keyword))
    for keyword in ("allOf", "anyOf", "oneOf"):
        for position, sub in enumerate(expectation.get(keyword, [])):
            yield from _unknown_facts(sub, schema, (*json_path, keyword, position))
    for keyword in ("not", "if", "then", "else"):
        if keyword in expectation:
            yield from _unknown_facts(expectation[keyword], schema, (*json_path, keyword))


def _dotted_name(json_path: tuple[str | int, ...], name: str) -> str:
    parents = [
        str(json_path[i + 1]) for i, part in enumerate(json_path[:-1]) if part == "properties"
    ]
    return ".".join([*parents, name])


def _check_explain(
    document: YamlDocument, index: int, kind: str, template: str, *, key: str = "explain"
) -> list[Problem]:
    """Placeholders must be fact names, or dotted paths into object facts (``{a.b}``).

    An ``explain`` may name only facts the kind defines; an ``unverifiable_explain`` may
    name facts newer collectors add (as its trigger may), and a placeholder with no value
    is shown as written.
    """
    from assay.evidence.kinds import kind_names, read_schema

    if kind not in kind_names():
        return []
    where = ("tests", index, key)
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(template) if name]
    except ValueError as exc:
        return [document.problem(where, f"{key} template is malformed: {exc}")]
    schema = read_schema(kind)
    problems = []
    for name in fields:
        parts = name.split(".")
        if not all(part.isidentifier() and not part.startswith("_") for part in parts):
            problems.append(
                document.problem(
                    where,
                    f"{key} placeholder {{{name}}} must be a fact name or a dotted path of them",
                )
            )
        elif key == "explain" and not _fact_path_known(schema, parts):
            problems.append(
                document.problem(where, f"{key} placeholder {{{name}}} is not a fact of '{kind}'")
            )
    return problems


def _fact_path_known(schema: Mapping[str, Any], parts: list[str]) -> bool:
    """Whether the kind's schema defines the fact at ``parts`` (open objects admit any)."""
    node: Any = schema
    for part in parts:
        if not isinstance(node, dict):
            return False
        properties = node.get("properties")
        if not isinstance(properties, dict):
            return node.get("type") == "object" and node.get("additionalProperties") is not False
        if part not in properties:
            return False
        node = properties[part]
    return True
