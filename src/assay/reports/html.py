"""Rendering a :class:`~assay.reports.model.ServiceReport` to HTML (the pack's source).

Jinja2 with autoescape on for every template and a ``finalize`` hook that redacts each
value before it is escaped: every string a template prints, from any source, passes
through :func:`~assay.reports.redact.redact` and then HTML escaping. Only values this
package builds itself (the stylesheet, the SVG charts) are :class:`~markupsafe.Markup`
and skip both. The stylesheet is inlined, so the HTML is one self-contained file.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from assay.durations import isoformat
from assay.reports.charts import CoverageBar, coverage_chart, status_chart, trend_chart
from assay.reports.model import ServiceReport, anchor
from assay.reports.redact import redact


def _finalize(value: Any) -> Any:
    if isinstance(value, Markup):
        return value
    if isinstance(value, str):
        return redact(value)
    return value


def when(moment: datetime | None) -> str:
    """``2026-03-01 12:00:00 UTC``."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def filesize(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{size:,} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"  # pragma: no cover - the loop always returns


def css_token(value: str) -> str:
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "_" for ch in value)


_HEX_RUN = re.compile(r"\b[0-9a-f]{16,}\b")


def tokens(value: str) -> Markup:
    """Text whose hex runs (commit ids, hashes) never break or hyphenate: redacted,
    escaped, each run of 16 or more hex digits kept whole."""
    text = str(escape(redact(value)))
    return Markup(_HEX_RUN.sub(lambda m: f'<span class="hash">{m.group(0)}</span>', text))  # noqa: S704  # nosec B704 - escaped above


def technical(value: str) -> Markup:
    """A technical line as printed: counts agree with their nouns, hex runs kept whole."""
    from assay.reports.reasons import singular_after_one

    return tokens(singular_after_one(value))


def count(number: int, noun: str, plural: str | None = None) -> str:
    """``1 control``, ``2 controls``; ``plural`` for nouns that do not just add an s."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def status_label(value: str) -> str:
    return value.replace("_", " ")


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("assay.reports", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters.update(
        when=when,
        w3c=isoformat,  # the W3C date-time form PDF metadata is written from
        filesize=filesize,
        count=count,
        tokens=tokens,
        technical=technical,
        css_token=css_token,
        status_label=status_label,
        control_anchor=lambda cid: anchor("control", cid),
        evidence_anchor=lambda eid: anchor("evidence", eid),
    )
    return env


@cache
def stylesheet() -> Markup:
    text = resources.files("assay.reports").joinpath("static/pack.css").read_text("utf-8")
    return Markup(text)  # noqa: S704  # nosec B704 - the package's own stylesheet


def charts(report: ServiceReport) -> dict[str, Markup]:
    bars = [
        CoverageBar(f.title, f.coverage["covered"], f.coverage["partial"], f.coverage["uncovered"])
        for f in report.frameworks
    ]
    points = [(point.as_of.strftime("%Y-%m-%d"), point.pass_ratio) for point in report.trend]
    return {
        "status": status_chart(report.counts),
        "coverage": coverage_chart(bars),
        "trend": trend_chart(points),
    }


def render_html(
    report: ServiceReport,
    *,
    pack: bool = False,
    manifest_sha256: str | None = None,
    pack_name: str = "pack.pdf",
    attached: int = 0,
) -> str:
    """The report as one HTML document (``pack=True``: the PDF pack's variant)."""
    template = environment().get_template("pack.html.j2")
    return template.render(
        report=report,
        facts=report.facts,
        counts=report.counts,
        charts=charts(report),
        sections={control.id for control in report.controls},
        css=stylesheet(),
        pack=pack,
        manifest_sha256=manifest_sha256,
        pack_name=pack_name,
        attached=attached,
    )
