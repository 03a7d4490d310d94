"""What the assessment engine and reports need from a store: a read-only protocol.

The SQL store implements it; tests can use :class:`MemoryEvidence`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from assay.evidence.model import Evidence


class EvidenceReader(Protocol):
    def latest(
        self, service: str, kinds: Sequence[str], *, as_of: datetime | None = None
    ) -> list[Evidence]:
        """For each (kind, subject key) of ``service``: the record whose latest ledger
        entry at or before ``as_of`` is the most recent one (ledger order; the time a
        record claims, ``observed_at``, never decides), with ``last_collected_at`` set to
        that entry's time. ``as_of=None`` means now."""
        ...

    def get(self, evidence_id: str) -> Evidence | None:
        """One record by id (``last_collected_at`` = its latest ledger entry)."""
        ...


class MemoryEvidence:
    """An in-memory :class:`EvidenceReader` for tests and fakes.

    ``add(evidence, collected_at)`` plays the role of a ledger entry.
    """

    def __init__(self) -> None:
        self._records: dict[str, Evidence] = {}
        self._seen: dict[str, list[datetime]] = {}
        self._order: dict[str, int] = {}

    def add(self, evidence: Evidence, collected_at: datetime) -> None:
        self._records.setdefault(evidence.id, evidence)
        self._seen.setdefault(evidence.id, []).append(collected_at)
        self._order[evidence.id] = sum(map(len, self._seen.values()))

    def _visible(self, as_of: datetime | None) -> Iterable[Evidence]:
        for evidence_id, record in self._records.items():
            seen = [t for t in self._seen[evidence_id] if as_of is None or t <= as_of]
            if seen:
                yield record.model_copy(
                    update={"first_collected_at": min(seen), "last_collected_at": max(seen)}
                )

    def latest(
        self, service: str, kinds: Sequence[str], *, as_of: datetime | None = None
    ) -> list[Evidence]:
        best: dict[tuple[str, str], Evidence] = {}
        for record in self._visible(as_of):
            if record.service != service or record.kind not in kinds:
                continue
            key = (record.kind, record.subject_key)
            current = best.get(key)
            if current is None or self._rank(record) > self._rank(current):
                best[key] = record
        return sorted(best.values(), key=lambda e: (e.kind, e.subject_key))

    def _rank(self, record: Evidence) -> tuple[datetime | None, int]:
        """Ledger order: the later latest entry, then the later addition."""
        return (record.last_collected_at, self._order[record.id])

    def get(self, evidence_id: str) -> Evidence | None:
        for record in self._visible(None):
            if record.id == evidence_id:
                return record
        return None
