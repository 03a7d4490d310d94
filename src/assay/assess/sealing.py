"""Assessments and gate decisions into the store: sealed records and evidence.

``assay check`` stores every assessment and seals its hash into the ledger; ``assay
gate`` does the same and records its decision as ``gate.decision`` evidence before it
exits, so an audit can see what was allowed to ship, when, and on what grounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay import __version__
from assay.assess.attestations import (
    Attestation,
    Signature,
    attestation_drafts,
    pinned_text,
    read_document,
)
from assay.assess.model import Assessment
from assay.assess.signing import attestation_signature, signature_path
from assay.errors import IntegrityError
from assay.evidence.model import EvidenceDraft

if TYPE_CHECKING:
    from assay.assess.gate import GateDecision
    from assay.evidence.store import AssessmentRecord, RecordResult, Store
    from assay.people import People

GATE_KIND = "gate.decision"


def seal(
    store: Store,
    assessment: Assessment,
    context: dict[str, Any],
    evidence: tuple[EvidenceDraft, ...] = (),
) -> AssessmentRecord:
    """Store the assessment and append its ledger seal; the stored hash is ``assessment.hash``.

    ``evidence`` is recorded in the same transaction.
    """
    record = store.save_assessment(
        service=assessment.service,
        as_of=assessment.as_of,
        library_digest=assessment.library_digest,
        payload=assessment.to_dict(),
        context=context,
        evidence=evidence,
        actor=f"assay@{assessment.tool_version}",
        created_at=assessment.created_at,
    )
    if record.hash != assessment.hash:  # pragma: no cover - both hash the same canonical JSON
        raise IntegrityError(
            f"the store sealed assessment {record.id[:12]} with hash {record.hash[:12]}, "
            f"not {assessment.hash[:12]}"
        )
    return record


def seal_decision(
    store: Store, decision: GateDecision, context: dict[str, Any]
) -> AssessmentRecord:
    """Seal the decision's assessment and record the decision as evidence, in one transaction."""
    return seal(store, decision.assessment, context, (decision_draft(decision),))


def read_assessment(record: AssessmentRecord) -> Assessment:
    """The assessment a stored record holds; refuses one whose payload no longer matches."""
    assessment = Assessment.from_dict(record.payload)
    if assessment.hash != record.hash:
        raise IntegrityError(
            f"stored assessment {record.id[:12]} does not match its sealed hash",
            hint="the record was altered; run 'assay verify --store'",
        )
    return assessment


@dataclass(frozen=True)
class Recorded:
    """What ``record_attestation`` did."""

    drafts: list[EvidenceDraft]
    results: list[RecordResult]
    sha256: str
    pinned: bool
    signature: Signature | None
    signed_now: bool


def record_attestation(
    store: Store,
    attestation: Attestation,
    *,
    context: dict[str, Any],
    max_bytes: int,
    people: People | None = None,
    key: Path | None = None,
) -> Recorded:
    """Hash the supporting file, sign (with ``key``) or read the signature beside the
    attestation and verify it, record the evidence, then pin the hash into the YAML and
    write a new signature beside it.

    The pinned YAML and the signature are made (and checked) before anything is stored,
    and written only once the evidence is stored: a failure at any step leaves every file
    as it was.
    """
    document = read_document(attestation, max_bytes=max_bytes)
    signature = attestation_signature(attestation, document.sha256, people, key)
    drafts = attestation_drafts(
        attestation, document, tool_version=__version__, signature=signature
    )
    pinned = pinned_text(attestation, document.sha256)
    results = store.record(drafts, context=context)
    if pinned is not None:
        attestation.path.write_text(pinned, encoding="utf-8")
    if key is not None and signature is not None:
        signature_path(attestation.path).write_bytes(signature.data)
    return Recorded(
        drafts, list(results), document.sha256, pinned is not None, signature, key is not None
    )


def decision_draft(decision: GateDecision) -> EvidenceDraft:
    """The ``gate.decision`` evidence for a decision."""
    return EvidenceDraft(
        kind=GATE_KIND,
        service=decision.service,
        subject={"stage": decision.stage},
        observed_at=decision.assessment.as_of,
        collector=f"assay-gate@{__version__}",
        facts=decision.facts(),
    )
