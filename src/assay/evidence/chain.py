"""The ledger's entry hash, shared by the store and by offline pack verification.

An entry's hash covers every field of the entry but itself, including the previous
entry's hash, so changing, removing or reordering any entry breaks every later link. This
module needs no database: ``assay verify PACK`` recomputes the entries a pack carries.
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
