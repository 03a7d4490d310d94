"""Severities as scanners state them (words or CVSS-style scores), normalised.

Every report names severity its own way: CVSS scores (``9.8``, ``"7.5"``), words in any
case (``HIGH``, ``Moderate``, ``Negligible``). Both become one of critical, high, medium,
low or unknown; scores are banded as GitHub bands SARIF's ``security-severity``.
"""

from __future__ import annotations

from typing import Any

from assay.evidence.parsing.errors import refuse
from assay.evidence.parsing.values import shape

SEVERITIES = ("critical", "high", "medium", "low", "unknown")


def severity_band(score: Any) -> str:
    """A CVSS-style score (number or numeric text) as critical/high/medium/low/unknown."""
    try:
        value = float(score)
    except (TypeError, ValueError):
        return "unknown"
    if value != value:
        return "unknown"
    if value >= 9.0:
        return "critical"
    if value >= 7.0:
        return "high"
    if value >= 4.0:
        return "medium"
    if value > 0:
        return "low"
    return "unknown"


_SEVERITY_WORDS = {
    "critical": "critical",
    "high": "high",
    "important": "high",
    "medium": "medium",
    "moderate": "medium",
    "low": "low",
    "negligible": "low",
    "minor": "low",
}


def severity_word(value: Any) -> str:
    """A scanner's severity word or score, normalised."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return severity_band(value)
    if not isinstance(value, str):
        return "unknown"
    word = _SEVERITY_WORDS.get(value.strip().lower())
    return word if word is not None else severity_band(value)


def checked_severity(value: Any, where: str, name: str) -> str:
    """``value`` normalised when it is a word or a score; any other shape refuses ``name``.

    An object, a list, a boolean or null where a report states a severity is a malformed
    report, not an unknown severity: reading it as unknown would let a finding pass as
    harmless.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise refuse(name, f"{where} must be a severity word or score, not {shape(value)}")
    return severity_word(value)
