"""The typed records the store hands out, declared once with SQLModel.

Each table's fields are declared here, once, with their column types and validation
(:mod:`assay.evidence.store.columns`); :mod:`assay.evidence.store.tables` derives the
tables from the same classes. A record is validated when it is built: a hash that is not
64 hex characters, a time that is not a UTC instant or a name that is empty is refused
with a :class:`pydantic.ValidationError`, and the store reports a stored row that does not
validate as altered (:class:`assay.errors.IntegrityError`).

- :class:`Evidence` (also importable from :mod:`assay.evidence.model`): one evidence
  record, with when it was first and last collected as of a query;
- :class:`LedgerEntry`: one link of the hash chain (the ``ledger`` table's row);
- :class:`AssessmentRecord`: a stored assessment and the seal's ledger number;
- :class:`Anchor`: an RFC 3161 timestamp token over a ledger head (``assay store anchor``).

The outcome values (:class:`RecordResult`, :class:`StoreCounts`, :class:`VerifyReport`)
describe operations, not rows, and stay plain dataclasses. Records are frozen: values,
built validated and never changed (``model_copy(update=...)`` makes a changed copy).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from pydantic import ConfigDict
from sqlmodel import Field, SQLModel

from assay.durations import isoformat
from assay.evidence.model import evidence_identity, subject_key
from assay.evidence.store.columns import (
    SEQ,
    Artefacts,
    CanonicalJSON,
    JSONObject,
    UTCDateTime,
    hash_field,
    json_field,
    name_field,
    parse_stamp,
    stamp,
    stamp_field,
)

__all__ = [
    "ENTRY_ASSESSMENT",
    "ENTRY_EVIDENCE",
    "ENTRY_TYPES",
    "GENESIS_HASH",
    "Anchor",
    "AssessmentFields",
    "AssessmentRecord",
    "Evidence",
    "EvidenceFields",
    "LedgerEntry",
    "RecordResult",
    "StoreCounts",
    "VerifyReport",
    "parse_stamp",
    "stamp",
]

#: ``prev_hash`` of the first ledger entry.
GENESIS_HASH = "0" * 64

#: What a ledger entry records: the collection of evidence, or the seal of an assessment.
ENTRY_EVIDENCE = "evidence"
ENTRY_ASSESSMENT = "assessment"
ENTRY_TYPES = (ENTRY_EVIDENCE, ENTRY_ASSESSMENT)

#: Records are values: built validated, never changed. Validators are built on first use,
#: so a command that builds no record of a kind does not pay for its validator at start-up.
#: (Typed ``Any``: SQLModel declares ``model_config`` as its own kind of ``ConfigDict``.)
FROZEN: Any = ConfigDict(frozen=True, defer_build=True)
#: For the classes that only declare the fields a table and a record share.
DEFERRED: Any = ConfigDict(defer_build=True)


class EvidenceFields(SQLModel):
    """What an evidence row and an :class:`Evidence` record share: the identity's fields."""

    model_config = DEFERRED

    id: str = hash_field(primary_key=True)
    kind: str = name_field()
    service: str = name_field()
    #: What the facts describe, e.g. ``{"repo": "api", "commit": ...}``.
    subject: JSONObject = json_field()
    #: The time the facts describe (whole seconds).
    observed_at: UTCDateTime = stamp_field()
    #: ``name@version`` of the collector.
    collector: str = name_field()
    #: The facts, valid against the kind's JSON Schema.
    facts: JSONObject = json_field()
    artefacts: Artefacts = Field(default=(), sa_type=CanonicalJSON)


class Evidence(EvidenceFields):
    """A stored evidence record, with when it was first and last (re-)collected as of a
    query (``None`` for a record not read from a store)."""

    model_config = FROZEN

    first_collected_at: UTCDateTime | None = None
    last_collected_at: UTCDateTime | None = None

    @property
    def subject_key(self) -> str:
        return subject_key(self.subject)

    def identity(self) -> dict[str, Any]:
        """The canonical content its id was computed from; recomputing it detects tampering."""
        return evidence_identity(self, self.artefacts)

    def to_dict(self) -> dict[str, Any]:
        data = {"id": self.id, **self.identity()}
        if self.first_collected_at is not None:
            data["first_collected_at"] = isoformat(self.first_collected_at)
        if self.last_collected_at is not None:
            data["last_collected_at"] = isoformat(self.last_collected_at)
        return data


class LedgerEntry(SQLModel):
    """One link of the hash chain, as the ``ledger`` table holds it.

    ``entry_hash`` is the sha256 of the canonical JSON of every other field
    (see :func:`assay.evidence.store.ledger.entry_hash`); ``prev_hash`` is the previous
    entry's ``entry_hash``, or :data:`GENESIS_HASH` for entry 1.
    """

    model_config = FROZEN

    #: Position in the chain, from 1, without gaps.
    seq: int = Field(sa_type=SEQ, primary_key=True, ge=1, sa_column_kwargs={"autoincrement": False})
    entry_type: str = Field(
        sa_type=sa.String(20),
        schema_extra={"pattern": f"^({ENTRY_EVIDENCE}|{ENTRY_ASSESSMENT})$"},
    )
    #: The evidence id or assessment id the entry is about.
    ref_id: str = hash_field()
    collected_at: UTCDateTime = stamp_field()
    collector: str = name_field()
    #: Who and where: the CI run or, outside CI, user and host.
    context: JSONObject = json_field()
    prev_hash: str = hash_field()
    entry_hash: str = hash_field()

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


class AssessmentFields(SQLModel):
    """A stored assessment: its canonical JSON payload, kept verbatim, and how to check it.

    ``id`` is the sha256 of the canonical JSON of ``{service, as_of, library_digest,
    payload}``; ``hash`` is the sha256 of the payload's canonical JSON text.
    """

    model_config = DEFERRED

    id: str = hash_field(primary_key=True)
    service: str = name_field()
    #: The moment the assessment judged the evidence at.
    as_of: UTCDateTime = stamp_field()
    #: When it was first stored (its first ledger entry's time).
    created_at: UTCDateTime = stamp_field()
    library_digest: str = name_field()
    payload: JSONObject = json_field()
    hash: str = hash_field()


class AssessmentRecord(AssessmentFields):
    """A stored assessment; ``seq`` is the ledger entry that sealed it when it was saved."""

    model_config = FROZEN

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


class Anchor(SQLModel):
    """A timestamp authority's token over the ledger head ``head_seq``: proof from outside
    the store that the ledger up to that entry existed at ``gen_time``.

    The token's message imprint is the head entry's hash (itself the sha256 of the entry's
    canonical JSON); ``certificates`` is the TSA's chain as PEM, as the token carried it.
    Anchors are numbered 1..n in the order they were made and, like the ledger, never
    changed or removed.
    """

    model_config = FROZEN

    seq: int = Field(sa_type=SEQ, primary_key=True, ge=1, sa_column_kwargs={"autoincrement": False})
    head_seq: int = Field(sa_type=SEQ, ge=1)
    head_hash: str = hash_field()
    #: The token's own time (``genTime``) and when the store recorded it.
    gen_time: UTCDateTime = stamp_field()
    created_at: UTCDateTime = stamp_field()
    tsa_url: str = Field(sa_type=sa.Text, min_length=1)
    #: The subject of the certificate that signed the token.
    tsa: str = Field(sa_type=sa.Text)
    token: bytes = Field(sa_type=sa.LargeBinary)
    certificates: str = Field(sa_type=sa.Text)

    def summary(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "gen_time": stamp(self.gen_time),
            "created_at": stamp(self.created_at),
            "tsa_url": self.tsa_url,
            "tsa": self.tsa,
        }


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
class StoreCounts:
    evidence: int
    blobs: int
    ledger: int
    assessments: int
    anchors: int = 0


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
            "anchors": self.counts.anchors,
            "head": self.head,
            "problems": list(self.problems),
        }
