"""Plain SVG charts for the executive summary: no plotting library, no scripts, no fonts.

Each function returns :class:`markupsafe.Markup` holding one ``<svg>`` element whose
every piece of text is escaped here, so templates can insert it as is. The output
depends only on the numbers given (fixed decimals, no ids from the clock), which keeps
the PDF byte-identical across runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from assay.reports.redact import redact

#: Display order and colour of every result status (shared with the stylesheet).
STATUS_COLOURS: dict[str, str] = {
    "pass": "#2e7d32",
    "waived": "#7b1fa2",
    "not_applicable": "#9e9e9e",
    "stale": "#f9a825",
    "unverifiable": "#5d4037",
    "gap": "#ef6c00",
    "fail": "#c62828",
    "error": "#4a148c",
}
COVERAGE_COLOURS: dict[str, str] = {
    "covered": "#2e7d32",
    "partial": "#f9a825",
    "uncovered": "#c62828",
}
FONT = 'font-family="sans-serif"'


def _num(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _text(value: str) -> str:
    return str(escape(redact(value)))


def _svg(width: int, height: int, title: str, body: list[str]) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{_text(title)}">'
        f"<title>{_text(title)}</title>"
    )
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704  # nosec B704 - all text escaped


def status_chart(counts: Mapping[str, int], *, width: int = 480) -> Markup:
    """One horizontal bar split by status, with a legend of counts below it."""
    total = sum(counts.values())
    body: list[str] = []
    x = 0.0
    bar_width = float(width)
    order = [s for s in STATUS_COLOURS if counts.get(s)] + sorted(
        s for s in counts if s not in STATUS_COLOURS and counts[s]
    )
    if total == 0:
        body.append(f'<rect x="0" y="0" width="{width}" height="24" fill="#e0e0e0"/>')
    for status in order:
        share = counts[status] / total * bar_width
        colour = STATUS_COLOURS.get(status, "#607d8b")
        body.append(
            f'<rect x="{_num(x)}" y="0" width="{_num(share)}" height="24" fill="{colour}"/>'
        )
        x += share
    legend_y = 44
    column = 0
    for status in [s for s in STATUS_COLOURS if s in counts] + sorted(
        s for s in counts if s not in STATUS_COLOURS
    ):
        lx = (column % 4) * (width / 4)
        ly = legend_y + (column // 4) * 20
        colour = STATUS_COLOURS.get(status, "#607d8b")
        label = f"{status.replace('_', ' ')}: {counts[status]}"
        body.append(f'<rect x="{_num(lx)}" y="{ly - 10}" width="10" height="10" fill="{colour}"/>')
        body.append(
            f'<text x="{_num(lx + 14)}" y="{ly}" font-size="11" {FONT}>{_text(label)}</text>'
        )
        column += 1
    height = legend_y + ((max(column, 1) - 1) // 4) * 20 + 8
    return _svg(width, height, f"Results by status ({total} controls)", body)


@dataclass(frozen=True)
class CoverageBar:
    label: str
    covered: int
    partial: int
    uncovered: int

    @property
    def total(self) -> int:
        return self.covered + self.partial + self.uncovered


def wrap_label(label: str, width: int) -> list[str]:
    """``label`` on at most two lines of about ``width`` characters, cut with an ellipsis."""
    words = label.split()
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}".strip()
        if len(candidate) <= width or not current:
            current = candidate
            continue
        lines.append(current)
        current = word
    lines.append(current)
    if len(lines) > 2:
        lines = [lines[0], " ".join(lines[1:])]
    if len(lines[-1]) > width:
        lines[-1] = lines[-1][: width - 1].rstrip() + "…"
    return lines


def coverage_chart(rows: Sequence[CoverageBar], *, width: int = 480) -> Markup:
    """One stacked bar per framework: covered, partial and uncovered requirements."""
    label_width = 150
    bar_space = width - label_width - 60
    body: list[str] = []
    for index, row in enumerate(rows):
        y = index * 30
        lines = wrap_label(row.label, 26)
        top = y + (14 if len(lines) == 1 else 8)
        spans = "".join(
            f'<tspan x="0" y="{top + 11 * number}">{_text(line)}</tspan>'
            for number, line in enumerate(lines)
        )
        body.append(f'<text font-size="10" {FONT}>{spans}</text>')
        x = float(label_width)
        for name, value in (
            ("covered", row.covered),
            ("partial", row.partial),
            ("uncovered", row.uncovered),
        ):
            if not row.total or not value:
                continue
            share = value / row.total * bar_space
            body.append(
                f'<rect x="{_num(x)}" y="{y + 2}" width="{_num(share)}" height="16" '
                f'fill="{COVERAGE_COLOURS[name]}"/>'
            )
            x += share
        ratio = row.covered / row.total if row.total else 0.0
        body.append(
            f'<text x="{width - 54}" y="{y + 14}" font-size="11" {FONT}>{ratio * 100:.0f}%</text>'
        )
    legend_y = len(rows) * 30 + 14
    body.append(
        f'<text x="{label_width}" y="{legend_y + 18}" font-size="10" {FONT}>'
        "Percentages: requirements the library covers, not compliance</text>"
    )
    for index, name in enumerate(COVERAGE_COLOURS):
        lx = label_width + index * 100
        body.append(
            f'<rect x="{lx}" y="{legend_y - 10}" width="10" height="10" '
            f'fill="{COVERAGE_COLOURS[name]}"/>'
        )
        body.append(f'<text x="{lx + 14}" y="{legend_y}" font-size="11" {FONT}>{name}</text>')
    return _svg(
        width,
        legend_y + 26,
        "Library coverage of each framework's requirements (not a compliance score)",
        body,
    )


def trend_chart(points: Sequence[tuple[str, float]], *, width: int = 480) -> Markup:
    """Pass ratio (0..1) of each stored assessment, oldest first, as a line with dots."""
    height = 150
    left, right, top, bottom = 36, 12, 10, 30
    plot_w = width - left - right
    plot_h = height - top - bottom
    body: list[str] = []
    for tick in (0.0, 0.5, 1.0):
        y = top + plot_h * (1 - tick)
        body.append(
            f'<line x1="{left}" y1="{_num(y)}" x2="{width - right}" y2="{_num(y)}" '
            'stroke="#cfd8dc" stroke-width="1"/>'
        )
        body.append(f'<text x="0" y="{_num(y + 4)}" font-size="10" {FONT}>{tick * 100:.0f}%</text>')
    if not points:
        body.append(
            f'<text x="{left + 8}" y="{top + plot_h / 2:.0f}" font-size="11" {FONT}>'
            "no stored assessments yet</text>"
        )
        return _svg(width, height, "Pass ratio across stored assessments", body)
    step = plot_w / (len(points) - 1) if len(points) > 1 else 0.0
    coords = []
    for index, (_, ratio) in enumerate(points):
        x = left + (index * step if len(points) > 1 else plot_w / 2)
        y = top + plot_h * (1 - max(0.0, min(1.0, ratio)))
        coords.append((x, y))
    if len(coords) > 1:
        path = " ".join(f"{_num(x)},{_num(y)}" for x, y in coords)
        body.append(f'<polyline points="{path}" fill="none" stroke="#1565c0" stroke-width="2"/>')
    for x, y in coords:
        body.append(f'<circle cx="{_num(x)}" cy="{_num(y)}" r="3" fill="#1565c0"/>')
    labels = [0, len(points) - 1] if len(points) > 1 else [0]
    for index in labels:
        x, _ = coords[index]
        anchor = "start" if index == 0 and len(points) > 1 else "end"
        if len(points) == 1:
            anchor = "middle"
        body.append(
            f'<text x="{_num(x)}" y="{height - 8}" font-size="10" text-anchor="{anchor}" '
            f"{FONT}>{_text(points[index][0])}</text>"
        )
    return _svg(width, height, "Pass ratio across stored assessments", body)
