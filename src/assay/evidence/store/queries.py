"""Read queries, each shaped to use an index so it stays fast as the store grows.

``latest`` is the hot path of every assessment. It walks the service's distinct (kind,
subject key) pairs with index seeks (a "loose index scan"), then takes, per pair, the
visible record whose latest ledger entry at ``as_of`` comes last in the ledger: one seek
on the ledger's ``(ref_id, collected_at)`` index per distinct record of the pair, so its
cost grows with that pair's history, not with the rest of the store. Claimed times
(``observed_at``) never decide which record is latest.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from assay.errors import IntegrityError
from assay.evidence.model import ensure_utc
from assay.evidence.store.columns import raw, stamp, stored
from assay.evidence.store.records import (
    ENTRY_EVIDENCE,
    AssessmentRecord,
    Evidence,
    LedgerEntry,
    StoreCounts,
)
from assay.evidence.store.tables import (
    anchor_table,
    assessment_table,
    blob_table,
    evidence_table,
    ledger_table,
)

#: ``as_of=None`` compares against this: later than any stored instant.
END_OF_TIME = "9999-12-31T23:59:59.999999Z"
BATCH = 1000

E = evidence_table.alias("e")
E2 = evidence_table.alias("e2")
L = ledger_table.alias("l")
#: Evidence columns as stored, in table order: rows are validated into records by name.
EVIDENCE_COLUMNS = tuple(evidence_table.columns.keys())
LEDGER_COLUMNS = tuple(ledger_table.columns.keys())
ASSESSMENT_COLUMNS = tuple(assessment_table.columns.keys())


def _visible(evidence: sa.FromClause, as_of: Any) -> Any:
    """Ledger entries recording ``evidence``'s collection at or before ``as_of``."""
    return sa.and_(
        L.c.ref_id == evidence.c.id,
        L.c.entry_type == ENTRY_EVIDENCE,
        L.c.collected_at <= as_of,
    )


def _seen(as_of: Any) -> list[Any]:
    """First/last visible collection time (as stored) and the last visible entry, per
    row of ``E``."""
    if isinstance(as_of, str):
        as_of = sa.literal(as_of, sa.String)
    visible = _visible(E, as_of)
    collected = stored(L.c.collected_at)
    return [
        sa.select(sa.func.min(collected)).where(visible).scalar_subquery(),
        sa.select(sa.func.max(collected)).where(visible).scalar_subquery(),
        sa.select(sa.func.max(L.c.seq)).where(visible).scalar_subquery(),
    ]


def _altered(what: str, exc: Exception) -> IntegrityError:
    return IntegrityError(
        f"{what}: row is not readable ({type(exc).__name__})",
        hint="the store was altered outside assay; run 'assay verify --store'",
    )


def to_evidence(row: Sequence[Any], first: str | None, last: str | None) -> Evidence:
    """An :class:`Evidence` from an evidence row as stored (columns in table order).

    A row that does not validate (JSON that is not JSON, a subject that is not an object,
    an artefact list of the wrong shape, a time that is not a stamp, a bad hash) can only
    have been altered behind the store's back: :class:`IntegrityError`, never a
    half-read record.
    """
    data = dict(zip(EVIDENCE_COLUMNS, row, strict=True))
    del data["subject_key"]
    data["first_collected_at"] = first
    data["last_collected_at"] = last
    try:
        return Evidence.model_validate(data)
    except (ValueError, TypeError) as exc:  # pydantic's ValidationError is a ValueError
        raise _altered(f"evidence {str(data['id'])[:12]}", exc) from None


# Every distinct (kind, subject key) of one service, by index seeks: each step jumps to the
# next subject key of the same kind, or else to the first key of the next kind, instead of
# reading the history in between. (A row-value comparison would say this in one line, but
# SQLite then scans the whole kind.)
_GROUPS = sa.text(
    """
    WITH RECURSIVE pairs(kind, subject_key) AS (
        SELECT kind, subject_key FROM (
            SELECT kind, subject_key FROM evidence WHERE service = :service
            ORDER BY kind, subject_key LIMIT 1
        ) first_pair
        UNION ALL
        SELECT e.kind, e.subject_key FROM pairs p JOIN evidence e ON e.id = coalesce(
            (SELECT n.id FROM evidence n
             WHERE n.service = :service AND n.kind = p.kind AND n.subject_key > p.subject_key
             ORDER BY n.kind, n.subject_key LIMIT 1),
            (SELECT n.id FROM evidence n
             WHERE n.service = :service AND n.kind > p.kind
             ORDER BY n.kind, n.subject_key LIMIT 1)
        )
    )
    SELECT kind, subject_key FROM pairs
    """
)


def latest(
    connection: sa.Connection, service: str, kinds: Sequence[str], as_of: datetime | None
) -> list[Evidence]:
    """See :meth:`assay.evidence.reader.EvidenceReader.latest`."""
    limit = stamp(as_of) if as_of is not None else END_OF_TIME
    wanted = set(kinds)
    found: list[Evidence] = []
    for kind, key in connection.execute(_GROUPS, {"service": service}).all():
        if kind in wanted:
            record = _latest_for_key(connection, service, kind, key, limit)
            if record is not None:
                found.append(record)
    return sorted(found, key=lambda e: (e.kind, e.subject_key))


def _build_latest_for_key() -> tuple[sa.Select[Any], sa.Select[Any]]:
    """The id of the visible record of one (service, kind, subject key) with the latest
    ledger entry at ``:as_of`` (ledger order, never the largest claimed ``observed_at``),
    and the query reading one record with its collection times at ``:as_of``.

    Built once: constructing SQL expressions costs more than running these queries. Each
    of the group's records costs one seek on the ledger's ``(ref_id, collected_at)`` index.
    """
    as_of = sa.bindparam("as_of", type_=sa.String)
    group = sa.and_(
        E.c.service == sa.bindparam("service", type_=sa.String),
        E.c.kind == sa.bindparam("kind", type_=sa.String),
        E.c.subject_key == sa.bindparam("key", type_=sa.String),
    )
    last_seq = sa.select(sa.func.max(L.c.seq)).where(_visible(E, as_of)).scalar_subquery()
    pick = sa.select(E.c.id, last_seq).where(group).order_by(last_seq.desc().nulls_last()).limit(1)
    read = sa.select(*raw(E), *_seen(as_of)[:2]).where(
        E.c.id == sa.bindparam("id", type_=sa.String)
    )
    return pick, read


_PICK_LATEST, _READ_AS_OF = _build_latest_for_key()


def _latest_for_key(
    connection: sa.Connection, service: str, kind: str, key: str, as_of: str
) -> Evidence | None:
    params = {"service": service, "kind": kind, "key": key, "as_of": as_of}
    picked = connection.execute(_PICK_LATEST, params).first()
    if picked is None or picked[1] is None:
        return None  # no record of the group collected by as_of
    chosen = picked[0]
    row = connection.execute(_READ_AS_OF, {"id": chosen, "as_of": as_of}).one()
    *columns, first, last = row
    return to_evidence(columns, first, last)


def get(connection: sa.Connection, evidence_id: str) -> Evidence | None:
    query = sa.select(*raw(E), *_seen(END_OF_TIME)[:2]).where(E.c.id == evidence_id)
    row = connection.execute(query).first()
    if row is None:
        return None
    *columns, first, last = row
    return to_evidence(columns, first, last)


def list_evidence(
    connection: sa.Connection, service: str | None, kind: str | None, limit: int
) -> list[Evidence]:
    query = sa.select(*raw(E), *_seen(END_OF_TIME)[:2])
    if service is not None:
        query = query.where(E.c.service == service)
    if kind is not None:
        query = query.where(E.c.kind == kind)
    query = query.order_by(E.c.observed_at.desc(), E.c.id).limit(limit)
    out = []
    for row in connection.execute(query):
        *columns, first, last = row
        out.append(to_evidence(columns, first, last))
    return out


def ids_with_prefix(
    connection: sa.Connection, prefix: str, column: sa.Column[Any], limit: int = 2
) -> list[str]:
    """Ids in ``column`` (a hex primary key) starting with ``prefix``, at most ``limit``."""
    upper = prefix + "g"  # 'g' sorts after every hex digit: a primary-key range scan
    query = sa.select(column).where(column >= prefix, column < upper).order_by(column).limit(limit)
    return list(connection.execute(query).scalars())


def blob(connection: sa.Connection, sha256: str) -> bytes | None:
    query = sa.select(blob_table.c.data).where(blob_table.c.sha256 == sha256)
    data = connection.execute(query).scalar()
    return None if data is None else bytes(data)


def head(connection: sa.Connection) -> tuple[int, str] | None:
    query = (
        sa.select(ledger_table.c.seq, ledger_table.c.entry_hash)
        .order_by(ledger_table.c.seq.desc())
        .limit(1)
    )
    row = connection.execute(query).first()
    return None if row is None else (int(row[0]), str(row[1]))


def to_entry(row: Sequence[Any]) -> LedgerEntry:
    """A :class:`LedgerEntry` from a ledger row as stored (columns in table order)."""
    try:
        return LedgerEntry.model_validate(dict(zip(LEDGER_COLUMNS, row, strict=True)))
    except (ValueError, TypeError) as exc:
        raise _altered(f"ledger entry {row[0]}", exc) from None


def ledger_rows(connection: sa.Connection, since_seq: int = 0) -> Iterator[Sequence[Any]]:
    """Raw ledger rows after ``since_seq`` in order, fetched in batches (keyset paging)."""
    last = since_seq
    while True:
        query = (
            sa.select(*raw(ledger_table))
            .where(ledger_table.c.seq > last)
            .order_by(ledger_table.c.seq)
            .limit(BATCH)
        )
        rows = connection.execute(query).all()
        yield from rows
        if len(rows) < BATCH:
            return
        last = int(rows[-1][0])


def counts(connection: sa.Connection) -> StoreCounts:
    def count(table: sa.Table) -> int:
        return int(connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())

    return StoreCounts(
        evidence=count(evidence_table),
        blobs=count(blob_table),
        ledger=count(ledger_table),
        assessments=count(assessment_table),
        anchors=count(anchor_table),
    )


def to_assessment(row: Sequence[Any], seq: int | None = None) -> AssessmentRecord:
    """An :class:`AssessmentRecord` from an assessment row as stored (table order)."""
    data = dict(zip(ASSESSMENT_COLUMNS, row, strict=True))
    try:
        return AssessmentRecord.model_validate({**data, "seq": seq})
    except (ValueError, TypeError) as exc:
        raise _altered(f"assessment {str(data['id'])[:12]}", exc) from None


#: Assessment columns as stored.
_ASSESSMENT = raw(assessment_table)


def get_assessment(connection: sa.Connection, assessment_id: str) -> AssessmentRecord | None:
    query = sa.select(*_ASSESSMENT).where(assessment_table.c.id == assessment_id)
    row = connection.execute(query).first()
    return None if row is None else to_assessment(row)


def assessments_as_of(
    connection: sa.Connection, service: str, as_of: datetime | None, limit: int
) -> list[AssessmentRecord]:
    """The ``limit`` latest assessments of ``service`` as of ``as_of`` (or of all time),
    by their as-of time, then when they were made: newest first."""
    query = sa.select(*_ASSESSMENT).where(assessment_table.c.service == service)
    if as_of is not None:
        query = query.where(assessment_table.c.as_of <= ensure_utc(as_of))
    query = query.order_by(
        assessment_table.c.as_of.desc(), assessment_table.c.created_at.desc()
    ).limit(limit)
    return [to_assessment(row) for row in connection.execute(query)]


def list_assessments(
    connection: sa.Connection, service: str | None, limit: int
) -> list[AssessmentRecord]:
    query = sa.select(*_ASSESSMENT)
    if service is not None:
        query = query.where(assessment_table.c.service == service)
    query = query.order_by(assessment_table.c.created_at.desc(), assessment_table.c.id).limit(limit)
    return [to_assessment(row) for row in connection.execute(query)]
