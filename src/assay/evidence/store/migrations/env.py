"""Alembic's entry point for the store's migrations.

Assay runs migrations itself (:mod:`assay.evidence.store.migrate`), on a connection it
has already opened inside a locked transaction, so this script only hands that
connection to alembic: no alembic.ini, no URL, no logging set-up.
"""

from __future__ import annotations

from alembic import context

from assay.evidence.store.migrate import VERSION_TABLE

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, version_table=VERSION_TABLE)
with context.begin_transaction():
    context.run_migrations()
