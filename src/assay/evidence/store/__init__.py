"""The tamper-evident evidence store: evidence, content-addressed blobs, a hash-chained ledger.

SQLite by default (``.assay/assay.db`` beside ``assay.toml``, WAL, busy timeout);
PostgreSQL by URL (``postgresql+psycopg://...``). This package is the only place that
opens a database session; everyone else uses :class:`Store`::

    from assay.evidence.store import open_store, collection_context

    with open_store(workspace.store_url) as store:
        results = store.record(drafts, context=collection_context())
        latest = store.latest("payments", ["git.history"], as_of=None)
        report = store.verify()

Every database error surfaces as :class:`assay.errors.StoreError` with one clear line.

The tables are SQLModel classes (:mod:`assay.evidence.store.tables`) derived from the
records the store returns (:mod:`assay.evidence.store.records`: ``Evidence``,
``LedgerEntry``, ``AssessmentRecord``), which are validated when built. The store runs Core
statements over the classes' tables; no ORM session is opened on any command's path.
"""

from __future__ import annotations

from assay.errors import StoreError
from assay.evidence.context import collection_context
from assay.evidence.store.connection import (
    StoreTarget,
    create_engine,
    guard,
    parse_url,
    prepare_sqlite_file,
)
from assay.evidence.store.migrate import HEAD_REVISION, ensure_schema
from assay.evidence.store.records import (
    ENTRY_ASSESSMENT,
    ENTRY_EVIDENCE,
    GENESIS_HASH,
    Anchor,
    AssessmentRecord,
    LedgerEntry,
    RecordResult,
    StoreCounts,
    VerifyReport,
)
from assay.evidence.store.store import Store

__all__ = [
    "ENTRY_ASSESSMENT",
    "ENTRY_EVIDENCE",
    "GENESIS_HASH",
    "HEAD_REVISION",
    "Anchor",
    "AssessmentRecord",
    "LedgerEntry",
    "RecordResult",
    "Store",
    "StoreCounts",
    "StoreError",
    "StoreTarget",
    "VerifyReport",
    "collection_context",
    "open_store",
    "upgrade_store",
]


def open_store(url: str, *, create: bool = True) -> Store:
    """Open the store at ``url``, creating it (``create=True``) and applying migrations.

    Raises :class:`StoreError` with a clear message when the store is unreachable,
    missing (``create=False``), read-only, corrupted or newer than this assay.
    """
    store, _ = _open(url, create=create)
    return store


def upgrade_store(url: str) -> tuple[Store, str | None]:
    """Open (creating if needed) and migrate; also return the revision it had before."""
    return _open(url, create=True)


def _open(url: str, *, create: bool) -> tuple[Store, str | None]:
    target = parse_url(url)
    with guard(target, connecting=True):
        prepare_sqlite_file(target, create=create)
        engine = create_engine(target)
    try:
        before, after = ensure_schema(engine, target, create=create)
    except BaseException:
        engine.dispose()
        raise
    return Store(engine, target, after), before
