"""``assay verify`` binds the whole PDF: every embedded file, every revision, every page.

Each pack here is rendered by the real pack code and then altered as an attacker would:
with pypdf (full rewrites and incremental updates) or by editing bytes.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)
from typer.testing import CliRunner

from assay.cli.app import app
from assay.evidence.model import sha256_hex
from assay.reports.pdf import Pack
from assay.reports.verify_pack import verify_pack
from tests.support.paths import DOCS


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ASSAY_STORE_URL", raising=False)
    monkeypatch.delenv("ASSAY_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)


def verify(runner: CliRunner, path: Path, *options: str) -> tuple[int, list[str]]:
    result = runner.invoke(app, ["verify", str(path), *options])
    return result.exit_code, result.output.splitlines()


def save(writer: Any, path: Path) -> Path:
    out = io.BytesIO()
    writer.write(out)
    path.write_bytes(out.getvalue())
    return path


def attachment(pack: Pack, name: str) -> bytes:
    return PdfReader(io.BytesIO(pack.pdf)).attachments[name][0]


def file_spec(writer: Any, name: str) -> Any:
    names = writer.root_object["/Names"]["/EmbeddedFiles"].get_object()["/Names"]
    index = list(names).index(name)
    return names[index + 1].get_object()


def embedded(writer: Any, data: bytes) -> Any:
    stream = DecodedStreamObject()
    stream.set_data(data)
    stream[NameObject("/Type")] = NameObject("/EmbeddedFile")
    return writer._add_object(stream)


def all_pass(pack: Pack) -> bytes:
    """The assessment record with every result turned to pass: what a forger wants shown."""
    record = json.loads(attachment(pack, "assessment.json"))
    for result in record["results"]:
        result["status"] = "pass"
    return json.dumps(record, sort_keys=True, separators=(",", ":")).encode()


@pytest.mark.parametrize("forged_key", ["/F", "/UF"])
def test_an_alternate_stream_of_an_attachment_is_checked(
    runner: CliRunner, pack: Pack, tmp_path: Path, forged_key: str
) -> None:
    """A file specification whose /EF /F and /EF /UF differ: every reader must see the same."""
    writer: Any = PdfWriter(clone_from=io.BytesIO(pack.pdf))
    spec = file_spec(writer, "assessment.json")
    original = spec["/EF"].raw_get("/F")
    forged = embedded(writer, all_pass(pack))
    spec["/EF"][NameObject("/UF")] = original
    spec["/EF"][NameObject(forged_key)] = forged
    path = save(writer, tmp_path / "pack.pdf")
    code, lines = verify(runner, path)
    assert code == 1
    digest = sha256_hex(all_pass(pack))
    listed = pack.manifest["assessment"]["hash"]
    if forged_key == "/F":
        line = f"attachment assessment.json: sha256 is {digest}, the manifest says {listed}"
        assert line in lines
    else:
        assert any(
            line.startswith(
                f"attachment assessment.json: sha256 is {digest}, the manifest says {listed} "
                "(/EF UF of the file specification in object "
            )
            for line in lines
        ), lines
    assert lines[-1].startswith(f"NOT OK: {path}:")


def test_a_file_attachment_annotation_is_named(
    runner: CliRunner, pack: Pack, tmp_path: Path
) -> None:
    writer: Any = PdfWriter(clone_from=io.BytesIO(pack.pdf))
    spec = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Filespec"),
            NameObject("/F"): TextStringObject("payload.txt"),
            NameObject("/EF"): DictionaryObject({NameObject("/F"): embedded(writer, b"hi")}),
        }
    )
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/FileAttachment"),
            NameObject("/Rect"): ArrayObject([NumberObject(n) for n in (10, 10, 30, 30)]),
            NameObject("/FS"): spec,
        }
    )
    page = writer.pages[1]
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])
    path = save(writer, tmp_path / "pack.pdf")
    code, lines = verify(runner, path)
    assert code == 1
    assert any(
        line.startswith("attachment payload.txt is not listed in the manifest (the file "
                        "specification in object ")
        for line in lines
    ), lines  # fmt: skip


def test_a_file_in_a_page_associated_files_array_is_named(
    runner: CliRunner, pack: Pack, tmp_path: Path
) -> None:
    writer: Any = PdfWriter(clone_from=io.BytesIO(pack.pdf))
    spec = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Filespec"),
            NameObject("/UF"): TextStringObject("evidence.json"),
            NameObject("/EF"): DictionaryObject({NameObject("/F"): embedded(writer, b"[]")}),
        }
    )
    writer.pages[0][NameObject("/AF")] = ArrayObject([writer._add_object(spec)])
    path = save(writer, tmp_path / "pack.pdf")
    code, lines = verify(runner, path)
    assert code == 1
    assert any(
        line.startswith(f"attachment evidence.json: sha256 is {sha256_hex(b'[]')}, ")
        for line in lines
    ), lines


def test_a_file_attached_in_an_incremental_update_is_named(
    runner: CliRunner, pack: Pack, tmp_path: Path
) -> None:
    writer: Any = PdfWriter(io.BytesIO(pack.pdf), incremental=True)
    writer.add_attachment("later.txt", b"added after the pack was made")
    path = save(writer, tmp_path / "pack.pdf")
    assert path.read_bytes().startswith(pack.pdf)
    code, lines = verify(runner, path)
    assert code == 1
    assert "attachment later.txt is not listed in the manifest" in lines
    assert "revision 2 (an update appended to the pack) adds no signature" in lines


def test_an_incremental_update_that_changes_nothing_visible_is_still_named(
    runner: CliRunner, pack: Pack, tmp_path: Path
) -> None:
    writer: Any = PdfWriter(io.BytesIO(pack.pdf), incremental=True)
    writer.add_metadata({"/Subject": "all controls pass"})
    path = save(writer, tmp_path / "pack.pdf")
    code, lines = verify(runner, path)
    assert code == 1
    assert "revision 2 (an update appended to the pack) adds no signature" in lines
    assert (
        "revision 2 (an update appended to the pack) changes /Subject of the document information"
    ) in lines


def test_an_object_replaced_in_an_update_is_checked_in_both_revisions(
    runner: CliRunner, pack: Pack, tmp_path: Path
) -> None:
    writer: Any = PdfWriter(io.BytesIO(pack.pdf), incremental=True)
    spec = file_spec(writer, "assessment.json")
    spec["/EF"].get_object()["/F"].get_object().set_data(all_pass(pack))
    path = save(writer, tmp_path / "pack.pdf")
    code, lines = verify(runner, path)
    assert code == 1
    assert (
        f"attachment assessment.json: sha256 is {sha256_hex(all_pass(pack))}, the manifest "
        f"says {pack.manifest['assessment']['hash']}"
    ) in lines
    assert any(line.startswith("revision 2 (an update appended to the pack) replaces object ")
               for line in lines), lines  # fmt: skip


def gap_pages(pack: Pack) -> list[int]:
    reader = PdfReader(io.BytesIO(pack.pdf))
    return [i for i, page in enumerate(reader.pages) if "Gap register" in page.extract_text()]


def test_deleted_pages_are_named(runner: CliRunner, pack: Pack, tmp_path: Path) -> None:
    gaps = gap_pages(pack)
    assert gaps  # the sample pack has a gap register
    writer: Any = PdfWriter(clone_from=io.BytesIO(pack.pdf))
    for index in reversed(gaps):
        writer.remove_page(index)
    path = save(writer, tmp_path / "pack.pdf")
    code, lines = verify(runner, path)
    total = pack.manifest["pages"]["count"]
    assert code == 1
    assert f"the PDF has {total - len(gaps)} pages, the manifest lists {total}" in lines
    for index in gaps:
        assert f"page {index + 1} of the manifest is missing (a page was deleted)" in lines


def test_reordered_added_and_edited_pages_are_named(
    runner: CliRunner, pack: Pack, tmp_path: Path
) -> None:
    reader = PdfReader(io.BytesIO(pack.pdf))
    writer: Any = PdfWriter()
    order = [0, 2, 1, *range(3, len(reader.pages))]
    for index in order:
        writer.add_page(reader.pages[index])
    writer.add_blank_page()
    writer.pages[3].get_contents()  # page 4 as rendered
    content = writer.pages[3]["/Contents"].get_object()
    content.set_data(content.get_data() + b"\n0 0 m 1 1 l S")
    path = save(writer, tmp_path / "pages.pdf")
    # the attachments and metadata go along, so only the pages differ
    source: Any = PdfWriter(clone_from=io.BytesIO(pack.pdf))
    for name, items in reader.attachments.items():
        writer.add_attachment(name, items[0])
    writer.add_metadata({"/assaymanifestsha256": source._info["/assaymanifestsha256"]})
    save(writer, path)
    code, lines = verify(runner, path)
    assert code == 1
    assert "page 2: it is page 3 of the manifest, moved" in lines
    assert "page 4: its content differs from the manifest's page 4" in lines
    assert f"page {len(order) + 1}: not in the manifest (a page was added)" in lines
    assert not any("attachment" in line for line in lines), lines


def test_an_edited_cover_by_byte_edit_is_named(pack: Pack, tmp_path: Path) -> None:
    """The cover's content stream recompressed with one operator changed, same objects."""
    writer: Any = PdfWriter(clone_from=io.BytesIO(pack.pdf))
    content = writer.pages[0]["/Contents"].get_object()
    data = content.get_data()
    content.set_data(data.replace(b" rg", b" RG", 1))
    path = save(writer, tmp_path / "pack.pdf")
    check = verify_pack(path)
    assert "page 1: its content differs from the manifest's page 1" in check.problems


def test_the_manifest_page_digests_are_the_written_pages(pack: Pack) -> None:
    from assay.reports.page_digests import read_page_digests

    digests = read_page_digests(pack.pdf)
    assert pack.manifest["pages"]["count"] == len(digests)
    assert pack.manifest["pages"]["content_sha256"] == digests
    assert set(pack.manifest["pages"]["geometry"]) == {
        "0 0 595.276 841.89 / 0 0 595.276 841.89 / 0"
    }
    assert len(set(digests)) == len(digests)


def test_page_digests_are_stable_across_renders(pack: Pack, module_sample: Any) -> None:
    """Rendering again gives the same bytes, and so the same page contents."""
    from assay.reports.gather import gather
    from assay.reports.pdf import build_pack

    again = build_pack(gather(module_sample.sources()), module_sample.blob, pack_name="pack.pdf")
    assert again.manifest["pages"] == pack.manifest["pages"]
    assert again.pdf == pack.pdf


def test_a_digest_mismatch_while_writing_fails_closed(
    pack: Pack, module_sample: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assay.errors import IntegrityError
    from assay.reports import page_digests
    from assay.reports.gather import gather
    from assay.reports.pdf import build_pack

    monkeypatch.setattr(page_digests, "read_pages", lambda pdf: (["0" * 64], ["0 0 1 1"]))
    with pytest.raises(IntegrityError, match="pages differ from the page digests"):
        build_pack(gather(module_sample.sources()), module_sample.blob)


def test_the_cover_shows_the_manifest_hash_without_pages(pack: Pack) -> None:
    from assay.reports.manifest import core_sha256

    cover = PdfReader(io.BytesIO(pack.pdf)).pages[0].extract_text()
    assert core_sha256(pack.manifest) == pack.core_sha256
    assert pack.core_sha256[:32] in cover.replace("\n", "")
    assert pack.manifest_sha256 != pack.core_sha256


def test_a_cropped_page_is_named(pack: Pack, tmp_path: Path) -> None:
    """The gap register's rows cut from view by a crop box; the content stream is intact."""
    (index, *_) = gap_pages(pack)
    writer: Any = PdfWriter(clone_from=io.BytesIO(pack.pdf))
    page = writer.pages[index]
    page[NameObject("/CropBox")] = ArrayObject(
        [NumberObject(0), NumberObject(600), NumberObject(595), NumberObject(841)]
    )
    path = save(writer, tmp_path / "pack.pdf")
    check = verify_pack(path)
    assert check.problems == [
        f"page {index + 1}: its boxes or rotation (0 0 595.276 841.89 / 0 600 595 841 / 0) "
        "differ from the manifest's (0 0 595.276 841.89 / 0 0 595.276 841.89 / 0): it is "
        "shown cropped, enlarged or turned"
    ]


def test_an_annotation_drawn_over_a_page_is_named(pack: Pack, tmp_path: Path) -> None:
    """A FreeText note saying all is well, laid over the cover by a full rewrite."""
    writer: Any = PdfWriter(clone_from=io.BytesIO(pack.pdf))
    note = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/FreeText"),
            NameObject("/Rect"): ArrayObject([NumberObject(n) for n in (40, 40, 500, 200)]),
            NameObject("/Contents"): TextStringObject("All controls pass"),
        }
    )
    reference = writer._add_object(note)
    writer.pages[0][NameObject("/Annots")] = ArrayObject([reference])
    path = save(writer, tmp_path / "pack.pdf")
    check = verify_pack(path)
    assert check.problems == [
        f"page 1: a FreeText annotation, which a pack does not have (object {reference.idnum})"
    ]


def test_the_manifest_sample_has_every_field_a_pack_writes(pack: Pack) -> None:
    sample = DOCS / "samples" / "pack-manifest.json"
    document = json.loads(sample.read_text("utf-8"))
    assert set(document) == set(pack.manifest)
    assert set(document["pages"]) == set(pack.manifest["pages"])


def test_a_retitled_pack_is_named(pack: Pack, tmp_path: Path) -> None:
    writer: Any = PdfWriter(clone_from=io.BytesIO(pack.pdf))
    writer.add_metadata({"/Title": "Evidence pack: all controls pass"})
    path = save(writer, tmp_path / "pack.pdf")
    check = verify_pack(path)
    title = pack.manifest["document_info"]["Title"]
    assert check.problems == [
        "the document information's /Title is 'Evidence pack: all controls pass', the "
        f"manifest says {title!r}"
    ]


def test_actions_a_pack_does_not_have_are_named(pack: Pack, tmp_path: Path) -> None:
    writer: Any = PdfWriter(clone_from=io.BytesIO(pack.pdf))
    script = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert('all controls pass')"),
        }
    )
    writer.root_object[NameObject("/OpenAction")] = writer._add_object(script)
    writer.pages[2][NameObject("/AA")] = DictionaryObject({NameObject("/O"): script})
    path = save(writer, tmp_path / "pack.pdf")
    check = verify_pack(path)
    assert check.problems == [
        "the document catalog has /OpenAction, which a pack does not have",
        "page 3 has /AA, which a pack's pages do not have",
    ]


def test_a_renamed_bookmark_is_named(pack: Pack, tmp_path: Path) -> None:
    first = pack.manifest["outline"][0]
    writer: Any = PdfWriter(clone_from=io.BytesIO(pack.pdf))
    item = writer.root_object["/Outlines"]["/First"].get_object()
    item[NameObject("/Title")] = TextStringObject("No gaps found")
    path = save(writer, tmp_path / "pack.pdf")
    check = verify_pack(path)
    depth, page, _ = first.split(" ", 2)
    assert check.problems == [
        f"bookmark 1 is '{depth} {page} No gaps found', the manifest says {first!r}"
    ]


def test_the_outline_is_the_bookmarks_a_reader_lists(pack: Pack) -> None:
    reader = PdfReader(io.BytesIO(pack.pdf))
    assert len(pack.manifest["outline"]) > 3
    titles = [entry.split(" ", 2)[2] for entry in pack.manifest["outline"]]
    first: Any = reader.outline[0]
    assert titles[0] == first.title
