"""The commands behind ``make``, ``just`` and shell scripts, read as text.

- **make** (``make``, ``gmake``; ``-C DIR``, ``-f FILE``): the makefile GNU make would
  pick (``GNUmakefile``, ``makefile``, ``Makefile``); each named target's recipe, and the
  recipes of its direct prerequisites (their own prerequisites are not read); without a
  target, ``.DEFAULT_GOAL`` or the first ordinary target. Recipe lines lose their
  ``@``, ``-`` and ``+`` prefixes; ``define`` blocks, conditionals and ``include`` are
  not interpreted (a target defined only in an included makefile is not found);
- **just** (``justfile``, ``Justfile``, ``.justfile``; ``-f FILE``, ``-d DIR``): the
  named recipes (the first recipe without one) and their dependencies' bodies;
- **shell scripts**: every command line of the file, when it is a shell script (a
  ``#!`` line naming a shell, a ``.sh``/``.bash`` name, no ``#!`` line, or run through
  ``bash``/``sh``); a script for another interpreter is not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assay.evidence.ci.commands import logical_lines
from assay.evidence.ci.treefiles import Body, FileRead, TreeFiles, join

MAKEFILES = ("GNUmakefile", "makefile", "Makefile")
JUSTFILES = ("justfile", "Justfile", ".justfile")
SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh"})
_DIRECTIVE = re.compile(
    r"^(?:-?include|sinclude|override|export|unexport|vpath|ifeq|ifneq|ifdef|ifndef|else"
    r"|endif|undefine|private)(?:\s|$)"
)
_GOAL = re.compile(r"^\.DEFAULT_GOAL\s*[:+?]?=\s*(\S+)")
_MAKE_VALUE_OPTIONS = frozenset({"-f", "-C", "-I", "-o", "-W", "-l", "--file", "--directory"})
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_SHEBANG_SHELL = re.compile(r"^#!\s*\S*?(?:/|\benv\s+)(?:-S\s+)?(sh|bash|zsh|dash|ksh)\b")


@dataclass
class _Rule:
    prerequisites: list[str]
    recipe: list[tuple[int, str]] = field(default_factory=list)


def _source_lines(text: str) -> list[tuple[int, str]]:
    """(1-based line, line) with backslash continuations joined, tabs kept."""
    out: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for index, raw in enumerate(text.splitlines()):
        if not pending:
            start = index
        if raw.endswith("\\"):
            pending.append(raw[:-1])
            continue
        pending.append(raw)
        out.append((start + 1, " ".join(pending)))
        pending = []
    if pending:
        out.append((start + 1, " ".join(pending)))
    return out


def _rule_parts(line: str) -> tuple[list[str], list[str], str] | None:
    """(targets, prerequisites, inline recipe) of a rule line, or None."""
    colon = line.find(":")
    if colon <= 0 or "=" in line[:colon] or "#" in line[:colon]:
        return None
    after = line[colon + 1 :]
    if after.startswith(":"):
        after = after[1:]
    if after.startswith("="):
        return None
    prerequisites, _, inline = after.partition(";")
    if "=" in prerequisites:  # a target-specific variable
        return None
    names = prerequisites.replace("|", " ").split()
    return line[:colon].split(), names, inline.strip()


def _recipe_text(text: str) -> str:
    return text.strip().lstrip("@-+").strip()


class Makefile:
    """The rules of one makefile, read as text."""

    def __init__(self, text: str) -> None:
        self.rules: dict[str, list[_Rule]] = {}
        self.default: str | None = None
        goal: str | None = None
        current: list[str] = []
        in_define = False
        for number, line in _source_lines(text):
            stripped = line.strip()
            if in_define:
                in_define = not stripped.startswith("endef")
                continue
            if line.startswith("\t"):
                recipe = _recipe_text(line)
                if recipe and not recipe.startswith("#"):
                    for target in current:
                        self.rules[target][-1].recipe.append((number, recipe))
                continue
            if not stripped or stripped.startswith("#"):
                continue
            found_goal = _GOAL.match(stripped)
            if found_goal:
                goal = found_goal.group(1)
            if stripped == "define" or stripped.startswith(("define ", "define\t")):
                in_define, current = True, []
                continue
            parts = None if _DIRECTIVE.match(stripped) else _rule_parts(stripped)
            if parts is None:
                current = []
                continue
            targets, prerequisites, inline = parts
            current = targets
            for target in targets:
                rule = _Rule(prerequisites, [(number, _recipe_text(inline))] if inline else [])
                self.rules.setdefault(target, []).append(rule)
                if self.default is None and "%" not in target and not target.startswith("."):
                    self.default = target
        self.default = goal or self.default

    def body(self, path: str, targets: list[str]) -> Body:
        """The recipes of ``targets`` (or the default goal) and of their prerequisites."""
        wanted = targets or ([self.default] if self.default else [])
        if not wanted:
            return Body(path, problem=f"{path} has no target to run")
        commands: list[tuple[int, str]] = []
        for target in wanted:
            rules = self.rules.get(target)
            if rules is None:
                return Body(path, problem=f"{path} has no target {target}")
            for prerequisite in dict.fromkeys(p for rule in rules for p in rule.prerequisites):
                for rule in self.rules.get(prerequisite, []):
                    commands.extend(rule.recipe)
            for rule in rules:
                commands.extend(rule.recipe)
        return Body(path, tuple(commands))


def make_body(files: TreeFiles, folder: str, args: tuple[str, ...]) -> Body:
    """What ``make ARGS`` runs, started in ``folder``."""
    targets: list[str] = []
    makefile: str | None = None
    index = 0
    while index < len(args):
        word = args[index]
        if word in _MAKE_VALUE_OPTIONS and index + 1 < len(args):
            value = args[index + 1]
            if word in ("-C", "--directory"):
                moved = join(folder, value)
                if moved is None:
                    return Body(value, problem=f"make -C {value} leaves the repository")
                folder = moved
            elif word in ("-f", "--file"):
                makefile = value
            index += 2
            continue
        if word.startswith(("--file=", "--makefile=")):
            makefile = word.split("=", 1)[1]
        elif word.startswith("--directory="):
            moved = join(folder, word.split("=", 1)[1])
            if moved is None:
                return Body(word, problem=f"make {word} leaves the repository")
            folder = moved
        elif word.startswith("-C") and len(word) > 2:
            moved = join(folder, word[2:])
            if moved is None:
                return Body(word, problem=f"make {word} leaves the repository")
            folder = moved
        elif not word.startswith("-") and "=" not in word and not word.isdigit():
            targets.append(word)
        index += 1
    read = _first(files, folder, [makefile] if makefile else list(MAKEFILES))
    if read.text is None:
        return Body(read.path, problem=read.problem)
    return Makefile(read.text).body(read.path, targets)


def _first(files: TreeFiles, folder: str, names: list[str]) -> FileRead:
    """The first of ``names`` in ``folder`` that exists (or the last answer)."""
    answer = FileRead(folder or ".", problem=f"no {' or '.join(names)} in {folder or 'the root'}")
    for name in names:
        path = join(folder, name)
        if path is None:
            return FileRead(name, problem=f"{name} is outside the repository")
        answer = files.read(path)
        if not answer.missing:
            return answer
    if len(names) > 1:
        where = folder or "the repository root"
        return FileRead(answer.path, problem=f"no {' or '.join(names)} in {where}", missing=True)
    return answer


# --------------------------------------------------------------------------- just


def _just_recipes(text: str) -> tuple[dict[str, tuple[list[str], list[tuple[int, str]]]], str]:
    recipes: dict[str, tuple[list[str], list[tuple[int, str]]]] = {}
    first = ""
    current: list[tuple[int, str]] | None = None
    for number, line in _source_lines(text):
        if line[:1] in (" ", "\t"):
            body = _recipe_text(line)
            if current is not None and body and not body.startswith("#"):
                current.append((number, body))
            continue
        if not line.strip():
            continue
        current = None
        header, colon, rest = line.partition(":")
        words = header.split()
        if not colon or rest.startswith("=") or not words:
            continue
        name = words[0].lstrip("@")
        if not _NAME.match(name) or words[0] in ("set", "alias", "export", "import", "mod"):
            continue
        dependencies = [w.strip("()") for w in rest.replace("&&", " ").split()]
        current = []
        recipes[name] = ([d for d in dependencies if _NAME.match(d)], current)
        first = first or name
    return recipes, first


def just_body(files: TreeFiles, folder: str, args: tuple[str, ...]) -> Body:
    """What ``just ARGS`` runs, started in ``folder``."""
    justfile: str | None = None
    names: list[str] = []
    index = 0
    while index < len(args):
        word = args[index]
        if word in ("-f", "--justfile", "-d", "--working-directory") and index + 1 < len(args):
            if word in ("-f", "--justfile"):
                justfile = args[index + 1]
            index += 2
            continue
        if word == "--set":
            index += 3
            continue
        if not word.startswith("-"):
            names.append(word)
        index += 1
    read = _first(files, folder, [justfile] if justfile else list(JUSTFILES))
    if read.text is None:
        return Body(read.path, problem=read.problem)
    recipes, first = _just_recipes(read.text)
    chosen = [n for n in names if n in recipes] if names else [first] if first else []
    if not chosen:
        missing = names[0] if names else "any recipe"
        return Body(read.path, problem=f"{read.path} has no recipe {missing}")
    commands: list[tuple[int, str]] = []
    for name in chosen:
        dependencies, body = recipes[name]
        for dependency in dependencies:
            commands.extend(recipes.get(dependency, ([], []))[1])
        commands.extend(body)
    return Body(read.path, tuple(commands))


# --------------------------------------------------------------------------- shell scripts


def script_body(files: TreeFiles, folder: str, name: str, *, through_shell: bool) -> Body:
    """The command lines of the shell script ``name`` (relative to ``folder``)."""
    path = join(folder, name)
    if path is None or not path:
        return Body(name, problem=f"{name} is outside the repository")
    read = files.read(path)
    if read.text is None:
        return Body(read.path, problem=read.problem)
    first_line = read.text.split("\n", 1)[0][:200]
    shebang = first_line.startswith("#!")
    if shebang and not through_shell and not _SHEBANG_SHELL.match(first_line):
        return Body(read.path, problem=f"{read.path} is not a shell script ({first_line[:60]})")
    commands = tuple((index + 1, line) for index, line in logical_lines(read.text))
    return Body(read.path, commands)
