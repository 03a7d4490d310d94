"""Evidence kinds: the contract of each kind's facts, one JSON Schema (draft 2020-12) per kind.

Every ``<kind>.schema.json`` file in this package defines one of Assay's own kinds
(:data:`BUILTIN_KINDS`); adding one means adding a file (and its example and docs, which the
tests demand) and listing it in the ``assay.kinds`` entry-point group. Plugins add kinds
through the same group (:mod:`assay.evidence.kinds.plugins`). Collectors must produce facts
valid against their kind's schema, and control expectations may only name facts it defines.

``python -m assay.evidence.kinds`` prints the reference page of the built-in kinds,
docs/evidence-kinds.md.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from assay.evidence.kinds.plugins import KIND_GROUP, plugin_schemas
from assay.schemas.markdown import anchor as _anchor
from assay.schemas.markdown import cell as _cell
from assay.schemas.markdown import schema_rows

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

__all__ = [
    "BUILTIN_KINDS",
    "KIND_GROUP",
    "SCHEMA_SUFFIX",
    "fact_names",
    "kind_names",
    "kind_schema",
    "kind_trust",
    "kind_validator",
    "read_schema",
    "reload_kinds",
    "render_markdown",
    "required_facts",
]

SCHEMA_SUFFIX = ".schema.json"


def _discover() -> tuple[str, ...]:
    root = resources.files(__name__)
    found = (
        entry.name.removesuffix(SCHEMA_SUFFIX)
        for entry in root.iterdir()
        if entry.is_file() and entry.name.endswith(SCHEMA_SUFFIX)
    )
    return tuple(sorted(found))


#: Assay's own kinds, one per schema file in this package.
BUILTIN_KINDS: tuple[str, ...] = _discover()


@cache
def _plugins() -> dict[str, dict[str, Any]]:
    return plugin_schemas(BUILTIN_KINDS, __name__, SCHEMA_SUFFIX)


@cache
def kind_names() -> tuple[str, ...]:
    """Every known kind, built-in or from a plugin, sorted.

    Raises :class:`assay.errors.CollectorError` when a kind plugin cannot be used.
    """
    return tuple(sorted((*BUILTIN_KINDS, *_plugins())))


def reload_kinds() -> None:
    """Look at the ``assay.kinds`` entry points again (a plugin installed in this process)."""
    _plugins.cache_clear()
    kind_names.cache_clear()
    _load.cache_clear()
    kind_validator.cache_clear()


@cache
def _load(name: str) -> dict[str, Any]:
    if name in BUILTIN_KINDS:
        text = resources.files(__name__).joinpath(name + SCHEMA_SUFFIX).read_text(encoding="utf-8")
        schema: dict[str, Any] = json.loads(text)
        return schema
    plugins = _plugins()
    if name not in plugins:
        known = ", ".join(kind_names())
        raise KeyError(f"unknown evidence kind {name!r}; known kinds: {known}")
    return plugins[name]


def kind_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of kind ``name``'s facts (a private copy; the parsed file is cached).

    Raises :class:`KeyError` for an unknown kind.
    """
    return copy.deepcopy(_load(name))


def kind_trust(name: str) -> str:
    """``self-reported`` when the kind's schema says so (``"x-trust"``), else ``tested``.

    An unknown kind claims nothing about its source (its records are unreadable anyway).
    """
    try:
        declared = _load(name).get("x-trust")
    except KeyError:
        return "tested"
    return "self-reported" if declared == "self-reported" else "tested"


#: What a kind's age is measured from (``"x-age"`` in its schema).
AGES = ("event", "state")


def kind_age(name: str) -> str:
    """What the age of kind ``name``'s evidence runs from: ``event`` or ``state``.

    ``event`` (a test run, a scan, an evaluation, a CI run, a report): the evidence is as
    old as the time it describes, ``observed_at``; collecting it again never makes it
    fresher. ``state`` (what a repository holds at the branch head): as old as its latest
    ledger entry, since each collection of the head confirms it again. A kind that does not
    declare it (or an unknown kind) is ``event``, the stricter reading.
    """
    try:
        declared = _load(name).get("x-age")
    except KeyError:
        return "event"
    return "state" if declared == "state" else "event"


def fact_names(kind: str) -> frozenset[str]:
    """The top-level fact names of kind ``kind``. Raises :class:`KeyError` for an unknown kind."""
    properties: dict[str, Any] = _load(kind)["properties"]
    return frozenset(properties)


def required_facts(kind: str) -> frozenset[str]:
    """The top-level facts every record of ``kind`` carries. Raises :class:`KeyError`."""
    return frozenset(_load(kind).get("required", ()))


def read_schema(kind: str) -> Mapping[str, Any]:
    """The cached schema of ``kind`` itself, for callers that only read it (no copy).

    Raises :class:`KeyError` for an unknown kind; use :func:`kind_schema` to modify a copy.
    """
    return _load(kind)


@cache
def kind_validator(name: str) -> Validator:
    """A compiled, cached draft 2020-12 validator (formats checked) for kind ``name``'s facts."""
    from jsonschema import Draft202012Validator

    validator: Validator = Draft202012Validator(
        _load(name), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    return validator


# --------------------------------------------------------------------------- documentation

_HEADER = """\
<!-- Generated: python -m assay.evidence.kinds > docs/evidence-kinds.md (do not edit by hand) -->

# Evidence kinds

Every piece of evidence Assay stores has a *kind* and *facts*: a JSON object that must be
valid against the kind's JSON Schema (draft 2020-12), shipped in the package as
`assay/evidence/kinds/<kind>.schema.json`. A control's test names a kind and an
*expectation*, a JSON Schema over those facts; an expectation may only name facts the kind
defines. This page is generated from the schemas, so it is always the current contract.
It lists Assay's own kinds; plugins add theirs through the `assay.kinds` entry-point group
(see [adding an evidence kind](collectors.md#adding-an-evidence-kind)).

## Conventions

- Facts describe the subject (a commit, a branch, a pipeline run, a service), never the act
  of collecting: no collection time and no machine-specific path appears in them. The same
  input therefore always gives the same facts, and the same evidence id.
- Counts are integers of at least 0. Ratios are numbers from 0 to 1. A ratio over nothing
  (no change sets, no tests, no tags) is 1, so an expectation that needs activity should
  also set a minimum on the matching count, e.g. `change_sets` minimum 1.
- Times are UTC, ISO 8601 `date-time`; calendar dates are `YYYY-MM-DD`. Periods end at the
  subject's own time (a history window ends at the head commit), not at the clock.
- Each kind says what its age runs from (`"x-age"` in its schema, shown under each kind
  below). *event*: the evidence is as old as the time it describes (`observed_at`: the
  test run, the scan, the evaluation, the CI run, the report), and collecting it again
  never makes it fresher. *state*: what a repository holds at the branch head; each
  collection of the head confirms it again, so it is as old as its latest ledger entry. A
  kind that does not say is *event*.
- Lists that could grow large are capped (the type column shows the cap); the counts beside
  them always cover every item.
- `minimum`, `maximum` and most other keywords ignore `null`. Where a fact can be null and
  null must fail, say so in the expectation: `{"type": "number", "minimum": 0.8}`.
- Nested facts are written with dots (`files.codeowners.present`); `[]` marks the items of
  a list (`tags[].signed`).

An expectation that every change set on the branch was reviewed, at least 80% of the commits
signed by their developers (not by the code host), on a full clone:

```json
{
  "properties": {
    "change_sets": {"minimum": 1},
    "review_ratio": {"minimum": 1},
    "developer_signed_ratio": {"minimum": 0.8},
    "shallow": {"const": false}
  },
  "required": ["change_sets", "review_ratio", "developer_signed_ratio", "shallow"]
}
```
"""


def render_markdown() -> str:
    """The evidence kinds reference page (docs/evidence-kinds.md), generated from the schemas."""
    parts = [_HEADER, "## Kinds\n"]
    parts.extend(
        f"- [{kind}](#{_anchor(kind)}): {len(fact_names(kind))} facts" for kind in BUILTIN_KINDS
    )
    parts.append("")
    for kind in BUILTIN_KINDS:
        schema = _load(kind)
        parts.append(f"## {kind}\n")
        parts.append(_cell(schema["description"]) + "\n")
        parts.append(f"Schema id: `{schema['$id']}`; age from: {kind_age(kind)}\n")
        parts.append("| Fact | Type | Required | Description |")
        parts.append("|---|---|---|---|")
        parts.extend(schema_rows(schema))
        parts.append("")
    return "\n".join(parts)
