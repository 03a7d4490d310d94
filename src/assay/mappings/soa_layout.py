"""How a framework appears in the Statement of Applicability workbook, read from its catalog.

A catalog's optional ``soa`` block lists the framework's sheets: each with a title, whether
it is the SoA proper (``primary``), the groups whose requirements it lists (``scope``), its
leading columns, and the words the workbook's subject uses for it. A catalog without the
block gets one sheet named by its short title, listing every assessable requirement. Every
framework sheet ends with the same status columns (:data:`STATUS_HEADERS`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assay.errors import Problem

if TYPE_CHECKING:
    from assay.mappings.catalog import Framework, Group
    from assay.yamlfile import YamlDocument

# What a leading column can show, with its default header and width.
COLUMN_DEFAULTS: dict[str, tuple[str, int]] = {
    "id": ("Requirement", 12),
    "title": ("Title", 34),
    "group": ("Group", 20),
    "parent_group": ("Parent group", 14),
    "applicable": ("Applicable", 10),
    "basis": ("Basis", 16),
    "justification": ("Justification", 40),
    "risks": ("Risk references", 11),
    "owner": ("Owner", 14),
    "met": ("Met", 12),
    "rag": ("RAG", 7),
}
STATUS_HEADERS = (
    "Implementation status",
    "Where",
    "Implementing controls",
    "Results across services",
    "Evidence references",
    "Last verified",
    "Notes",
)


@dataclass(frozen=True)
class SoaColumn:
    value: str
    header: str
    width: int


@dataclass(frozen=True)
class SoaSheet:
    """One sheet of a framework; ``title`` and ``subject`` empty: from the framework."""

    title: str = ""
    primary: bool = False
    scope: tuple[str, ...] = ()
    columns: tuple[SoaColumn, ...] = ()
    subject: str = ""


def column(value: str, header: str | None = None, width: int | None = None) -> SoaColumn:
    default_header, default_width = COLUMN_DEFAULTS[value]
    return SoaColumn(value, header or default_header, width or default_width)


def parse_soa(
    data: Mapping[str, Any] | None, document: YamlDocument, groups: Sequence[Group]
) -> tuple[tuple[SoaSheet, ...], list[Problem]]:
    """The sheets a schema-valid ``soa`` block describes, and its reference problems.

    JSON Schema cannot check that scope groups exist or that headers are unique within
    a sheet; this does, locating each problem in the file.
    """
    if not data:
        return (), []
    known = {group.id for group in groups}
    problems: list[Problem] = []
    found: list[SoaSheet] = []
    for index, raw in enumerate(data["sheets"]):
        where: tuple[str | int, ...] = ("soa", "sheets", index)
        scope = tuple(raw.get("scope", ()))
        for position, group in enumerate(scope):
            if group not in known:
                problems.append(
                    document.problem((*where, "scope", position), f"unknown group '{group}'")
                )
        columns = tuple(
            column(c["value"], c.get("header"), c.get("width")) for c in raw.get("columns", ())
        )
        seen = set(STATUS_HEADERS)
        for position, item in enumerate(columns):
            if item.header in seen:
                problems.append(
                    document.problem(
                        (*where, "columns", position),
                        f"column header '{item.header}' is already used in this sheet",
                    )
                )
            seen.add(item.header)
        found.append(
            SoaSheet(
                title=raw.get("title", ""),
                primary=raw.get("primary", False),
                scope=scope,
                columns=columns,
                subject=raw.get("subject", ""),
            )
        )
    return tuple(found), problems


def layout(framework: Framework) -> tuple[SoaSheet, ...]:
    """The framework's sheets with every default filled in (titles not yet made valid)."""
    short = framework.short_title or framework.title
    sheets = framework.soa or (SoaSheet(),)
    lead = tuple(
        column(value)
        for value in ("id", "title", "group", "applicable", "basis", "justification", "owner")
        if value != "group" or framework.groups
    )
    return tuple(
        SoaSheet(
            title=sheet.title or short,
            primary=sheet.primary,
            scope=sheet.scope,
            columns=sheet.columns or lead,
            subject=sheet.subject or framework.title,
        )
        for sheet in sheets
    )
