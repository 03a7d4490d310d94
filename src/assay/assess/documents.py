"""What a supporting document shows: its headings, its front-matter fields, its date.

``assay attest`` reads these from the document when it records an attestation, and
keeps them in the evidence's facts (``content``). A control's manual test can then list
what the document must show (``must_show``: Markdown headings, or fields of YAML or JSON
front matter); :func:`missing_items` names each one absent. The document's own date
(front matter ``date`` or ``updated``, the later of the two) is compared with the
attestation's ``signed_at``: a document dated after its signing is flagged.

Only text is read: Markdown (``#`` headings, front matter between ``---`` lines at the
top), YAML and JSON (the document's top-level keys are its fields). Other documents show
nothing, so any ``must_show`` item is missing from them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from assay.errors import InvalidInput
from assay.yamlfile import parse_yaml

MAX_ITEMS = 500
MAX_TEXT = 200
DATE_FIELDS = ("date", "updated")
_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t#]*$")
_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL)


def document_content(name: str, data: bytes) -> dict[str, Any]:
    """``{"headings": [...], "fields": [...], "dated": "YYYY-MM-DD" | None}`` for a document."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return {"headings": [], "fields": [], "dated": None}
    lowered = name.lower()
    front: Any = None
    headings: list[str] = []
    if lowered.endswith(".json"):
        try:
            front = json.loads(text)
        except (ValueError, RecursionError):
            front = None
    elif lowered.endswith((".yaml", ".yml")):
        front = _yaml(text, name)
    else:
        match = _FRONT.match(text)
        if match:
            front = _yaml(match.group(1), name)
            text = text[match.end() :]
        headings = _headings(text)
    fields = _fields(front)
    return {
        "headings": headings,
        "fields": fields,
        "dated": _dated(front) if isinstance(front, Mapping) else None,
    }


def _yaml(text: str, name: str) -> Any:
    try:
        return parse_yaml(text.encode("utf-8"), name).data
    except InvalidInput:
        return None


def _headings(text: str) -> list[str]:
    found: list[str] = []
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        match = None if fenced else _HEADING.match(line)
        if match:
            found.append(match.group(2).strip()[:MAX_TEXT])
            if len(found) >= MAX_ITEMS:
                break
    return found


def _fields(front: Any) -> list[str]:
    if not isinstance(front, Mapping):
        return []
    present = [
        str(key)[:MAX_TEXT] for key, value in front.items() if value not in (None, "", [], {})
    ]
    return sorted(present)[:MAX_ITEMS]


def _dated(front: Mapping[str, Any]) -> str | None:
    days = []
    for key in DATE_FIELDS:
        value = front.get(key)
        if isinstance(value, str | date):
            try:
                days.append(date.fromisoformat(str(value)[:10]))
            except ValueError:
                continue
    return max(days).isoformat() if days else None


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def missing_items(
    must_show: Iterable[tuple[str, str]], content: Mapping[str, Any] | None
) -> list[str]:
    """Each ``must_show`` item the document does not show, as ``heading 'X'`` or ``field 'y'``."""
    content = content or {}
    headings = {_fold(h) for h in content.get("headings", ())}
    fields = set(content.get("fields", ()))
    missing = []
    for what, text in must_show:
        if what == "heading" and _fold(text) not in headings:
            missing.append(f"heading '{text}'")
        elif what == "field" and text not in fields:
            missing.append(f"field '{text}'")
    return missing
