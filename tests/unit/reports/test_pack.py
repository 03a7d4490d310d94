"""The PDF evidence pack: tagged PDF/A-3u, bookmarks, attachments, manifest, byte-identical."""

from __future__ import annotations

import io
import json
import re
from typing import Any

from pypdf import PdfReader

from assay.evidence.model import sha256_hex
from assay.reports.gather import gather
from assay.reports.pdf import Pack, build_pack
from tests.unit.reports.sample import AWS_KEY, GITHUB_TOKEN, Sample


def reader(pack: Pack) -> Any:
    """The pack opened with pypdf (typed loosely: PDF objects are dynamic)."""
    return PdfReader(io.BytesIO(pack.pdf))


def test_the_pack_declares_pdf_a_3u(pack: Pack) -> None:
    pdf = reader(pack)
    xmp = pdf.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp
    assert 'pdfaid:conformance="U"' in xmp
    assert pdf.trailer["/Root"]["/OutputIntents"][0]["/S"] == "/GTS_PDFA1"
    assert pack.pdf.startswith(b"%PDF-1.7")


def test_every_font_maps_its_glyphs_to_unicode(pack: Pack) -> None:
    """Level U: each font embedded, each with a ToUnicode map (text copies as printed)."""
    fonts = {}
    for page in reader(pack).pages:
        for name, font in page["/Resources"]["/Font"].items():
            fonts[name] = font.get_object()
    assert fonts
    for name, font in fonts.items():
        assert "/ToUnicode" in font, name
        descendant = (
            font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        )
        descriptor = descendant["/FontDescriptor"].get_object()
        assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), name


def _struct_types(pdf: Any) -> tuple[list[str], list[dict[str, object]]]:
    """Every structure element's type, and the figure elements, walking the tree."""
    types: list[str] = []
    figures: list[dict[str, object]] = []
    stack = [pdf.trailer["/Root"]["/StructTreeRoot"].get_object()]
    while stack:
        node = stack.pop()
        if "/S" in node:
            types.append(str(node["/S"]))
            if node["/S"] == "/Figure":
                figures.append(dict(node))
        kids = node.get("/K")
        if kids is None:
            continue
        for kid in kids if isinstance(kids, list) else [kids]:
            item = kid.get_object() if hasattr(kid, "get_object") else kid
            if isinstance(item, dict) and "/S" in item:
                stack.append(item)
    return types, figures


def test_the_pack_is_a_tagged_pdf(pack: Pack) -> None:
    pdf = reader(pack)
    root = pdf.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] in (True, "true")
    assert str(root["/Lang"]) == "en"
    types, figures = _struct_types(pdf)
    for tag in ("/Document", "/H1", "/H2", "/Table", "/TH", "/TD", "/L", "/LI", "/P", "/Figure"):
        assert tag in types, tag
    assert types.count("/TH") > 20
    # The three summary charts, each with the alternative text of its SVG title.
    alts = sorted(str(f.get("/Alt", "")) for f in figures)
    assert len(figures) == 3
    assert all(alts), alts
    assert any("not a compliance score" in alt for alt in alts)


def test_each_attachment_is_listed_once_in_the_catalog_af(pack: Pack) -> None:
    pdf = reader(pack)
    listed = [ref.idnum for ref in pdf.trailer["/Root"]["/AF"]]
    assert len(listed) == len(set(listed))
    names = [pdf.get_object(n)["/F"] for n in listed]
    assert sorted(names) == sorted(pdf.attachments)


def test_exactly_the_expected_files_are_attached(pack: Pack, module_sample: Sample) -> None:
    attachments = reader(pack).attachments
    artefacts = sorted(n for n in attachments if n.startswith("artefact-"))
    assert sorted(attachments) == sorted(
        ["manifest.json", "assessment.json", "evidence.json", *artefacts]
    )
    assert len(artefacts) == 2
    for name in artefacts:
        data = attachments[name][0]
        assert name.startswith(f"artefact-{sha256_hex(data)[:16]}-")
        assert module_sample.blobs[sha256_hex(data)] == data


def test_the_manifest_lists_every_attachment_and_the_pack_facts(pack: Pack) -> None:
    pdf = reader(pack)
    attachments = pdf.attachments
    manifest_bytes = attachments["manifest.json"][0]
    manifest = json.loads(manifest_bytes)
    assert manifest == pack.manifest
    assert pdf.metadata["/assaymanifestsha256"] == sha256_hex(manifest_bytes)
    listed = {entry["name"]: entry["sha256"] for entry in manifest["attachments"]}
    assert set(listed) == set(attachments) - {"manifest.json"}
    for name, digest in listed.items():
        assert sha256_hex(attachments[name][0]) == digest
    assert manifest["service"] == "payments-api"
    assert manifest["ledger_head"] == {"seq": 7, "hash": "c" * 64}
    assert manifest["tool"] == "assay 0.1.0"
    assessment = attachments["assessment.json"][0]
    assert sha256_hex(assessment) == manifest["assessment"]["hash"]
    assert sorted(e["id"] for e in manifest["evidence"]) == json.loads(assessment)["evidence_ids"]


def test_bookmarks_follow_the_headings(pack: Pack) -> None:
    outline = reader(pack).outline
    top = [item["/Title"] for item in outline if not isinstance(item, list)]
    assert top == [
        "Evidence pack: Payments API",
        "Contents",
        "Executive summary",
        "Gap register",
        "Framework views",
        "Controls",
        "Waivers and attestations",
        "Evidence and artefact index",
        "Appendix: method and verification",
    ]
    controls = outline[top.index("Controls") + 2]
    assert [item["/Title"] for item in controls] == [
        "CHG-01 Changes are reviewed",
        "SUP-01 An SBOM is produced",
        "OPS-01 Backups are restored",
        "AI-01 Model cards exist",
    ]


def test_the_contents_give_page_numbers(pack: Pack) -> None:
    pdf = reader(pack)
    contents = pdf.pages[1].extract_text()
    match = re.search(r"Gap register\s*\.+\s*(\d+)", contents)
    assert match is not None
    page = int(match.group(1))
    assert pdf.pages[page - 1].extract_text().lstrip().startswith("Gap register")


def test_untrusted_text_is_visible_and_secrets_are_not(pack: Pack) -> None:
    pdf = reader(pack)
    text = "\n".join(page.extract_text() for page in pdf.pages)
    flat = re.sub(r"\s+", "", text)
    assert 'src="file:///etc/passwd">' in flat
    assert "<script>alert(1)</script>" in flat
    assert AWS_KEY not in flat
    assert GITHUB_TOKEN not in flat
    assert "[REDACTED:aws-access-key]" in flat


def test_pages_carry_running_headers_and_numbers(pack: Pack) -> None:
    pdf = reader(pack)
    total = len(pdf.pages)
    assert f"Page 2 of {total}" in pdf.pages[1].extract_text()
    assert "Page 1 of" not in pdf.pages[0].extract_text()  # not on the cover


def test_the_same_inputs_give_a_byte_identical_pack(pack: Pack, module_sample: Sample) -> None:
    again = build_pack(gather(module_sample.sources()), module_sample.blob, pack_name="pack.pdf")
    assert again.pdf == pack.pdf
    pdf = reader(pack)
    assert pdf.metadata["/CreationDate"] == "D:20260301120500Z"
    assert pdf.metadata["/ModDate"] == "D:20260301120500Z"


def test_artefacts_over_the_limit_are_listed_but_not_embedded(module_sample: Sample) -> None:
    from assay.reports.gather import ReportOptions

    report = gather(module_sample.sources(), ReportOptions(max_attachment_bytes=30))
    files = [a for a in report.artefacts if a.attachment is None]
    assert [a.name for a in files] == [
        next(a.name for a in report.artefacts if a.name.endswith("-report.txt"))
    ]
    assert files[0].omitted == "larger than the 30-byte attachment limit"
