"""Reading a rendered pack back as a reader sees it: word boxes, the text layer, page images.

Word boxes come from poppler's ``pdftotext -bbox`` (the same engine as ``pdftoppm``, which
renders the page images); the text layer from pypdf, as a reader's copy would give it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path

#: A4 in points, and the pack's page margins (pack.css: 18mm 15mm 20mm 15mm).
MM = 72 / 25.4
PAGE_W, PAGE_H = 210 * MM, 297 * MM
TOP, RIGHT, BOTTOM, LEFT = 18 * MM, 15 * MM, 20 * MM, 15 * MM
HEX = re.compile(r"[0-9a-f]+")


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(frozen=True)
class Page:
    width: float
    height: float
    words: tuple[Word, ...]

    @property
    def body(self) -> tuple[Word, ...]:
        """Words in the page area, not the running headers and footers in the margins."""
        return tuple(w for w in self.words if w.y0 >= TOP - 1 and w.y1 <= self.height - BOTTOM + 1)

    def fill(self) -> float:
        """How far down the page area the body text reaches, 0 (empty) to 1 (full)."""
        if not self.body:
            return 0.0
        area = self.height - TOP - BOTTOM
        return max(0.0, min(1.0, (max(w.y1 for w in self.body) - TOP) / area))


class _BBoxParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.pages: list[Page] = []
        self._size = (0.0, 0.0)
        self._words: list[Word] = []
        self._box: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "page":
            self._size = (float(values["width"]), float(values["height"]))
            self._words = []
        elif tag == "word":
            self._box = values

    def handle_data(self, data: str) -> None:
        if self._box is not None:
            b = self._box
            self._words.append(
                Word(data, float(b["xmin"]), float(b["ymin"]), float(b["xmax"]), float(b["ymax"]))
            )
            self._box = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "page":
            self.pages.append(Page(*self._size, tuple(self._words)))


def poppler() -> str | None:
    """Why poppler's tools cannot be used (``None`` when they can)."""
    missing = [t for t in ("pdftotext", "pdftoppm") if shutil.which(t) is None]
    return f"poppler-utils is not installed ({', '.join(missing)})" if missing else None


def word_pages(pdf: Path) -> list[Page]:
    out = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    parser = _BBoxParser()
    parser.feed(out)
    return parser.pages


def text_layer(data: bytes) -> list[str]:
    """Each page's text as pypdf extracts it (what a reader's copy gives)."""
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(BytesIO(data)).pages]


def hex_runs(text: str, shortest: int = 16) -> list[str]:
    """Every run of lowercase hex digits at least ``shortest`` long, whole."""
    return [m.group(0) for m in HEX.finditer(text) if len(m.group(0)) >= shortest]


def section_starts(data: bytes) -> set[int]:
    """The 0-based pages a top-level bookmark (a section of the pack) starts on."""
    from pypdf import PdfReader

    reader = PdfReader(BytesIO(data))
    starts = set()
    for item in reader.outline:
        if not isinstance(item, list):
            number = reader.get_destination_page_number(item)
            if number is not None:
                starts.add(number)
    return starts


def page_image(pdf: Path, page: int, out: Path, dpi: int = 60) -> Path:
    """``page`` (1-based) of ``pdf`` as a PNG at ``dpi``."""
    stem = out.with_suffix("")
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            str(dpi),
            "-f",
            str(page),
            "-l",
            str(page),
            "-singlefile",
            str(pdf),
            str(stem),
        ],
        check=True,
        capture_output=True,
    )
    return stem.with_suffix(".png")


def image_difference(a: Path, b: Path) -> float:
    """Share of pixels that differ visibly (any channel by more than 48 of 255)."""
    from PIL import Image, ImageChops

    first = Image.open(a).convert("L")
    second = Image.open(b).convert("L")
    if first.size != second.size:
        return 1.0
    diff = ImageChops.difference(first, second).point(lambda v: 255 if v > 48 else 0)
    histogram = diff.histogram()
    return histogram[255] / (first.size[0] * first.size[1])
