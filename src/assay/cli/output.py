"""The one way commands write text: echo, JSON and tables, all made terminal-safe.

Every line a command prints goes through :func:`echo`, so text someone else wrote (a
file name in a CI artefact, a service name, an imported framework's title, a URL with a
credential) cannot drive the terminal or leak a password into a CI log: see
:func:`assay.display.terminal_safe`. JSON output keeps its exact value, since the
escapes it uses are JSON's own.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

import typer

from assay.display import terminal_safe


def echo(message: str = "", *, err: bool = False, nl: bool = True) -> None:
    """Print ``message`` (to stderr with ``err``) with controls escaped and URL
    credentials masked."""
    typer.echo(terminal_safe(message), err=err, nl=nl)


def echo_json(data: Any) -> None:
    echo(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False, default=str))


def table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    """A plain aligned text table (no colour, stable for CI logs and tests); a cell's
    line breaks and tabs are escaped too, so no cell can forge a row."""
    headers = [terminal_safe(h, keep_breaks=False) for h in headers]
    rows = [[terminal_safe(c, keep_breaks=False) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in rows:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], len(cell))
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def is_tty() -> bool:
    return sys.stderr.isatty()
