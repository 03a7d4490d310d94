"""JSON from artefacts, strictly: UTF-8, no NaN or infinities, no runaway nesting.

Facts must be canonical JSON, so values JSON cannot carry are refused where they are read,
with the line and column of the problem.
"""

from __future__ import annotations

import json
import math
from typing import Any

from assay.evidence.parsing.errors import ArtefactError, refuse


def _no_constants(token: str) -> Any:
    raise ValueError(f"{token} is not allowed in JSON evidence")


def _finite(token: str) -> float:
    value = float(token)
    if math.isinf(value):  # 1e999: JSON has no infinities, and the store cannot keep one
        raise ValueError(f"{token} is too large a number for JSON evidence")
    return value


def load_json(data: bytes, name: str) -> Any:
    """Parse JSON bytes (UTF-8, optional BOM); raise a located :class:`ArtefactError`."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise refuse(name, f"not valid UTF-8 (byte offset {exc.start})") from None
    try:
        return json.loads(text, parse_constant=_no_constants, parse_float=_finite)
    except json.JSONDecodeError as exc:
        if not text[exc.pos :].strip() or exc.msg.startswith("Unterminated string"):
            message = "JSON ends unexpectedly: the file is truncated"
        else:
            message = f"not valid JSON: {exc.msg}"
        raise refuse(name, message, exc.lineno, exc.colno) from None
    except RecursionError:
        raise refuse(name, "JSON is nested too deeply to read") from None
    except ValueError as exc:  # NaN/Infinity, or an integer with too many digits
        raise refuse(name, f"not usable JSON: {exc}") from None


def load_json_lines(data: bytes, name: str) -> list[Any]:
    """Parse JSON Lines (one document per non-blank line), e.g. ``.intoto.jsonl``."""
    documents: list[Any] = []
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            documents.append(load_json(line, name))
        except ArtefactError as exc:
            problem = exc.problems[0]
            raise refuse(name, problem.message, number, problem.col) from None
    return documents
