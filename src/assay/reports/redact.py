"""Secrets never reach a report: every rendered string passes through :func:`redact`.

Evidence is untrusted text (commit messages, CI logs, artefacts) and sometimes carries
a credential someone pasted by mistake. A report is handed to auditors and risk
partners, so the renderers (HTML and PDF, the SoA workbook, OSCAL and JSON text fields
that show free text) replace anything that looks like a secret with a marker naming
what was removed. Hashes, ids and dates are left alone: none of the patterns match
plain hexadecimal.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MARKER = "[REDACTED:{name}]"


@dataclass(frozen=True)
class Rule:
    """One kind of secret: its name (shown in the marker) and how to find it."""

    name: str
    pattern: re.Pattern[str]
    keep_group: int = 0  # a capture group kept verbatim before the marker (the key name)


RULES: tuple[Rule, ...] = (
    Rule(
        "private-key",
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
            r"(?:.*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|.*\Z)",
            re.DOTALL,
        ),
    ),
    Rule(
        "aws-access-key",
        re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z0-9]{16}\b"),
    ),
    Rule(
        "aws-secret-key",
        re.compile(
            r"(?i)(aws_?secret_?(?:access_?)?key[\"']?\s*[:=]\s*[\"']?)[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])"
        ),
        keep_group=1,
    ),
    Rule("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}(?![0-9A-Za-z_\-])")),
    Rule("github-token", re.compile(r"\bgh[opusr]_[A-Za-z0-9]{36,255}\b")),
    Rule("github-token", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,255}\b")),
    Rule("gitlab-token", re.compile(r"\bglpat-[A-Za-z0-9_\-]{20,}(?![A-Za-z0-9_\-])")),
    Rule("slack-token", re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}(?![A-Za-z0-9\-])")),
    Rule("stripe-key", re.compile(r"\b[sr]k_live_[A-Za-z0-9]{16,}\b")),
    Rule(
        "jwt",
        re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
    ),
    Rule(
        "url-credentials",
        re.compile(r"(?i)(\b[a-z][a-z0-9+.\-]*://[^\s:/@]+:)[^\s@/]+(?=@)"),
        keep_group=1,
    ),
    Rule(
        "assignment",
        re.compile(
            r"(?i)(\b(?:password|passwd|pwd|secret|client_secret|token|access_token|auth_token"
            r"|api[_\-]?key|apikey|access[_\-]?key|private[_\-]?key)\b[\"']?\s*[:=]\s*)"
            r"(\"[^\"\n]+\"|'[^'\n]+'|(?!\[REDACTED)[^\s,;\"'<>]+)"
        ),
        keep_group=1,
    ),
)

#: Every rule needs one of these to match: a cheap first look that clears most text.
_QUICK = re.compile(
    r"PRIVATE KEY|AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|AIza|gh[opusr]_|github_pat_|glpat-"
    r"|xox[abposr]-|k_live_|eyJ|://|passw|pwd|secret|token|api[_\-]?key|access[_\-]?key"
    r"|private[_\-]?key",
    re.IGNORECASE,
)


def _replacer(rule: Rule) -> Callable[[re.Match[str]], str]:
    marker = MARKER.format(name=rule.name)

    def replace(match: re.Match[str]) -> str:
        kept = match.group(rule.keep_group) if rule.keep_group else ""
        return f"{kept}{marker}"

    return replace


_COMPILED: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = tuple(
    (rule.pattern, _replacer(rule)) for rule in RULES
)


def redact(text: str) -> str:
    """``text`` with every secret replaced by ``[REDACTED:<kind>]``; idempotent."""
    if not text or _QUICK.search(text) is None:
        return text
    for pattern, replace in _COMPILED:
        text = pattern.sub(replace, text)
    return text


def redact_data(value: Any) -> Any:
    """:func:`redact` applied to every string inside nested lists and dicts (keys too)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {(redact(k) if isinstance(k, str) else k): redact_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(item) for item in value]
    return value
