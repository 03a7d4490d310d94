"""Conditional requests: remembered responses, so unchanged data costs no rate budget.

A GET whose response carried an ``ETag`` (or ``Last-Modified``) is kept, keyed by the
sha256 of its method, URL and body. The next identical request sends ``If-None-Match``
(``If-Modified-Since``); a ``304 Not Modified`` answer, which GitHub does not count against
the rate limit, is served from the kept body. Only the URL, the validators and the body
are kept: never a request header, so never a token.

Files are written whole (a temporary file renamed into place); a damaged or foreign entry is
ignored and refetched, never trusted.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_VERSION = 1
MAX_ENTRY_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Entry:
    url: str
    etag: str | None
    last_modified: str | None
    body: Any
    link: str | None = None


def cache_key(method: str, url: str, body: bytes = b"") -> str:
    digest = hashlib.sha256()
    for part in (method.upper().encode(), url.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


class ResponseCache:
    """Responses kept as JSON files in ``folder`` (created on first write)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> Entry | None:
        path = self._path(key)
        try:
            if path.stat().st_size > MAX_ENTRY_BYTES:
                return None
            data = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("version") != _VERSION:
            return None
        url, etag, modified, link = (data.get(k) for k in ("url", "etag", "last_modified", "link"))
        if not isinstance(url, str) or not all(
            v is None or isinstance(v, str) for v in (etag, modified, link)
        ):
            return None
        if etag is None and modified is None:
            return None
        return Entry(url, etag, modified, data.get("body"), link)

    def put(self, key: str, entry: Entry) -> None:
        path = self._path(key)
        record = {
            "version": _VERSION,
            "url": entry.url,
            "etag": entry.etag,
            "last_modified": entry.last_modified,
            "link": entry.link,
            "body": entry.body,
        }
        # A cache that cannot be written only costs a refetch next time.
        keep_json(path, record)


def keep_json(path: Path, record: Any) -> bool:
    """Write ``record`` as compact JSON to ``path`` whole, or not at all: False when it
    could not be encoded or written."""
    try:
        data = json.dumps(record, separators=(",", ":")).encode()  # the C encoder
    except (TypeError, ValueError):
        return False
    return keep_bytes(path, data)


def keep_bytes(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` whole (a temporary file renamed into place), or not at
    all: False when it could not be written."""
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        Path(temporary).replace(path)
    except OSError:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        return False
    return True
