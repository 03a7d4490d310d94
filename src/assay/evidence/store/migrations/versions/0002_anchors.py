"""Anchors: RFC 3161 timestamp tokens over ledger heads, append-only like the ledger.

A store made by revision 0001 gains the empty ``anchors`` table and its triggers; nothing
already stored changes, so older stores stay readable and keep verifying.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: tuple[str, ...] | None = None
depends_on: tuple[str, ...] | None = None

HASH = sa.String(64)
STAMP = sa.String(27)
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "anchors",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=False),
        sa.Column("head_seq", SEQ, nullable=False),
        sa.Column("head_hash", HASH, nullable=False),
        sa.Column("gen_time", STAMP, nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("tsa_url", sa.Text, nullable=False),
        sa.Column("tsa", sa.Text, nullable=False),
        sa.Column("token", sa.LargeBinary, nullable=False),
        sa.Column("certificates", sa.Text, nullable=False),
    )
    op.create_index("ix_anchors_head", "anchors", ["head_seq"])
    if op.get_bind().dialect.name == "postgresql":
        # assay_append_only() was created by revision 0001.
        op.execute(
            "CREATE TRIGGER anchors_append_only BEFORE UPDATE OR DELETE ON anchors "
            "FOR EACH ROW EXECUTE FUNCTION assay_append_only()"
        )
        op.execute(
            "CREATE TRIGGER anchors_no_truncate BEFORE TRUNCATE ON anchors "
            "FOR EACH STATEMENT EXECUTE FUNCTION assay_append_only()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER anchors_no_{action.lower()} BEFORE {action} ON anchors "
                "BEGIN SELECT RAISE(ABORT, 'anchors is append-only'); END"
            )


def downgrade() -> None:
    raise NotImplementedError("the evidence store is append-only; there is no way back")
