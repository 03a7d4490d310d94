"""The pack manifest: what a pack embeds and claims, written once and checked by verify.

``manifest.json`` is one PDF attachment. It names every other attachment with its sha256
and size, and records the pack's facts: service, assessment time, assessment hash,
library digest, ledger head, tool version and, for every evidence record used, its id,
kind, subject and artefacts (with the attachment holding each, when embedded). The
manifest's own sha256 is written into the PDF metadata (``/assaymanifestsha256``), so an
edited manifest no longer matches. It binds the rendered pages too: ``pages`` holds the
page count and the sha256 of each page's decoded content, in order. As the cover is one
of those pages, the cover shows the sha256 of the manifest without the members added
while the PDF is written (:func:`core_sha256`). ``signed`` says whether the pack was
written to be signed. ``file_name`` and ``attachment_limit`` let ``assay verify
--rerender`` rebuild it; ``document_info`` holds the document information entries a
reader shows (title, author...) and ``outline`` the bookmarks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from assay import __version__
from assay.assess.model import format_instant
from assay.evidence.model import canonical_json, sha256_hex
from assay.reports.ledger_proof import ledger_manifest
from assay.reports.model import ServiceReport

MANIFEST_NAME = "manifest.json"
ASSESSMENT_NAME = "assessment.json"
EVIDENCE_NAME = "evidence.json"
FORMAT = "assay.pack.manifest/1"
#: The key of the manifest hash in the PDF document information dictionary.
METADATA_KEY = "/assaymanifestsha256"
#: The document information entries the manifest binds (``document_info``); a signature
#: may change ``/Producer`` and ``/ModDate``, and nothing else may be there.
BOUND_INFO = ("/Title", "/Author", "/Subject", "/Keywords", "/Creator", "/CreationDate")


@dataclass(frozen=True)
class PackFile:
    """One attachment: its name, bytes, role and a line describing it."""

    name: str
    data: bytes
    role: str
    description: str

    @property
    def sha256(self) -> str:
        return sha256_hex(self.data)


def assessment_bytes(report: ServiceReport) -> bytes:
    """The assessment record's canonical JSON: its sha256 *is* the assessment hash."""
    return report.assessment.canonical_json().encode("utf-8")


def evidence_bytes(report: ServiceReport) -> bytes:
    """Every evidence record used, as ``{id, ...identity}``: ids can be recomputed offline."""
    records = [{"id": row.id, **row.identity} for row in report.evidence if row.found]
    return canonical_json(records).encode("utf-8")


def build_manifest(
    report: ServiceReport,
    files: list[PackFile],
    *,
    signed: bool = False,
    file_name: str = "pack.pdf",
    attachment_limit: int | None = None,
) -> dict[str, Any]:
    """The manifest without its ``pages`` (they are added while the PDF is written).

    ``file_name`` (shown in the pack) and ``attachment_limit`` (the size up to which
    artefacts were embedded) are what, with the store, rebuilding the pack needs.
    """
    facts = report.facts
    head = facts.ledger_head
    return {
        "format": FORMAT,
        "tool": f"assay {__version__}",
        "service": facts.service,
        "as_of": format_instant(report.assessment.as_of),
        "created_at": format_instant(report.assessment.created_at),
        "assessment": {
            "id": facts.assessment_id,
            "hash": facts.assessment_hash,
            "library_digest": facts.library_digest,
            "tool_version": facts.assessment_tool_version,
            "counts": report.counts,
        },
        "ledger_head": None if head is None else {"seq": head[0], "hash": head[1]},
        "signed": signed,
        "file_name": file_name,
        "attachment_limit": attachment_limit,
        "evidence": [
            {
                "id": row.id,
                "kind": row.kind,
                "subject": row.subject,
                "found": row.found,
                "artefacts": [
                    {
                        "name": a.name,
                        "sha256": a.sha256,
                        "size": a.size,
                        "media_type": a.media_type,
                        "attachment": a.attachment,
                    }
                    for a in row.artefacts
                ],
            }
            for row in report.evidence
        ],
        "attachments": [
            {"name": f.name, "role": f.role, "sha256": f.sha256, "size": len(f.data)} for f in files
        ],
        **ledger_manifest(report.ledger),
    }


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """Indented, sorted-key JSON: readable when extracted, stable for the hash."""
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


#: The members added while the PDF is written, after the cover was laid out.
WRITTEN_KEYS = ("pages", "document_info", "outline")


def core_sha256(manifest: dict[str, Any]) -> str:
    """The sha256 of the manifest without ``pages``, ``document_info`` and ``outline`` (the
    members added while the PDF is written): what the cover shows."""
    core = {k: v for k, v in manifest.items() if k not in WRITTEN_KEYS}
    return sha256_hex(manifest_bytes(core))
