"""The CI detection tables: which tools and which dangerous patterns ``ci.workflows`` knows.

The tables are data, not code: ``data/ci_tools.yaml`` and ``data/ci_patterns.yaml`` in
the package, validated against the ``ci-tables`` JSON Schema. A workspace extends them
with its own files in ``ci-tables/*.yaml`` beside ``assay.toml`` (same schema); their
entries are added to the built-in ones. Every pattern is compiled when the tables load,
so a bad regular expression is reported with its file and line before anything is
collected; so is one that could take unbounded time (a repeat inside a repeat, a
backreference: see :mod:`pattern_rules`). Patterns run over windows of the text, so
their time grows linearly with it (see :mod:`scanning`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from assay.errors import InvalidInput, Problem, raise_if_problems
from assay.evidence.ci.pattern_rules import pattern_problem
from assay.evidence.ci.scanning import search
from assay.yamlfile import YamlDocument, load_yaml, parse_yaml, yaml_files

CATEGORIES = (
    "tests",
    "lint",
    "sast",
    "sca",
    "secrets",
    "sbom",
    "signing",
    "provenance",
    "iac",
    "dast",
    "accessibility",
    "model_evaluation",
    "deploy",
)
BUILTIN_FILES = ("ci_tools.yaml", "ci_patterns.yaml")
WORKSPACE_FOLDER = "ci-tables"
_FLAGS = re.IGNORECASE
_NEVER = re.compile(r"(?!)")


@dataclass(frozen=True)
class ToolRule:
    """One tool and the compiled patterns that reveal it."""

    name: str
    category: str
    uses: re.Pattern[str] | None = None
    run: re.Pattern[str] | None = None
    image: re.Pattern[str] | None = None
    template: re.Pattern[str] | None = None


@dataclass(frozen=True)
class ScriptRule:
    rule: str
    pattern: re.Pattern[str]
    message: str


@dataclass(frozen=True)
class WrapperRule:
    """A workspace's own wrapper command: the tools it runs, or a file to follow."""

    words: tuple[str, ...]
    tools: frozenset[tuple[str, str]]
    follow: bool
    #: ``file:line`` of the entry, shown as where its tools were found.
    origin: str


@dataclass(frozen=True)
class CiTables:
    """Compiled tables. Look-ups of the same text are cached (10,000 identical jobs cost one)."""

    tools: tuple[ToolRule, ...] = ()
    untrusted_inputs: re.Pattern[str] = _NEVER
    #: Context paths (``github.event.issue.title``, ``*`` for any element) outsiders control.
    untrusted_contexts: tuple[tuple[str, ...], ...] = ()
    privileged_triggers: frozenset[str] = frozenset()
    untrusted_refs: re.Pattern[str] = _NEVER
    checkout_actions: re.Pattern[str] = _NEVER
    script_rules: tuple[ScriptRule, ...] = ()
    wrappers: tuple[WrapperRule, ...] = ()
    _memo: dict[tuple[str, str], frozenset[tuple[str, str]]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def detect(self, where: str, text: str) -> frozenset[tuple[str, str]]:
        """(category, tool) pairs whose ``where`` patterns (uses/run/image/template) match."""
        key = (where, text)
        found = self._memo.get(key)
        if found is None:
            found = frozenset(
                (rule.category, rule.name)
                for rule in self.tools
                if (pattern := getattr(rule, where)) is not None and search(pattern, text)
            )
            if len(self._memo) < 100_000:
                self._memo[key] = found
        return found

    def is_checkout(self, action: str) -> bool:
        return search(self.checkout_actions, action) is not None

    def untrusted_input(self, expression: str) -> re.Match[str] | None:
        """The untrusted field an ``untrusted_inputs`` pattern finds in a context path's text."""
        return search(self.untrusted_inputs, expression)

    def untrusted_ref(self, text: str) -> bool:
        """Whether ``text`` names the pull request's own code."""
        return search(self.untrusted_refs, text) is not None


def _compile(
    document: YamlDocument,
    path: tuple[str | int, ...],
    patterns: Iterable[str],
    *,
    trusted: bool = False,
) -> tuple[re.Pattern[str] | None, list[Problem]]:
    """One pattern of the alternatives in ``patterns``; each is checked first (it compiles,
    and :func:`pattern_problem` accepts it) unless the tables are Assay's own, which a test
    checks the same way once instead of at every start."""
    problems: list[Problem] = []
    parts: list[str] = []
    for index, pattern in enumerate(patterns):
        if trusted:
            parts.append(f"(?:{pattern})")
            continue
        try:
            re.compile(pattern, _FLAGS)
            refused = pattern_problem(pattern)
        except re.error as exc:
            problems.append(document.problem((*path, index), f"invalid regular expression: {exc}"))
            continue
        if refused is not None:
            problems.append(document.problem((*path, index), f"regular expression {refused}"))
            continue
        parts.append(f"(?:{pattern})")
    if not parts:
        return None, problems
    return re.compile("|".join(parts), _FLAGS), problems


@dataclass
class _Builder:
    tools: list[ToolRule] = field(default_factory=list)
    untrusted_inputs: list[str] = field(default_factory=list)
    untrusted_contexts: list[tuple[str, ...]] = field(default_factory=list)
    privileged: set[str] = field(default_factory=set)
    untrusted_refs: list[str] = field(default_factory=list)
    checkout: list[str] = field(default_factory=list)
    script_rules: list[ScriptRule] = field(default_factory=list)
    wrappers: list[WrapperRule] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def add(self, document: YamlDocument, *, trusted: bool = False) -> None:
        """Add a table file's entries; ``trusted`` (Assay's own files only) skips the schema
        and pattern checks, which ``test_builtin_tables_pass_every_check`` runs instead."""
        if not trusted:
            from assay.schemas import check_document

            schema_problems = check_document(document, "ci-tables")
            if schema_problems or not isinstance(document.data, dict):
                self.problems.extend(schema_problems)
                return
        data: dict[str, Any] = document.data
        for index, tool in enumerate(data.get("tools", [])):
            compiled: dict[str, re.Pattern[str] | None] = {}
            for where in ("uses", "run", "image", "template"):
                pattern, found = _compile(
                    document, ("tools", index, where), tool.get(where, []), trusted=trusted
                )
                compiled[where] = pattern
                self.problems.extend(found)
            self.tools.append(ToolRule(tool["name"], tool["category"], **compiled))
        for key, target in (
            ("untrusted_inputs", self.untrusted_inputs),
            ("untrusted_refs", self.untrusted_refs),
            ("checkout_actions", self.checkout),
        ):
            for index, pattern in enumerate(data.get(key, [])):
                found = [] if trusted else _compile(document, (key, index), [pattern])[1]
                self.problems.extend(found)
                if not found:
                    target.append(pattern)
        for entry in data.get("untrusted_contexts", []):
            self.untrusted_contexts.append(tuple(part.lower() for part in entry.split(".")))
        self.privileged.update(data.get("privileged_triggers", []))
        for index, rule in enumerate(data.get("script_rules", [])):
            pattern, found = _compile(
                document, ("script_rules", index, "pattern"), [rule["pattern"]], trusted=trusted
            )
            self.problems.extend(found)
            if pattern is not None:
                self.script_rules.append(ScriptRule(rule["rule"], pattern, rule["message"]))
        for index, entry in enumerate(data.get("wrappers", [])):
            self._wrapper(document, index, entry)

    def _wrapper(self, document: YamlDocument, index: int, entry: dict[str, Any]) -> None:
        from assay.evidence.ci.commands import split_words, strip_prefixes

        words = strip_prefixes(split_words(entry["command"]))
        if not words:
            self.problems.append(
                document.problem(("wrappers", index, "command"), "names no command to match")
            )
            return
        tools = frozenset((t["category"], t["name"]) for t in entry.get("tools", []))
        line = document.locate(("wrappers", index))[0]
        self.wrappers.append(
            WrapperRule(words, tools, bool(entry.get("follow")), f"{document.path}:{line}")
        )

    def build(self) -> CiTables:
        raise_if_problems(self.problems, hint="fix the CI table files named above")

        def joined(patterns: list[str]) -> re.Pattern[str]:
            if not patterns:
                return _NEVER
            return re.compile("|".join(f"(?:{p})" for p in patterns), _FLAGS)

        return CiTables(
            tools=tuple(self.tools),
            untrusted_inputs=joined(self.untrusted_inputs),
            untrusted_contexts=tuple(dict.fromkeys(self.untrusted_contexts)),
            privileged_triggers=frozenset(self.privileged),
            untrusted_refs=joined(self.untrusted_refs),
            checkout_actions=joined(self.checkout),
            script_rules=tuple(self.script_rules),
            wrappers=tuple(self.wrappers),
        )


def _builtin_documents() -> list[YamlDocument]:
    package = resources.files("assay.evidence.ci.data")
    return [
        parse_yaml(package.joinpath(name).read_bytes(), f"assay/evidence/ci/data/{name}")
        for name in BUILTIN_FILES
    ]


@cache
def builtin_tables(*, checked: bool = False) -> CiTables:
    """The tables shipped with Assay (``checked``: through every check a workspace's own
    table files pass, as the test of the built-in files does)."""
    builder = _Builder()
    for document in _builtin_documents():
        builder.add(document, trusted=not checked)
    return builder.build()


def workspace_table_files(root: Path) -> list[Path]:
    """A workspace's own table files: ``ci-tables/*.yaml`` beside ``assay.toml``."""
    return list(yaml_files(root / WORKSPACE_FOLDER))


@lru_cache(maxsize=8)
def _load(extra: tuple[Path, ...], _stamps: tuple[tuple[int, int], ...]) -> CiTables:
    """Tables with ``extra`` files; ``_stamps`` (mtime, size) keys the cache to their content."""
    builder = _Builder()
    for document in _builtin_documents():
        builder.add(document, trusted=True)
    for path in extra:
        try:
            builder.add(load_yaml(path))
        except InvalidInput as exc:
            builder.problems.extend(exc.problems)
    return builder.build()


def load_tables(extra: Sequence[Path | str] = ()) -> CiTables:
    """The built-in tables plus the entries of ``extra`` table files (in order)."""
    if not extra:
        return builtin_tables()
    paths = tuple(Path(p) for p in extra)
    return _load(paths, tuple(_stamp(path) for path in paths))


def _stamp(path: Path) -> tuple[int, int]:
    try:
        info = path.stat()
    except OSError:
        return (0, -1)  # missing: load_yaml reports it
    return (info.st_mtime_ns, info.st_size)
