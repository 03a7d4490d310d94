"""The store's tables, declared with SQLAlchemy Core.

Times are fixed-width UTC text (see :func:`assay.evidence.store.records.stamp`) and JSON
fields are canonical JSON text, so what a hash covers is exactly what is stored, on SQLite
and on PostgreSQL alike. The migrations create these tables (plus the append-only
triggers); a test checks the two never drift apart.

Core tables rather than ORM models: every statement the store runs is a Core insert or
select over text columns, and rows come back as :mod:`assay.evidence.store.records`
values. Declaring the tables as SQLModel classes cost every command (the gate included)
the import of SQLAlchemy's ORM and a pydantic model build per table, about 150 ms, and
bought nothing the store uses.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

HASH = sa.String(64)
STAMP = sa.String(27)
NAME = sa.String(200)
# SQLite only treats INTEGER PRIMARY KEY as the row id; PostgreSQL gets 64-bit numbers.
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

#: Every table of the store (the migrations' version table aside).
metadata = sa.MetaData()


def _column(name: str, type_: Any, **options: Any) -> sa.Column[Any]:
    """A NOT NULL column: the store has no optional values."""
    return sa.Column(name, type_, nullable=False, **options)


#: One evidence record; ``id`` is the sha256 of its canonical identity JSON.
evidence_table = sa.Table(
    "evidence",
    metadata,
    _column("id", HASH, primary_key=True),
    _column("kind", NAME),
    _column("service", NAME),
    _column("subject", sa.Text),
    _column("subject_key", sa.String(300)),
    _column("observed_at", STAMP),
    _column("collector", NAME),
    _column("facts", sa.Text),
    _column("artefacts", sa.Text),
    _column("first_collected_at", STAMP),
    sa.Index("ix_evidence_lookup", "service", "kind", "subject_key", "observed_at"),
)

#: Artefact bytes, addressed (and deduplicated) by their sha256.
blob_table = sa.Table(
    "blobs",
    metadata,
    _column("sha256", HASH, primary_key=True),
    _column("size", sa.BigInteger),
    _column("data", sa.LargeBinary),
)

#: One ledger entry: numbered 1..n without gaps, each hashing the one before.
ledger_table = sa.Table(
    "ledger",
    metadata,
    _column("seq", SEQ, primary_key=True, autoincrement=False),
    _column("entry_type", sa.String(20)),
    _column("ref_id", HASH),
    _column("collected_at", STAMP),
    _column("collector", NAME),
    _column("context", sa.Text),
    _column("prev_hash", HASH),
    _column("entry_hash", HASH),
    sa.Index("ix_ledger_ref", "ref_id", "collected_at"),
    sa.Index("ix_ledger_collected_at", "collected_at"),
    sa.CheckConstraint("entry_type IN ('evidence', 'assessment')", name="ck_ledger_entry_type"),
)

#: A stored assessment: its canonical JSON payload and the hashes that seal it.
assessment_table = sa.Table(
    "assessments",
    metadata,
    _column("id", HASH, primary_key=True),
    _column("service", NAME),
    _column("as_of", STAMP),
    _column("created_at", STAMP),
    _column("library_digest", NAME),
    _column("payload", sa.Text),
    _column("hash", HASH),
    sa.Index("ix_assessments_service", "service", "created_at"),
)

#: The tables UPDATE and DELETE are refused on.
APPEND_ONLY = ("evidence", "blobs", "ledger", "assessments")
