"""Checking a batch of drafts and turning it into rows, before anything is written.

A batch is all or nothing: every draft's facts are validated against its kind's JSON
Schema first, and one bad draft refuses the whole batch with every problem listed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from assay.durations import isoformat
from assay.errors import Problem, raise_if_problems
from assay.evidence.kinds import kind_validator
from assay.evidence.model import (
    Artefact,
    ArtefactDraft,
    EvidenceDraft,
    canonical_json,
    ensure_utc,
    evidence_id,
    evidence_identity,
    subject_key,
)
from assay.evidence.store.columns import JSONText

COLLECTOR = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*@[A-Za-z0-9][A-Za-z0-9.+_-]*$")
MAX_NAME = 200
MAX_SUBJECT_KEY = 300
MAX_MESSAGE = 240


@dataclass(frozen=True)
class PreparedDraft:
    """One draft as rows: the evidence row (less its first collection time) and blobs.

    The row's JSON columns hold the canonical text the id was computed from.
    """

    id: str
    row: dict[str, Any]
    blobs: tuple[tuple[Artefact, bytes], ...]
    collector: str


def _short(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def _fact_problems(draft: EvidenceDraft, where: str) -> list[Problem]:
    try:
        validator = kind_validator(draft.kind)
    except KeyError:
        return [Problem(where, message=f"unknown evidence kind '{draft.kind}'")]
    facts: object = draft.facts  # plugins are not type-checked: look at what they sent
    if not isinstance(facts, dict):
        return [Problem(where, message="facts must be a JSON object")]
    problems = []
    errors = sorted(validator.iter_errors(draft.facts), key=lambda e: list(map(str, e.path)))
    for error in errors:
        dotted = ".".join(str(part) for part in error.absolute_path)
        name = f"fact '{dotted}'" if dotted else "facts"
        problems.append(Problem(where, message=_short(f"{name}: {error.message}")))
    return problems


def _field_problems(draft: EvidenceDraft, where: str) -> list[Problem]:
    problems = []
    if not draft.service or len(draft.service) > MAX_NAME:
        problems.append(Problem(where, message=f"service must be 1 to {MAX_NAME} characters"))
    if not COLLECTOR.match(draft.collector or "") or len(draft.collector) > MAX_NAME:
        problems.append(
            Problem(where, message=f"collector '{draft.collector}' is not name@version")
        )
    observed: object = draft.observed_at
    if not isinstance(observed, datetime):
        problems.append(Problem(where, message="observed_at must be a date-time"))
    if not all(isinstance(item, ArtefactDraft) for item in draft.artefacts):
        problems.append(Problem(where, message="artefacts must be ArtefactDraft values"))
    subject: object = draft.subject
    if not isinstance(subject, dict):
        problems.append(Problem(where, message="subject must be a JSON object"))
    elif len(subject_key(draft.subject)) > MAX_SUBJECT_KEY:
        problems.append(Problem(where, message="subject key is too long"))
    for data in (draft.subject, draft.facts):
        try:
            canonical_json(data)
        except (TypeError, ValueError) as exc:
            problems.append(Problem(where, message=_short(f"not JSON data: {exc}")))
    return problems


def prepare(drafts: Sequence[EvidenceDraft]) -> list[PreparedDraft]:
    """Validate every draft and build its rows; raise :class:`InvalidInput` if any is bad."""
    problems: list[Problem] = []
    for index, draft in enumerate(drafts, start=1):
        where = (
            f"evidence draft {index} ({draft.kind} from {draft.collector} "
            f"for service '{draft.service}')"
        )
        found = _field_problems(draft, where)
        if not found:
            found = _fact_problems(draft, where)
        problems.extend(found)
    raise_if_problems(
        problems, hint="the collector produced evidence its kind refuses; nothing was stored"
    )
    return [_prepare_one(draft) for draft in drafts]


def _prepare_one(draft: EvidenceDraft) -> PreparedDraft:
    blobs = tuple((item.artefact(), item.data) for item in draft.artefacts)
    observed = ensure_utc(draft.observed_at).replace(microsecond=0)
    identity = evidence_identity(draft, [artefact for artefact, _ in blobs])
    identity["observed_at"] = isoformat(observed)
    ident = evidence_id(identity)
    row = {
        "id": ident,
        "kind": draft.kind,
        "service": draft.service,
        "subject": JSONText(canonical_json(draft.subject)),
        "subject_key": subject_key(draft.subject),
        "observed_at": observed,
        "collector": draft.collector,
        "facts": JSONText(canonical_json(draft.facts)),
        "artefacts": JSONText(canonical_json(identity["artefacts"])),
    }
    return PreparedDraft(id=ident, row=row, blobs=blobs, collector=draft.collector)
