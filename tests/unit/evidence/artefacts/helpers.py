"""Shared helpers for the CI evidence tests: artefact targets, parsers, facts checks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

from assay.evidence.collectors.interface import (
    ENTRY_POINT_GROUP,
    ArtefactParser,
    ArtefactTarget,
    CollectContext,
)
from assay.evidence.kinds import kind_validator
from assay.evidence.model import EvidenceDraft
from assay.evidence.registry import load_plugin
from tests.support.entry_points import declared
from tests.support.paths import DATA

FIXTURES = DATA / "artefacts"
CI_FIXTURES = DATA / "ci"
FIXED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _declared_parsers() -> tuple[ArtefactParser, ...]:
    """Every artefact parser in Assay's ``assay.collectors`` entry points."""
    loaded = (
        load_plugin(EntryPoint(name, value, ENTRY_POINT_GROUP))
        for name, value in sorted(declared(ENTRY_POINT_GROUP).items())
    )
    return tuple(c for c in loaded if isinstance(c, ArtefactParser))


PARSERS = _declared_parsers()


def fixture(relpath: str) -> ArtefactTarget:
    """A committed fixture as an artefact target (dated FIXED when it states no time)."""
    path = FIXTURES / relpath
    return ArtefactTarget(path=path, name=relpath, data=path.read_bytes(), modified_at=FIXED)


def artefact(name: str, data: bytes | str, **kwargs: Any) -> ArtefactTarget:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return ArtefactTarget(
        path=Path("/nonexistent") / name, name=name, data=raw, modified_at=FIXED, **kwargs
    )


def context(**kwargs: Any) -> CollectContext:
    return CollectContext(service="payments", **kwargs)


def takers(target: ArtefactTarget) -> list[str]:
    """Names of the built-in parsers that recognise ``target``."""
    return [parser.name for parser in PARSERS if parser.accepts(target)]


def collect(
    parser: ArtefactParser, targets: Sequence[ArtefactTarget], ctx: CollectContext | None = None
) -> list[EvidenceDraft]:
    """Run a parser and check every draft's facts against its kind's schema."""
    drafts = parser.collect_all(list(targets), ctx or context())
    for draft in drafts:
        errors = [e.message for e in kind_validator(draft.kind).iter_errors(draft.facts)]
        assert errors == [], errors
    return drafts


def one(
    parser: ArtefactParser, target: ArtefactTarget, ctx: CollectContext | None = None
) -> dict[str, Any]:
    (draft,) = collect(parser, [target], ctx)
    return draft.facts
