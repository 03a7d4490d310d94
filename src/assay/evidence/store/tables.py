"""The store's tables as SQLModel models.

Times are fixed-width UTC text (see :func:`assay.evidence.store.records.stamp`) and JSON
fields are canonical JSON text, so what a hash covers is exactly what is stored, on SQLite
and on PostgreSQL alike. The migrations create these tables (plus the append-only
triggers); a test checks the two never drift apart.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

HASH = sa.String(64)
STAMP = sa.String(27)
NAME = sa.String(200)
# SQLite only treats INTEGER PRIMARY KEY as the row id; PostgreSQL gets 64-bit numbers.
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class EvidenceRow(SQLModel, table=True):
    """One evidence record; ``id`` is the sha256 of its canonical identity JSON."""

    __tablename__ = "evidence"
    __table_args__ = (
        sa.Index("ix_evidence_lookup", "service", "kind", "subject_key", "observed_at"),
    )

    id: str = Field(sa_type=HASH, primary_key=True)
    kind: str = Field(sa_type=NAME)
    service: str = Field(sa_type=NAME)
    subject: str = Field(sa_type=sa.Text)
    subject_key: str = Field(sa_type=sa.String(300))
    observed_at: str = Field(sa_type=STAMP)
    collector: str = Field(sa_type=NAME)
    facts: str = Field(sa_type=sa.Text)
    artefacts: str = Field(sa_type=sa.Text)
    first_collected_at: str = Field(sa_type=STAMP)


class BlobRow(SQLModel, table=True):
    """Artefact bytes, addressed (and deduplicated) by their sha256."""

    __tablename__ = "blobs"

    sha256: str = Field(sa_type=HASH, primary_key=True)
    size: int = Field(sa_type=sa.BigInteger)
    data: bytes = Field(sa_type=sa.LargeBinary)


class LedgerRow(SQLModel, table=True):
    """One ledger entry: numbered 1..n without gaps, each hashing the one before."""

    __tablename__ = "ledger"
    __table_args__ = (
        sa.Index("ix_ledger_ref", "ref_id", "collected_at"),
        sa.Index("ix_ledger_collected_at", "collected_at"),
        sa.CheckConstraint("entry_type IN ('evidence', 'assessment')", name="ck_ledger_entry_type"),
    )

    seq: int = Field(sa_column=sa.Column(SEQ, primary_key=True, autoincrement=False))
    entry_type: str = Field(sa_type=sa.String(20))
    ref_id: str = Field(sa_type=HASH)
    collected_at: str = Field(sa_type=STAMP)
    collector: str = Field(sa_type=NAME)
    context: str = Field(sa_type=sa.Text)
    prev_hash: str = Field(sa_type=HASH)
    entry_hash: str = Field(sa_type=HASH)


class AssessmentRow(SQLModel, table=True):
    """A stored assessment: its canonical JSON payload and the hashes that seal it."""

    __tablename__ = "assessments"
    __table_args__ = (sa.Index("ix_assessments_service", "service", "created_at"),)

    id: str = Field(sa_type=HASH, primary_key=True)
    service: str = Field(sa_type=NAME)
    as_of: str = Field(sa_type=STAMP)
    created_at: str = Field(sa_type=STAMP)
    library_digest: str = Field(sa_type=NAME)
    payload: str = Field(sa_type=sa.Text)
    hash: str = Field(sa_type=HASH)


evidence_table: sa.Table = EvidenceRow.__table__  # type: ignore[attr-defined]
blob_table: sa.Table = BlobRow.__table__  # type: ignore[attr-defined]
ledger_table: sa.Table = LedgerRow.__table__  # type: ignore[attr-defined]
assessment_table: sa.Table = AssessmentRow.__table__  # type: ignore[attr-defined]

#: The tables UPDATE and DELETE are refused on.
APPEND_ONLY = ("evidence", "blobs", "ledger", "assessments")
