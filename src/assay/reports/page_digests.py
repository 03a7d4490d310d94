"""Page digests: the sha256 of each page's decoded content, as the manifest binds them.

A page's content is the decoded data of its ``/Contents``: one stream, or each stream of
an array in order, joined with nothing between. The writer takes the digests from the
objects it is about to write (:mod:`assay.reports.pdf`); verification reads them back
from the file with pypdf.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

from assay.evidence.model import sha256_hex


def page_content(page: Any) -> bytes:
    """The decoded content of a pypdf page; empty for a page without content."""
    from pypdf.generic import ArrayObject, StreamObject

    contents = page.get("/Contents")
    if contents is None:
        return b""
    contents = contents.get_object()
    streams = list(contents) if isinstance(contents, ArrayObject) else [contents]
    parts = []
    for item in streams:
        stream = item.get_object()
        if not isinstance(stream, StreamObject):
            raise ValueError("a page's /Contents is not a stream")
        parts.append(stream.get_data())
    return b"".join(parts)


def digests_of(reader: Any) -> list[str]:
    """The page digests of a pypdf reader's document, in page order."""
    return [sha256_hex(page_content(page)) for page in reader.pages]


def read_page_digests(pdf: bytes) -> list[str]:
    """The page digests of a PDF file's latest revision."""
    from pypdf import PdfReader

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return digests_of(PdfReader(io.BytesIO(pdf), strict=False))
