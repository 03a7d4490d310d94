"""``assay verify PACK.pdf``: prove an evidence pack unaltered, offline and against a store.

Offline, the pack is checked against itself: the PDF must be whole (it ends with
``%%EOF``), hold a ``manifest.json`` whose sha256 matches the one in the PDF metadata,
hold exactly the attachments the manifest lists, each with the listed sha256 and size;
``assessment.json`` must hash to the assessment hash; every record in
``evidence.json`` must hash to its evidence id; and the evidence and artefacts must
agree with the manifest. The whole file is bound too (:mod:`.verify_structure`): every
embedded file in every revision, every page's content, and no update but a signature.
With a store, every evidence id, artefact hash, the assessment and the ledger head must
also be found there. Each difference is one plain line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assay.errors import ReportError
from assay.evidence.model import sha256_hex
from assay.reports.manifest import (
    ASSESSMENT_NAME,
    EVIDENCE_NAME,
    FORMAT,
    MANIFEST_NAME,
    METADATA_KEY,
    core_sha256,
)
from assay.reports.pdf_structure import Revision, StructureError, read_revisions
from assay.reports.verify_ledger import check_ledger
from assay.reports.verify_records import (
    PackStore,
    check_against_store,
    check_assessment,
    check_evidence,
)
from assay.reports.verify_structure import (
    VerifyOptions,
    check_document,
    check_files,
    check_pages,
    check_signing,
    check_updates,
)

MAX_PACK_BYTES = 2 * 1024 * 1024 * 1024


@dataclass
class PackCheck:
    """What verification found: each problem is one line naming what differs."""

    path: str
    problems: list[str] = field(default_factory=list)
    manifest: dict[str, Any] | None = None
    manifest_sha256: str | None = None
    attachments: int = 0
    store: str | None = None
    #: Lines that are not differences: who signed the pack.
    notes: list[str] = field(default_factory=list)
    revisions: int = 0
    pages: int = 0
    #: The pack's own revision: the file as rendered, before any signature.
    own: bytes = b""
    signatures: list[Any] = field(default_factory=list)

    def add(self, problem: str) -> None:
        """Record a difference once (the same one can be seen in several revisions)."""
        if problem not in self.problems:
            self.problems.append(problem)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if not self.ok:
            noun = "difference" if len(self.problems) == 1 else "differences"
            return f"NOT OK: {self.path}: {len(self.problems)} {noun}"
        manifest = self.manifest or {}
        head = manifest.get("ledger_head") or {}
        where = f"; matches {self.store}" if self.store else "; no store checked"
        return (
            f"OK: {self.path}: manifest, {self.attachments} attachments and "
            f"{len(manifest.get('evidence', []))} evidence records verified "
            f"(service {manifest.get('service')}, assessment "
            f"{str(manifest.get('assessment', {}).get('hash', ''))[:12]}, ledger head "
            f"{head.get('seq', 'none')}){where}"
        )

    def to_dict(self) -> dict[str, Any]:
        manifest = self.manifest or {}
        return {
            "ok": self.ok,
            "pack": self.path,
            "problems": list(self.problems),
            "manifest_sha256": self.manifest_sha256,
            "attachments": self.attachments,
            "service": manifest.get("service"),
            "assessment_hash": manifest.get("assessment", {}).get("hash"),
            "ledger_head": manifest.get("ledger_head"),
            "store": self.store,
            "notes": list(self.notes),
            "revisions": self.revisions,
            "pages": self.pages,
            "manifest_core_sha256": core_sha256(manifest) if manifest else None,
            "signers": [s.fingerprint for s in self.signatures if s.ok],
        }


def read_pack(path: Path) -> bytes:
    """The pack's bytes; a missing or unreadable file cannot be verified (exit 2)."""
    try:
        size = path.stat().st_size
        if size > MAX_PACK_BYTES:
            raise ReportError(f"{path}: {size:,} bytes is over the {MAX_PACK_BYTES:,} byte limit")
        return path.read_bytes()
    except FileNotFoundError:
        raise ReportError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ReportError(f"{path}: is a folder, not a pack") from None
    except OSError as exc:
        raise ReportError(f"{path}: cannot read: {exc.strerror or exc}") from None


def verify_pack(
    path: Path,
    *,
    store: PackStore | None = None,
    store_label: str = "",
    options: VerifyOptions | None = None,
) -> PackCheck:
    """Verify the pack at ``path``; compare with ``store`` when one is given."""
    data = read_pack(path)
    check = PackCheck(str(path))
    revisions = _open_pdf(data, check)
    if revisions is None:
        return check
    check.own = data[: revisions[0].end]
    latest = revisions[-1]
    attachments = _tree_files(latest)
    info: Any = latest.info
    metadata_hash = info.get(METADATA_KEY)
    manifest = _manifest(
        attachments, str(metadata_hash) if metadata_hash is not None else None, check
    )
    if manifest is None:
        return check
    check.manifest = manifest
    check.attachments = len(attachments)
    check.revisions = len(revisions)
    check.pages = len(latest.pages)
    _check_attachments(manifest, attachments, check)
    check_assessment(manifest, attachments, check)
    check_evidence(manifest, attachments, check)
    options = options or VerifyOptions()
    _check_whole_file(data, revisions, manifest, options, check)
    check_ledger(manifest, attachments, options.tsa_roots, check)
    if store is not None:
        check.store = store_label or "given"
        check_against_store(manifest, store, check)
    return check


def _tree_files(revision: Revision) -> dict[str, list[bytes]]:
    """The name tree's files as readers extract them: ``/EF /F``, else the first stream."""
    found: dict[str, list[bytes]] = {}
    for name, specs in revision.tree.items():
        for alternates in specs:
            data = alternates.get("/F", next(iter(alternates.values()), b""))
            found.setdefault(name, []).append(data)
    return found


def _check_whole_file(
    data: bytes,
    revisions: list[Revision],
    manifest: dict[str, Any],
    options: VerifyOptions,
    check: PackCheck,
) -> None:
    """Embedded files in every revision, pages, updates and signatures."""
    expected = {str(e.get("name")): str(e.get("sha256")) for e in manifest["attachments"]}
    check_files(revisions, expected, check.manifest_sha256 or "", check.add)
    not_a_pack = any(
        f"no {name} attachment: every assay evidence pack carries one" in check.problems
        for name in (ASSESSMENT_NAME, EVIDENCE_NAME)
    )
    if not not_a_pack and _pages_listed(manifest, check):
        check_pages(revisions, manifest, check.add)
        check_document(revisions, manifest, check.add)
    check_updates(revisions, check.add)
    if len(revisions) > 1 or b"/ByteRange" in data:
        _check_signatures(data, options.tsa_roots, check)
        if len(check.signatures) < len(revisions) - 1:
            check.add(
                f"the PDF has {len(revisions) - 1} update(s) after the pack but "
                f"{len(check.signatures)} signature(s)"
            )
    check_signing(check.signatures, manifest, options, check.add)


def _pages_listed(manifest: dict[str, Any], check: PackCheck) -> bool:
    """Whether the manifest binds the pages; a problem when it does not."""
    pages = manifest.get("pages")
    if not isinstance(pages, dict):
        pages = {}
    digests = pages.get("content_sha256")
    shapes = pages.get("geometry")
    if (
        not isinstance(digests, list)
        or not isinstance(shapes, list)
        or not all(isinstance(item, str) for item in [*digests, *shapes])
        or pages.get("count") != len(digests)
        or len(shapes) != len(digests)
    ):
        check.add(f"{MANIFEST_NAME} does not bind the pages: its 'pages' is missing or malformed")
        return False
    if not isinstance(manifest.get("signed"), bool):
        check.add(f"{MANIFEST_NAME}: 'signed' is missing or not true or false")
    return True


def _check_signatures(data: bytes, tsa_roots: tuple[bytes, ...], check: PackCheck) -> None:
    """A signed pack's signatures must be intact and cover the whole file; a signature
    timestamp must match its signature and, with trusted TSA certificates, chain to one."""
    from assay.reports.sign import check_signatures

    try:
        signatures = check_signatures(data, tsa_roots)
    except Exception as exc:  # noqa: BLE001 - any parser failure means an unreadable signature
        check.add(f"the signature cannot be checked: {type(exc).__name__}: {exc}")
        return
    check.signatures = signatures
    for signature in signatures:
        if not signature.intact:
            check.add(f"signature {signature.field}: the signed bytes were altered after signing")
        elif not signature.whole_file:
            check.add(f"signature {signature.field}: the file was changed after it was signed")
        else:
            check.notes.append(signature.describe())
        if not signature.timestamp_intact:
            check.add(f"signature {signature.field}: its timestamp does not match the signature")
        elif signature.timestamp_trusted is False:
            check.add(
                f"signature {signature.field}: its timestamp's TSA ({signature.timestamp_tsa}) "
                "does not chain to a trusted TSA certificate"
            )
        elif (described := signature.describe_timestamp()) is not None:
            check.notes.append(described)


def _open_pdf(data: bytes, check: PackCheck) -> list[Revision] | None:
    if not data.startswith(b"%PDF-"):
        check.problems.append("not a PDF file (it does not start with %PDF-)")
        return None
    if b"%%EOF" not in data[-1024:]:
        check.problems.append("the PDF is truncated: it does not end with %%EOF")
        return None
    try:
        revisions = read_revisions(data)
    except StructureError as exc:
        check.problems.append(f"the PDF cannot be read: {exc}")
        return None
    if data[revisions[-1].end :].strip():
        check.problems.append("the PDF has bytes after its last revision")
    return revisions


def _manifest(
    attachments: dict[str, list[bytes]], metadata_hash: str | None, check: PackCheck
) -> dict[str, Any] | None:
    items = attachments.get(MANIFEST_NAME)
    if not items:
        check.problems.append(
            f"no {MANIFEST_NAME} attachment: this PDF is not an assay evidence pack"
        )
        return None
    if len(items) > 1:
        check.problems.append(f"{MANIFEST_NAME} is attached {len(items)} times")
    data = items[0]
    check.manifest_sha256 = sha256_hex(data)
    if metadata_hash is None:
        check.problems.append(
            f"the PDF metadata holds no manifest hash ({METADATA_KEY}); "
            "the manifest cannot be tied to this PDF"
        )
    elif metadata_hash != check.manifest_sha256:
        check.problems.append(
            f"{MANIFEST_NAME}: sha256 is {check.manifest_sha256}, but the PDF metadata records "
            f"{metadata_hash}: the manifest was edited"
        )
    try:
        manifest = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        check.problems.append(f"{MANIFEST_NAME} is not valid JSON: {exc}")
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        check.problems.append(f"{MANIFEST_NAME} is not an assay pack manifest ({FORMAT})")
        return None
    for key in ("attachments", "evidence", "assessment"):
        expected = dict if key == "assessment" else list
        value = manifest.get(key)
        if not isinstance(value, expected) or (
            isinstance(value, list) and not all(isinstance(item, dict) for item in value)
        ):
            check.problems.append(f"{MANIFEST_NAME}: '{key}' is missing or malformed")
            return None
    return manifest


def _check_attachments(
    manifest: dict[str, Any], attachments: dict[str, list[bytes]], check: PackCheck
) -> None:
    listed: set[str] = set()
    for entry in manifest["attachments"]:
        name = str(entry.get("name"))
        listed.add(name)
        items = attachments.get(name)
        if not items:
            check.problems.append(f"attachment {name} is missing (the manifest lists it)")
            continue
        if len(items) > 1:
            check.problems.append(f"attachment {name} appears {len(items)} times")
        actual = sha256_hex(items[0])
        if actual != entry.get("sha256"):
            check.problems.append(
                f"attachment {name}: sha256 is {actual}, the manifest says {entry.get('sha256')}"
            )
        elif len(items[0]) != entry.get("size"):
            check.problems.append(
                f"attachment {name}: size is {len(items[0])} bytes, the manifest says "
                f"{entry.get('size')}"
            )
    for name in sorted(set(attachments) - listed - {MANIFEST_NAME}):
        check.problems.append(f"attachment {name} is not listed in the manifest")
