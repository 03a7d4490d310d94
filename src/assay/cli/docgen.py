"""Render the command reference (docs/cli.md) from the commands' real ``--help``.

    python -m assay.cli.docgen > docs/cli.md

A test compares the committed page with this output, so a command, an option or
a help text cannot change without the reference following.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import typer
import typer.main
from typer.testing import CliRunner

from assay.cli.app import app
from assay.cli.output import echo

HEADER = """\
# Command reference

Generated from the commands' own `--help` by `python -m assay.cli.docgen > docs/cli.md`;
a test keeps this page current. Exit codes everywhere: `0` success (the gate allows),
`1` the gate blocks or a check finds failures, `2` the command could not decide (bad input,
bad configuration, store unreachable), `141` its output was closed before it finished
(`assay library list | head -1`): it stops quietly, as a program ended by SIGPIPE does, and
never reports success it could not finish writing.
"""


def _walk(command: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    if not hasattr(command, "list_commands"):
        return
    names = command.list_commands(None)
    for name in sorted(names) if path else names:
        yield from _walk(command.get_command(None, name), (*path, name))


def command_paths() -> list[tuple[str, ...]]:
    """Every command and group, as argument paths (the root is ``()``)."""
    root = typer.main.get_command(app)
    return [path for path, _ in _walk(root, ())]


def render() -> str:
    runner = CliRunner()
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"
    try:
        sections = [HEADER]
        for path in command_paths():
            result = runner.invoke(app, [*path, "--help"], prog_name="assay")
            title = " ".join(("assay", *path))
            sections.append(f"## `{title}`\n\n```text\n{result.stdout.rstrip()}\n```\n")
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old
    return "\n".join(sections)


if __name__ == "__main__":
    echo(render(), nl=False)
