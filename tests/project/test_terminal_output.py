"""Every line a command prints passes the one terminal-safe echo (assay.cli.output.echo)."""

from __future__ import annotations

import ast

from tests.support.paths import ROOT

CLI = ROOT / "src" / "assay" / "cli"
#: Ways to print that would bypass the escaping of controls and the masking of URLs.
BYPASSES = {("typer", "echo"), ("typer", "secho"), ("click", "echo"), ("click", "secho")}


def test_commands_print_only_through_the_safe_echo() -> None:
    found = []
    for path in sorted(CLI.glob("*.py")):
        if path.name == "output.py":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            call = node.func
            if (
                isinstance(call, ast.Attribute)
                and isinstance(call.value, ast.Name)
                and (call.value.id, call.attr) in BYPASSES
            ):
                found.append(f"{path.name}:{node.lineno}: {call.value.id}.{call.attr}")
            if isinstance(call, ast.Name) and call.id == "print":
                found.append(f"{path.name}:{node.lineno}: print")
    assert found == []
    assert (CLI / "output.py").read_text("utf-8").count("typer.echo(") == 1
