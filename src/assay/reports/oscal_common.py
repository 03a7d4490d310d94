"""What every OSCAL document Assay writes shares: ids, tokens, clean strings, metadata.

OSCAL's JSON schemas are strict: ``additionalProperties`` is false everywhere, arrays
must not be empty, UUIDs must be version 4 or 5, tokens are XML NCNames (no spaces or
colons, not starting with a digit), and single-line strings have no leading, trailing
or inner line breaks. These helpers produce exactly that, deterministically: every
UUID is a version 5 UUID derived from a stable Assay id, so the same inputs give the
same document.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from assay import __version__
from assay.durations import isoformat
from assay.reports.redact import redact

OSCAL_VERSION = "1.2.1"
#: The namespace of every property Assay adds (props outside OSCAL's own vocabulary).
ASSAY_NS = "urn:assay:oscal"
_ROOT = uuid.uuid5(uuid.NAMESPACE_URL, ASSAY_NS)


def oscal_uuid(*parts: str) -> str:
    """A version 5 UUID for the thing named by ``parts`` (stable across runs)."""
    return str(uuid.uuid5(_ROOT, "\x1f".join(parts)))


def objective_id(control_id: str) -> str:
    """The id of a control's assessment objective in the exported catalog: what every
    finding about the control targets."""
    return f"{control_id}_obj"


_NOT_TOKEN = re.compile(r"[^\w.\-]+")


def token(text: str, *, prefix: str = "id-") -> str:
    """An OSCAL token (an NCName) for ``text``: ``GOVERN 1.6`` -> ``govern-1.6``,
    ``4.1`` -> ``id-4.1``. Letters and digits of any script are kept."""
    value = _NOT_TOKEN.sub("-", text.strip().lower()).strip("-") or "x"
    if not (value[0].isalpha() or value[0] == "_"):
        value = prefix + value
    return value


def line(text: str, *, fallback: str = "-") -> str:
    """One clean line: redacted, white space collapsed, nothing leading or trailing."""
    value = " ".join(redact(str(text)).split())
    return value or fallback


def prose(text: str, *, fallback: str = "-") -> str:
    """Multi-line text, redacted and trimmed (OSCAL markup-multiline)."""
    value = redact(str(text)).strip()
    return value or fallback


def prop(
    name: str, value: str, *, assay: bool = True, remarks: str | None = None
) -> dict[str, Any]:
    """A property; Assay's own names carry Assay's namespace."""
    item: dict[str, Any] = {"name": name, "value": line(value)}
    if assay:
        item["ns"] = ASSAY_NS
    if remarks:
        item["remarks"] = prose(remarks)
    return item


def metadata(title: str, last_modified: datetime, version: str, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": line(title),
        "last-modified": isoformat(last_modified),
        "version": line(version),
        "oscal-version": OSCAL_VERSION,
    }
    data["props"] = [prop("generator", f"assay {__version__}")]
    data.update({key: value for key, value in extra.items() if value})
    return data


def drop_empty(data: Any) -> Any:
    """Remove empty lists and dicts (OSCAL forbids empty arrays); keep ``{}`` markers
    that OSCAL requires (``include-all``) by passing them as ``{"__keep__": True}``."""
    if isinstance(data, dict):
        if data.get("__keep__") is True and len(data) == 1:
            return {}
        cleaned = {k: drop_empty(v) for k, v in data.items()}
        return {k: v for k, v in cleaned.items() if v not in ([], {}, None) or _kept(data[k])}
    if isinstance(data, list):
        return [drop_empty(item) for item in data]
    return data


def _kept(value: Any) -> bool:
    return isinstance(value, dict) and value.get("__keep__") is True and len(value) == 1
