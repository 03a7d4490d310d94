"""The evidence pack: the report HTML rendered by WeasyPrint to a tagged PDF/A-3u, with
attachments.

Rendering is deterministic: the PDF's dates are the assessment's creation time, its
file identifier is derived from its content, attachments carry the same fixed dates,
and nothing depends on the clock or the machine, so the same inputs give a
byte-identical file.

The manifest binds the rendered pages: the layout is made once, and while the PDF is
being written (after its page content streams exist, before any byte is output) the
sha256 of each page's content is added to the manifest, which then takes the place of a
placeholder attachment; its sha256 goes into the PDF metadata. The cover shows the
sha256 of the manifest *without* the members added then (``pages``, ``document_info``,
``outline``): the cover is itself one of the pages. The written file is read back and its page
digests compared, failing closed. The renderer loads only the package's own assets
(:class:`~assay.reports.fetcher.AssetFetcher`); attachments come only from this module
(any the HTML might declare are dropped before writing).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from assay.errors import IntegrityError, ReportError
from assay.evidence.model import sha256_hex
from assay.reports import page_digests
from assay.reports.html import render_html
from assay.reports.ledger_proof import ledger_files
from assay.reports.manifest import (
    ASSESSMENT_NAME,
    BOUND_INFO,
    EVIDENCE_NAME,
    MANIFEST_NAME,
    METADATA_KEY,
    PackFile,
    assessment_bytes,
    build_manifest,
    core_sha256,
    evidence_bytes,
    manifest_bytes,
)
from assay.reports.model import ServiceReport
from assay.reports.redact import redact

#: Reads an artefact's bytes by sha256 (``Store.blob``); ``None`` when it is not stored.
BlobSource = Callable[[str], bytes | None]

#: PDF/A-3, level U: every glyph maps to Unicode (so text copies out as printed). The
#: pack is also tagged (:data:`PDF_TAGS`); level A would claim more of the structure than
#: can be checked here (docs/reports.md, "Accessibility and PDF/A").
PDF_VARIANT = "pdf/a-3u"
#: A tagged PDF: structure tree, headings, table header cells, figures with alt text.
PDF_TAGS = True


@dataclass(frozen=True)
class Pack:
    """A rendered pack: the PDF bytes, the manifest, and what the renderer refused."""

    pdf: bytes
    manifest: dict[str, Any]
    manifest_sha256: str
    #: The sha256 of the manifest without its ``pages`` member, as the cover shows it.
    core_sha256: str
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
    files.extend(ledger_files(report.ledger))
    return files


def build_pack(
    report: ServiceReport,
    blobs: BlobSource,
    *,
    pack_name: str = "pack.pdf",
    signed: bool = False,
    attachment_limit: int | None = None,
) -> Pack:
    """Render the pack for ``report``; artefact bytes come from ``blobs``.

    ``signed`` records in the manifest that the pack is to be signed, so that a copy whose
    signature was stripped is reported by ``assay verify``; ``attachment_limit`` is the
    size limit the artefacts were embedded under, recorded so that the pack can be rebuilt.
    """
    files = pack_files(report, blobs)
    core = build_manifest(
        report, files, signed=signed, file_name=pack_name, attachment_limit=attachment_limit
    )
    core_hash = core_sha256(core)
    html = render_html(
        report,
        pack=True,
        manifest_sha256=core_hash,
        pack_name=pack_name,
        attached=sum(1 for f in files if f.role == "artefact"),
    )
    pdf, manifest, refused = render_pack_pdf(html, files, report.facts.created_at, core)
    return Pack(pdf, manifest, sha256_hex(manifest_bytes(manifest)), core_hash, html, refused)


#: Stands in for ``manifest.json`` until the page digests are known (never written out).
PLACEHOLDER = b"assay manifest placeholder: replaced before the PDF is written\n"


def render_pdf(html: str, files: list[PackFile], moment: datetime) -> tuple[bytes, tuple[str, ...]]:
    """HTML to tagged PDF/A-3u with exactly ``files`` attached, dated ``moment``."""
    from assay.reports.fetcher import AssetFetcher

    fetcher = AssetFetcher()
    when = moment.astimezone(UTC).replace(tzinfo=None)
    try:
        with source_date_epoch(moment):
            return _render(html, files, when, fetcher, None), tuple(fetcher.refused)
    except (OSError, ValueError) as exc:
        raise ReportError(f"cannot render the PDF: {exc}") from None


def render_pack_pdf(
    html: str, files: list[PackFile], moment: datetime, core: dict[str, Any]
) -> tuple[bytes, dict[str, Any], tuple[str, ...]]:
    """HTML to tagged PDF/A-3u dated ``moment``, with ``files`` and the manifest attached.

    ``core`` is the manifest without its pages; the returned manifest has them.
    """
    from assay.reports.fetcher import AssetFetcher

    fetcher = AssetFetcher()
    when = moment.astimezone(UTC).replace(tzinfo=None)
    finisher = _ManifestFinisher(core)
    every = [PackFile(MANIFEST_NAME, PLACEHOLDER, "manifest", "Pack manifest"), *files]
    try:
        with source_date_epoch(moment):
            pdf = _render(html, every, when, fetcher, finisher)
    except (OSError, ValueError) as exc:
        raise ReportError(f"cannot render the PDF: {exc}") from None
    if finisher.manifest is None:  # pragma: no cover - the renderer always calls the finisher
        raise ReportError("cannot render the PDF: the manifest was not written")
    _check_pages(pdf, finisher.manifest)
    return pdf, finisher.manifest, tuple(fetcher.refused)


class _ManifestFinisher:
    """Called by WeasyPrint with the PDF's objects before it writes them: takes each page's
    content digest, completes the manifest, and puts it in the placeholder's place."""

    def __init__(self, core: dict[str, Any]) -> None:
        self.core = core
        self.manifest: dict[str, Any] | None = None

    def __call__(self, document: Any, pdf: Any) -> None:
        import pydyf  # type: ignore[import-untyped]

        pages = _pages(pdf)
        digests = [sha256_hex(_content(pdf, page)) for page in pages]
        shapes = [
            page_digests.geometry(page["MediaBox"], page.get("CropBox"), page.get("Rotate"))
            for page in pages
        ]
        info = {
            key: str(getattr(value, "string", value))
            for key, value in pdf.info.items()
            if f"/{key}" in BOUND_INFO
        }
        manifest = {
            **self.core,
            "pages": {"count": len(digests), "content_sha256": digests, "geometry": shapes},
            "document_info": info,
            "outline": _outline(pdf, pages),
        }
        data = manifest_bytes(manifest)
        streams = [
            item
            for item in pdf.objects
            if isinstance(item, pydyf.Stream)
            and item.extra.get("Type") == "/EmbeddedFile"
            and item.stream == [PLACEHOLDER]
        ]
        if len(streams) != 1:
            raise ReportError("cannot render the PDF: the manifest placeholder is not attached")
        (stream,) = streams
        stream.stream = [data]
        params = stream.extra["Params"]
        params["CheckSum"] = f"<{hashlib.md5(data, usedforsecurity=False).hexdigest()}>"
        params["Size"] = len(data)
        pdf.info[METADATA_KEY.lstrip("/")] = pydyf.String(sha256_hex(data))
        self.manifest = manifest


def list_attachments_once(pdf: Any) -> None:
    """The catalog's ``/AF`` with each file specification once, in first-seen order.

    WeasyPrint's PDF/A-3 step adds every attachment twice, once from the embedded files
    name tree and once from the file specification objects; a reader listing associated
    files would show each twice.
    """
    import pydyf

    listed = pdf.catalog.get("AF")
    if listed is None:
        return
    keys: set[str] = set()
    kept: list[Any] = []
    for reference in listed:
        key = reference.decode() if isinstance(reference, bytes) else str(reference)
        if key not in keys:
            keys.add(key)
            kept.append(reference)
    pdf.catalog["AF"] = pydyf.Array(kept)


def _resolve(pdf: Any, reference: Any) -> Any:
    """A pydyf object from its reference (``b"12 0 R"`` or ``"12 0 R"``)."""
    text = reference.decode() if isinstance(reference, bytes) else str(reference)
    return pdf.objects[int(text.split()[0])]


def _pages(pdf: Any) -> list[Any]:
    """The page dictionaries in order (pydyf keeps one flat page tree, its kids held as
    ``number, 0, "R"`` triples)."""
    return [pdf.objects[int(number)] for number in pdf.pages["Kids"][::3]]


def _outline(pdf: Any, pages: list[Any]) -> list[str]:
    """The bookmarks, in order, as :func:`page_digests.outline_entry` writes them."""
    numbers = {page.number: index for index, page in enumerate(pages, start=1)}
    found: list[str] = []

    def walk(reference: Any, depth: int) -> None:
        while reference is not None:
            item = _resolve(pdf, reference)
            target = item["Dest"][0]
            text = target.decode() if isinstance(target, bytes) else str(target)
            page = numbers.get(int(text.split()[0]))
            found.append(page_digests.outline_entry(depth, page, item["Title"].string))
            if "First" in item:
                walk(item["First"], depth + 1)
            reference = item.get("Next")

    root = pdf.catalog.get("Outlines")
    if root is not None:
        walk(_resolve(pdf, root).get("First"), 1)
    return found


def _content(pdf: Any, page: Any) -> bytes:
    """A page's decoded content, as :func:`page_digests.page_content` reads it back."""
    import pydyf

    contents = page["Contents"]
    refs = list(contents) if isinstance(contents, list) else [contents]
    parts = []
    for ref in refs:
        stream = _resolve(pdf, ref)
        plain = pydyf.Stream(list(stream.stream), compress=False).data
        start = plain.index(b"\nstream\n") + len(b"\nstream\n")
        parts.append(plain[start : -len(b"\nendstream")])
    return b"".join(parts)


def _check_pages(pdf: bytes, manifest: dict[str, Any]) -> None:
    """The written file's pages must be those whose digests the manifest holds."""
    written, shapes = page_digests.read_pages(pdf)
    if written != manifest["pages"]["content_sha256"] or shapes != manifest["pages"]["geometry"]:
        raise IntegrityError(
            "the written PDF's pages differ from the page digests taken while writing it"
        )


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


def _render(html: str, files: list[PackFile], when: datetime, fetcher: Any, finisher: Any) -> bytes:
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
        pdf_tags=PDF_TAGS,
        custom_metadata=True,
        attachments=attachments,
        uncompressed_pdf=False,
        finisher=lambda document, pdf: _finish(document, pdf, finisher),
    )
    if not isinstance(pdf, bytes):  # pragma: no cover - write_pdf without target returns bytes
        raise ReportError("cannot render the PDF: the renderer returned no bytes")
    return pdf


def _finish(document: Any, pdf: Any, finisher: Any) -> None:
    list_attachments_once(pdf)
    if finisher is not None:
        finisher(document, pdf)


def render_plain_pdf(html: str) -> bytes:
    """The same HTML through WeasyPrint alone, same variant and tagging, no attachments."""
    from weasyprint import HTML

    from assay.reports.fetcher import AssetFetcher

    result = HTML(string=html, url_fetcher=AssetFetcher()).write_pdf(
        pdf_variant=PDF_VARIANT, pdf_tags=PDF_TAGS
    )
    assert isinstance(result, bytes)
    return result
