"""Anchors: timestamp tokens over the ledger head, and the ledger reads packs need.

``assay store anchor --tsa URL`` asks a timestamp authority to sign the ledger head's
hash and keeps the token, the head it covers and the TSA's certificates in the
append-only ``anchors`` table. Whoever runs the store can rewrite its whole ledger
consistently, but not the tokens: an anchored head proves that every entry up to it
existed by the token's time. Packs carry the newest anchor at or before their ledger
head, with the ledger entries that chain their evidence to it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from assay.errors import IntegrityError
from assay.evidence.model import ensure_utc
from assay.evidence.store.columns import raw, stamp
from assay.evidence.store.queries import to_entry
from assay.evidence.store.records import ENTRY_EVIDENCE, Anchor, LedgerEntry
from assay.evidence.store.tables import anchor_table, ledger_table

ANCHOR_COLUMNS = tuple(anchor_table.columns.keys())
#: Ids per ``IN`` list (bounded statements on both databases).
CHUNK = 500


def to_anchor(row: Sequence[Any]) -> Anchor:
    try:
        return Anchor.model_validate(dict(zip(ANCHOR_COLUMNS, row, strict=True)))
    except (ValueError, TypeError) as exc:
        raise IntegrityError(
            f"anchor {row[0]}: row is not readable ({type(exc).__name__})",
            hint="the store was altered outside assay; run 'assay verify --store'",
        ) from None


def append(connection: sa.Connection, fields: dict[str, Any]) -> Anchor:
    """Store one anchor, numbered after the last; the head it names must be in the ledger."""
    entry = connection.execute(
        sa.select(ledger_table.c.entry_hash).where(ledger_table.c.seq == fields["head_seq"])
    ).scalar()
    if entry != fields["head_hash"]:
        raise IntegrityError(
            f"ledger entry {fields['head_seq']} does not have the hash the token covers",
            hint="run 'assay verify --store'",
        )
    last = connection.execute(sa.select(sa.func.max(anchor_table.c.seq))).scalar()
    anchor = Anchor(seq=int(last or 0) + 1, **fields)
    connection.execute(sa.insert(anchor_table), anchor.model_dump())
    return anchor


def anchors(connection: sa.Connection) -> list[Anchor]:
    query = sa.select(*raw(anchor_table)).order_by(anchor_table.c.seq)
    return [to_anchor(row) for row in connection.execute(query)]


def covering(connection: sa.Connection, up_to_seq: int) -> Anchor | None:
    """The anchor over the newest head at or before ``up_to_seq`` (the first one made,
    when several cover that head), so a pack made again picks the same one."""
    query = (
        sa.select(*raw(anchor_table))
        .where(anchor_table.c.head_seq <= up_to_seq)
        .order_by(anchor_table.c.head_seq.desc(), anchor_table.c.seq)
        .limit(1)
    )
    row = connection.execute(query).first()
    return None if row is None else to_anchor(row)


def evidence_entries(
    connection: sa.Connection,
    ids: Sequence[str],
    as_of: datetime | None,
    up_to_seq: int | None = None,
) -> list[LedgerEntry]:
    """For each evidence id, the entry recording the collection an assessment as of
    ``as_of`` used: its latest at or before ``as_of``, else its first; only entries up to
    ``up_to_seq`` count. In ledger order."""
    wanted = sorted(set(ids))
    seqs: dict[str, int] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        where = [ledger_table.c.entry_type == ENTRY_EVIDENCE, ledger_table.c.ref_id.in_(chunk)]
        if up_to_seq is not None:
            where.append(ledger_table.c.seq <= up_to_seq)
        first = sa.select(ledger_table.c.ref_id, sa.func.min(ledger_table.c.seq)).where(*where)
        seqs.update(
            (str(ref), int(seq))
            for ref, seq in connection.execute(first.group_by(ledger_table.c.ref_id))
        )
        if as_of is not None:
            where.append(ledger_table.c.collected_at <= ensure_utc(as_of))
        latest = sa.select(ledger_table.c.ref_id, sa.func.max(ledger_table.c.seq)).where(*where)
        seqs.update(
            (str(ref), int(seq))
            for ref, seq in connection.execute(latest.group_by(ledger_table.c.ref_id))
        )
    chosen = sorted(set(seqs.values()))
    entries: list[LedgerEntry] = []
    for start in range(0, len(chosen), CHUNK):
        query = sa.select(*raw(ledger_table)).where(
            ledger_table.c.seq.in_(chosen[start : start + CHUNK])
        )
        entries.extend(to_entry(row) for row in connection.execute(query))
    return sorted(entries, key=lambda entry: entry.seq)


def ledger_range(connection: sa.Connection, first: int, last: int) -> list[LedgerEntry]:
    """Entries ``first`` to ``last``, in order."""
    query = (
        sa.select(*raw(ledger_table))
        .where(ledger_table.c.seq >= first, ledger_table.c.seq <= last)
        .order_by(ledger_table.c.seq)
    )
    return [to_entry(row) for row in connection.execute(query)]


def check(connection: sa.Connection) -> Iterator[str]:
    """``assay verify --store``: each anchor's head is a ledger entry with the hash its
    token covers (the token's signature is checked against a TSA certificate by
    ``assay verify PACK``, offline, where a trust root is given)."""
    from assay.errors import TimestampError
    from assay.timestamps import read_token

    heads = sa.select(ledger_table.c.seq, ledger_table.c.entry_hash).where(
        ledger_table.c.seq.in_(sa.select(anchor_table.c.head_seq))
    )
    hashes = {int(seq): str(digest) for seq, digest in connection.execute(heads)}
    query = sa.select(*raw(anchor_table)).order_by(anchor_table.c.seq)
    for expected, row in enumerate(connection.execute(query), start=1):
        values = dict(zip(ANCHOR_COLUMNS, row, strict=True))
        name = f"anchor {values['seq']}"
        if values["seq"] != expected:
            yield f"{name}: anchors before it are missing"
        if hashes.get(values["head_seq"]) != values["head_hash"]:
            yield f"{name}: ledger entry {values['head_seq']} does not have the hash it covers"
        try:
            info = read_token(bytes(values["token"]))
        except (TimestampError, TypeError) as exc:
            yield f"{name}: {exc}"
            continue
        if info.imprint.hex() != values["head_hash"]:
            yield f"{name}: the token covers another hash than its head's"
        if stamp(info.gen_time) != values["gen_time"]:
            yield f"{name}: its time does not match the token's"


def entries_json(entries: Sequence[LedgerEntry]) -> list[dict[str, Any]]:
    """Entries as the JSON a pack carries (the fields their hashes cover, and the hash)."""
    return [entry.to_dict() for entry in entries]
