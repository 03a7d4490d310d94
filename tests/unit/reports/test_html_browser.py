"""The HTML report in a real browser: headless Chromium (Debian's ``chromium`` package).

A copy of the report gets one script, first in its head, that records console errors and
uncaught exceptions, then, once the page has loaded, writes into the page what it measured:
every element wider than the viewport and every internal link without a target. Chromium
dumps the resulting DOM (``--dump-dom``) at 1280 and at 390 pixels wide, and saves a
screenshot of each width in the test's temporary folder.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from assay.reports.html import render_html
from assay.reports.model import ServiceReport

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    BROWSER is None, reason="chromium is not installed (Debian: apt-get install chromium)"
)

PROBE = """<script>
window.__errors = [];
window.addEventListener("error", e => window.__errors.push(String(e.message)));
const original = console.error;
console.error = (...args) => { window.__errors.push(args.join(" ")); original(...args); };
window.addEventListener("load", () => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && (box.right > width + 0.5 || box.left < -0.5)) {
      wide.push(el.tagName + (el.id ? "#" + el.id : "") + " " + Math.round(box.right));
    }
  }
  const dead = [];
  for (const a of document.querySelectorAll('a[href^="#"]')) {
    const id = decodeURIComponent(a.getAttribute("href").slice(1));
    if (!document.getElementById(id)) dead.push(id);
  }
  const links = document.querySelectorAll('a[href^="#"]').length;
  parent.postMessage(JSON.stringify({width, wide, dead, errors: window.__errors, links}), "*");
});
</script>"""

#: Headless windows are at least 500 pixels wide: the report is measured inside a frame
#: of the wanted width (its own viewport: media queries and widths follow the frame).
HARNESS = """<!DOCTYPE html><html><head><meta charset="utf-8"></head>
<body style="margin:0"><iframe src="report.html" width="{width}" height="900"
style="border:0;display:block"></iframe>
<script>
window.addEventListener("message", e => {{
  const out = document.createElement("pre");
  out.id = "assay-probe";
  out.textContent = e.data;
  document.body.appendChild(out);
}});
</script></body></html>"""


def browse(page: Path, width: int, shot: Path) -> dict[str, object]:
    assert BROWSER is not None
    common = [
        BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
        "--no-first-run", "--disable-extensions", f"--window-size={max(width, 500)},900",
        "--virtual-time-budget=10000",
    ]  # fmt: skip
    dumped = subprocess.run(
        [*common, "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=180, check=True,
    )  # fmt: skip
    subprocess.run(
        [*common, f"--screenshot={shot}", page.as_uri()],
        capture_output=True, timeout=180, check=True,
    )  # fmt: skip
    found = re.search(r'<pre id="assay-probe">(.*?)</pre>', dumped.stdout, re.S)
    assert found, dumped.stderr[-2000:]
    import html

    result: dict[str, object] = json.loads(html.unescape(found.group(1)))
    return result


@pytest.mark.parametrize("width", [1280, 390])
def test_the_report_renders_cleanly_in_chromium(
    report: ServiceReport, width: int, tmp_path: Path
) -> None:
    text = render_html(report).replace("<head>", "<head>\n" + PROBE, 1)
    (tmp_path / "report.html").write_text(text, encoding="utf-8")
    page = tmp_path / "harness.html"
    page.write_text(HARNESS.format(width=width), encoding="utf-8")
    shot = tmp_path / f"report-{width}.png"
    result = browse(page, width, shot)
    assert result["width"] == width
    assert result["errors"] == []
    assert result["wide"] == []
    assert result["dead"] == []
    assert isinstance(result["links"], int)
    assert result["links"] > 5
    assert shot.stat().st_size > 10_000  # a screenshot of a page, not of nothing
