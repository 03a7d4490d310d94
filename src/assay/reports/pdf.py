"""The evidence pack: the report HTML rendered by WeasyPrint to PDF/A-3b, with attachments.

Rendering is deterministic: the PDF's dates are the assessment's creation time, its
file identifier is derived from its content, attachments carry the same fixed dates,
and nothing depends on the clock or the machine, so the same inputs give a
byte-identical file. The renderer loads only the package's own assets
(:class:`~assay.reports.fetcher.AssetFetcher`); attachments come only from this module
(any the HTML might declare are dropped before writing).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from assay.errors import IntegrityError, ReportError
from assay.evidence.model import sha256_hex
from assay.reports.html import render_html
from assay.reports.manifest import (
    ASSESSMENT_NAME,
    EVIDENCE_NAME,
    MANIFEST_NAME,
    PackFile,
    assessment_bytes,
    build_manifest,
    evidence_bytes,
    manifest_bytes,
)
from assay.reports.model import ServiceReport
from assay.reports.redact import redact

#: Reads an artefact's bytes by sha256 (``Store.blob``); ``None`` when it is not stored.
BlobSource = Callable[[str], bytes | None]

PDF_VARIANT = "pdf/a-3b"


@dataclass(frozen=True)
class Pack:
    """A rendered pack: the PDF bytes, the manifest, and what the renderer refused."""

    pdf: bytes
    manifest: dict[str, Any]
    manifest_sha256: str
    html: str
    refused: tuple[str, ...]

    @property
    def attachment_names(self) -> list[str]:
        return [MANIFEST_NAME, *(item["name"] for item in self.manifest["attachments"])]


def pack_files(report: ServiceReport, blobs: BlobSource) -> list[PackFile]:
    """Every attachment but the manifest: assessment, evidence, then artefacts by name."""
    files = [
        PackFile(
            ASSESSMENT_NAME,
            assessment_bytes(report),
            "assessment",
            f"Assessment record of {report.facts.service}; its sha256 is the assessment hash",
        ),
        PackFile(
            EVIDENCE_NAME,
            evidence_bytes(report),
            "evidence",
            "Every evidence record the assessment used, with its id",
        ),
    ]
    seen: set[str] = set()
    for artefact in sorted(report.artefacts, key=lambda a: a.attachment or ""):
        if artefact.attachment is None or artefact.attachment in seen:
            continue
        seen.add(artefact.attachment)
        data = blobs(artefact.sha256)
        if data is None:
            raise ReportError(
                f"artefact {artefact.name} ({artefact.sha256}) of evidence "
                f"{artefact.evidence_id[:12]} is not in the store",
                hint="run 'assay verify --store' to check the store",
            )
        if sha256_hex(data) != artefact.sha256:
            raise IntegrityError(
                f"artefact {artefact.name}: stored bytes do not match sha256 {artefact.sha256}",
                hint="run 'assay verify --store' to check the store",
            )
        files.append(
            PackFile(
                artefact.attachment,
                data,
                "artefact",
                f"Artefact {artefact.name} of {artefact.kind} evidence {artefact.evidence_id}",
            )
        )
    return files


def build_pack(report: ServiceReport, blobs: BlobSource, *, pack_name: str = "pack.pdf") -> Pack:
    """Render the pack for ``report``; artefact bytes come from ``blobs``."""
    files = pack_files(report, blobs)
    manifest = build_manifest(report, files)
    manifest_data = manifest_bytes(manifest)
    manifest_sha256 = sha256_hex(manifest_data)
    html = render_html(
        report,
        pack=True,
        manifest_sha256=manifest_sha256,
        pack_name=pack_name,
        attached=sum(1 for f in files if f.role == "artefact"),
    )
    every = [PackFile(MANIFEST_NAME, manifest_data, "manifest", "Pack manifest"), *files]
    pdf, refused = render_pdf(html, every, report.facts.created_at)
    return Pack(pdf, manifest, manifest_sha256, html, refused)


def render_pdf(html: str, files: list[PackFile], moment: datetime) -> tuple[bytes, tuple[str, ...]]:
    """HTML to PDF/A-3b with exactly ``files`` attached, dated ``moment``."""
    from assay.reports.fetcher import AssetFetcher

    fetcher = AssetFetcher()
    when = moment.astimezone(UTC).replace(tzinfo=None)
    try:
        with source_date_epoch(moment):
            return _render(html, files, when, fetcher), tuple(fetcher.refused)
    except (OSError, ValueError) as exc:
        raise ReportError(f"cannot render the PDF: {exc}") from None


@contextmanager
def source_date_epoch(moment: datetime) -> Iterator[None]:
    """Fix the time embedded font subsets record (fontTools reads SOURCE_DATE_EPOCH,
    the reproducible-builds convention), so the PDF's bytes do not depend on the clock."""
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(moment.timestamp()))
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


def _render(html: str, files: list[PackFile], when: datetime, fetcher: Any) -> bytes:
    from weasyprint import HTML, Attachment  # quietly imported first, by render_pdf

    document = HTML(string=html, base_url=None, url_fetcher=fetcher).render()
    # Attachments are ours alone: drop any the document itself declared.
    document.metadata.attachments = []
    attachments = [
        Attachment(
            string=item.data,
            name=item.name,
            description=redact(item.description),
            created=when,
            modified=when,
            relationship="Data" if item.role != "manifest" else "Supplement",
            url_fetcher=fetcher,
        )
        for item in files
    ]
    pdf = document.write_pdf(
        pdf_variant=PDF_VARIANT,
        custom_metadata=True,
        attachments=attachments,
        uncompressed_pdf=False,
    )
    if not isinstance(pdf, bytes):  # pragma: no cover - write_pdf without target returns bytes
        raise ReportError("cannot render the PDF: the renderer returned no bytes")
    return pdf


def render_plain_pdf(html: str) -> bytes:
    """The same HTML through WeasyPrint with no attachments: the benchmark's baseline."""
    from weasyprint import HTML

    from assay.reports.fetcher import AssetFetcher

    result = HTML(string=html, url_fetcher=AssetFetcher()).write_pdf()
    assert isinstance(result, bytes)
    return result
