"""Alembic's entry point for the store's migrations.

Assay runs migrations itself (:mod:`assay.evidence.store.migrate`), on a connection it
has already opened inside a locked transaction, so this script only hands that
connection to alembic: no alembic.ini, no URL, no logging set-up. Its target metadata is
``SQLModel.metadata``, where the store's table classes
(:mod:`assay.evidence.store.tables`) declare the schema the scripts must produce.
"""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import assay.evidence.store.tables  # noqa: F401 (declares the tables on SQLModel.metadata)
from assay.evidence.store.migrate import VERSION_TABLE

connection = context.config.attributes["connection"]
context.configure(
    connection=connection, target_metadata=SQLModel.metadata, version_table=VERSION_TABLE
)
with context.begin_transaction():
    context.run_migrations()
