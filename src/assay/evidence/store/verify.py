"""``assay verify --store``: recompute every hash the store's integrity rests on.

Runs in one read snapshot and streams every table in key order, a batch at a time, so
memory stays bounded however large the store. Each broken item is reported once, as a
plain line naming it; a broken ledger link does not cascade into reports about every
later entry, because the chain check continues from each entry's stored hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from assay.errors import IntegrityError
from assay.evidence.model import Artefact, evidence_id, subject_key
from assay.evidence.store import anchors, queries
from assay.evidence.store.columns import raw, stored
from assay.evidence.store.ledger import assessment_id, entry_hash, payload_hash
from assay.evidence.store.records import (
    ENTRY_ASSESSMENT,
    ENTRY_EVIDENCE,
    ENTRY_TYPES,
    GENESIS_HASH,
    Evidence,
    VerifyReport,
    parse_stamp,
)
from assay.evidence.store.tables import (
    assessment_table,
    blob_table,
    evidence_table,
    ledger_table,
)

BATCH = 500
#: Blob bytes read per round trip while hashing (bounded memory for large artefacts).
BLOB_BYTES = 64 * 1024 * 1024


def short(digest: str) -> str:
    return digest[:12] + "…" if len(digest) > 12 else digest


def _pages(
    connection: sa.Connection, table: sa.Table, key: sa.Column[Any]
) -> Iterator[Sequence[Any]]:
    """Rows of ``table`` as stored, in ``key`` order, a batch at a time (keyset paging)."""
    last: Any = None
    columns = raw(table)
    while True:
        query = sa.select(*columns).order_by(key).limit(BATCH)
        if last is not None:
            query = query.where(key > last)
        rows = connection.execute(query).all()
        if rows:
            yield rows
        if len(rows) < BATCH:
            return
        last = rows[-1]._mapping[key.name]


def verify(connection: sa.Connection) -> VerifyReport:
    problems: list[str] = []
    counts = queries.counts(connection)
    problems.extend(_check_blobs(connection))
    problems.extend(_check_evidence(connection))
    problems.extend(_check_assessments(connection))
    problems.extend(_check_ledger(connection))
    problems.extend(anchors.check(connection))
    head = queries.head(connection)
    return VerifyReport(counts=counts, head=head[1] if head else None, problems=problems)


# ---------------------------------------------------------------------------- blobs


def _check_blobs(connection: sa.Connection) -> Iterator[str]:
    last: str | None = None
    while True:
        query = sa.select(blob_table.c.sha256, blob_table.c.size).order_by(blob_table.c.sha256)
        if last is not None:
            query = query.where(blob_table.c.sha256 > last)
        keys = connection.execute(query.limit(BATCH)).all()
        group: list[str] = []
        budget = 0
        for sha, size in keys:
            if group and budget + _stored_int(size) > BLOB_BYTES:
                yield from _hash_blobs(connection, group)
                group, budget = [], 0
            group.append(sha)
            budget += _stored_int(size)
        if group:
            yield from _hash_blobs(connection, group)
        if len(keys) < BATCH:
            return
        last = keys[-1][0]


def _stored_int(value: Any) -> int:
    """A size column as a number; -1 when a row altered behind the store's back holds
    something else (SQLite keeps whatever it is given), so every comparison fails."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _hash_blobs(connection: sa.Connection, keys: list[str]) -> Iterator[str]:
    query = sa.select(blob_table).where(blob_table.c.sha256.in_(keys)).order_by("sha256")
    for sha, size, data in connection.execute(query):
        if not isinstance(data, bytes | bytearray | memoryview):
            yield f"blob {short(sha)}: content is not bytes"
            continue
        content = bytes(data)
        if hashlib.sha256(content).hexdigest() != sha:
            yield f"blob {short(sha)}: content does not match its sha256"
        elif len(content) != size:
            yield f"blob {short(sha)}: size {size} does not match its content ({len(content)})"


# ---------------------------------------------------------------------------- evidence


def _row_evidence(row: Sequence[Any]) -> tuple[Evidence | None, str | None]:
    try:
        return queries.to_evidence(row, None, None), None
    except IntegrityError:
        return None, f"evidence {short(row[0])}: row is not readable"


def _check_evidence(connection: sa.Connection) -> Iterator[str]:
    for rows in _pages(connection, evidence_table, evidence_table.c.id):
        ids = [row.id for row in rows]
        first_entries = _first_entries(connection, ENTRY_EVIDENCE, ids)
        artefacts: dict[str, int] = {}
        for row in rows:
            evidence, trouble = _row_evidence(row)
            if evidence is None:
                yield str(trouble)
                continue
            name = f"evidence {short(evidence.id)}"
            if evidence_id(evidence.identity()) != evidence.id:
                yield f"{name}: id does not match its content"
            if subject_key(evidence.subject) != row.subject_key:
                yield f"{name}: subject key does not match its subject"
            first = first_entries.get(evidence.id)
            if first is None:
                yield f"{name}: no ledger entry records its collection"
            elif first != row.first_collected_at:
                yield f"{name}: first collection time does not match its first ledger entry"
            for artefact in evidence.artefacts:
                artefacts.setdefault(artefact.sha256, artefact.size)
        yield from _check_artefacts(connection, rows, artefacts)


def _check_artefacts(
    connection: sa.Connection, rows: Sequence[Any], wanted: dict[str, int]
) -> Iterator[str]:
    if not wanted:
        return
    query = sa.select(blob_table.c.sha256, blob_table.c.size).where(
        blob_table.c.sha256.in_(list(wanted))
    )
    stored = {sha: _stored_int(size) for sha, size in connection.execute(query)}
    for row in rows:
        try:
            items = [Artefact(**item) for item in json.loads(row.artefacts)]
        except (ValueError, TypeError):
            continue  # already reported as unreadable
        for artefact in items:
            if artefact.sha256 not in stored:
                yield (
                    f"evidence {short(row[0])}: artefact '{artefact.name}' "
                    f"(blob {short(artefact.sha256)}) is missing"
                )
            elif stored[artefact.sha256] != artefact.size:
                yield (
                    f"evidence {short(row[0])}: artefact '{artefact.name}' size does not "
                    "match its blob"
                )


def _first_entries(connection: sa.Connection, entry_type: str, ids: list[str]) -> dict[str, str]:
    """For each id, the collection time of its first (lowest-numbered) ledger entry."""
    if not ids:
        return {}
    first_seq = (
        sa.select(sa.func.min(ledger_table.c.seq))
        .where(ledger_table.c.entry_type == entry_type, ledger_table.c.ref_id.in_(ids))
        .group_by(ledger_table.c.ref_id)
    )
    query = sa.select(ledger_table.c.ref_id, stored(ledger_table.c.collected_at)).where(
        ledger_table.c.seq.in_(first_seq)
    )
    return {str(ref): str(at) for ref, at in connection.execute(query)}


# ---------------------------------------------------------------------------- assessments


def _check_assessments(connection: sa.Connection) -> Iterator[str]:
    for rows in _pages(connection, assessment_table, assessment_table.c.id):
        first_entries = _first_entries(connection, ENTRY_ASSESSMENT, [row[0] for row in rows])
        used: dict[str, set[str]] = {}
        for ident, service, as_of, created_at, digest, payload_text, stored_hash in rows:
            name = f"assessment {short(ident)}"
            try:
                payload = json.loads(payload_text)
            except ValueError:
                yield f"{name}: payload is not JSON"
                continue
            used[ident] = _evidence_used(payload)
            if payload_hash(payload) != stored_hash:
                yield f"{name}: payload does not match its hash"
            if assessment_id(service, as_of, digest, payload) != ident:
                yield f"{name}: id does not match its content"
            if ident not in first_entries:
                yield f"{name}: no ledger entry seals it"
            elif first_entries[ident] != created_at:
                yield f"{name}: creation time does not match its first ledger entry"
        yield from _check_used(connection, used)


def _evidence_used(payload: Any) -> set[str]:
    """Every evidence id an assessment payload names: its own list, each result's and each
    test's. Anything that is not a string is kept as its JSON text, to be reported."""
    found: list[Any] = []
    if isinstance(payload, dict):
        found.extend(payload.get("evidence_ids") or ())
        for result in payload.get("results") or ():
            if isinstance(result, dict):
                found.extend(result.get("evidence_ids") or ())
                for test in result.get("tests") or ():
                    if isinstance(test, dict) and test.get("evidence_id") is not None:
                        found.append(test["evidence_id"])
    return {item if isinstance(item, str) else json.dumps(item) for item in found}


def _check_used(connection: sa.Connection, used: dict[str, set[str]]) -> Iterator[str]:
    """Each sealed assessment's evidence must still be in the store."""
    wanted = sorted(set().union(*used.values())) if used else []
    present: set[str] = set()
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start : start + BATCH]
        query = sa.select(evidence_table.c.id).where(evidence_table.c.id.in_(chunk))
        present.update(connection.execute(query).scalars())
    for ident in sorted(used):
        for missing in sorted(used[ident] - present):
            yield f"assessment {short(ident)}: evidence {short(missing)} it used is missing"


# ---------------------------------------------------------------------------- ledger


def _check_ledger(connection: sa.Connection) -> Iterator[str]:
    expected_seq, expected_prev = 1, GENESIS_HASH
    for rows in _pages(connection, ledger_table, ledger_table.c.seq):
        found = _check_refs(connection, rows)
        for row in rows:
            problems = _check_entry(row, expected_seq, expected_prev)
            found.extend((row[0], problem) for problem in problems)
            expected_seq, expected_prev = row[0] + 1, row[7]
        # One line per problem, in ledger order.
        yield from (problem for _, problem in sorted(found, key=lambda item: item[0]))


def _check_entry(row: Sequence[Any], expected_seq: int, expected_prev: str) -> Iterator[str]:
    seq, entry_type, ref_id, collected_at, collector, context_text, prev, digest = row
    name = f"ledger entry {seq}"
    if seq > expected_seq:
        gap = (
            f"entry {expected_seq} is"
            if seq == expected_seq + 1
            else f"entries {expected_seq} to {seq - 1} are"
        )
        yield f"{name}: {gap} missing before it"
    if prev != expected_prev:
        yield f"{name}: previous hash does not match the entry before it"
    if entry_type not in ENTRY_TYPES:
        yield f"{name}: unknown entry type '{entry_type}'"
    try:
        context = json.loads(context_text)
        parse_stamp(collected_at)
    except ValueError:
        yield f"{name}: entry is not readable"
        return
    recomputed = entry_hash(
        seq=seq,
        entry_type=entry_type,
        ref_id=ref_id,
        collected_at=collected_at,
        collector=collector,
        context=context,
        prev_hash=prev,
    )
    if recomputed != digest:
        yield f"{name}: entry hash does not match its content"


def _check_refs(connection: sa.Connection, rows: Sequence[Any]) -> list[tuple[int, str]]:
    """Ledger entries pointing at evidence or assessments that are not stored."""
    found: list[tuple[int, str]] = []
    for entry_type, table in (
        (ENTRY_EVIDENCE, evidence_table),
        (ENTRY_ASSESSMENT, assessment_table),
    ):
        refs = sorted({row[2] for row in rows if row[1] == entry_type})
        if not refs:
            continue
        query = sa.select(table.c.id).where(table.c.id.in_(refs))
        present = set(connection.execute(query).scalars())
        for row in rows:
            if row[1] == entry_type and row[2] not in present:
                message = f"ledger entry {row[0]}: {entry_type} {short(row[2])} is missing"
                found.append((row[0], message))
    return found
