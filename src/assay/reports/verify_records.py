"""The records a pack carries, checked: the assessment, the evidence, and the store.

``assessment.json`` must hash to the assessment hash and name exactly the manifest's
evidence; every record in ``evidence.json`` must hash to its evidence id and agree with
the manifest's artefacts; with a store, every evidence id, artefact hash, the assessment
and the ledger head must be found there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

from assay.evidence.model import evidence_id, sha256_hex
from assay.reports.manifest import ASSESSMENT_NAME, EVIDENCE_NAME

if TYPE_CHECKING:
    from assay.evidence.model import Evidence
    from assay.reports.verify_pack import PackCheck


class PackStore(Protocol):
    """What verification needs from a store (:class:`assay.evidence.store.Store` has it)."""

    def get(self, evidence_id: str) -> Evidence | None: ...

    def get_assessment(self, assessment_id: str) -> Any: ...

    def ledger(self, since_seq: int = 0) -> Iterator[Any]: ...


def required(
    manifest: dict[str, Any], attachments: dict[str, list[bytes]], name: str, check: PackCheck
) -> bytes | None:
    """The bytes of an attachment every pack carries; a problem when there are none.

    When the manifest lists it, its absence is reported with the other attachments; a
    manifest that leaves it out must not make a pack with nothing in it verify.
    """
    items = attachments.get(name)
    if items:
        return items[0]
    if name not in {str(entry.get("name")) for entry in manifest["attachments"]}:
        check.problems.append(f"no {name} attachment: every assay evidence pack carries one")
    return None


def check_assessment(
    manifest: dict[str, Any], attachments: dict[str, list[bytes]], check: PackCheck
) -> None:
    data = required(manifest, attachments, ASSESSMENT_NAME, check)
    if data is None:
        return
    expected = manifest["assessment"].get("hash")
    if sha256_hex(data) != expected:
        check.problems.append(
            f"{ASSESSMENT_NAME}: sha256 is {sha256_hex(data)}, the assessment hash in the "
            f"manifest is {expected}"
        )
    try:
        record = json.loads(data)
        ids = set(record["evidence_ids"])
        service = record["service"]
    except (ValueError, KeyError, TypeError):
        check.problems.append(f"{ASSESSMENT_NAME} is not an assessment record")
        return
    if service != manifest.get("service"):
        check.problems.append(
            f"{ASSESSMENT_NAME} is for service {service}, the manifest says "
            f"{manifest.get('service')}"
        )
    listed = {str(item.get("id")) for item in manifest["evidence"]}
    for missing in sorted(ids - listed):
        check.problems.append(f"evidence {missing}: used by the assessment, not in the manifest")
    for extra in sorted(listed - ids):
        check.problems.append(f"evidence {extra}: in the manifest, not used by the assessment")


def check_evidence(
    manifest: dict[str, Any], attachments: dict[str, list[bytes]], check: PackCheck
) -> None:
    data = required(manifest, attachments, EVIDENCE_NAME, check)
    if data is None:
        return
    try:
        records = json.loads(data)
        if not isinstance(records, list):
            raise TypeError
    except (ValueError, TypeError):
        check.problems.append(f"{EVIDENCE_NAME} is not a list of evidence records")
        return
    listed = {str(item.get("id")): item for item in manifest["evidence"]}
    seen: set[str] = set()
    for index, record in enumerate(records):
        if not isinstance(record, dict) or "id" not in record:
            check.problems.append(f"{EVIDENCE_NAME}: record {index + 1} has no id")
            continue
        claimed = str(record["id"])
        seen.add(claimed)
        identity = {key: value for key, value in record.items() if key != "id"}
        try:
            actual = evidence_id(identity)
        except (TypeError, ValueError):
            actual = "unhashable"
        if actual != claimed:
            check.problems.append(
                f"evidence {claimed}: its record in {EVIDENCE_NAME} hashes to {actual}"
            )
        entry = listed.get(claimed)
        if entry is None:
            check.problems.append(f"evidence {claimed}: in {EVIDENCE_NAME}, not in the manifest")
            continue
        stored = artefact_hashes(identity.get("artefacts", []))
        claimed_artefacts = artefact_hashes(entry.get("artefacts", []))
        if stored is None or stored != claimed_artefacts:
            check.problems.append(
                f"evidence {claimed}: its artefacts differ between {EVIDENCE_NAME} and the manifest"
            )
    for missing in sorted(k for k, v in listed.items() if v.get("found", True) and k not in seen):
        check.problems.append(f"evidence {missing}: in the manifest, not in {EVIDENCE_NAME}")
    hashes = {str(e.get("name")): e.get("sha256") for e in manifest["attachments"]}
    for entry in manifest["evidence"]:
        artefacts = entry.get("artefacts", [])
        if artefact_hashes(artefacts) is None:
            check.problems.append(f"evidence {entry.get('id')}: manifest artefacts are malformed")
            continue
        for artefact in artefacts:
            name = artefact.get("attachment")
            if name and hashes.get(name) != artefact.get("sha256"):
                check.problems.append(
                    f"artefact {artefact.get('name')} of evidence {entry.get('id')}: attachment "
                    f"{name} is not listed with sha256 {artefact.get('sha256')}"
                )


def artefact_hashes(value: Any) -> list[str] | None:
    """The sorted sha256s of a list of artefact objects; ``None`` for any other shape."""
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        return None
    return sorted(str(item.get("sha256", "")) for item in value)


def check_against_store(manifest: dict[str, Any], store: PackStore, check: PackCheck) -> None:
    """Every evidence id, artefact hash, the assessment and the ledger head, in the store."""
    for entry in manifest["evidence"]:
        eid = str(entry.get("id"))
        record = store.get(eid)
        if record is None:
            check.problems.append(f"store: evidence {eid} is not in the store")
            continue
        stored = sorted(a.sha256 for a in record.artefacts)
        if artefact_hashes(entry.get("artefacts", [])) != stored:
            check.problems.append(f"store: evidence {eid} has other artefacts in the store")
    assessment = manifest["assessment"]
    if assessment.get("id"):
        stored_assessment = store.get_assessment(str(assessment["id"]))
        if stored_assessment is None:
            check.problems.append(f"store: assessment {assessment['id']} is not in the store")
        elif stored_assessment.hash != assessment.get("hash"):
            check.problems.append(
                f"store: assessment {assessment['id']} has hash {stored_assessment.hash}, the "
                f"pack says {assessment.get('hash')}"
            )
    head = manifest.get("ledger_head")
    if isinstance(head, dict) and isinstance(head.get("seq"), int):
        seq = head["seq"]
        entries = store.ledger(since_seq=seq - 1)
        try:
            entry = next(iter(entries), None)
        finally:
            close = getattr(entries, "close", None)
            if close is not None:
                close()
        if entry is None or entry.seq != seq:
            check.problems.append(f"store: ledger entry {seq} (the pack's ledger head) is missing")
        elif entry.entry_hash != head.get("hash"):
            check.problems.append(
                f"store: ledger entry {seq} has hash {entry.entry_hash}, the pack's ledger head "
                f"says {head.get('hash')}"
            )
