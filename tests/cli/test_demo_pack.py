"""The demo's evidence pack read back as a reader sees it: every glyph on the page, every
hash copied out whole and real, no near-empty spill pages, pages that look as they should.

Word boxes and page images come from poppler (``pdftotext -bbox``, ``pdftoppm``), the text
layer from pypdf.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.unit.reports import pack_pages
from tests.unit.reports.pack_pages import LEFT, RIGHT

REFERENCE = Path(__file__).parent / "reference"
#: A page whose body text stops above this share of the page area is near-empty.
LEAST_FILL = 0.3
#: Share of pixels that may differ from a reference rendering (dates, ids, font hinting).
IMAGE_TOLERANCE = 0.03

pytestmark = pytest.mark.skipif(pack_pages.poppler() is not None, reason=str(pack_pages.poppler()))


@pytest.fixture(scope="module")
def demo_pack(demo_run: tuple[Path, str]) -> Path:
    return demo_run[0] / "pack.pdf"


@pytest.fixture(scope="module")
def pages(demo_pack: Path) -> list[pack_pages.Page]:
    return pack_pages.word_pages(demo_pack)


def attachments(pdf: Path) -> dict[str, bytes]:
    return {name: data[0] for name, data in PdfReader(pdf).attachments.items()}


def test_every_word_lies_inside_the_page_area(pages: list[pack_pages.Page]) -> None:
    assert len(pages) > 20
    outside = [
        (number, word.text)
        for number, page in enumerate(pages, start=1)
        for word in page.words
        if word.x0 < LEFT - 1
        or word.x1 > page.width - RIGHT + 1
        or word.y0 < 0
        or word.y1 > page.height
    ]
    assert outside == []


def test_every_hash_in_the_text_layer_is_whole_and_real(demo_pack: Path) -> None:
    files = attachments(demo_pack)
    text_of_files = b"".join(files.values()).decode("utf-8", "replace")  # tokens are DER
    known = set(re.findall(r"\b[0-9a-f]{64}\b|\b[0-9a-f]{40}\b", text_of_files))
    from assay.reports.manifest import core_sha256

    manifest = json.loads(files["manifest.json"])
    known.add(
        core_sha256(
            {k: v for k, v in manifest.items() if k not in ("pages", "document_info", "outline")}
        )
    )
    evidence_ids = {record["id"] for record in json.loads(files["evidence.json"])}
    text = "\n".join(pack_pages.text_layer(demo_pack.read_bytes()))
    runs = pack_pages.hex_runs(text)
    assert "\u2010" not in text  # no inserted hyphens
    assert "\u00ad" not in text
    # Attachment names start with the first 16 hex digits of the artefact's sha256.
    known |= {name.split("-")[1] for name in files if name.startswith("artefact-")}
    broken = [run for run in runs if len(run) not in (16, 40, 64)]
    assert broken == []
    unknown = sorted({run for run in runs if run not in known})
    assert unknown == []
    assert evidence_ids <= set(runs)  # each id is printed whole at least once


def test_no_page_is_a_near_empty_spill(demo_pack: Path, pages: list[pack_pages.Page]) -> None:
    """Only a section's last page (the next starts a section) may be short."""
    starts = pack_pages.section_starts(demo_pack.read_bytes())
    short = [
        (number + 1, round(page.fill(), 2))
        for number, page in enumerate(pages)
        if page.fill() < LEAST_FILL and number + 1 not in starts and number + 1 < len(pages)
    ]
    assert short == []


def test_every_finding_is_printed_at_its_file_and_line(demo_pack: Path) -> None:
    assessment = json.loads(attachments(demo_pack)["assessment.json"])
    findings = [
        finding
        for result in assessment["results"]
        for outcome in result["tests"]
        for finding in outcome["findings"]
    ]
    assert findings  # the demo's SDL-05 and SDL-03 have some
    text = re.sub(r"\s+", " ", "\n".join(pack_pages.text_layer(demo_pack.read_bytes())))
    for finding in findings:
        where = (
            f"{finding['repo'] + ':' if finding['repo'] else ''}{finding['file']}:{finding['line']}"
        )
        assert where in text, where


def test_the_cover_names_organisation_period_and_scope_and_reasons_read_right(
    demo_pack: Path,
) -> None:
    texts = pack_pages.text_layer(demo_pack.read_bytes())
    cover = texts[0]
    for words in ("Example Organisation", "Period covered", "Scope", "1 repository"):
        assert words in cover, words
    first = next(i for i, t in enumerate(texts) if t.startswith("Gap register"))
    end = next(i for i, t in enumerate(texts) if t.startswith("Framework views"))
    register = "\n".join(texts[first:end])
    assert "CHG-02" in register
    assert "'assay " not in register  # no commands to run
    assert "it must be" not in register  # no schema sentences
    whole = "\n".join(texts)
    for wrong in ("1 change sets", "artefact(s)", "assessment(s)", "requirement(s)"):
        assert wrong not in whole, wrong
    assert "not a compliance score" in whole or "not compliance" in whole


@pytest.mark.parametrize("page", [1, 5])
def test_chosen_pages_look_like_their_reference(demo_pack: Path, page: int, tmp_path: Path) -> None:
    """The cover and the gap register's first page, against renderings checked by eye.

    Refresh after a deliberate layout change: ``ASSAY_UPDATE_REFERENCE=1``.
    """
    import os

    image = pack_pages.page_image(demo_pack, page, tmp_path / f"page-{page}")
    reference = REFERENCE / f"pack-page-{page}.png"
    if os.environ.get("ASSAY_UPDATE_REFERENCE") == "1":
        reference.write_bytes(image.read_bytes())
    assert pack_pages.image_difference(image, reference) <= IMAGE_TOLERANCE
