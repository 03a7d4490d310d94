"""Who counts as a reviewer, and which records are self-reported."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from assay.durations import date_after
from assay.evidence.kinds import kind_trust
from assay.evidence.model import Artefact, Evidence
from assay.evidence.trust import (
    APPROVALS_ARTEFACT,
    ReviewerPolicy,
    approvals_artefact,
    self_reported_source,
)


@pytest.mark.parametrize(
    ("approver", "author", "expected"),
    [
        ("carol", "alice", None),
        ("carol", None, "no_author"),
        ("carol", "  ", "no_author"),
        ("Alice", "alice", "self_approval"),
        ("dependabot[bot]", "alice", "bot"),
        ("rubber-stamp-bot", "alice", "bot"),
        ("Mergebot", "alice", "bot"),
        ("jenkins", "alice", "bot"),
        ("review-bot", "alice", None),
    ],
)
def test_reviewer_rules(approver: str, author: str | None, expected: str | None) -> None:
    policy = ReviewerPolicy.from_config(
        {"collect": {"automation_accounts": ["Jenkins"], "allowed_bot_reviewers": ["review-bot"]}}
    )
    assert policy.refusal(approver, author) == expected


def test_only_self_reported_kinds_and_marked_histories_are_self_reported() -> None:
    assert kind_trust("reviews") == "self-reported"
    assert kind_trust("manual.attestation") == "self-reported"
    assert kind_trust("git.history") == "tested"
    assert kind_trust("no.such.kind") == "tested"
    when = datetime(2026, 3, 1, tzinfo=UTC)
    marked = approvals_artefact({"a" * 40: ["carol", "carol"]}, ["reviews-export@1.0.0"])
    assert marked.name == APPROVALS_ARTEFACT
    body = json.loads(marked.data)
    assert body == {
        "trust": "self-reported",
        "sources": ["reviews-export@1.0.0"],
        "approvals": {"a" * 40: ["carol"]},
    }
    fields: dict[str, Any] = {
        "id": "0" * 64,
        "kind": "git.history",
        "service": "api",
        "subject": {"repo": "api"},
        "observed_at": when,
        "collector": "git.history@1",
        "facts": {},
    }
    plain = Evidence(**fields)
    assert self_reported_source(plain) is None
    history = Evidence(
        **fields, artefacts=(Artefact(APPROVALS_ARTEFACT, "1" * 64, 10, "application/json"),)
    )
    assert self_reported_source(history) == "reviews"


def test_calendar_durations() -> None:
    assert date_after(date(2024, 2, 29), "P1Y") == date(2025, 2, 28)
    assert date_after(date(2026, 1, 31), "P1M") == date(2026, 2, 28)
    assert date_after(date(2026, 12, 7), "P6M2W") == date(2027, 6, 21)
    with pytest.raises(ValueError, match="time part"):
        date_after(date(2026, 1, 1), "PT12H")
