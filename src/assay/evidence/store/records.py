"""The values the store hands out: results of writes, ledger entries, verification reports.

They are plain frozen dataclasses, free of SQL types, so callers (collectors, the
assessment engine, reports) never see a database row or session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from assay.evidence.model import ensure_utc

#: ``prev_hash`` of the first ledger entry.
GENESIS_HASH = "0" * 64

#: What a ledger entry records: the collection of evidence, or the seal of an assessment.
ENTRY_EVIDENCE = "evidence"
ENTRY_ASSESSMENT = "assessment"
ENTRY_TYPES = (ENTRY_EVIDENCE, ENTRY_ASSESSMENT)


def stamp(moment: datetime) -> str:
    """A UTC instant as fixed-width text to the microsecond: ``2026-01-31T12:00:00.000000Z``.

    The store keeps times as this text on every database, so the bytes a ledger hash covers
    are the bytes stored (no driver or time-zone conversion in between), and text order is
    time order.
    """
    utc = ensure_utc(moment)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T"
        f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{utc.microsecond:06d}Z"
    )


def parse_stamp(text: str) -> datetime:
    """The inverse of :func:`stamp`; also reads the seconds-only form evidence ids use."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@dataclass(frozen=True)
class RecordResult:
    """The outcome of recording one draft.

    ``new`` is false when identical evidence was already stored (deduplicated: only a ledger
    entry was added, which keeps it fresh). ``seq`` is that ledger entry's number.
    """

    evidence_id: str
    new: bool
    seq: int


@dataclass(frozen=True)
class LedgerEntry:
    """One link of the hash chain.

    ``entry_hash`` is the sha256 of the canonical JSON of every other field
    (see :func:`assay.evidence.store.ledger.entry_hash`); ``prev_hash`` is the previous
    entry's ``entry_hash``, or :data:`GENESIS_HASH` for entry 1.
    """

    seq: int
    entry_type: str
    ref_id: str
    collected_at: datetime
    collector: str
    context: dict[str, Any]
    prev_hash: str
    entry_hash: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "entry_type": self.entry_type,
            "ref_id": self.ref_id,
            "collected_at": stamp(self.collected_at),
            "collector": self.collector,
            "context": self.context,
            "prev_hash": self.prev_hash,
            "entry_hash": self.entry_hash,
        }


@dataclass(frozen=True)
class AssessmentRecord:
    """A stored assessment: its canonical JSON payload, kept verbatim, and how to check it.

    ``id`` is the sha256 of the canonical JSON of ``{service, as_of, library_digest,
    payload}``; ``hash`` is the sha256 of the payload's canonical JSON text.
    """

    id: str
    service: str
    as_of: datetime
    created_at: datetime
    library_digest: str
    payload: dict[str, Any]
    hash: str
    seq: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "service": self.service,
            "as_of": stamp(self.as_of),
            "created_at": stamp(self.created_at),
            "library_digest": self.library_digest,
            "hash": self.hash,
            "payload": self.payload,
        }


@dataclass(frozen=True)
class StoreCounts:
    evidence: int
    blobs: int
    ledger: int
    assessments: int


@dataclass
class VerifyReport:
    """What :meth:`Store.verify` found: counts, the ledger head, and every broken item.

    Each problem is one plain line naming the broken item, e.g.
    ``ledger entry 42: entry hash does not match its content``.
    """

    counts: StoreCounts
    head: str | None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        counts = self.counts
        what = (
            f"{counts.evidence} evidence records, {counts.blobs} blobs, "
            f"ledger of {counts.ledger} entries, head {self.head or 'none'}"
        )
        if self.ok:
            return f"store OK: {what}"
        noun = "problem" if len(self.problems) == 1 else "problems"
        return f"store NOT OK: {len(self.problems)} {noun} in {what}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "evidence": self.counts.evidence,
            "blobs": self.counts.blobs,
            "ledger": self.counts.ledger,
            "assessments": self.counts.assessments,
            "head": self.head,
            "problems": list(self.problems),
        }
