"""The evidence model and its reproducible identity.

An evidence record's id is the sha256 of its canonical JSON *without* the
collection time, so collecting the same commit twice yields the same id. Facts
never hold the collection time or machine-specific paths.

A stored record, :class:`Evidence`, is the store's SQLModel record
(:class:`assay.evidence.store.records.Evidence`); importing it from here loads the store's
model layer on first use, so collectors that only make drafts never pay for it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from assay.durations import isoformat

if TYPE_CHECKING:
    from assay.evidence.store.records import Evidence as Evidence


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
    -> ``pipeline:ci``; anything else -> ``service``. A repository's commit that is not on
    its branch (``"on_branch": false``) is keyed by the commit, ``commit:api@<sha>``, and a
    history over a window narrower than the workspace's (``"full_window": false``) by the
    window, ``window:api@PT1M``: such evidence never takes the place of the branch's
    (:func:`stands_for_branch`).
    """
    if subject.get("repo") and subject.get("on_branch") is False:
        return f"commit:{subject['repo']}@{subject.get('commit')}"
    if subject.get("repo") and subject.get("full_window") is False:
        return f"window:{subject['repo']}@{subject.get('window')}"
    if subject.get("repo"):
        return f"repo:{subject['repo']}"
    if subject.get("pipeline"):
        return f"pipeline:{subject['pipeline']}"
    if subject.get("control"):
        return f"control:{subject['control']}"
    return "service"


def stands_for_branch(subject: dict[str, Any]) -> bool:
    """Whether evidence with ``subject`` may be used for its repository's branch: not when
    it is of a commit off the branch, or read over a window narrower than the workspace's."""
    return subject.get("on_branch") is not False and subject.get("full_window") is not False


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
        return evidence_identity(self, [a.artefact() for a in self.artefacts])

    @property
    def id(self) -> str:
        return evidence_id(self.identity())


def evidence_identity(
    record: EvidenceDraft | Evidence, artefacts: Iterable[Artefact]
) -> dict[str, Any]:
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


def ensure_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def __getattr__(name: str) -> Any:
    if name == "Evidence":
        from assay.evidence.store.records import Evidence

        return Evidence
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
