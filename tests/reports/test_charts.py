"""The summary charts are plain, escaped, deterministic SVG."""

from __future__ import annotations

from defusedxml import ElementTree

from assay.reports.charts import CoverageBar, coverage_chart, status_chart, trend_chart

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
