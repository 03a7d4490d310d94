"""Where every command group is attached to the root app.

Each top-level command lives in the module of the same name under ``assay.cli``,
whose ``register(app)`` attaches it; this list is the one place that names them,
in the order ``assay --help`` lists them. The root group loads a module only when
its command runs (a test checks every module registers exactly its own name).
"""

from __future__ import annotations

import importlib
from typing import Any

GROUPS: tuple[str, ...] = (
    "init",
    "services",
    "library",
    "frameworks",
    "coverage",
    "collect",
    "store",
    "evidence",
    "verify",
    "check",
    "gate",
    "assessments",
    "waivers",
    "attest",
    "report",
    "demo",
)


def _noop() -> None:
    """A callback, so the holder app below is always a group."""


def load_command(name: str) -> Any:
    """Import ``assay.cli.<name>`` and build its (click) command with typer."""
    import typer.main

    module = importlib.import_module(f"assay.cli.{name}")
    holder = typer.Typer(add_completion=False, rich_markup_mode=None)
    holder.callback()(_noop)
    module.register(holder)
    group = typer.main.get_command(holder)
    commands: dict[str, Any] = getattr(group, "commands", {})
    if set(commands) != {name}:
        raise RuntimeError(f"assay.cli.{name} must register exactly the command '{name}'")
    return commands[name]
