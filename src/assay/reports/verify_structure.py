"""The checks of ``assay verify PACK.pdf`` that bind the whole file, not just its manifest.

- **Embedded files.** Every file specification with an embedded file, in every revision,
  wherever it is (see :mod:`assay.reports.pdf_structure`), must carry one name that the
  manifest lists, and every ``/EF`` alternate must hold exactly the listed bytes.
- **Pages.** Each revision's pages must be the manifest's: the same count, and each
  page's content sha256 equal, in order.
- **Updates.** Every revision after the first must be a signature (see
  :mod:`assay.reports.update_check`).
- **Signatures.** Each must be intact and cover the whole file; ``--require-signature``
  and ``--signer`` ask for one, and a manifest that says the pack was signed must find one.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from assay.reports.manifest import BOUND_INFO, MANIFEST_NAME, METADATA_KEY
from assay.reports.pdf_structure import EmbeddedFile, Revision
from assay.reports.update_check import update_problems

Report = Callable[[str], None]


@dataclass(frozen=True)
class VerifyOptions:
    """What the reader requires beyond an unaltered pack."""

    #: The pack must carry an intact signature over the whole file.
    require_signature: bool = False
    #: The sha256 (hex) of the DER certificate that must have signed the pack.
    signer: str | None = None
    #: Trusted TSA certificates (DER): timestamps must chain to one, and the pack's
    #: evidence must be covered by a ledger anchor.
    tsa_roots: tuple[bytes, ...] = ()


def check_files(
    revisions: list[Revision], expected: dict[str, str], manifest_hash: str, report: Report
) -> None:
    """Every embedded file of every revision against the manifest's names and hashes.

    The latest revision's name tree, read through ``/EF /F``, is checked by the caller
    with the manifest's own messages; this names everything else.
    """
    hashes = {**expected, MANIFEST_NAME: manifest_hash}
    latest = revisions[-1].number
    for revision in revisions:
        for found in revision.files:
            _check_file(found, hashes, report, seen=found.in_tree and revision.number == latest)


def _check_file(found: EmbeddedFile, hashes: dict[str, str], report: Report, *, seen: bool) -> None:
    where = f"the file specification in object {found.where.split()[-1]}"
    if not found.names:
        report(f"an embedded file with no name ({where})")
    if len(found.names) > 1:
        report(f"attachment {found.names[0]} is also named {', '.join(found.names[1:])} ({where})")
    if found.related:
        report(f"attachment {found.names[0] if found.names else '?'} has related files ({where})")
    for name in found.names:
        if name not in hashes:
            if not seen:
                report(f"attachment {name} is not listed in the manifest ({where})")
            continue
        for key, (sha256, _size) in found.streams.items():
            if sha256 == hashes[name] or (seen and key == "/F"):
                continue
            report(
                f"attachment {name}: sha256 is {sha256}, the manifest says {hashes[name]} "
                f"(/EF {key.lstrip('/')} of {where})"
            )


def check_pages(revisions: list[Revision], manifest: dict[str, Any], report: Report) -> None:
    """Each revision's pages against the manifest's page digests and geometry, and no
    annotation a pack does not have, naming each page."""
    expected = list(manifest["pages"]["content_sha256"])
    shapes = list(manifest["pages"]["geometry"])
    for revision in revisions:
        for line in page_differences(expected, revision.pages):
            report(line)
        for number, (digest, shape) in enumerate(
            zip(revision.pages, revision.geometry, strict=True), start=1
        ):
            if digest in expected and shapes[expected.index(digest)] != shape:
                report(
                    f"page {number}: its boxes or rotation ({shape}) differ from the "
                    f"manifest's ({shapes[expected.index(digest)]}): it is shown cropped, "
                    "enlarged or turned"
                )
        for number, what, num in revision.annotations:
            where = f" (object {num})" if num is not None else ""
            report(f"page {number}: {what}, which a pack does not have{where}")


def page_differences(expected: list[str], actual: list[str]) -> list[str]:
    """What differs between the manifest's pages and the file's, page by page (1-based)."""
    lines = []
    if len(actual) != len(expected):
        lines.append(f"the PDF has {len(actual)} pages, the manifest lists {len(expected)}")
    present, listed = set(actual), set(expected)
    matcher = difflib.SequenceMatcher(a=expected, b=actual, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        gone = [i for i in range(i1, i2) if expected[i] not in present]
        new = [j for j in range(j1, j2) if actual[j] not in listed]
        for j in range(j1, j2):
            if actual[j] in listed:
                at = expected.index(actual[j]) + 1
                lines.append(f"page {j + 1}: it is page {at} of the manifest, moved")
        for j, i in zip(new, gone, strict=False):
            lines.append(f"page {j + 1}: its content differs from the manifest's page {i + 1}")
        for j in new[len(gone) :]:
            lines.append(f"page {j + 1}: not in the manifest (a page was added)")
        for i in gone[len(new) :]:
            lines.append(f"page {i + 1} of the manifest is missing (a page was deleted)")
    return lines


def check_updates(revisions: list[Revision], report: Report) -> None:
    """Every revision after the pack's own must only sign it."""
    for before, after in itertools.pairwise(revisions):
        for line in update_problems(before, after):
            report(line)


def check_signing(
    signatures: list[Any],
    manifest: dict[str, Any],
    options: VerifyOptions,
    report: Report,
) -> None:
    """What the manifest and the reader ask of the pack's signatures."""
    good = [signature for signature in signatures if signature.ok]
    if manifest.get("signed") is True and not signatures:
        report(
            "the manifest says this pack was signed, but it carries no signature "
            "(the signature was removed)"
        )
    if options.require_signature and not good:
        report("the pack is not signed, and a signature is required (--require-signature)")
    if options.signer is not None:
        wanted = options.signer.lower()
        if not any(signature.fingerprint == wanted for signature in good):
            by = ", ".join(signature.fingerprint for signature in good) or "nobody"
            report(f"the pack is not signed by certificate sha256 {wanted} (signed by: {by})")


#: What a pack's catalog, its /Names and its pages hold (signing adds to the catalog).
CATALOG_KEYS = frozenset(
    {"/Type", "/Pages", "/Names", "/OutputIntents", "/AF", "/Metadata", "/Lang", "/Outlines"}
    | {"/ViewerPreferences"}  # a tagged PDF shows its title (DisplayDocTitle)
    | {"/MarkInfo", "/StructTreeRoot", "/AcroForm", "/DSS", "/Extensions", "/Version", "/Perms"}
)
NAMES_KEYS = frozenset({"/EmbeddedFiles", "/Dests"})
PAGE_KEYS = frozenset(
    {"/Type", "/Parent", "/Contents", "/Resources", "/MediaBox", "/CropBox", "/TrimBox"}
    | {"/BleedBox", "/Rotate", "/Annots", "/StructParents", "/Group", "/Tabs"}
)
#: Document information entries only the writer or a signature sets.
INFO_KEYS = frozenset({"/Producer", "/ModDate", METADATA_KEY, *BOUND_INFO})


def check_document(revisions: list[Revision], manifest: dict[str, Any], report: Report) -> None:
    """The document information the manifest binds, and nothing in the catalog, its names
    or the pages that a pack does not have (actions, scripts, optional content...)."""
    bound = manifest.get("document_info")
    if not isinstance(bound, dict):
        report(f"{MANIFEST_NAME}: 'document_info' is missing or malformed")
        bound = {}
    outline = manifest.get("outline")
    if not isinstance(outline, list):
        report(f"{MANIFEST_NAME}: 'outline' is missing or malformed")
        outline = []
    for revision in revisions:
        if revision.outline != outline:
            report(_outline_difference(outline, revision.outline))
        for key in BOUND_INFO:
            value = revision.info.get(key)
            shown = None if value is None else str(value)
            if shown != bound.get(key.lstrip("/")):
                report(
                    f"the document information's {key} is {shown!r}, the manifest says "
                    f"{bound.get(key.lstrip('/'))!r}"
                )
        for key in sorted(set(revision.info) - INFO_KEYS):
            report(f"the document information has {key}, which a pack does not have")
        for key in sorted(set(revision.catalog_keys) - CATALOG_KEYS):
            report(f"the document catalog has {key}, which a pack does not have")
        for key in sorted(set(revision.names_keys) - NAMES_KEYS):
            report(f"the document's /Names has {key}, which a pack does not have")
        for number, keys in enumerate(revision.page_keys, start=1):
            for key in sorted(set(keys) - PAGE_KEYS):
                report(f"page {number} has {key}, which a pack's pages do not have")


def _outline_difference(expected: list[Any], actual: list[str]) -> str:
    """The first bookmark that differs from the manifest's (``depth page title``)."""
    for index, (want, have) in enumerate(zip(expected, actual, strict=False), start=1):
        if want != have:
            return f"bookmark {index} is {have!r}, the manifest says {want!r}"
    return f"the PDF has {len(actual)} bookmarks, the manifest lists {len(expected)}"
