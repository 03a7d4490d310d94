"""The ledger's hash chain and the hashes of stored assessments.

An entry's hash covers every field of the entry but itself, including the previous
entry's hash, so changing, removing or reordering any entry breaks every later link:
``assay verify --store`` recomputes them all.
"""

from __future__ import annotations

from typing import Any

from assay.evidence.chain import entry_content, entry_hash
from assay.evidence.model import canonical_json, sha256_hex

__all__ = [
    "assessment_id",
    "assessment_identity",
    "entry_content",
    "entry_hash",
    "payload_hash",
]


def assessment_identity(
    service: str, as_of: str, library_digest: str, payload: dict[str, Any]
) -> dict[str, Any]:
    """What an assessment's id covers; ``as_of`` as the stored text."""
    return {
        "service": service,
        "as_of": as_of,
        "library_digest": library_digest,
        "payload": payload,
    }


def assessment_id(service: str, as_of: str, library_digest: str, payload: dict[str, Any]) -> str:
    identity = assessment_identity(service, as_of, library_digest, payload)
    return sha256_hex(canonical_json(identity).encode("utf-8"))


def payload_hash(payload: dict[str, Any]) -> str:
    return sha256_hex(canonical_json(payload).encode("utf-8"))
