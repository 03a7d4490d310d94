"""Licences as SBOMs state them: SPDX licence ids, licence expressions, and free-text names.

An id counts as an id only when it is on the SPDX License List (bundled in
:mod:`assay.evidence.parsing.spdx`, deprecated ids included; matched without regard to case,
as SPDX asks, and reported in the list's own case). Everything else a document states is a
*name*: a CycloneDX ``license.name`` (cyclonedx-py writes ``MIT License`` there from a
package's classifiers, and that is what it stays, even when it reads like an id), an id that
is not on the list, a ``LicenseRef-`` reference, or an expression that does not parse.

An expression (``MIT OR Apache-2.0``, ``GPL-2.0-or-later WITH Classpath-exception-2.0``,
``(MIT AND BSD-3-Clause)``, ``GPL-2.0+``) is parsed: its ids count as ids and its
``LicenseRef-`` references as names. One that does not parse (``MIT License``, ``MIT OR``)
is a name, whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files

#: Values that say a licence is unknown or absent (SPDX), not a licence.
NO_LICENCE = frozenset({"", "NOASSERTION", "NONE"})
#: Longest expression parsed; a longer one is kept as a name.
MAX_EXPRESSION = 2000
_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")
_REF = re.compile(r"^(DocumentRef-[A-Za-z0-9.\-]+:)?LicenseRef-[A-Za-z0-9.\-]+$")


@cache
def _ids(resource: str) -> dict[str, str]:
    """Lower-case id -> the list's spelling, from one bundled list."""
    text = files("assay.evidence.parsing.spdx").joinpath(resource).read_text(encoding="utf-8")
    ids = (line.strip() for line in text.splitlines())
    return {i.lower(): i for i in ids if i and not i.startswith("#")}


def licence_id(text: str) -> str | None:
    """The SPDX licence id ``text`` is (in the list's case), or None when it is not one."""
    return _ids("licenses.txt").get(text.strip().lower())


def exception_id(text: str) -> str | None:
    return _ids("exceptions.txt").get(text.strip().lower())


@dataclass
class Licences:
    """What one component states: SPDX ids, and names (anything that is not an id)."""

    ids: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.ids or self.names)

    def add_id(self, text: str) -> None:
        """A value a document gives as an id: an id when on the list, else a name."""
        found = licence_id(text)
        if found:
            self._add(self.ids, found)
        else:
            self.add_name(text)

    def add_name(self, text: str) -> None:
        if text.strip() and text.strip() not in NO_LICENCE:
            self._add(self.names, text.strip())

    def add_expression(self, text: str) -> None:
        """An SPDX expression: its ids and references, or the whole text as a name."""
        parsed = parse_expression(text)
        if parsed is None:
            self.add_name(text)
            return
        ids, refs = parsed
        for found in ids:
            self._add(self.ids, found)
        for ref in refs:
            self._add(self.names, ref)

    @staticmethod
    def _add(into: list[str], value: str) -> None:
        if value not in into:
            into.append(value)


def parse_expression(text: str) -> tuple[list[str], list[str]] | None:
    """(SPDX ids, LicenseRef references) of a licence expression; None when it is not a
    valid expression of known ids."""
    if len(text) > MAX_EXPRESSION or text.strip().upper() in NO_LICENCE:
        return None
    parts = [m.group(1) for m in _TOKEN.finditer(text)]
    if "".join(parts) != re.sub(r"\s+", "", text):
        return None
    ids: list[str] = []
    refs: list[str] = []
    depth = 0
    expect_term = True  # after an operator or "(": a term or "("; else an operator or ")"
    after_with = False
    for part in parts:
        upper = part.upper()
        if expect_term:
            if part == "(" and not after_with:
                depth += 1
                continue
            if after_with:
                if exception_id(part) is None:
                    return None
            elif _REF.match(part):
                refs.append(part)
            else:
                found = licence_id(part.removesuffix("+"))
                if found is None:
                    return None
                ids.append(found)
            expect_term, after_with = False, False
        elif part == ")":
            depth -= 1
            if depth < 0:
                return None
        elif upper in ("AND", "OR", "WITH"):
            expect_term, after_with = True, upper == "WITH"
        else:
            return None
    if expect_term or depth != 0:
        return None
    return ids, refs
