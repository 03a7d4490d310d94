"""The store's records: SQLModel classes, validated when built, holding what is stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError
from sqlmodel import SQLModel

from assay.errors import InvalidInput
from assay.evidence.model import Evidence as ModelEvidence
from assay.evidence.model import canonical_json
from assay.evidence.store import AssessmentRecord, LedgerEntry, Store
from assay.evidence.store.columns import parse_stamp, stamp
from assay.evidence.store.records import Evidence
from assay.evidence.store.tables import EvidenceRow, LedgerRow
from tests.unit.evidence.store.helpers import at, draft, execute

HASH = "ab" * 32


def entry(**changes: Any) -> LedgerEntry:
    fields: dict[str, Any] = {
        "seq": 1,
        "entry_type": "evidence",
        "ref_id": HASH,
        "collected_at": datetime(2026, 1, 31, 12, tzinfo=UTC),
        "collector": "ci-env@1.0.0",
        "context": {"ci": "github"},
        "prev_hash": "0" * 64,
        "entry_hash": HASH,
    }
    return LedgerEntry(**{**fields, **changes})


def test_the_store_hands_out_sqlmodel_records(store: Store) -> None:
    (result,) = store.record([draft(1)], context={"run": 1}, collected_at=at(5))
    record = store.get(result.evidence_id)
    assert isinstance(record, Evidence)
    assert isinstance(record, SQLModel)
    assert ModelEvidence is Evidence
    assert record.last_collected_at == at(5)
    (ledger,) = list(store.ledger())
    assert isinstance(ledger, LedgerEntry)
    assert isinstance(ledger, SQLModel)
    assert ledger.context == {"run": 1}
    saved = store.save_assessment(
        service="payments", as_of=at(6), library_digest="lib", payload={"ok": True}, context={}
    )
    assert isinstance(saved, AssessmentRecord)
    assert isinstance(saved, SQLModel)
    assert saved.seq == 2
    assert store.get_assessment(saved.id) == saved.model_copy(update={"seq": None})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ref_id", "ab" * 31),  # a hash one byte short
        ("entry_hash", "AB" * 32),  # upper-case hex is not how hashes are written
        ("prev_hash", "zz" * 32),
        ("collected_at", datetime(2026, 1, 31, 12)),  # no time zone
        ("collected_at", datetime(2026, 1, 31, 13, tzinfo=timezone(timedelta(hours=1)))),
        ("collected_at", "2026-01-31T13:00:00.000000+01:00"),  # stored text, not UTC
        ("collected_at", "2026-01-31 12:00:00"),
        ("entry_type", "deletion"),
        ("seq", 0),
        ("collector", ""),
        ("context", "[1, 2]"),  # JSON, but not an object
    ],
)
def test_a_record_with_a_bad_field_is_refused(field: str, value: object) -> None:
    with pytest.raises(ValidationError, match=field):
        entry(**{field: value})


def test_a_record_reads_its_stored_text() -> None:
    built = entry(collected_at="2026-01-31T12:00:00.000000Z", context='{"ci":"github"}')
    assert built == entry()
    assert built.collected_at.tzinfo is UTC


def test_records_are_frozen() -> None:
    built = entry()
    with pytest.raises(ValidationError, match="frozen"):
        built.collector = "other@1"


def test_evidence_refuses_a_bad_id_and_a_local_time() -> None:
    fields: dict[str, Any] = {
        "id": HASH,
        "kind": "ci.run",
        "service": "payments",
        "subject": {"pipeline": "release"},
        "observed_at": datetime(2026, 1, 31, 12, tzinfo=UTC),
        "collector": "ci-env@1.0.0",
        "facts": {},
    }
    assert Evidence(**fields).observed_at == datetime(2026, 1, 31, 12, tzinfo=UTC)
    with pytest.raises(ValidationError, match="id"):
        Evidence(**{**fields, "id": HASH[:-1]})
    local = datetime(2026, 1, 31, 14, tzinfo=timezone(timedelta(hours=2)))
    with pytest.raises(ValidationError, match="not in UTC"):
        Evidence(**{**fields, "observed_at": local})
    with pytest.raises(ValidationError, match="service"):
        Evidence(**{**fields, "service": ""})
    artefact = {"name": "junit.xml", "sha256": HASH, "size": 3, "media_type": "text/xml"}
    stored = Evidence.model_validate({**fields, "artefacts": canonical_json([artefact])})
    assert [a.to_dict() for a in stored.artefacts] == [artefact]
    for bad in ({**artefact, "sha256": "ab"}, {**artefact, "size": -1}, {"name": "x"}):
        with pytest.raises(ValidationError, match="artefact"):
            Evidence.model_validate({**fields, "artefacts": [bad]})


def test_table_classes_validate_through_model_validate() -> None:
    row = {**entry().model_dump(), "ref_id": "not a hash"}
    with pytest.raises(ValidationError, match="ref_id"):
        LedgerRow.model_validate(row)
    assert LedgerRow.model_validate({**row, "ref_id": HASH}).ref_id == HASH
    assert set(EvidenceRow.model_fields) >= {"subject_key", "first_collected_at", "facts"}


def test_columns_hold_the_text_hashes_cover(store: Store) -> None:
    store.record([draft(1)], context={"b": 1, "a": [True]}, collected_at=at(5.5))
    (ledger,) = list(store.ledger())
    url = store.target.url.render_as_string(hide_password=False)
    ((collected, context),) = execute(url, "SELECT collected_at, context FROM ledger")
    assert collected == stamp(ledger.collected_at) == "2026-01-01T00:05:30.000000Z"
    assert context == canonical_json(ledger.context) == '{"a":[true],"b":1}'
    ((observed, facts),) = execute(url, "SELECT observed_at, facts FROM evidence")
    record = store.get(ledger.ref_id)
    assert record is not None
    assert observed == stamp(record.observed_at)
    assert facts == canonical_json(record.facts)


def test_parse_stamp_reads_only_utc_stamps() -> None:
    assert parse_stamp("2026-01-31T12:00:00Z") == datetime(2026, 1, 31, 12, tzinfo=UTC)
    for text in ("2026-01-31T12:00:00+00:00", "2026-01-31T12:00:00.000Z", "yesterday"):
        with pytest.raises(ValueError, match="not a UTC stamp"):
            parse_stamp(text)


def test_an_assessment_with_a_bad_field_is_refused_and_nothing_is_stored(store: Store) -> None:
    with pytest.raises(InvalidInput) as caught:
        store.save_assessment(
            service="payments", as_of=at(1), library_digest="", payload={}, context={}
        )
    assert [str(problem) for problem in caught.value.problems] == [
        "assessment library_digest: String should have at least 1 character"
    ]
    assert store.counts().assessments == store.counts().ledger == 0


def test_records_describe_themselves_as_json_schema() -> None:
    """Plugin authors can publish what a record holds: the checks show in its schema."""
    ledger = LedgerEntry.model_json_schema()["properties"]
    assert ledger["ref_id"]["pattern"] == "^[0-9a-f]{64}$"
    assert ledger["collected_at"]["format"] == "date-time"
    assert ledger["context"]["type"] == "object"
    artefacts = Evidence.model_json_schema()["properties"]["artefacts"]
    assert artefacts["items"]["required"] == ["media_type", "name", "sha256", "size"]
