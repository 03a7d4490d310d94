"""One HTTP client for every platform request (httpx).

- **Timeouts** on connect and read; **retries** with exponential backoff and jitter on
  connection errors, timeouts and 5xx answers (GET and GraphQL reads only; both are
  idempotent).
- **Rate limits**: a ``429``, or a ``403`` that says it is a rate limit (``Retry-After``,
  or ``X-RateLimit-Remaining: 0``, GitHub's secondary limits), waits for ``Retry-After`` or
  the reset time (``X-RateLimit-Reset`` / ``RateLimit-Reset``, epoch seconds) and retries;
  a wait longer than ``max_wait`` fails with the time the limit lifts. A response that
  leaves no budget makes the next request wait for the reset first.
- **Conditional requests** through :class:`~assay.platforms.cache.ResponseCache`.
- **Pagination** by ``Link: <...>; rel="next"`` (GitHub and GitLab REST both send it).
- **Counting**: :attr:`Transport.requests` (every request sent) and
  :attr:`Transport.charged` (requests the platform answered other than ``304``, the ones
  its rate limit counts).

401, 403 (not a rate limit) and 404 are answers, returned to the provider, which turns them
into :class:`~assay.platforms.model.Access` values. The token travels only in a request
header and never appears in an error or in ``repr``.

**Downloads** (:meth:`Transport.download`, CI artefact archives) are read as bytes, never
as JSON, and size-capped while streaming. Their redirects are followed by hand: within the
API's origin with the token; to another host (GitHub and GitLab hand archives out from
blob storage through short-lived signed URLs) *without* any credentials, never from https
to http, at most :data:`MAX_REDIRECTS` hops.
"""

from __future__ import annotations

import json
import os
import random
import re
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urljoin, urlsplit

import certifi
import httpx

from assay import __version__
from assay.display import mask_url
from assay.errors import CollectorError
from assay.platforms.cache import Entry, ResponseCache, cache_key
from assay.platforms.ci_model import Download
from assay.platforms.identity import Credentials

_NEXT = re.compile(r'<([^<>]+)>\s*;\s*rel="?next"?')
MAX_PAGES = 1000
MAX_BODY_BYTES = 32 * 1024 * 1024
MAX_REDIRECTS = 5
_REDIRECTS = (301, 302, 303, 307, 308)


@cache
def tls_context() -> ssl.SSLContext:
    """One certificate-checking TLS context for every client of the process.

    Building one reads the whole CA bundle (some 70 ms); a collection opens a client per
    repository and per pipeline, so they share it. It trusts what httpx would: the
    ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` the environment names, else certifi's bundle.
    """
    cafile = os.environ.get("SSL_CERT_FILE") or None
    capath = os.environ.get("SSL_CERT_DIR") or None
    if cafile is None and capath is None:
        cafile = certifi.where()
    return ssl.create_default_context(cafile=cafile, capath=capath)


class PlatformError(CollectorError):
    """The platform could not be reached or kept failing; nothing was read."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: Any
    url: str
    from_cache: bool = False

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300 or self.from_cache

    def next_url(self) -> str | None:
        link = self.headers.get("link")
        if not link:
            return None
        match = _NEXT.search(link)
        return match.group(1) if match else None


class Transport:
    """Requests to one API base with one set of credentials."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials | None,
        *,
        cache: ResponseCache | None = None,
        timeout: float = 20.0,
        retries: int = 4,
        max_wait: float = 120.0,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        client: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self._origin = urlsplit(self.base_url)[:2]
        self.credentials = credentials
        self.cache = cache
        self.retries = retries
        self.max_wait = max_wait
        self.backoff = backoff
        self.sleep = sleep
        self.clock = clock
        self.requests = 0
        self.charged = 0
        self._not_before = 0.0
        headers = {"User-Agent": f"assay/{__version__}", "Accept": "application/json"}
        self._client = client or httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            headers=headers,
            follow_redirects=True,
            verify=tls_context(),
        )

    def __repr__(self) -> str:
        return f"Transport({mask_url(self.base_url)!r})"

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ----------------------------------------------------------------- requests

    def url(self, path: str) -> str:
        """``path`` under the API base; a full URL must stay on the base's origin (a
        ``Link`` header pointing elsewhere would take the token with it)."""
        full = urljoin(self.base_url, path.lstrip("/")) if "://" not in path else path
        if urlsplit(full)[:2] != self._origin:
            raise PlatformError(
                f"the platform pointed to {mask_url(full)}, outside its API at "
                f"{mask_url(self.base_url)}; refused"
            )
        return full

    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> Response:
        """A GET, conditional when an earlier answer is kept."""
        url = str(httpx.URL(self.url(path), params=dict(params or {})))
        return self._send("GET", url, None)

    def graphql(self, query: str, variables: Mapping[str, Any], path: str = "graphql") -> Response:
        """A GraphQL query (a POST); errors in the answer are the caller's to read."""
        body = json.dumps({"query": query, "variables": dict(variables)}, sort_keys=True)
        return self._send("POST", self.url(path), body.encode())

    def pages(self, path: str, params: Mapping[str, str | int] | None = None) -> Iterator[Response]:
        """Every page of a list, following ``rel="next"``; stops at the first answer that is
        not a success (yielding it, so the caller sees a refusal)."""
        response = self.get(path, params)
        for _ in range(MAX_PAGES):
            yield response
            following = response.next_url() if response.ok else None
            if not following:
                return
            response = self._send("GET", self.url(following), None)
        raise PlatformError(f"{mask_url(path)}: more than {MAX_PAGES} pages; refused")

    def download(self, path: str, max_bytes: int) -> Download:
        """An archive's bytes (see the module docstring); 404, 410, 401 and 403 are values."""
        url = self.url(path)
        for _ in range(MAX_REDIRECTS + 1):
            on_api = urlsplit(url)[:2] == self._origin
            status, headers, data = self._fetch(url, on_api, max_bytes)
            if status in _REDIRECTS and headers.get("location"):
                following = urljoin(url, headers["location"])
                if urlsplit(url).scheme == "https" and urlsplit(following).scheme != "https":
                    raise PlatformError(f"{mask_url(url)}: redirected to plain http; refused")
                if urlsplit(following).scheme not in ("https", "http"):
                    raise PlatformError(f"{mask_url(url)}: redirected to {mask_url(following)}")
                url = following
                continue
            if status == 200:
                if data is None:
                    return Download("too_large", None, f"over the {max_bytes:,} byte limit")
                return Download("read", data)
            if status == 410:
                return Download("expired", None, "HTTP 410: gone from the CI system")
            if status == 404:
                return Download("missing", None, "HTTP 404: not found (expired or deleted?)")
            return Download("refused", None, f"HTTP {status}")
        raise PlatformError(f"{mask_url(path)}: more than {MAX_REDIRECTS} redirects; refused")

    def _fetch(
        self, url: str, on_api: bool, max_bytes: int
    ) -> tuple[int, dict[str, str], bytes | None]:
        """One hop of a download: the token only on the API's origin; the body read up to
        ``max_bytes`` (None past it). Retries and rate limits as for any request."""
        attempt = 0
        while True:
            if on_api:
                self._wait_for_budget()
            headers = dict(self.credentials.headers()) if (on_api and self.credentials) else {}
            headers["Accept"] = "*/*"
            self.requests += 1
            try:
                with self._client.stream(
                    "GET", url, headers=headers, follow_redirects=False
                ) as answer:
                    if answer.status_code in (403, 429):
                        answer.read()  # a refusal's short message says if it is a limit
                    wait = self._rate_limit_wait(answer) if on_api else None
                    retry = wait is not None or answer.status_code >= 500
                    data = None if retry else _capped(answer, max_bytes)
            except httpx.TransportError as exc:
                if attempt >= self.retries:
                    raise PlatformError(
                        f"{mask_url(url)}: {type(exc).__name__} after {attempt + 1} attempts"
                    ) from None
                self._pause(self._backoff(attempt))
                attempt += 1
                continue
            if retry:
                if attempt >= self.retries:
                    raise PlatformError(f"{mask_url(url)}: HTTP {answer.status_code}, gave up")
                self._pause(wait if wait is not None else self._backoff(attempt), url)
                attempt += 1
                continue
            if on_api:
                self.charged += 1
                self._note_budget(answer)
            found = {name.lower(): value for name, value in answer.headers.items()}
            return answer.status_code, found, data

    # ----------------------------------------------------------------- machinery

    def _headers(self, cached: Entry | None, method: str) -> dict[str, str]:
        headers = dict(self.credentials.headers()) if self.credentials else {}
        if method == "POST":
            headers["Content-Type"] = "application/json"
        if cached is not None:
            if cached.etag:
                headers["If-None-Match"] = cached.etag
            elif cached.last_modified:
                headers["If-Modified-Since"] = cached.last_modified
        return headers

    def _send(self, method: str, url: str, body: bytes | None) -> Response:
        key = cache_key(method, url, body or b"")
        cached = self.cache.get(key) if (self.cache and method == "GET") else None
        attempt = 0
        while True:
            self._wait_for_budget()
            try:
                self.requests += 1
                answer = self._client.request(
                    method, url, content=body, headers=self._headers(cached, method)
                )
            except httpx.TransportError as exc:
                if attempt >= self.retries:
                    raise PlatformError(
                        f"{mask_url(url)}: {type(exc).__name__} after {attempt + 1} attempts"
                    ) from None
                self._pause(self._backoff(attempt))
                attempt += 1
                continue
            wait = self._rate_limit_wait(answer)
            if wait is not None or answer.status_code >= 500:
                if attempt >= self.retries:
                    what = "rate limited" if wait is not None else f"HTTP {answer.status_code}"
                    raise PlatformError(f"{mask_url(url)}: {what} after {attempt + 1} attempts")
                self._pause(wait if wait is not None else self._backoff(attempt), url)
                attempt += 1
                continue
            self._note_budget(answer)
            return self._response(answer, url, key, cached)

    def _response(
        self, answer: httpx.Response, url: str, key: str, cached: Entry | None
    ) -> Response:
        headers = {name.lower(): value for name, value in answer.headers.items()}
        if answer.status_code == 304 and cached is not None:
            if cached.link is not None:
                headers["link"] = cached.link
            return Response(200, headers, cached.body, url, from_cache=True)
        self.charged += 1
        if len(answer.content) > MAX_BODY_BYTES:
            raise PlatformError(f"{mask_url(url)}: answer larger than {MAX_BODY_BYTES} bytes")
        try:
            parsed = answer.json() if answer.content else None
        except ValueError:
            if 200 <= answer.status_code < 300:
                raise PlatformError(f"{mask_url(url)}: the answer is not JSON") from None
            parsed = None
        etag, modified = headers.get("etag"), headers.get("last-modified")
        if (
            self.cache is not None
            and answer.request.method == "GET"
            and answer.status_code == 200
            and (etag or modified)
        ):
            self.cache.put(key, Entry(url, etag, modified, parsed, headers.get("link")))
        return Response(answer.status_code, headers, parsed, url)

    def _backoff(self, attempt: int) -> float:
        return float(self.backoff * (2**attempt) * (1 + random.random() / 2))  # noqa: S311

    def _pause(self, seconds: float, url: str = "") -> None:
        if seconds > self.max_wait:
            lifts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.clock() + seconds))
            raise PlatformError(
                f"{mask_url(url or self.base_url)}: rate limited until {lifts} "
                f"(longer than the {self.max_wait:.0f} s Assay waits)"
            )
        if seconds > 0:
            self.sleep(seconds)

    def _rate_limit_wait(self, answer: httpx.Response) -> float | None:
        """Seconds to wait before retrying, when the answer is a rate limit; else None."""
        status = answer.status_code
        if status not in (403, 429):
            return None
        headers = answer.headers
        retry_after = headers.get("retry-after")
        if retry_after is not None:
            try:
                return max(0.0, float(retry_after))
            except ValueError:
                return 60.0
        remaining = headers.get("x-ratelimit-remaining", headers.get("ratelimit-remaining"))
        reset = headers.get("x-ratelimit-reset", headers.get("ratelimit-reset"))
        if remaining == "0" and reset is not None:
            try:
                return max(0.0, float(reset) - self.clock()) + 1.0
            except ValueError:
                return 60.0
        if status == 429:
            return 60.0
        text = answer.text[:2000].lower() if answer.content else ""
        if "secondary rate limit" in text or "abuse" in text:
            return 60.0
        return None

    def _note_budget(self, answer: httpx.Response) -> None:
        remaining = answer.headers.get("x-ratelimit-remaining")
        reset = answer.headers.get("x-ratelimit-reset")
        if remaining == "0" and reset is not None:
            try:
                self._not_before = float(reset) + 1.0
            except ValueError:
                return

    def _wait_for_budget(self) -> None:
        if self._not_before:
            delay = self._not_before - self.clock()
            self._not_before = 0.0
            self._pause(delay)


def _capped(answer: httpx.Response, max_bytes: int) -> bytes | None:
    """The body of a 200 answer, or None once it passes ``max_bytes`` (reading stops)."""
    if answer.status_code != 200:
        return b""
    declared = answer.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        return None
    chunks: list[bytes] = []
    size = 0
    for chunk in answer.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
