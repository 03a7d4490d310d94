"""Scanning untrusted CI text in time linear in its length.

A workflow file is written by whoever can push a branch, so every scan over its text must
cost at most a constant per character, however the text is shaped:

- :func:`expressions` finds ``${{ ... }}`` expressions with two forward searches, never
  rescanning (a regular expression ``\\$\\{\\{(.*?)\\}\\}`` rescans the rest of the text
  from every ``${{`` that has no closing ``}}``, quadratic in a file of ``${{``);
- :func:`search` and :func:`finditer` run a table pattern over overlapping windows of
  :data:`WINDOW` characters: a match up to :data:`MAX_MATCH` characters long is always
  found, and the time a pattern may take on one window is bounded by the window's size,
  not the text's (a pattern such as ``\\bmvn\\b.*\\btest\\b`` is quadratic in the text it
  runs on);
- :class:`LineFinder` locates matched text in the file's lines moving forward only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

#: The longest match a table pattern is guaranteed to find.
MAX_MATCH = 256
#: Windows start every STRIDE characters and run MAX_MATCH characters into the next.
STRIDE = 1024
WINDOW = STRIDE + MAX_MATCH


def expressions(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, inner text) of each ``${{ ... }}`` expression, in order.

    An expression runs from ``${{`` to the first ``}}`` after it; the next one is looked
    for after that. When no ``}}`` follows, no later expression can close either.
    """
    position = 0
    while True:
        start = text.find("${{", position)
        if start < 0:
            return
        close = text.find("}}", start + 3)
        if close < 0:
            return
        yield start, close + 2, text[start + 3 : close]
        position = close + 2


def _windows(text: str) -> Iterator[tuple[int, int, int]]:
    """(offset, end, owned end): each window, and the starts it answers for."""
    if len(text) <= WINDOW:
        yield 0, len(text), len(text)
        return
    offset = 0
    while offset < len(text):
        end = min(offset + WINDOW, len(text))
        owned = len(text) if end == len(text) else offset + STRIDE
        yield offset, end, owned
        if end == len(text):
            return
        offset += STRIDE


def search(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """The first match of ``pattern`` in ``text`` found window by window, or None."""
    for offset, end, _ in _windows(text):
        found = pattern.search(text, offset, end)
        if found is not None:
            return found
    return None


def finditer(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """Non-overlapping matches in order, each found in the window its start belongs to."""
    after = 0
    for offset, end, owned in _windows(text):
        for found in pattern.finditer(text, max(offset, after), end):
            if found.start() >= owned:
                break
            if found.end() == found.start():
                continue
            yield found
            after = found.end()


@dataclass
class LineFinder:
    """Finds matched text in a file's lines, moving forward from the last one found.

    Matches arrive in the order they appear in the file, so each search starts where the
    previous one ended (line and column) and never goes back. Text that does not appear
    verbatim (an escaped quoted string, a folded line) is looked for in the next
    :data:`SCAN` characters only and then placed on the current line: locating every
    match of a script costs at most the file's length plus ``SCAN`` per match.
    """

    lines: list[str]
    start: int
    line: int = 0
    column: int = 0

    SCAN = 16_384

    def __post_init__(self) -> None:
        self.line = max(self.start - 1, 0)

    def find(self, needle: str) -> int:
        """The 1-based line holding ``needle`` (its first line) at or after the cursor."""
        needle = needle.strip().split("\n", 1)[0].strip()
        if not needle:
            return self.line + 1
        budget = self.SCAN
        index, column = self.line, self.column
        while index < len(self.lines) and budget > 0:
            text = self.lines[index]
            end = min(len(text), column + budget + len(needle))
            found = text.find(needle, column, end)
            if found >= 0:
                self.line, self.column = index, found + len(needle)
                return index + 1
            budget -= len(text) - column + 1
            index, column = index + 1, 0
        return self.line + 1
