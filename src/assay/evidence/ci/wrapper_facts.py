"""The ``ci.workflows`` facts about wrapper commands: what was read, what it runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assay.evidence.ci.definitions import Definition

MAX_WRAPPERS = 100
MAX_SUMMARY = 50


def wrapper_facts(definitions: Sequence[Definition]) -> dict[str, Any]:
    """``wrappers`` (one entry per wrapper command and place) and ``wrapper_summary``."""
    seen: set[tuple[str, int, str]] = set()
    entries: list[dict[str, Any]] = []
    for definition in sorted(definitions, key=lambda d: d.path):
        for line, read in sorted(definition.wrappers, key=lambda item: item[0]):
            key = (definition.path, line, read.command)
            if key in seen:
                continue
            seen.add(key)
            entries.append(
                {
                    "file": definition.path,
                    "line": max(line, 1),
                    "command": read.command,
                    "kind": read.kind,
                    "read": read.file,
                    "followed": read.followed,
                    "tools": [
                        {"category": t.category, "name": t.name, "file": t.file, "line": t.line}
                        for t in read.tools
                    ],
                    "not_followed": [
                        {"command": n.command, "file": n.file, "line": n.line} for n in read.nested
                    ],
                    "problem": read.problem,
                    "summary": read.summary(),
                }
            )
    summary = list(dict.fromkeys(entry["summary"] for entry in entries))
    return {"wrappers": entries[:MAX_WRAPPERS], "wrapper_summary": summary[:MAX_SUMMARY]}
