"""The first store schema: evidence, blobs, ledger, assessments, append-only triggers.

Migrations are frozen history: this file spells the tables out instead of importing the
models, so later model changes cannot rewrite what an old store was created with.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: tuple[str, ...] | None = None
depends_on: tuple[str, ...] | None = None

APPEND_ONLY = ("evidence", "blobs", "ledger", "assessments")

HASH = sa.String(64)
STAMP = sa.String(27)
NAME = sa.String(200)
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

PG_FUNCTION = """
CREATE FUNCTION assay_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "evidence",
        sa.Column("id", HASH, primary_key=True),
        sa.Column("kind", NAME, nullable=False),
        sa.Column("service", NAME, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("subject_key", sa.String(300), nullable=False),
        sa.Column("observed_at", STAMP, nullable=False),
        sa.Column("collector", NAME, nullable=False),
        sa.Column("facts", sa.Text, nullable=False),
        sa.Column("artefacts", sa.Text, nullable=False),
        sa.Column("first_collected_at", STAMP, nullable=False),
    )
    op.create_index(
        "ix_evidence_lookup", "evidence", ["service", "kind", "subject_key", "observed_at"]
    )
    op.create_table(
        "blobs",
        sa.Column("sha256", HASH, primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "ledger",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=False),
        sa.Column("entry_type", sa.String(20), nullable=False),
        sa.Column("ref_id", HASH, nullable=False),
        sa.Column("collected_at", STAMP, nullable=False),
        sa.Column("collector", NAME, nullable=False),
        sa.Column("context", sa.Text, nullable=False),
        sa.Column("prev_hash", HASH, nullable=False),
        sa.Column("entry_hash", HASH, nullable=False),
        sa.CheckConstraint("entry_type IN ('evidence', 'assessment')", name="ck_ledger_entry_type"),
    )
    op.create_index("ix_ledger_ref", "ledger", ["ref_id", "collected_at"])
    op.create_index("ix_ledger_collected_at", "ledger", ["collected_at"])
    op.create_table(
        "assessments",
        sa.Column("id", HASH, primary_key=True),
        sa.Column("service", NAME, nullable=False),
        sa.Column("as_of", STAMP, nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("library_digest", NAME, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("hash", HASH, nullable=False),
    )
    op.create_index("ix_assessments_service", "assessments", ["service", "created_at"])
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def _sqlite_triggers() -> None:
    for table in APPEND_ONLY:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )


def _postgresql_triggers() -> None:
    op.execute(PG_FUNCTION)
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION assay_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION assay_append_only()"
        )


def downgrade() -> None:
    raise NotImplementedError("the evidence store is append-only; there is no way back")
