"""The store's tables: SQLModel classes, derived from the records' declarations.

Each table is one SQLModel class whose fields come from the record it is read into
(:mod:`assay.evidence.store.records`), so one declaration gives the table, the validation
and the Python API; ``SQLModel.metadata`` holds these tables and nothing else of assay's,
and Alembic compares it with the migrations (a test checks the two never drift apart).

Times are fixed-width UTC text and JSON fields canonical JSON text in the columns
(:mod:`assay.evidence.store.columns`), so what a hash covers is exactly what is stored, on
SQLite and on PostgreSQL alike. The store runs Core statements over the classes' tables
(``EvidenceRow.__table__``, named below): no ORM session sits in any command's path.
"""

from __future__ import annotations

from typing import Any, ClassVar

import sqlalchemy as sa
from pydantic import ConfigDict
from sqlmodel import Field, SQLModel

from assay.evidence.store.columns import UTCDateTime, hash_field, name_field, stamp_field
from assay.evidence.store.records import Anchor, AssessmentFields, EvidenceFields, LedgerEntry

#: Tables are not frozen, as SQLAlchemy needs; the records they derive from are. Their
#: validators are built on first use (``model_validate``): the store reads and writes with
#: Core statements and validates through the records, so most commands never need them.
MUTABLE: Any = ConfigDict(frozen=False, defer_build=True)


class EvidenceRow(EvidenceFields, table=True):
    """One evidence record; ``id`` is the sha256 of its canonical identity JSON."""

    model_config = MUTABLE

    __tablename__: ClassVar[str] = "evidence"
    __table_args__ = (
        sa.Index("ix_evidence_lookup", "service", "kind", "subject_key", "observed_at"),
    )

    #: What "latest" is grouped by (see :func:`assay.evidence.model.subject_key`).
    subject_key: str = name_field(300)
    #: When the first ledger entry for this record was written.
    first_collected_at: UTCDateTime = stamp_field()


class BlobRow(SQLModel, table=True):
    """Artefact bytes, addressed (and deduplicated) by their sha256."""

    model_config = MUTABLE

    __tablename__: ClassVar[str] = "blobs"

    sha256: str = hash_field(primary_key=True)
    size: int = Field(sa_type=sa.BigInteger, ge=0)
    data: bytes = Field(sa_type=sa.LargeBinary)


class LedgerRow(LedgerEntry, table=True):
    """One ledger entry: numbered 1..n without gaps, each hashing the one before."""

    model_config = MUTABLE

    __tablename__: ClassVar[str] = "ledger"
    __table_args__ = (
        sa.Index("ix_ledger_ref", "ref_id", "collected_at"),
        sa.Index("ix_ledger_collected_at", "collected_at"),
        sa.CheckConstraint("entry_type IN ('evidence', 'assessment')", name="ck_ledger_entry_type"),
    )


class AssessmentRow(AssessmentFields, table=True):
    """A stored assessment: its canonical JSON payload and the hashes that seal it."""

    model_config = MUTABLE

    __tablename__: ClassVar[str] = "assessments"
    __table_args__ = (sa.Index("ix_assessments_service", "service", "created_at"),)


class AnchorRow(Anchor, table=True):
    """One timestamp token over a ledger head (see :class:`Anchor`)."""

    model_config = MUTABLE

    __tablename__: ClassVar[str] = "anchors"
    __table_args__ = (sa.Index("ix_anchors_head", "head_seq"),)


def _table(model: type[SQLModel]) -> sa.Table:
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, sa.Table)
    return table


evidence_table = _table(EvidenceRow)
blob_table = _table(BlobRow)
ledger_table = _table(LedgerRow)
assessment_table = _table(AssessmentRow)
anchor_table = _table(AnchorRow)

#: The table classes, in the order the migrations create them.
MODELS: tuple[type[SQLModel], ...] = (EvidenceRow, BlobRow, LedgerRow, AssessmentRow, AnchorRow)

#: The tables UPDATE and DELETE are refused on.
APPEND_ONLY = ("evidence", "blobs", "ledger", "assessments", "anchors")
