"""Pulled CI runs kept between collections, so a run that has not changed costs one request.

A pull is kept under a key made of the project, the pipeline's selection and the run's
*fingerprint* (its id, attempt, status and last update as the run list shows them): the
``ci.run`` facts, and every artefact archive downloaded, stored by its sha256. When the
next collection's run list (itself a conditional request, ``304`` when unchanged) shows
the same run with the same fingerprint, the kept facts and archives are used again, each
archive checked against its digest; one that is missing or does not match makes the
pull start over. Nothing here holds a token or a URL with credentials.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assay.platforms.cache import keep_bytes

_VERSION = 1


def kept_key(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big") + part.encode())
    return digest.hexdigest()


def _write(path: Path, data: bytes) -> None:
    keep_bytes(path, data)  # a run not kept is only pulled again next time


class KeptRuns:
    """Kept pulls in ``folder`` (``.assay/cache/ci``), created on first write."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def get(self, key: str, max_bytes: int) -> tuple[dict[str, Any], dict[str, bytes]] | None:
        """The kept facts and archives (sha256 -> bytes), or None when anything is off."""
        try:
            data = json.loads((self.folder / "runs" / f"{key}.json").read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("version") != _VERSION:
            return None
        facts, digests = data.get("facts"), data.get("archives")
        if not isinstance(facts, dict) or not isinstance(digests, list):
            return None
        archives: dict[str, bytes] = {}
        for digest in digests:
            if not isinstance(digest, str) or len(digest) != 64:
                return None
            blob = self.folder / "blobs" / digest
            try:
                if blob.stat().st_size > max_bytes:
                    return None
                content = blob.read_bytes()
            except OSError:
                return None
            if hashlib.sha256(content).hexdigest() != digest:
                return None
            archives[digest] = content
        return facts, archives

    def put(self, key: str, facts: Mapping[str, Any], archives: Mapping[str, bytes]) -> None:
        for digest, content in archives.items():
            blob = self.folder / "blobs" / digest
            if not blob.exists():
                _write(blob, content)
        record = {"version": _VERSION, "facts": dict(facts), "archives": sorted(archives)}
        _write(self.folder / "runs" / f"{key}.json", json.dumps(record).encode())
