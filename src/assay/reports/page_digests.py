"""Page digests: the sha256 of each page's decoded content, as the manifest binds them.

A page's content is the decoded data of its ``/Contents``: one stream, or each stream of
an array in order, joined with nothing between. The writer takes the digests from the
objects it is about to write (:mod:`assay.reports.pdf`); verification reads them back
from the file with pypdf. A page's geometry (its media box, crop box and rotation, which
decide what part of the content is seen) is bound with it, as ``"x1 y1 x2 y2 / x1 y1 x2
y2 / rotation"`` with each number rounded to three decimals.
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
    return read_pages(pdf)[0]


def read_pages(pdf: bytes) -> tuple[list[str], list[str]]:
    """The page digests and page geometry of a PDF file's latest revision."""
    from pypdf import PdfReader

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reader = PdfReader(io.BytesIO(pdf), strict=False)
        return digests_of(reader), geometry_of(reader)


def geometry(media: Any, crop: Any | None, rotate: Any | None) -> str:
    """A page's media box, crop box (the media box when absent) and rotation, as text."""
    media_box = _box(media)
    crop_box = media_box if crop is None else _box(crop)
    return f"{media_box} / {crop_box} / {int(rotate or 0) % 360}"


def _box(values: Any) -> str:
    numbers = [round(float(value), 3) + 0.0 for value in values]  # + 0.0: no "-0"
    if len(numbers) != 4:
        raise ValueError("a page box is not four numbers")
    return " ".join(f"{number:g}" for number in numbers)


def geometry_of(reader: Any) -> list[str]:
    """The geometry of each page of a pypdf reader's document, in page order."""
    found = []
    for page in reader.pages:
        crop = page.cropbox if "/CropBox" in page or _inherited(page, "/CropBox") else None
        found.append(geometry(page.mediabox, crop, page.rotation))
    return found


def _inherited(page: Any, key: str) -> bool:
    node = page.get("/Parent")
    depth = 0
    while node is not None and depth < 64:
        node = node.get_object()
        if key in node:
            return True
        node = node.get("/Parent")
        depth += 1
    return False


def outline_entry(depth: int, page: int | None, title: str) -> str:
    """One bookmark as the manifest lists it: ``"<depth> <page> <title>"`` (page 1-based,
    ``?`` when it goes to no page of the document)."""
    return f"{depth} {'?' if page is None else page} {title}"


def outline_of(reader: Any) -> list[str]:
    """The bookmarks of a pypdf reader's document, in order, as the manifest lists them."""
    found: list[str] = []

    def walk(items: list[Any], depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
                continue
            number = reader.get_destination_page_number(item)
            page = None if number is None or number < 0 else number + 1
            found.append(outline_entry(depth, page, str(item.title)))

    walk(reader.outline, 1)
    return found
