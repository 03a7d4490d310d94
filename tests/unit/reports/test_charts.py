"""The summary charts are plain, escaped, deterministic SVG."""

from __future__ import annotations

from defusedxml import ElementTree

from assay.reports.charts import (
    CoverageBar,
    coverage_chart,
    status_chart,
    trend_chart,
    wrap_label,
)

SVG = "{http://www.w3.org/2000/svg}"


def test_the_status_chart_has_one_bar_segment_per_status_present() -> None:
    svg = status_chart({"pass": 3, "fail": 1, "gap": 0})
    root = ElementTree.fromstring(str(svg))
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("height") == "24"]
    assert [b.get("width") for b in bars] == ["360", "120"]
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert labels == ["pass: 3", "gap: 0", "fail: 1"]


def test_labels_are_escaped_and_redacted() -> None:
    bar = CoverageBar("<script>alert(1)</script> AKIAIOSFODNN7EXAMPLE", 1, 1, 2)
    svg = str(coverage_chart([bar]))
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert "AKIA" not in svg
    ElementTree.fromstring(svg)  # still well-formed


def test_the_trend_chart_plots_each_point_and_labels_the_ends() -> None:
    svg = trend_chart([("2026-01-01", 0.5), ("2026-02-01", 0.75), ("2026-03-01", 1.0)])
    root = ElementTree.fromstring(str(svg))
    assert len(list(root.iter(f"{SVG}circle"))) == 3
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "2026-01-01" in texts
    assert "2026-03-01" in texts
    assert "2026-02-01" not in texts


def test_an_empty_trend_says_so() -> None:
    assert "no stored assessments yet" in str(trend_chart([]))


def test_charts_are_deterministic() -> None:
    counts = {"pass": 7, "fail": 2, "waived": 1}
    assert str(status_chart(counts)) == str(status_chart(dict(counts)))


def test_wrap_label_keeps_short_labels_and_wraps_long_ones() -> None:
    assert wrap_label("ISO/IEC 27001:2022", 26) == ["ISO/IEC 27001:2022"]
    assert wrap_label("NIST AI Risk Management Framework (AI RMF 1.0)", 26) == [
        "NIST AI Risk Management",
        "Framework (AI RMF 1.0)",
    ]
    assert wrap_label("UK Government Service Standard with a very long tail of words", 26) == [
        "UK Government Service",
        "Standard with a very long…",
    ]


def test_coverage_chart_draws_every_line_of_a_wrapped_label() -> None:
    svg = str(
        coverage_chart([CoverageBar("NIST AI Risk Management Framework (AI RMF 1.0)", 6, 64, 2)])
    )
    assert ">NIST AI Risk Management</tspan>" in svg
    assert ">Framework (AI RMF 1.0)</tspan>" in svg
    assert "8%" in svg  # 6 of 72 requirements covered
