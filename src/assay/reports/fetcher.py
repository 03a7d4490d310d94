"""The only way the PDF renderer may load anything: the package's own assets and data: URIs.

WeasyPrint resolves every URL a document names (images, stylesheets, fonts,
``<link rel=attachment>``) through its URL fetcher. Report text is escaped, so
evidence cannot create such references; this fetcher is the second wall. It serves
``assay-asset:NAME`` from ``assay/reports/static`` (names listed there, nothing
else) and ``data:`` URIs decoded in memory, and refuses every other scheme
(``file:``, ``http:``, ``https:``, ``ftp:`` ...) before any I/O: nothing is fetched, so
there is no redirect to follow. Refused URLs are recorded for tests and diagnostics.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import warnings
from importlib import resources
from typing import Any
from urllib.parse import unquote_to_bytes

# WeasyPrint warns at import when the system lacks the optional HarfBuzz subsetting
# library (it then subsets fonts with fontTools, as the pack is tested with): a notice
# for the machine's administrator, not for the person running a report.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="HarfBuzz-Subset", category=DeprecationWarning)
    from weasyprint.urls import URLFetcher, URLFetcherResponse

ASSET_SCHEME = "assay-asset"
MAX_DATA_URI_BYTES = 8 * 1024 * 1024


class RefusedURL(ValueError):
    """A URL the renderer must not load."""


def _asset_names() -> frozenset[str]:
    folder = resources.files("assay.reports").joinpath("static")
    return frozenset(item.name for item in folder.iterdir() if item.is_file())


class AssetFetcher(URLFetcher):  # type: ignore[misc]
    """A URL fetcher that performs no network or file-system access outside the package."""

    def __init__(self) -> None:
        super().__init__(
            timeout=1,
            allowed_protocols=("data", ASSET_SCHEME),
            allow_redirects=False,
            fail_on_errors=False,
        )
        self.refused: list[str] = []
        self.served: list[str] = []
        self._assets = _asset_names()

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            body, media_type = decode_data_uri(url)
            self.served.append("data:")
            return URLFetcherResponse(url, body, {"Content-Type": media_type})
        if scheme == ASSET_SCHEME:
            name = url.split(":", 1)[1].lstrip("/")
            if name in self._assets:
                data = (
                    resources.files("assay.reports").joinpath("static").joinpath(name).read_bytes()
                )
                media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
                self.served.append(url)
                return URLFetcherResponse(url, data, {"Content-Type": media_type})
        self.refused.append(url)
        raise RefusedURL(f"refused to load {url[:200]!r}: reports load only their own assets")

    def open(self, url: Any, data: Any = None, timeout: Any = None) -> URLFetcherResponse:
        full = url.full_url if hasattr(url, "full_url") else str(url)
        return self.fetch(full)

    def __call__(self, url: str) -> URLFetcherResponse:
        return self.fetch(url)


def decode_data_uri(url: str) -> tuple[bytes, str]:
    """Decode ``data:[<media type>][;base64],<data>`` without any I/O."""
    try:
        header, payload = url[5:].split(",", 1)
    except ValueError:
        raise RefusedURL("malformed data: URI") from None
    params = header.split(";")
    media_type = params[0] or "text/plain"
    if len(payload) > MAX_DATA_URI_BYTES * 2:
        raise RefusedURL("data: URI too large")
    if "base64" in params[1:]:
        try:
            body = base64.b64decode(unquote_to_bytes(payload), validate=False)
        except (binascii.Error, ValueError):
            raise RefusedURL("malformed base64 in data: URI") from None
    else:
        body = unquote_to_bytes(payload)
    return body, media_type
