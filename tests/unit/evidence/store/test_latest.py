"""``latest``: per (kind, subject key), the evidence of the most recent ledger entry, as the
store stood at ``as_of``; the time a record claims never decides."""

from __future__ import annotations

import json
import random
from datetime import timedelta

from assay.evidence.model import Evidence, EvidenceDraft
from assay.evidence.reader import EvidenceReader, MemoryEvidence
from assay.evidence.store import Store
from tests.support.paths import ROOT
from tests.unit.evidence.store.helpers import T0, at, draft


def ids(records: list[Evidence]) -> list[str]:
    return [record.id for record in records]


def test_the_store_is_an_evidence_reader(store: Store) -> None:
    reader: EvidenceReader = store
    assert reader.latest("payments", ["ci.run"]) == []


def test_latest_ledger_entry_wins_per_subject_key(store: Store) -> None:
    claimed_later, entered_later = draft(2, observed=at(20)), draft(1, observed=at(10))
    other = draft(3, pipeline="nightly", observed=at(5))
    store.record([claimed_later, entered_later, other], context={}, collected_at=at(30))
    found = store.latest("payments", ["ci.run"])
    assert ids(found) == [other.id, entered_later.id]  # sorted by (kind, subject key)
    assert [r.subject_key for r in found] == ["pipeline:nightly", "pipeline:release"]
    assert found[1].last_collected_at == at(30)


def test_a_far_future_claim_does_not_outrank_later_collections(store: Store) -> None:
    """A record claiming 2099, collected once, is not latest once anything follows it."""
    future = draft(1, observed=at(60 * 24 * 365 * 70))
    honest = draft(2, observed=at(10))
    store.record([future], context={}, collected_at=at(20))
    store.record([honest], context={}, collected_at=at(30))
    assert ids(store.latest("payments", ["ci.run"])) == [honest.id]
    assert ids(store.latest("payments", ["ci.run"], as_of=at(25))) == [future.id]


def test_as_of_sees_only_evidence_collected_by_then(store: Store) -> None:
    first, second = draft(1, observed=at(10)), draft(2, observed=at(20))
    store.record([first], context={}, collected_at=at(15))
    store.record([second], context={}, collected_at=at(25))
    assert store.latest("payments", ["ci.run"], as_of=at(14)) == []
    assert ids(store.latest("payments", ["ci.run"], as_of=at(15))) == [first.id]
    assert ids(store.latest("payments", ["ci.run"], as_of=at(24))) == [first.id]
    assert ids(store.latest("payments", ["ci.run"], as_of=at(25))) == [second.id]
    assert ids(store.latest("payments", ["ci.run"])) == [second.id]


def test_recollection_refreshes_last_collected_as_of(store: Store) -> None:
    only = draft(1, observed=at(0))
    store.record([only], context={}, collected_at=at(10))
    store.record([only], context={}, collected_at=at(50))
    (then,) = store.latest("payments", ["ci.run"], as_of=at(20))
    (now,) = store.latest("payments", ["ci.run"])
    assert (then.first_collected_at, then.last_collected_at) == (at(10), at(10))
    assert (now.first_collected_at, now.last_collected_at) == (at(10), at(50))


def test_the_later_ledger_entry_wins_whatever_the_observation(store: Store) -> None:
    a = draft(1, observed=at(10), actor="a")
    b = draft(1, observed=at(10), actor="b")
    store.record([a], context={}, collected_at=at(20))
    store.record([b], context={}, collected_at=at(30))
    assert ids(store.latest("payments", ["ci.run"])) == [b.id]
    assert ids(store.latest("payments", ["ci.run"], as_of=at(25))) == [a.id]
    store.record([a], context={}, collected_at=at(40))
    assert ids(store.latest("payments", ["ci.run"])) == [a.id]


def test_service_and_kind_filters(store: Store) -> None:
    store.record([draft(1), draft(2, service="ledger")], context={})
    assert [r.service for r in store.latest("ledger", ["ci.run"])] == ["ledger"]
    assert store.latest("payments", ["git.history"]) == []
    assert store.latest("nobody", ["ci.run"]) == []


def test_matches_the_reference_reader_on_random_histories(store: Store) -> None:
    """The SQL walk and MemoryEvidence (the protocol's reference) agree at every moment.

    Each draft gets its own collection time: MemoryEvidence breaks ties by time, the
    store by ledger order, and the two agree when no two entries share a time.
    """
    chance = random.Random(7)
    memory = MemoryEvidence()
    pool = [
        draft(
            f"run-{n}",
            service=chance.choice(["payments", "ledger"]),
            pipeline=chance.choice(["release", "nightly", "pr"]),
            observed=T0 + timedelta(minutes=chance.randrange(0, 40)),
        )
        for n in range(30)
    ]
    for step in range(40):
        for index, item in enumerate(chance.sample(pool, chance.randrange(1, 4))):
            when = at(10 + step * 2 + index / 10)
            store.record([item], context={"step": step}, collected_at=when)
            stored = store.get(item.id)
            assert stored is not None
            unseen = {"first_collected_at": None, "last_collected_at": None}
            memory.add(stored.model_copy(update=unseen), when)
    for minute in [0, 9, 10, 33, 50, 51, 75, 200]:
        for service in ["payments", "ledger"]:
            moment = at(minute)
            expected = memory.latest(service, ["ci.run"], as_of=moment)
            assert store.latest(service, ["ci.run"], as_of=moment) == expected, (minute, service)


def test_walks_every_kind_and_subject_of_the_service(store: Store) -> None:
    facts = json.loads((ROOT / "tests/data/kind-examples/git.tags.json").read_text())
    tags = EvidenceDraft("git.tags", "payments", {"repo": "api"}, at(5), "git@1.0.0", facts)
    runs = [draft(1), draft(2, pipeline="nightly"), draft(3, pipeline="zz")]
    store.record([*runs, tags, draft(4, service="other")], context={})
    both = store.latest("payments", ["git.tags", "ci.run", "sbom"])
    assert [(r.kind, r.subject_key) for r in both] == [
        ("ci.run", "pipeline:nightly"),
        ("ci.run", "pipeline:release"),
        ("ci.run", "pipeline:zz"),
        ("git.tags", "repo:api"),
    ]
    assert ids(store.latest("payments", ["git.tags"])) == [tags.id]
