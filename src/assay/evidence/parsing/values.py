"""Values read from artefacts, coerced to what facts hold: UTC times, counts, ratios, text.

Artefacts come from many tools in many versions; a value of the wrong type or range becomes
a default (or None), never an exception, and never a number JSON cannot carry.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

#: A git commit id: SHA-1 (40 hex digits) or SHA-256 (64).
COMMIT_ID = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
#: A sha256 digest in lower-case hex.
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def parse_time(value: Any) -> datetime | None:
    """A timestamp from an artefact, as UTC; None when absent or unreadable.

    ISO 8601 text with or without an offset (no offset is taken as UTC, which is what
    pytest's and coverage.py's local timestamps become), or epoch seconds/milliseconds.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 10**11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return parse_time(int(text))
    text = text.replace("Z", "+00:00").replace("z", "+00:00")
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)  # nanoseconds (Trivy, Grype) -> microseconds
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def as_int(value: Any, default: int = 0) -> int:
    """A non-negative integer from a JSON or XML attribute value; ``default`` when unusable."""
    try:
        number = int(float(value))
    except (TypeError, ValueError, OverflowError):
        return default
    return max(number, 0)


def as_float(value: Any, default: float = 0.0) -> float:
    """A finite non-negative float from a JSON or XML attribute value."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return default
    if number != number or number in (float("inf"), float("-inf")):
        return default
    return max(number, 0.0)


def ratio(part: int, whole: int) -> float:
    """``part / whole`` rounded to 6 places; 1 when there is nothing to count."""
    return 1.0 if whole <= 0 else round(min(part / whole, 1.0), 6)


def text_of(value: Any) -> str | None:
    """A non-empty string, or None."""
    return value if isinstance(value, str) and value.strip() else None


def shape(value: Any) -> str:
    """What a JSON value is, for a message: ``null``, ``a number``, ``an object`` ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"
