"""The PDF renderer fetches nothing outside the package and attaches only what we give it.

A real HTTP server on 127.0.0.1 records every request it receives; hostile references
to it (images, stylesheets, CSS ``url()``, ``<link rel=attachment>``, fonts) and to
local files must produce no request and no extra attachment, both when they arrive as
evidence text (escaped) and when raw HTML reaches the renderer (the fetcher's wall).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from pypdf import PdfReader

from assay.reports.gather import gather
from assay.reports.manifest import PackFile
from assay.reports.pdf import build_pack, render_pdf
from tests.unit.reports.sample import Sample


class Recorder(BaseHTTPRequestHandler):
    requests: list[str] = []  # noqa: RUF012 - shared by the server's handler instances

    def do_GET(self) -> None:
        Recorder.requests.append(self.path)
        self.send_response(302)  # a redirect the renderer must not follow either
        self.send_header("Location", "file:///etc/passwd")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def server() -> Iterator[int]:
    Recorder.requests = []
    httpd = HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_the_server_records_requests(server: int) -> None:
    """The recorder works: otherwise the tests below would prove nothing."""
    import urllib.request

    with pytest.raises(OSError, match="file"):  # urllib refuses the redirect to file:
        urllib.request.urlopen(f"http://127.0.0.1:{server}/probe", timeout=5)
    assert Recorder.requests == ["/probe"]


def test_hostile_evidence_text_fetches_nothing_and_attaches_nothing(server: int) -> None:
    sample = Sample(port=server)
    pack = build_pack(gather(sample.sources()), sample.blob)
    assert Recorder.requests == []
    assert pack.refused == ()  # escaped: the renderer never even saw a reference
    names = sorted(PdfReader(io.BytesIO(pack.pdf)).attachments)
    assert names == sorted(pack.attachment_names)
    assert f"127.0.0.1:{server}" in pack.html  # the text is there, as text


def test_raw_html_references_are_refused_by_the_fetcher(server: int) -> None:
    base = f"http://127.0.0.1:{server}"
    html = f"""<!DOCTYPE html><html><head>
<link rel="stylesheet" href="{base}/style.css">
<link rel="attachment" href="file:///etc/passwd">
<link rel="attachment" href="{base}/attach">
<style>
@import url({base}/import.css);
@font-face {{ font-family: x; src: url({base}/font.woff); }}
body {{ background: url({base}/bg.png); font-family: x; }}
</style></head><body>
<p>text</p>
<img src="file:///etc/passwd"><img src="{base}/img.png">
<a rel="attachment" href="{base}/a">a</a>
<object data="{base}/object"></object><iframe src="{base}/frame"></iframe>
<img src="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E">
</body></html>"""
    moment = datetime(2026, 3, 1, tzinfo=UTC)
    files = [PackFile("manifest.json", b"{}", "manifest", "manifest")]
    pdf, refused = render_pdf(html, files, moment)
    assert Recorder.requests == []
    assert "file:///etc/passwd" in refused
    assert f"{base}/img.png" in refused
    assert f"{base}/style.css" in refused
    assert list(PdfReader(io.BytesIO(pdf)).attachments) == ["manifest.json"]


def test_data_uris_and_package_assets_are_served() -> None:
    from assay.reports.fetcher import AssetFetcher, RefusedURL

    fetcher = AssetFetcher()
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"
    assert fetcher.fetch("assay-asset:pack.css").read().startswith(b"/* Assay evidence pack")
    for url in ("assay-asset:../../etc/passwd", "file:///etc/passwd", "https://example.org/"):
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)
    assert fetcher.refused == [
        "assay-asset:../../etc/passwd",
        "file:///etc/passwd",
        "https://example.org/",
    ]
