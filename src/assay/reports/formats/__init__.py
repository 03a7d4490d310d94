"""Gate output formats: one module per format, each a small :class:`GateFormat`.

These run in every pipeline, so they import nothing heavy: the standard library only.
"""

from __future__ import annotations

import importlib

from assay.reports.formats.interface import FormatContext, GateFormat

#: Format name -> module under this package. The text format is the default.
FORMATS: dict[str, str] = {
    "text": "text",
    "json": "json",
    "junit": "junit",
    "sarif": "sarif",
    "github": "github",
    "gitlab": "gitlab",
}


def gate_format(name: str) -> GateFormat:
    """The format called ``name`` (a key of :data:`FORMATS`)."""
    module = importlib.import_module(f"{__name__}.{FORMATS[name]}")
    formatter: GateFormat = module.FORMAT
    return formatter


__all__ = ["FORMATS", "FormatContext", "GateFormat", "gate_format"]
