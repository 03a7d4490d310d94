"""Shell text as the wrapper follower reads it: commands, their words, and the folder.

Only what a CI script line plainly says is read; nothing is expanded or run:

- lines ending in ``\\`` continue on the next; blank lines and ``#`` comments are dropped;
- a line is split into commands at ``&&``, ``||``, ``;`` and ``|`` (quotes are not
  respected there: a separator inside quotes splits too, which only loses a wrapper);
- words are split as a POSIX shell would (``shlex``), or at spaces when quotes do not
  balance;
- leading ``NAME=value`` assignments and prefixes that only run what follows (``time``,
  ``exec``, ``command``, ``env``, ``sudo``, ``uv run``, ``poetry run``, ``pipenv run``,
  ``pdm run``, ``python -m``) are removed;
- ``cd DIR`` and ``pushd DIR`` change the folder later commands of the same text run in;
  a folder that cannot be known (``cd $DIR``, an absolute path, one that leaves the
  repository) stops wrapper files from being read for the rest of the text.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass

from assay.evidence.ci.treefiles import join

MAX_WORDS = 200
MAX_COMMANDS = 2_000
_SEPARATOR = re.compile(r"&&|\|\||;|\|")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_PREFIXES = frozenset({"time", "exec", "command", "nohup", "sudo", "env"})
_RUNNERS = frozenset({"uv", "poetry", "pipenv", "pdm"})
_PYTHON = re.compile(r"^(python[0-9.]*|py)$")


@dataclass(frozen=True)
class Command:
    """One command of a script: its text, words (prefixes removed), line, and folder."""

    text: str
    words: tuple[str, ...]
    line: int
    #: Folder the command runs in, relative to the repository root ("" is the root);
    #: None when an earlier ``cd`` went somewhere that cannot be known.
    folder: str | None


def logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(0-based line index, text) of each line, continuations joined, comments dropped."""
    pending: list[str] = []
    start = 0
    for index, raw in enumerate(text.splitlines()):
        if not pending:
            start = index
        stripped = raw.rstrip()
        if stripped.endswith("\\"):
            pending.append(stripped[:-1])
            continue
        pending.append(stripped)
        joined = " ".join(part.strip() for part in pending).strip()
        pending = []
        if joined and not joined.startswith("#"):
            yield start, joined
    if pending:
        joined = " ".join(part.strip() for part in pending).strip()
        if joined and not joined.startswith("#"):
            yield start, joined


def split_words(text: str) -> tuple[str, ...]:
    try:
        words = shlex.split(text, comments=False, posix=True)
    except ValueError:
        words = text.split()
    return tuple(words[:MAX_WORDS])


def strip_prefixes(words: tuple[str, ...]) -> tuple[str, ...]:
    """``words`` without leading assignments and prefixes that only run what follows."""
    index = 0
    while index < len(words):
        word = words[index]
        if (
            _ASSIGNMENT.match(word)
            or word in _PREFIXES
            or (word.startswith("-") and index > 0 and words[index - 1] in {"env", "sudo"})
        ):
            index += 1
        elif word in _RUNNERS and index + 1 < len(words) and words[index + 1] == "run":
            index += 2
            while index < len(words) and words[index].startswith("-"):
                index += 1
        elif _PYTHON.match(word) and index + 2 < len(words) and words[index + 1] == "-m":
            index += 2
        else:
            break
    return words[index:]


def commands(text: str, folder: str | None = "", first_line: int = 0) -> list[Command]:
    """The commands of a script text, in order (at most :data:`MAX_COMMANDS`)."""
    found: list[Command] = []
    for index, line in logical_lines(text):
        for part in _SEPARATOR.split(line):
            part = part.strip()
            if not part:
                continue
            words = strip_prefixes(split_words(part))
            if words and words[0] in ("cd", "pushd"):
                folder = _changed(folder, words)
                continue
            if words:
                found.append(Command(part, words, first_line + index, folder))
            if len(found) >= MAX_COMMANDS:
                return found
    return found


def _changed(folder: str | None, words: tuple[str, ...]) -> str | None:
    if len(words) == 1:
        return ""
    target = words[1]
    if folder is None or len(words) > 2 or "$" in target or "~" in target or "`" in target:
        return None
    return join(folder, target)
