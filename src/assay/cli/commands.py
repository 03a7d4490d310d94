"""Where every command group is attached to the root app.

Each group lives in its own module; this list is the one place that names them.
"""

from __future__ import annotations

import importlib

import typer

# (module under assay.cli, attribute) in the order `assay --help` lists them.
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


def register(app: typer.Typer) -> None:
    for name in GROUPS:
        module = importlib.import_module(f"assay.cli.{name}")
        module.register(app)
