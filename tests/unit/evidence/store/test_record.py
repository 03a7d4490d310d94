"""Recording evidence: deduplication, the ledger chain, blobs, all-or-nothing batches."""

from __future__ import annotations

import itertools

import pytest

from assay.errors import InvalidInput
from assay.evidence.model import ArtefactDraft, EvidenceDraft, canonical_json, sha256_hex
from assay.evidence.store import GENESIS_HASH, Store
from assay.evidence.store.ledger import entry_hash
from tests.unit.evidence.store.helpers import T0, at, draft


def test_record_returns_the_drafts_ids_and_ledger_numbers(store: Store) -> None:
    drafts = [draft(1), draft(2)]
    results = store.record(drafts, context={"user": "ana"}, collected_at=at(60))
    assert [r.evidence_id for r in results] == [d.id for d in drafts]
    assert [r.new for r in results] == [True, True]
    assert [r.seq for r in results] == [1, 2]
    assert store.counts().evidence == 2


def test_identical_evidence_is_stored_once_and_ledgered_each_time(store: Store) -> None:
    first = store.record([draft(1)], context={}, collected_at=at(60))
    again = store.record([draft(1), draft(1)], context={}, collected_at=at(120))
    assert first[0].new is True
    assert [r.new for r in again] == [False, False]
    assert {r.evidence_id for r in first + again} == {draft(1).id}
    counts = store.counts()
    assert (counts.evidence, counts.ledger) == (1, 3)
    record = store.get(draft(1).id)
    assert record is not None
    assert (record.first_collected_at, record.last_collected_at) == (at(60), at(120))


def test_the_same_draft_twice_in_one_batch_is_new_only_once(store: Store) -> None:
    results = store.record([draft(7), draft(7)], context={})
    assert [r.new for r in results] == [True, False]
    assert store.counts().evidence == 1


def test_ledger_entries_chain_from_genesis(store: Store) -> None:
    store.record([draft(1), draft(2)], context={"run": "a"}, collected_at=at(60))
    store.record([draft(1)], context={"run": "b"}, collected_at=at(61))
    entries = list(store.ledger())
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.entry_hash
    for entry in entries:
        recomputed = entry_hash(
            seq=entry.seq,
            entry_type=entry.entry_type,
            ref_id=entry.ref_id,
            collected_at=entry.to_dict()["collected_at"],
            collector=entry.collector,
            context=entry.context,
            prev_hash=entry.prev_hash,
        )
        assert recomputed == entry.entry_hash
    assert entries[2].context == {"run": "b"}
    assert entries[2].collector == "ci-env@1.0.0"
    assert store.head() == (3, entries[2].entry_hash)
    assert [e.seq for e in store.ledger(since_seq=2)] == [3]


def test_blobs_are_content_addressed_and_deduplicated(store: Store) -> None:
    shared = ArtefactDraft("report.xml", b"<testsuite/>", "application/xml")
    other = ArtefactDraft("log.txt", b"ok\n", "text/plain")
    store.record([draft(1, artefacts=(shared,)), draft(2, artefacts=(shared, other))], context={})
    store.record([draft(3, artefacts=(shared,))], context={})
    assert store.counts().blobs == 2
    assert store.blob(sha256_hex(b"<testsuite/>")) == b"<testsuite/>"
    record = store.get(draft(2, artefacts=(shared, other)).id)
    assert record is not None
    assert [a.to_dict() for a in record.artefacts] == [
        shared.artefact().to_dict(),
        other.artefact().to_dict(),
    ]


def test_a_stored_record_reads_back_as_its_draft(store: Store) -> None:
    original = draft(5, artefacts=(ArtefactDraft("a.bin", b"\x00\x01"),))
    store.record([original], context={})
    record = store.get(original.id)
    assert record is not None
    assert record.identity() == original.identity()
    assert record.subject_key == "pipeline:release"
    assert store.get("0" * 64) is None


def test_an_invalid_draft_refuses_the_whole_batch(store: Store) -> None:
    good = draft(1)
    bad = draft(2, attempt="twice")
    unknown = EvidenceDraft("no.such.kind", "payments", {}, T0, "x@1", {})
    with pytest.raises(InvalidInput) as caught:
        store.record([good, bad, unknown], context={})
    assert [str(p) for p in caught.value.problems] == [
        "evidence draft 2 (ci.run from ci-env@1.0.0 for service 'payments'): fact 'attempt': "
        "'twice' is not of type 'integer'",
        "evidence draft 3 (no.such.kind from x@1 for service 'payments'): "
        "unknown evidence kind 'no.such.kind'",
    ]
    counts = store.counts()
    assert (counts.evidence, counts.ledger) == (0, 0)


def test_drafts_with_bad_fields_are_refused(store: Store) -> None:
    base = draft(1)
    drafts = [
        EvidenceDraft("ci.run", "", base.subject, T0, "ci-env@1", base.facts),
        EvidenceDraft("ci.run", "payments", base.subject, T0, "no-version", base.facts),
        EvidenceDraft("ci.run", "payments", base.subject, T0, "ci-env@1", {**base.facts, "x": 1}),
        EvidenceDraft("ci.run", "p", {"n": float("nan")}, T0, "ci-env@1", base.facts),
    ]
    with pytest.raises(InvalidInput) as caught:
        store.record(drafts, context={})
    messages = [p.message for p in caught.value.problems]
    assert "service must be 1 to 200 characters" in messages
    assert "collector 'no-version' is not name@version" in messages
    assert any(m.startswith("facts: Additional properties are not allowed") for m in messages)
    assert any(m.startswith("not JSON data:") for m in messages)
    assert store.counts().ledger == 0


def test_context_must_be_json(store: Store) -> None:
    with pytest.raises(InvalidInput, match="1 problem found"):
        store.record([draft(1)], context={"when": T0})
    assert store.counts().ledger == 0


def test_an_empty_batch_writes_nothing(store: Store) -> None:
    assert store.record([], context={}) == []
    assert store.head() is None


def test_assessments_are_stored_sealed_and_deduplicated(store: Store) -> None:
    payload = {"service": "payments", "results": [{"control": "CHG-01", "status": "pass"}]}
    store.record([draft(1)], context={})
    saved = store.save_assessment(
        service="payments", as_of=at(30), library_digest="d" * 64, payload=payload, context={}
    )
    again = store.save_assessment(
        service="payments", as_of=at(30), library_digest="d" * 64, payload=payload, context={}
    )
    assert saved.id == again.id
    assert saved.hash == sha256_hex(canonical_json(payload).encode())
    assert (saved.seq, again.seq) == (2, 3)
    assert store.counts().assessments == 1
    fetched = store.get_assessment(saved.id)
    assert fetched is not None
    assert fetched.payload == payload
    assert fetched.created_at == saved.created_at == again.created_at
    assert [a.id for a in store.list_assessments("payments")] == [saved.id]
    assert store.list_assessments("other") == []
    entries = list(store.ledger())
    assert [(e.entry_type, e.ref_id) for e in entries[1:]] == [("assessment", saved.id)] * 2
    assert entries[1].collector.startswith("assay@")
    assert store.verify().ok


def test_an_assessment_and_its_evidence_are_sealed_in_one_transaction(store: Store) -> None:
    payload = {"service": "payments", "results": []}
    record = store.save_assessment(
        service="payments",
        as_of=at(30),
        library_digest="d" * 64,
        payload=payload,
        context={"pipeline": "7"},
        evidence=[draft(1), draft(2)],
    )
    assert record.seq == 1
    entries = list(store.ledger())
    assert [(e.seq, e.entry_type, e.ref_id) for e in entries] == [
        (1, "assessment", record.id),
        (2, "evidence", draft(1).id),
        (3, "evidence", draft(2).id),
    ]
    assert store.get(draft(2).id) is not None
    assert store.verify().ok


def test_an_invalid_draft_leaves_the_assessment_unsealed(store: Store) -> None:
    bad = draft(3, attempt="twice")
    with pytest.raises(InvalidInput):
        store.save_assessment(
            service="payments",
            as_of=at(30),
            library_digest="d" * 64,
            payload={"service": "payments", "results": []},
            context={},
            evidence=[bad],
        )
    counts = store.counts()
    assert (counts.assessments, counts.evidence, counts.ledger) == (0, 0, 0)


def test_find_resolves_unique_prefixes(store: Store) -> None:
    store.record([draft(1), draft(2)], context={})
    ident = draft(1).id
    assert store.find(ident[:8].upper()) == ident
    assert store.find(ident) == ident


def test_an_in_memory_store_works_for_tests() -> None:
    from assay.evidence.store import open_store

    with open_store("sqlite://") as memory:
        memory.record([draft(1), draft(1)], context={})
        assert memory.url == "in-memory store"
        assert [r.id for r in memory.latest("payments", ["ci.run"])] == [draft(1).id]
        assert memory.verify().ok


def test_assessments_are_found_by_id_prefix_in_the_store(store: Store) -> None:
    from assay.errors import StoreError

    saved = [
        store.save_assessment(
            service="payments",
            as_of=at(day),
            library_digest="d" * 64,
            payload={"day": day},
            context={},
        )
        for day in range(1, 6)
    ]
    for record in saved:
        assert store.find_assessment(record.id[:8].upper()) == record.id
    with pytest.raises(StoreError, match="no assessment with id 00000000"):
        store.find_assessment("00000000")
    with pytest.raises(StoreError, match="'xyz' is not an assessment id"):
        store.find_assessment("xyz")
    with pytest.raises(StoreError, match="no evidence with id"):
        store.find(saved[0].id[:8])  # an assessment id is not an evidence id
