"""The evidence store: append evidence with its ledger entries, read it back.

Every write is one transaction that holds the store's write lock from the moment it
reads the ledger head until it commits: SQLite's ``BEGIN IMMEDIATE``, or a
transaction-scoped advisory lock on PostgreSQL. Concurrent writers therefore queue, and
the ledger stays one unbroken chain however many pipelines collect at once.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import ValidationError

from assay import __version__
from assay.durations import utc_now
from assay.errors import InvalidInput, Problem, StoreError
from assay.evidence.model import EvidenceDraft, canonical_json, ensure_utc, sha256_hex
from assay.evidence.store import queries
from assay.evidence.store.columns import JSONText, stamp
from assay.evidence.store.connection import WRITE, StoreTarget, guard, is_busy, translate
from assay.evidence.store.drafts import PreparedDraft, prepare
from assay.evidence.store.ledger import assessment_id, entry_hash
from assay.evidence.store.migrate import schema_lock
from assay.evidence.store.records import (
    ENTRY_ASSESSMENT,
    ENTRY_EVIDENCE,
    GENESIS_HASH,
    Anchor,
    AssessmentRecord,
    Evidence,
    LedgerEntry,
    RecordResult,
    StoreCounts,
    VerifyReport,
)
from assay.evidence.store.tables import (
    assessment_table,
    blob_table,
    evidence_table,
    ledger_table,
)

T = TypeVar("T")

#: The advisory lock key (with the schema's hash) writers take on PostgreSQL.
LEDGER_LOCK = 0x6C656467  # "ledg"
RETRIES = 8
CHUNK = 500


class Store:
    """An open evidence store. Create one with :func:`assay.evidence.store.open_store`.

    Implements :class:`assay.evidence.reader.EvidenceReader`. Use it as a context manager
    or call :meth:`close`.
    """

    def __init__(self, engine: sa.Engine, target: StoreTarget, revision: str) -> None:
        self._engine = engine
        self.target = target
        self.revision = revision

    # ------------------------------------------------------------------ housekeeping

    @property
    def url(self) -> str:
        """The store's URL with any password masked (safe to print)."""
        return self.target.display

    @property
    def dialect(self) -> str:
        return self.target.dialect

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _read(self, work: Callable[[sa.Connection], T]) -> T:
        with guard(self.target), self._engine.connect() as connection, connection.begin():
            return work(connection)

    def _write(self, work: Callable[[sa.Connection], T]) -> T:
        """Run ``work`` in one locked write transaction, retrying transient conflicts."""
        for attempt in range(RETRIES):
            try:
                with self._engine.connect() as connection:
                    locked = connection.execution_options(**{WRITE: True})
                    with locked.begin():
                        schema_lock(locked, LEDGER_LOCK)
                        return work(locked)
            except sa.exc.DBAPIError as exc:
                if not is_busy(exc) or attempt == RETRIES - 1:
                    raise translate(exc, self.target) from None
                time.sleep(random.uniform(0.01, 0.05) * (attempt + 1))  # noqa: S311
            except (sa.exc.SQLAlchemyError, sqlite3.Error) as exc:
                raise translate(exc, self.target) from None
        raise StoreError(f"store {self.url}: could not write after {RETRIES} attempts")

    # ------------------------------------------------------------------ writes

    def record(
        self,
        drafts: Sequence[EvidenceDraft],
        *,
        context: dict[str, Any],
        collected_at: datetime | None = None,
    ) -> list[RecordResult]:
        """Store a batch of drafts in one transaction: blobs (deduplicated), evidence
        (deduplicated by id) and one ledger entry per draft, in order.

        Every draft is validated against its kind's schema first; one invalid draft
        refuses the whole batch (:class:`InvalidInput`) and nothing is written.
        ``collected_at`` defaults to the time the write lock was taken.
        """
        prepared = prepare(drafts)
        context_text = _context_text(context)
        if not prepared:
            return []
        when = None if collected_at is None else ensure_utc(collected_at)
        return self._write(lambda c: _append_evidence(c, prepared, context_text, when))

    def save_assessment(
        self,
        *,
        service: str,
        as_of: datetime,
        library_digest: str,
        payload: dict[str, Any],
        context: dict[str, Any],
        evidence: Sequence[EvidenceDraft] = (),
        actor: str | None = None,
        created_at: datetime | None = None,
    ) -> AssessmentRecord:
        """Store an assessment's canonical JSON payload and seal it with a ledger entry.

        Saving an identical assessment again stores nothing new but adds another seal.
        ``evidence`` is recorded in the same transaction, after the seal, as :meth:`record`
        would: both are written or neither is, so a gate's decision is never stored
        without the assessment it was made from.
        """
        try:
            text = canonical_json(payload)
        except (TypeError, ValueError) as exc:
            raise InvalidInput([Problem("assessment payload", message=str(exc))]) from None
        prepared = prepare(evidence)
        context_text = _context_text(context)
        who = actor or f"assay@{__version__}"
        when = None if created_at is None else ensure_utc(created_at)
        sealed = _SealedPayload(payload, JSONText(text), sha256_hex(text.encode("utf-8")))

        def work(connection: sa.Connection) -> AssessmentRecord:
            record = _append_assessment(
                connection, service, as_of, library_digest, sealed, context_text, who, when
            )
            if prepared:
                _append_evidence(connection, prepared, context_text, None)
            return record

        return self._write(work)

    # ------------------------------------------------------------------ reads

    def latest(
        self, service: str, kinds: Sequence[str], *, as_of: datetime | None = None
    ) -> list[Evidence]:
        """See :class:`assay.evidence.reader.EvidenceReader`: per (kind, subject key), the
        newest evidence collected at or before ``as_of``."""
        return self._read(lambda c: queries.latest(c, service, kinds, as_of))

    def get(self, evidence_id: str) -> Evidence | None:
        return self._read(lambda c: queries.get(c, evidence_id))

    def list_evidence(
        self, service: str | None = None, kind: str | None = None, limit: int = 100
    ) -> list[Evidence]:
        """Evidence newest-observed first, optionally of one service and/or kind."""
        return self._read(lambda c: queries.list_evidence(c, service, kind, limit))

    def find(self, prefix: str) -> str:
        """The one evidence id starting with ``prefix`` (at least 8 hex characters)."""
        return self._find(prefix, evidence_table.c.id, "evidence")

    def find_assessment(self, prefix: str) -> str:
        """The one assessment id starting with ``prefix`` (at least 8 hex characters)."""
        return self._find(prefix, assessment_table.c.id, "assessment")

    def _find(self, prefix: str, column: sa.Column[Any], noun: str) -> str:
        text = prefix.strip().lower()
        if len(text) < 8 or any(ch not in "0123456789abcdef" for ch in text):
            raise StoreError(
                f"'{prefix}' is not an {noun} id",
                hint="give the id, or a unique prefix of at least 8 hex characters",
            )
        found = self._read(lambda c: queries.ids_with_prefix(c, text, column))
        if not found:
            raise StoreError(f"no {noun} with id {text} in {self.url}")
        if len(found) > 1:
            raise StoreError(f"{noun} id prefix {text} is ambiguous", hint="give more characters")
        return found[0]

    def blob(self, sha256: str) -> bytes:
        """An artefact's bytes by sha256; :class:`StoreError` if it is not stored."""
        data = self._read(lambda c: queries.blob(c, sha256))
        if data is None:
            raise StoreError(f"no blob {sha256} in {self.url}")
        return data

    def head(self) -> tuple[int, str] | None:
        """The ledger's last (seq, entry hash), or ``None`` when it is empty."""
        return self._read(queries.head)

    def ledger(self, since_seq: int = 0) -> Iterator[LedgerEntry]:
        """Ledger entries after ``since_seq``, in order (read in batches)."""
        with guard(self.target), self._engine.connect() as connection, connection.begin():
            for row in queries.ledger_rows(connection, since_seq):
                yield queries.to_entry(row)

    def counts(self) -> StoreCounts:
        return self._read(queries.counts)

    def get_assessment(self, assessment_id: str) -> AssessmentRecord | None:
        return self._read(lambda c: queries.get_assessment(c, assessment_id))

    def list_assessments(
        self, service: str | None = None, limit: int = 100
    ) -> list[AssessmentRecord]:
        """Stored assessments, newest first."""
        return self._read(lambda c: queries.list_assessments(c, service, limit))

    def assessments_as_of(
        self, service: str, as_of: datetime | None = None, limit: int = 100
    ) -> list[AssessmentRecord]:
        """The latest ``limit`` assessments of ``service`` made as of ``as_of`` or earlier
        (all when ``None``), by as-of time then creation: newest first."""
        return self._read(lambda c: queries.assessments_as_of(c, service, as_of, limit))

    # ------------------------------------------------------------------ anchors

    def anchor(self, tsa_url: str, *, timeout: float = 30.0) -> Anchor:
        """Timestamp the ledger head at the TSA ``tsa_url`` and keep the token.

        The TSA is asked outside any transaction, so writers never wait on the network;
        the head it covers stays in the ledger, which is append-only.
        """
        from assay.display import without_credentials
        from assay.evidence.store import anchors
        from assay.timestamps import pem_bundle, read_token, request_token

        head = self.head()
        if head is None:
            raise StoreError(f"store {self.url}: the ledger is empty; there is nothing to anchor")
        token = request_token(tsa_url, bytes.fromhex(head[1]), timeout=timeout)
        info = read_token(token)
        fields = {
            "head_seq": head[0],
            "head_hash": head[1],
            "gen_time": info.gen_time,
            "created_at": utc_now(),
            "tsa_url": without_credentials(tsa_url),
            "tsa": info.tsa,
            "token": token,
            "certificates": pem_bundle(info.certificates),
        }
        return self._write(lambda c: anchors.append(c, fields))

    def anchors(self) -> list[Anchor]:
        """Every anchor, oldest first."""
        from assay.evidence.store import anchors

        return self._read(anchors.anchors)

    def covering_anchor(self, up_to_seq: int) -> Anchor | None:
        """The anchor over the newest head at or before ledger entry ``up_to_seq``."""
        from assay.evidence.store import anchors

        return self._read(lambda c: anchors.covering(c, up_to_seq))

    def evidence_entries(
        self,
        evidence_ids: Sequence[str],
        as_of: datetime | None = None,
        up_to_seq: int | None = None,
    ) -> list[LedgerEntry]:
        """Per evidence id, the entry of the collection an assessment as of ``as_of`` used
        (of the entries up to ``up_to_seq``)."""
        from assay.evidence.store import anchors

        return self._read(lambda c: anchors.evidence_entries(c, evidence_ids, as_of, up_to_seq))

    def ledger_range(self, first: int, last: int) -> list[LedgerEntry]:
        """Ledger entries ``first`` to ``last``, in order."""
        from assay.evidence.store import anchors

        return self._read(lambda c: anchors.ledger_range(c, first, last))

    def verify(self) -> VerifyReport:
        """Recompute every blob hash, evidence id, assessment hash and ledger link."""
        from assay.evidence.store.verify import verify

        with guard(self.target), self._engine.connect() as connection:
            snapshot = connection
            if self.dialect == "postgresql":
                snapshot = connection.execution_options(isolation_level="REPEATABLE READ")
            with snapshot.begin():
                return verify(snapshot)


# ---------------------------------------------------------------------- write helpers


def _context_text(context: dict[str, Any]) -> JSONText:
    if not isinstance(context, dict):
        raise InvalidInput([Problem("ledger context", message="must be a JSON object")])
    try:
        return JSONText(canonical_json(context))
    except (TypeError, ValueError) as exc:
        raise InvalidInput([Problem("ledger context", message=str(exc))]) from None


def _existing(connection: sa.Connection, column: sa.Column[Any], keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        found.update(connection.execute(sa.select(column).where(column.in_(chunk))).scalars())
    return found


def _chain_head(connection: sa.Connection) -> tuple[int, str]:
    return queries.head(connection) or (0, GENESIS_HASH)


def _ledger_row(
    seq: int,
    entry_type: str,
    ref_id: str,
    at: datetime,
    collector: str,
    context: JSONText,
    prev: str,
) -> dict[str, Any]:
    """A ``ledger`` row: the hash covers ``at`` as the stamp text the column stores."""
    digest = entry_hash(
        seq=seq,
        entry_type=entry_type,
        ref_id=ref_id,
        collected_at=stamp(at),
        collector=collector,
        context=json.loads(context),
        prev_hash=prev,
    )
    return {
        "seq": seq,
        "entry_type": entry_type,
        "ref_id": ref_id,
        "collected_at": at,
        "collector": collector,
        "context": context,
        "prev_hash": prev,
        "entry_hash": digest,
    }


def _append_evidence(
    connection: sa.Connection,
    prepared: list[PreparedDraft],
    context: JSONText,
    collected_at: datetime | None,
) -> list[RecordResult]:
    at = collected_at or utc_now()  # taken under the lock: the chain's times ascend
    blobs: dict[str, dict[str, Any]] = {}
    for draft in prepared:
        for artefact, data in draft.blobs:
            blobs.setdefault(
                artefact.sha256, {"sha256": artefact.sha256, "size": artefact.size, "data": data}
            )
    stored_blobs = _existing(connection, blob_table.c.sha256, list(blobs))
    missing = [row for sha, row in blobs.items() if sha not in stored_blobs]
    if missing:
        connection.execute(sa.insert(blob_table), missing)

    ids = list(dict.fromkeys(draft.id for draft in prepared))
    stored = _existing(connection, evidence_table.c.id, ids)
    new_rows: dict[str, dict[str, Any]] = {}
    for draft in prepared:
        if draft.id not in stored and draft.id not in new_rows:
            new_rows[draft.id] = {**draft.row, "first_collected_at": at}
    if new_rows:
        connection.execute(sa.insert(evidence_table), list(new_rows.values()))

    seq, prev = _chain_head(connection)
    entries, results, announced = [], [], set()
    for draft in prepared:
        seq += 1
        entry = _ledger_row(seq, ENTRY_EVIDENCE, draft.id, at, draft.collector, context, prev)
        entries.append(entry)
        prev = entry["entry_hash"]
        is_new = draft.id in new_rows and draft.id not in announced
        announced.add(draft.id)
        results.append(RecordResult(evidence_id=draft.id, new=is_new, seq=seq))
    connection.execute(sa.insert(ledger_table), entries)
    return results


@dataclass(frozen=True)
class _SealedPayload:
    """An assessment payload with its canonical text and that text's sha256."""

    data: dict[str, Any]
    text: JSONText
    hash: str


def _append_assessment(
    connection: sa.Connection,
    service: str,
    as_of: datetime,
    library_digest: str,
    payload: _SealedPayload,
    context: JSONText,
    actor: str,
    created_at: datetime | None,
) -> AssessmentRecord:
    at = ensure_utc(created_at or utc_now())
    as_of = ensure_utc(as_of)
    ident = assessment_id(service, stamp(as_of), library_digest, payload.data)
    existing = queries.get_assessment(connection, ident)
    # Built (and validated) before anything is written: a bad field stores nothing.
    try:
        record = AssessmentRecord(
            id=ident,
            service=service,
            as_of=as_of,
            created_at=existing.created_at if existing else at,
            library_digest=library_digest,
            payload=payload.data,
            hash=payload.hash,
        )
    except ValidationError as exc:
        problems = [
            Problem(f"assessment {'.'.join(map(str, error['loc']))}", message=error["msg"])
            for error in exc.errors()
        ]
        raise InvalidInput(problems) from None
    if existing is None:
        row = {name: getattr(record, name) for name in queries.ASSESSMENT_COLUMNS}
        connection.execute(sa.insert(assessment_table), {**row, "payload": payload.text})
    seq, prev = _chain_head(connection)
    entry = _ledger_row(seq + 1, ENTRY_ASSESSMENT, ident, at, actor, context, prev)
    connection.execute(sa.insert(ledger_table), entry)
    return record.model_copy(update={"seq": seq + 1})
