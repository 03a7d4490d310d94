"""A GitLab pipeline's jobs as GitLab expands them: files merged, ``extends:`` and ``!reference``.

GitLab builds each job's final configuration in this order, and so does :class:`Expansion`:

1. **files**: the included files, then the root file, are merged key by key, hashes
   deep-merged and everything else replaced, so the root file wins;
2. **extends**: a job's parents (one name or a list, hidden ``.template`` jobs or
   visible ones, from any file of the pipeline) are expanded first, merged in the order
   listed (a later parent wins), then the job's own keys on top. Hashes are deep-merged;
   arrays and scalars are replaced, never concatenated. GitLab refuses more than
   :data:`MAX_EXTENDS_DEPTH` levels, a cycle and an unknown parent: each is an
   ``invalid_definition`` finding at the ``extends:`` line, and the rest still resolves;
3. **!reference**: ``!reference [.job, key, ...]`` is replaced by that value of the
   *extended* job (or of a top-level keyword); a reference that yields a list inside a
   list (a script, ``rules:``) is spliced into it. A referenced value may hold
   references itself, up to :data:`MAX_REFERENCE_DEPTH` levels; deeper or circular
   references, and references to nothing, are findings;
4. **default**: ``before_script``, ``after_script``, ``image`` and ``services`` come from
   ``default:`` (or the older top-level keywords) when the job has none, unless its
   ``inherit: default:`` says otherwise.

Every string keeps the file and line it was written at (:class:`Text`), so a script line
that reached a job through ``extends`` or ``!reference`` is reported where it is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from assay.evidence.ci.definitions import Finding
from assay.yamlfile import JsonPath, YamlDocument

MAX_EXTENDS_DEPTH = 11
MAX_REFERENCE_DEPTH = 10
#: List items that ``!reference`` splicing may produce in one pipeline.
MAX_EXPANDED_ITEMS = 100_000
DEFAULT_KEYS = ("before_script", "after_script", "image", "services")
KEYWORDS = frozenset(
    {
        "default",
        "include",
        "stages",
        "variables",
        "workflow",
        "image",
        "services",
        "cache",
        "before_script",
        "after_script",
        "types",
        "spec",
    }
)
_RULE = "invalid_definition"


@dataclass
class LoadedFile:
    """A pipeline file read from git: parsed, or the reason it could not be."""

    path: str
    document: YamlDocument | None
    text: str
    error: Finding | None = None

    @cached_property
    def lines(self) -> list[str]:
        """The text's lines, split once (a file of thousands of jobs reads them per job)."""
        return self.text.splitlines()


class Text(str):
    """A string from a pipeline file, with the file and line it is written at."""

    file: str
    line: int

    def __new__(cls, value: str, file: str, line: int) -> Text:
        made = super().__new__(cls, value)
        made.file = file
        made.line = line
        return made


@dataclass(frozen=True)
class Reference:
    """An unresolved ``!reference [name, key, ...]``."""

    names: tuple[str, ...]
    file: str
    line: int

    def shown(self) -> str:
        return f"!reference [{', '.join(self.names)}]"


def annotate(document: YamlDocument, value: Any, path: JsonPath) -> Any:
    """``value`` with its strings as :class:`Text` and its ``!reference`` lists as
    :class:`Reference` (a malformed one becomes None)."""
    tag = document.tags.get(path)
    if tag == "!reference":
        line = document.locate(path)[0]
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return Reference(tuple(value), document.path, line)
        return None
    if isinstance(value, dict):
        return {key: annotate(document, item, (*path, key)) for key, item in value.items()}
    if isinstance(value, list):
        return [annotate(document, item, (*path, index)) for index, item in enumerate(value)]
    if isinstance(value, str):
        return Text(value, document.path, document.locate(path)[0])
    return value


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """GitLab's merge: hashes merged key by key, anything else in ``over`` replaces."""
    merged = dict(base)
    for key, value in over.items():
        old = merged.get(key)
        merged[key] = (
            deep_merge(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
        )
    return merged


def names_in(value: Any) -> list[str]:
    """``extends:`` as a list of names (one name, or a list of them)."""
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return [item for item in items if isinstance(item, str)]


class Expansion:
    """The jobs of one pipeline (its files in include order, the root first)."""

    def __init__(self, files: Iterable[LoadedFile]) -> None:
        ordered = list(files)
        self.findings: list[Finding] = []
        self.globals: dict[str, Any] = {}
        self.raw: dict[str, dict[str, Any]] = {}
        #: The file that defines each job last (the root file wins).
        self.home: dict[str, LoadedFile] = {}
        self._expanded: dict[str, dict[str, Any]] = {}
        self._references: dict[tuple[str, ...], Any] = {}
        self._active: set[tuple[str, ...]] = set()
        self._budget = MAX_EXPANDED_ITEMS
        for loaded in [*ordered[1:], *ordered[:1]]:
            document = loaded.document
            if document is None or not isinstance(document.data, dict):
                continue
            for name, value in document.data.items():
                annotated = annotate(document, value, (name,))
                if name in KEYWORDS:
                    old = self.globals.get(name)
                    if isinstance(old, dict) and isinstance(annotated, dict):
                        annotated = deep_merge(old, annotated)
                    self.globals[name] = annotated
                elif isinstance(annotated, dict):
                    self.raw[name] = deep_merge(self.raw.get(name, {}), annotated)
                    self.home[name] = loaded

    def jobs(self) -> list[str]:
        """Visible jobs (hidden ``.name`` ones are templates), in definition order."""
        return [name for name in self.raw if not name.startswith(".")]

    def finding(self, where: Any, message: str, fallback: str = "") -> None:
        file = getattr(where, "file", fallback)
        line = getattr(where, "line", 1)
        self.findings.append(Finding(file, max(line, 1), _RULE, message))

    # ------------------------------------------------------------------ extends

    def expanded(self, name: str) -> dict[str, Any]:
        """The job with its ``extends:`` applied (an unknown job is empty)."""
        found = self._expanded.get(name)
        if found is None:
            found = self._expand(name, ())
        return found

    def _expand(self, name: str, chain: tuple[str, ...]) -> dict[str, Any]:
        job = self.raw.get(name, {})
        declared = job.get("extends")
        result: dict[str, Any] = {}
        home = self.home[name].path if name in self.home else ""
        for parent in names_in(declared):
            if parent not in self.raw:
                self.finding(parent, f"job {name} extends {parent}, which is not defined", home)
            elif parent == name or parent in chain:
                cycle = " -> ".join([*chain, name, parent])
                self.finding(parent, f"extends forms a cycle: {cycle}", home)
            elif len(chain) + 1 >= MAX_EXTENDS_DEPTH:
                self.finding(
                    parent,
                    f"job {name}: extends nests more than {MAX_EXTENDS_DEPTH} levels, "
                    "which GitLab refuses; the deeper levels are not read",
                    home,
                )
            else:
                base = self._expanded.get(parent)
                if base is None:
                    base = self._expand(parent, (*chain, name))
                result = deep_merge(result, base)
        result = deep_merge(result, {k: v for k, v in job.items() if k != "extends"})
        self._expanded[name] = result
        return result

    # ------------------------------------------------------------------ !reference

    def resolve(self, value: Any, depth: int = 0) -> Any:
        """``value`` with every ``!reference`` replaced by what it names."""
        if isinstance(value, Reference):
            return self._dereference(value, depth)
        if isinstance(value, dict):
            return {key: self.resolve(item, depth) for key, item in value.items()}
        if isinstance(value, list):
            out: list[Any] = []
            for item in value:
                found = self.resolve(item, depth)
                spliced = (
                    found if isinstance(item, Reference) and isinstance(found, list) else [found]
                )
                if len(spliced) > self._budget:
                    if self._budget >= 0:
                        self.finding(
                            item,
                            f"!reference tags expand to more than {MAX_EXPANDED_ITEMS:,} "
                            "items; the rest are not read",
                        )
                    self._budget = -1
                    break
                self._budget -= len(spliced)
                out.extend(spliced)
            return out
        return value

    def _dereference(self, reference: Reference, depth: int) -> Any:
        key = reference.names
        if key in self._references:
            return self._references[key]
        if depth >= MAX_REFERENCE_DEPTH or key in self._active:
            self.finding(
                reference,
                f"{reference.shown()} is circular or nested more than "
                f"{MAX_REFERENCE_DEPTH} levels deep, which GitLab refuses",
            )
            return None
        head, *rest = key
        target: Any = self.expanded(head) if head in self.raw else self.globals.get(head)
        for part in rest:
            target = target.get(part) if isinstance(target, dict) else None
        if target is None:
            self.finding(reference, f"{reference.shown()} names nothing that is defined")
            self._references[key] = None
            return None
        self._active.add(key)
        try:
            resolved = self.resolve(target, depth + 1)
        finally:
            self._active.discard(key)
        self._references[key] = resolved
        return resolved

    # ------------------------------------------------------------------ values

    def value(self, name: str, key: str) -> Any:
        """The job's final ``key``: extended, references resolved, default applied."""
        job = self.expanded(name)
        if key in job:
            return self.resolve(job[key])
        if key in DEFAULT_KEYS and _inherits_default(job.get("inherit"), key):
            default = self.globals.get("default")
            if isinstance(default, dict) and key in default:
                return self.resolve(default[key])
            if key in self.globals:
                return self.resolve(self.globals[key])
        return None

    def script(self, name: str, key: str) -> list[Text]:
        """The job's script lines for ``key``, nested lists flattened as GitLab does."""
        home = self.home[name].path if name in self.home else ""
        lines: list[Text] = []
        _flatten(self.value(name, key), lines, home, 0)
        return lines

    def workflow_rules(self) -> Any:
        workflow = self.resolve(self.globals.get("workflow"))
        return workflow.get("rules") if isinstance(workflow, dict) else None


def _flatten(value: Any, into: list[Text], home: str, depth: int) -> None:
    if isinstance(value, Text):
        into.append(value)
    elif isinstance(value, str):
        into.append(Text(value, home, 1))
    elif isinstance(value, list) and depth <= MAX_REFERENCE_DEPTH:
        for item in value:
            _flatten(item, into, home, depth + 1)


def _inherits_default(inherit: Any, key: str) -> bool:
    setting = inherit.get("default", True) if isinstance(inherit, dict) else True
    if isinstance(setting, list):
        return key in setting
    return setting is not False
