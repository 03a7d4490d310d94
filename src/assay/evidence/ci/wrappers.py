"""Following wrapper commands one level into the files they run.

Projects seldom name their test runner in CI: a step says ``make ci``, ``tox -e py311``,
``nox -s tests``, ``npm test``, ``./scripts/test`` or ``just test``, and the runner is in
the file that command reads. :class:`Follower` reads that file **at the same commit**
from git objects (see :mod:`treefiles`), finds the commands it runs (see
:mod:`wrapper_make`, :mod:`wrapper_python`, :mod:`wrapper_node`), and classifies them
with the same tool tables as a CI script line. Each step keeps a record
(:class:`WrapperRead`): which file was read, which tool was found at which line.

Rules:

- **one level**: a command inside a wrapper's file that is itself a wrapper (``make ci``
  whose recipe runs ``./scripts/test.sh``, or ``$(MAKE) test``) is not followed; it is
  listed as not followed and only its own text is classified (``npm run test:unit``
  still names a test runner by its words);
- **the file decides**: when the wrapper's file is read, the tools come from the
  commands in it, not from the wrapper's name (``make test`` whose recipe only lints is
  lint); when it cannot be read (no such file, target or script, over the size cap, a
  link out of the repository), the command's own words are classified as before;
- **a script path** (``./scripts/test``, ``ci/run.sh``, ``bash scripts/ci.sh``) is
  followed only when its words name no tool themselves (``./gradlew test`` and
  ``vendor/bin/phpunit`` are tools, not wrappers) and it is a shell script;
- **workspace wrappers**: the CI tables' ``wrappers:`` entries name more commands, each
  either with the tools it runs, or ``follow: true`` to read the named file as a shell
  script; they are matched before the built-in wrappers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from assay.evidence.ci.commands import Command, commands
from assay.evidence.ci.scanning import search
from assay.evidence.ci.tables import CiTables, WrapperRule
from assay.evidence.ci.treefiles import Body, TreeFiles
from assay.evidence.ci.wrapper_make import SHELLS, just_body, make_body, script_body
from assay.evidence.ci.wrapper_node import MANAGERS, npm_body, script_name
from assay.evidence.ci.wrapper_python import hatch_body, nox_body, tox_body

MAX_TOOLS = 50
MAX_NESTED = 20
NESTED = "a wrapper inside a wrapper is not followed (one level only)"
_MAKE = frozenset({"make", "gmake", "$(MAKE)", "${MAKE}"})
#: Text that could hold a built-in wrapper; anything else skips command parsing.
_MAYBE = re.compile(
    r"\b(?:g?make|just|tox|nox|npm|yarn|pnpm|bun|hatch|sh|bash|zsh|dash|ksh|cd|pushd)\b"
    r"|/|\.(?:sh|bash)\b|MAKE"
)


@dataclass(frozen=True)
class ToolSite:
    """A tool found in a wrapper's file."""

    category: str
    name: str
    file: str
    line: int


@dataclass(frozen=True)
class Nested:
    """A wrapper command inside a wrapper's file: not followed."""

    command: str
    file: str
    line: int


@dataclass(frozen=True)
class WrapperRead:
    """What following one wrapper command found."""

    command: str
    kind: str
    file: str | None
    tools: tuple[ToolSite, ...] = ()
    nested: tuple[Nested, ...] = ()
    #: Why the wrapper's file was not read; its own words were classified instead.
    problem: str | None = None

    @property
    def followed(self) -> bool:
        return self.problem is None

    def summary(self) -> str:
        """One line: ``make ci -> pytest at Makefile:12; ...``."""
        if self.problem is not None:
            return f"{self.command}: not read ({self.problem})"
        parts = [f"{t.name} at {t.file}:{t.line}" for t in self.tools] or ["no known tool"]
        shown = f"{self.command} -> {', '.join(parts)}"
        for nested in self.nested:
            shown += f"; {nested.command} at {nested.file}:{nested.line} not followed"
        return shown


class Follower(Protocol):
    def classify(self, text: str) -> tuple[frozenset[tuple[str, str]], list[WrapperRead]]: ...


Reader = Callable[[], Body | None]


class WrapperFollower:
    """Classifies script text, following its wrapper commands into their files."""

    def __init__(self, files: TreeFiles, tables: CiTables) -> None:
        self.files = files
        self.tables = tables
        self._reads: dict[tuple[str, str, tuple[str, ...]], WrapperRead | None] = {}

    def classify(self, text: str) -> tuple[frozenset[tuple[str, str]], list[WrapperRead]]:
        """(category, tool) pairs the text runs, and a record of each wrapper met."""
        if not self._may_wrap(text):
            return self.tables.detect("run", text), []
        tools: set[tuple[str, str]] = set()
        reads: list[WrapperRead] = []
        plain: list[str] = []
        for command in commands(text):
            read = self._follow(command)
            if read is None:
                plain.append(command.text)
                continue
            reads.append(read)
            if read.followed:
                tools |= {(site.category, site.name) for site in read.tools}
            else:
                plain.append(command.text)
        if not any(read.followed for read in reads):
            return self.tables.detect("run", text), reads
        return frozenset(tools | self.tables.detect("run", "\n".join(plain))), reads

    def _may_wrap(self, text: str) -> bool:
        if search(_MAYBE, text) is not None:
            return True
        return any(rule.words[0] in text for rule in self.tables.wrappers)

    def _follow(self, command: Command) -> WrapperRead | None:
        if command.folder is None:
            return None
        key = (command.folder, command.text, command.words)
        if key in self._reads:
            return self._reads[key]
        found = self._match(command)
        read = None if found is None else self._read(command, *found)
        if len(self._reads) < 10_000:
            self._reads[key] = read
        return read

    def _match(self, command: Command) -> tuple[str, Reader] | None:
        """The wrapper kind of ``command`` and how to read it, or None."""
        words, folder, files = command.words, command.folder or "", self.files
        rule = self._workspace_rule(words)
        if rule is not None:
            return "workspace", lambda: self._workspace_body(rule, folder, words)
        head, args = words[0], words[1:]
        if head in _MAKE:
            return "make", lambda: make_body(files, folder, args)
        if head == "just":
            return "just", lambda: just_body(files, folder, args)
        if head == "tox":
            return "tox", lambda: tox_body(files, folder, args)
        if head == "nox":
            return "nox", lambda: nox_body(files, folder, args)
        if head in MANAGERS and script_name(head, args)[0] is not None:
            return head, lambda: npm_body(files, folder, head, args)
        if head == "hatch" and len(args) >= 2 and args[0] == "run":
            return "hatch", lambda: hatch_body(files, folder, args[1])
        if head in SHELLS and args and not args[0].startswith("-"):
            return "script", lambda: script_body(files, folder, args[0], through_shell=True)
        looks_like_path = "/" in head or head.endswith((".sh", ".bash"))
        if (
            looks_like_path
            and not head.startswith("/")
            and not self.tables.detect("run", command.text)
        ):
            return "script", lambda: script_body(files, folder, head, through_shell=False)
        return None

    def is_wrapper(self, command: Command) -> bool:
        return self._match(command) is not None

    def _workspace_rule(self, words: tuple[str, ...]) -> WrapperRule | None:
        for rule in self.tables.wrappers:
            if words[: len(rule.words)] == rule.words:
                return rule
        return None

    def _workspace_body(self, rule: WrapperRule, folder: str, words: tuple[str, ...]) -> Body:
        if rule.follow:
            return script_body(self.files, folder, words[0], through_shell=False)
        return Body(rule.origin, ())

    def _read(self, command: Command, kind: str, reader: Reader) -> WrapperRead | None:
        body = reader()
        if body is None:
            return None
        if body.problem is not None:
            return WrapperRead(command.text, kind, body.file, problem=body.problem)
        tools: list[ToolSite] = []
        nested: list[Nested] = []
        rule = self._workspace_rule(command.words) if kind == "workspace" else None
        if rule is not None and not rule.follow:
            file, _, line = rule.origin.rpartition(":")
            tools = [ToolSite(c, n, file, int(line or 0)) for c, n in sorted(rule.tools)]
        for line_number, text in body.commands:
            for inner in commands(text):
                if self.is_wrapper(inner) and len(nested) < MAX_NESTED:
                    nested.append(Nested(inner.text[:200], body.file, line_number))
                for category, name in sorted(self.tables.detect("run", inner.text)):
                    site = ToolSite(category, name, body.file, line_number)
                    if site not in tools and len(tools) < MAX_TOOLS:
                        tools.append(site)
        return WrapperRead(command.text[:200], kind, body.file, tuple(tools), tuple(nested))
