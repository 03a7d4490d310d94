"""``git.history`` facts about the code platform's reviews, for tests of the unverifiable status.

``platform_change_sets``, ``unreviewed_platform_change_sets`` and ``platform_reviews`` are
git.history facts the collector reports once it reads the code platform. Where the kind's
schema in this tree does not define them yet, :func:`platform_facts_schema` adds them to
the cached schema for one test (and takes them out again), so evidence carrying them is
readable; where it does, it changes nothing.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any, cast

import pytest

PLATFORM_FACTS: dict[str, dict[str, Any]] = {
    "platform_change_sets": {"type": "integer", "minimum": 0},
    "unreviewed_platform_change_sets": {"type": "integer", "minimum": 0},
    "review_ratio_if_platform_reviewed": {"type": "number", "minimum": 0, "maximum": 1},
    "platform_reviews": {
        "type": "object",
        "additionalProperties": False,
        "required": ["status", "reason", "needs"],
        "properties": {
            "status": {"enum": ["read", "no_token", "refused", "not_configured"]},
            "reason": {"type": ["string", "null"]},
            "needs": {"type": ["string", "null"]},
        },
    },
}

NO_TOKEN_REASON = "no token was given for github.com"
NO_TOKEN_NEEDS = "Set GITHUB_TOKEN to a token that can read pull requests, then collect again."


def platform(
    unreviewed: int = 3,
    total: int = 12,
    status: str = "no_token",
    reason: str | None = NO_TOKEN_REASON,
    needs: str | None = NO_TOKEN_NEEDS,
    ratio: float = 0.93,
    best: float = 0.99,
) -> dict[str, Any]:
    """The platform facts, to merge into git.history facts: by default a history below 95%
    on what git shows (``ratio``) that the platform's reviews could lift above it
    (``best``, the ratio if every unreviewed platform change set was reviewed there)."""
    return {
        "platform_change_sets": total,
        "unreviewed_platform_change_sets": unreviewed,
        "platform_reviews": {"status": status, "reason": reason, "needs": needs},
        "review_ratio": ratio,
        "review_ratio_if_platform_reviewed": best,
    }


@pytest.fixture
def platform_facts_schema() -> Iterator[None]:
    from assay.evidence import kinds

    schema = cast(dict[str, Any], kinds.read_schema("git.history"))
    properties: dict[str, Any] = schema["properties"]
    added = [name for name in PLATFORM_FACTS if name not in properties]
    for name in added:
        properties[name] = copy.deepcopy(PLATFORM_FACTS[name])
    kinds.kind_validator.cache_clear()
    try:
        yield
    finally:
        for name in added:
            del properties[name]
        kinds.kind_validator.cache_clear()
