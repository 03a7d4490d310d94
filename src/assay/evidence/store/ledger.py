"""The ledger's hash chain and the hashes of stored assessments.

An entry's hash covers every field of the entry but itself, including the previous
entry's hash, so changing, removing or reordering any entry breaks every later link:
``assay verify --store`` recomputes them all.
"""

from __future__ import annotations

from typing import Any

from assay.evidence.model import canonical_json, sha256_hex


def entry_content(
    *,
    seq: int,
    entry_type: str,
    ref_id: str,
    collected_at: str,
    collector: str,
    context: dict[str, Any],
    prev_hash: str,
) -> dict[str, Any]:
    """Exactly what an entry hash covers (``collected_at`` as the stored text)."""
    return {
        "seq": seq,
        "entry_type": entry_type,
        "ref_id": ref_id,
        "collected_at": collected_at,
        "collector": collector,
        "context": context,
        "prev_hash": prev_hash,
    }


def entry_hash(**fields: Any) -> str:
    """sha256 of the canonical JSON of :func:`entry_content`."""
    return sha256_hex(canonical_json(entry_content(**fields)).encode("utf-8"))


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
