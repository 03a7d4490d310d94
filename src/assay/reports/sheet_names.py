"""Worksheet names Excel accepts, unique within a workbook, from any text.

Excel refuses a sheet name over 31 characters, one holding ``[ ] : * ? / \\``, one that
starts or ends with an apostrophe, and ``History``; it compares names without regard to
case. Text XML cannot hold (control characters, lone surrogates) is dropped too, runs of
spaces are collapsed, and a long name is cut at a word boundary where one is near.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_SHEET_NAME = 31
_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_EXCEL_RESERVED = ("History",)


def valid_sheet_name(text: str) -> str:
    """``text`` made into a valid sheet name; empty if nothing of it is left."""
    name = " ".join(_FORBIDDEN.sub(" ", text).split()).strip("'").strip()
    return _cut(name, MAX_SHEET_NAME)


def _cut(name: str, limit: int) -> str:
    """At most ``limit`` characters, at a word boundary in the second half if there is one."""
    if len(name) <= limit:
        return name
    cut = name[:limit]
    if name[limit] != " " and " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" '")


class SheetNames:
    """Hands out valid names, each unique (ignoring case) among the names handed out."""

    def __init__(self, reserved: Iterable[str] = ()) -> None:
        self._taken = {name.casefold() for name in (*_EXCEL_RESERVED, *reserved)}

    def claim(self, wanted: str, fallback: str = "Sheet") -> str:
        """A valid form of ``wanted`` (else of ``fallback``), numbered if already taken."""
        base = valid_sheet_name(wanted) or valid_sheet_name(fallback) or "Sheet"
        name = base
        number = 2
        while name.casefold() in self._taken:
            suffix = f" ({number})"
            name = _cut(base, MAX_SHEET_NAME - len(suffix)) + suffix
            number += 1
        self._taken.add(name.casefold())
        return name
