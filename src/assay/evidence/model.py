"""The evidence model and its reproducible identity.

An evidence record's id is the sha256 of its canonical JSON *without* the
collection time, so collecting the same commit twice yields the same id. Facts
never hold the collection time or machine-specific paths.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from assay.durations import isoformat


def canonical_json(data: Any) -> str:
    """Sorted keys, no insignificant white space, UTF-8 text: one spelling per value."""
    return json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Artefact:
    """A file stored as a content-addressed blob and referenced by evidence."""

    name: str
    sha256: str
    size: int
    media_type: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "sha256": self.sha256,
            "size": self.size,
            "media_type": self.media_type,
        }


@dataclass(frozen=True)
class ArtefactDraft:
    """An artefact on its way into the store: its bytes and how to call it."""

    name: str
    data: bytes = field(repr=False)
    media_type: str = "application/octet-stream"

    def artefact(self) -> Artefact:
        return Artefact(self.name, sha256_hex(self.data), len(self.data), self.media_type)


def subject_key(subject: dict[str, Any]) -> str:
    """The stable key evidence of one kind is grouped by: one latest record per key.

    ``{"repo": "api", "commit": ...}`` -> ``repo:api``; ``{"pipeline": "ci", "run_id": ...}``
    -> ``pipeline:ci``; anything else -> ``service``.
    """
    if subject.get("repo"):
        return f"repo:{subject['repo']}"
    if subject.get("pipeline"):
        return f"pipeline:{subject['pipeline']}"
    if subject.get("control"):
        return f"control:{subject['control']}"
    return "service"


@dataclass(frozen=True)
class EvidenceDraft:
    """What a collector produces: everything but the collection time."""

    kind: str
    service: str
    subject: dict[str, Any]
    observed_at: datetime
    collector: str
    facts: dict[str, Any]
    artefacts: tuple[ArtefactDraft, ...] = ()

    def identity(self) -> dict[str, Any]:
        """The canonical content the id is computed from."""
        return _identity(self, [a.artefact() for a in self.artefacts])

    @property
    def id(self) -> str:
        return evidence_id(self.identity())


def _identity(record: EvidenceDraft | Evidence, artefacts: Iterable[Artefact]) -> dict[str, Any]:
    """Everything an evidence id covers: all of a record but its collection times."""
    return {
        "kind": record.kind,
        "service": record.service,
        "subject": record.subject,
        "observed_at": isoformat(record.observed_at),
        "collector": record.collector,
        "facts": record.facts,
        "artefacts": [artefact.to_dict() for artefact in artefacts],
    }


def evidence_id(identity: dict[str, Any]) -> str:
    return sha256_hex(canonical_json(identity).encode("utf-8"))


@dataclass(frozen=True)
class Evidence:
    """A stored evidence record, with when it was last (re-)collected as of a query."""

    id: str
    kind: str
    service: str
    subject: dict[str, Any]
    observed_at: datetime
    collector: str
    facts: dict[str, Any]
    artefacts: tuple[Artefact, ...] = ()
    first_collected_at: datetime | None = None
    last_collected_at: datetime | None = None

    @property
    def subject_key(self) -> str:
        return subject_key(self.subject)

    def identity(self) -> dict[str, Any]:
        """The canonical content its id was computed from; recomputing it detects tampering."""
        return _identity(self, self.artefacts)

    def to_dict(self) -> dict[str, Any]:
        data = {"id": self.id, **self.identity()}
        if self.first_collected_at is not None:
            data["first_collected_at"] = isoformat(self.first_collected_at)
        if self.last_collected_at is not None:
            data["last_collected_at"] = isoformat(self.last_collected_at)
        return data


def ensure_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
