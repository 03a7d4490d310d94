"""Path globs matched in time linear in the path, whatever the pattern and path hold.

A repository or a workspace writes the globs (GitLab ``include: local:`` wildcards,
CODEOWNERS patterns) and the repository names the paths, so neither side is trusted. A
glob translated to a backtracking regular expression can take exponential time
(``*a*a*a*a*a*a*a*a*a*a`` against a long name of ``a``); this module never backtracks.

Semantics (gitignore's, with GitLab's ``**`` inside a segment):

- ``*`` matches any run of characters except ``/``; ``?`` one character except ``/``;
- ``[abc]``, ``[a-z]``, ``[!a-z]`` (or ``[^a-z]``) match one character of (or not of) the
  class, never ``/``; a ``[`` with no closing ``]`` is a literal ``[``;
- ``**/`` matches zero or more whole folders (``**/x.yml`` matches ``x.yml`` and
  ``a/b/x.yml``); any other ``**`` matches any run of characters, ``/`` included
  (``ci/**.yml`` matches ``ci/a/b.yml``);
- ``\\`` makes the next character literal; every other character matches itself, and the
  whole path must match.

The matcher is a bit-parallel automaton (one bit per pattern position, advanced once per
path character): matching a path of ``n`` characters against a pattern of ``m`` elements
costs ``n`` steps of ``m``-bit integer operations. A cheap necessary test (the pattern's
literal prefix, suffix and literal runs in order) rejects most paths before that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

_LITERAL, _ONE, _CLASS, _STAR, _ANY, _DIRS = range(6)


@dataclass(frozen=True)
class _Token:
    kind: int
    char: str = ""
    ranges: tuple[tuple[str, str], ...] = ()
    negated: bool = False

    def accepts(self, char: str) -> bool:
        if self.kind == _LITERAL:
            return char == self.char
        if char == "/":
            return False
        if self.kind == _ONE:
            return True
        inside = any(low <= char <= high for low, high in self.ranges)
        return inside != self.negated


def _parse_class(pattern: str, start: int) -> tuple[_Token, int] | None:
    """The class opening at ``pattern[start] == '['``, and the index after it; None if open."""
    index = start + 1
    negated = index < len(pattern) and pattern[index] in "!^"
    index += negated
    ranges: list[tuple[str, str]] = []
    first = True
    while index < len(pattern):
        char = pattern[index]
        if char == "]" and not first:
            return _Token(_CLASS, ranges=tuple(ranges), negated=negated), index + 1
        first = False
        if char == "\\" and index + 1 < len(pattern):
            index += 1
            char = pattern[index]
        if index + 2 < len(pattern) and pattern[index + 1] == "-" and pattern[index + 2] != "]":
            high = pattern[index + 2]
            if high == "\\" and index + 3 < len(pattern):
                high = pattern[index + 3]
                index += 1
            ranges.append((char, high))
            index += 3
        else:
            ranges.append((char, char))
            index += 1
    return None


def _tokens(pattern: str) -> list[_Token]:
    tokens: list[_Token] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "*":
            end = index
            while end < len(pattern) and pattern[end] == "*":
                end += 1
            at_segment_start = index == 0 or pattern[index - 1] == "/"
            if end - index >= 2 and at_segment_start and pattern[end : end + 1] == "/":
                tokens.append(_Token(_DIRS))
                tokens.append(_Token(_LITERAL, "/"))
                index = end + 1
                continue
            kind = _ANY if end - index >= 2 else _STAR
            if tokens and tokens[-1].kind in (_STAR, _ANY):
                kind = max(kind, tokens.pop().kind)  # ``*`` beside ``**`` is ``**``
            tokens.append(_Token(kind))
            index = end
        elif char == "?":
            tokens.append(_Token(_ONE))
            index += 1
        elif char == "[" and (parsed := _parse_class(pattern, index)) is not None:
            tokens.append(parsed[0])
            index = parsed[1]
        else:
            if char == "\\" and index + 1 < len(pattern):
                index += 1
                char = pattern[index]
            tokens.append(_Token(_LITERAL, char))
            index += 1
    return tokens


@dataclass
class Glob:
    """A compiled glob: ``Glob("ci/*.yml").match("ci/test.yml")``."""

    pattern: str
    _tokens: list[_Token] = field(init=False, repr=False)
    _masks: dict[str, tuple[int, int]] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        tokens = _tokens(self.pattern)
        self._tokens = tokens
        self._final = 1 << len(tokens)
        self._skip1 = 0  # states with an empty move to the next state (``*``, ``**``)
        self._skip2 = 0  # states with an empty move past the next token (``**/``)
        for index, token in enumerate(tokens):
            if token.kind in (_STAR, _ANY, _DIRS):
                self._skip1 |= 1 << index
            if token.kind == _DIRS:
                self._skip2 |= 1 << index
        self._start = self._closure(1)
        self._literal = all(token.kind == _LITERAL for token in tokens)
        self._prefix, self._suffix, self._runs = _literal_parts(tokens)

    def _closure(self, states: int) -> int:
        while True:
            grown = states | ((states & self._skip1) << 1) | ((states & self._skip2) << 2)
            if grown == states:
                return states
            states = grown

    def _mask(self, char: str) -> tuple[int, int]:
        """(states that consume ``char`` to the next, states that loop on ``char``)."""
        masks = self._masks.get(char)
        if masks is None:
            advance = loop = 0
            for index, token in enumerate(self._tokens):
                if token.kind in (_LITERAL, _ONE, _CLASS):
                    if token.accepts(char):
                        advance |= 1 << index
                elif token.kind != _STAR or char != "/":
                    loop |= 1 << (index + 1)
            masks = (advance, loop)
            if len(self._masks) < 4096:
                self._masks[char] = masks
        return masks

    def match(self, path: str) -> bool:
        """Whether the whole of ``path`` matches the pattern."""
        if self._literal:
            return path == self._prefix
        if not (path.startswith(self._prefix) and path.endswith(self._suffix)):
            return False
        if len(path) < len(self._prefix) + len(self._suffix):
            return False
        position = len(self._prefix)
        for run in self._runs:
            position = path.find(run, position)
            if position < 0:
                return False
            position += len(run)
        states = self._start
        for char in path:
            advance, loop = self._mask(char)
            states = self._closure(((states & advance) << 1) | (states & loop))
            if not states:
                return False
        return bool(states & self._final)


def _literal_parts(tokens: list[_Token]) -> tuple[str, str, list[str]]:
    """The literal prefix and suffix, and the literal runs between wildcards, in order.

    A path that lacks any of them cannot match; the ``/`` after ``**`` is left out of the
    runs, since ``**/`` may match nothing.
    """
    runs: list[str] = []
    current: list[str] = []
    previous_dirs = False
    for token in tokens:
        if token.kind == _LITERAL and not previous_dirs:
            current.append(token.char)
        else:
            runs.append("".join(current))
            current = []
        previous_dirs = token.kind == _DIRS
    runs.append("".join(current))
    if len(runs) == 1:
        return runs[0], "", []
    return runs[0], runs[-1], [run for run in runs[1:-1] if run]


@lru_cache(maxsize=256)
def compile_glob(pattern: str) -> Glob:
    """The compiled glob for ``pattern`` (cached)."""
    return Glob(pattern)


def glob_match(pattern: str, path: str) -> bool:
    """Whether ``path`` matches the glob ``pattern`` (see the module's rules)."""
    return compile_glob(pattern).match(path)
