"""``assay verify PACK.pdf``: OK for an untouched pack; exactly what differs otherwise."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfWriter
from pypdf.generic import NameObject, TextStringObject
from typer.testing import CliRunner

from assay.cli.app import app
from assay.evidence.model import sha256_hex
from assay.reports.pdf import Pack


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No workspace or store around: verification is offline."""
    monkeypatch.delenv("ASSAY_STORE_URL", raising=False)
    monkeypatch.delenv("ASSAY_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)


def rewrite(
    pdf: bytes,
    *,
    attachment: str | None = None,
    data: bytes = b"",
    metadata: dict[str, str] | None = None,
) -> bytes:
    """The pack re-saved with one attachment's bytes replaced and/or metadata changed."""
    writer: Any = PdfWriter(clone_from=io.BytesIO(pdf))
    if attachment is not None:
        names = writer.root_object["/Names"]["/EmbeddedFiles"].get_object()["/Names"]
        for index in range(0, len(names), 2):
            if names[index] == attachment:
                stream = names[index + 1].get_object()["/EF"]["/F"].get_object()
                stream.set_data(data)
                break
        else:  # pragma: no cover - the test names an attachment the pack has
            raise AssertionError(attachment)
    if metadata:
        info = writer._info.get_object() if writer._info else None
        assert info is not None
        for key, value in metadata.items():
            info[NameObject(key)] = TextStringObject(value)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def verify(runner: CliRunner, path: Path) -> tuple[int, str]:
    result = runner.invoke(app, ["verify", str(path)])
    return result.exit_code, result.output


def test_an_untouched_pack_verifies(runner: CliRunner, pack: Pack, tmp_path: Path) -> None:
    path = tmp_path / "pack.pdf"
    path.write_bytes(pack.pdf)
    code, output = verify(runner, path)
    assert code == 0, output
    assert output == (
        f"OK: {path}: manifest, 5 attachments and 3 evidence records verified (service "
        f"payments-api, assessment {pack.manifest['assessment']['hash'][:12]}, ledger head 7); "
        "no store checked\n"
    )


def test_a_resaved_but_unchanged_pack_still_verifies(
    runner: CliRunner, pack: Pack, tmp_path: Path
) -> None:
    path = tmp_path / "resaved.pdf"
    path.write_bytes(rewrite(pack.pdf))
    assert verify(runner, path)[0] == 0


def test_a_replaced_attachment_is_named(runner: CliRunner, pack: Pack, tmp_path: Path) -> None:
    name = next(n for n in pack.attachment_names if n.endswith("sbom.cdx.json"))
    forged = b'{"bomFormat": "forged"}'
    path = tmp_path / "pack.pdf"
    path.write_bytes(rewrite(pack.pdf, attachment=name, data=forged))
    code, output = verify(runner, path)
    listed = next(e["sha256"] for e in pack.manifest["attachments"] if e["name"] == name)
    assert code == 1
    assert output.splitlines() == [
        f"attachment {name}: sha256 is {sha256_hex(forged)}, the manifest says {listed}",
        f"NOT OK: {path}: 1 difference",
    ]


def test_an_edited_manifest_is_detected(runner: CliRunner, pack: Pack, tmp_path: Path) -> None:
    manifest = dict(pack.manifest, ledger_head={"seq": 8, "hash": "e" * 64})
    data = json.dumps(manifest, indent=2, sort_keys=True).encode() + b"\n"
    path = tmp_path / "pack.pdf"
    path.write_bytes(rewrite(pack.pdf, attachment="manifest.json", data=data))
    code, output = verify(runner, path)
    assert code == 1
    assert output.splitlines() == [
        f"manifest.json: sha256 is {sha256_hex(data)}, but the PDF metadata records "
        f"{pack.manifest_sha256}: the manifest was edited",
        f"NOT OK: {path}: 1 difference",
    ]


def test_a_manifest_edited_with_its_metadata_still_fails_on_content(
    runner: CliRunner, pack: Pack, tmp_path: Path
) -> None:
    """Forging both manifest and metadata hash: the attachments no longer agree."""
    entries = [dict(e) for e in pack.manifest["attachments"]]
    entries[0]["sha256"] = "0" * 64  # assessment.json
    manifest = dict(pack.manifest, attachments=entries)
    data = json.dumps(manifest).encode()
    forged = rewrite(
        pack.pdf,
        attachment="manifest.json",
        data=data,
        metadata={"/assaymanifestsha256": sha256_hex(data)},
    )
    path = tmp_path / "pack.pdf"
    path.write_bytes(forged)
    code, output = verify(runner, path)
    assert code == 1
    assert output.splitlines()[0] == (
        f"attachment assessment.json: sha256 is {pack.manifest['assessment']['hash']}, "
        f"the manifest says {'0' * 64}"
    )


def test_a_changed_assessment_record_breaks_its_hash(
    runner: CliRunner, pack: Pack, tmp_path: Path
) -> None:
    record = json.loads(_attachment(pack, "assessment.json"))
    record["results"][0]["status"] = "pass"
    data = json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
    path = tmp_path / "pack.pdf"
    path.write_bytes(rewrite(pack.pdf, attachment="assessment.json", data=data))
    code, output = verify(runner, path)
    assert code == 1
    assert f"attachment assessment.json: sha256 is {sha256_hex(data)}" in output
    assert (
        f"assessment.json: sha256 is {sha256_hex(data)}, the assessment hash in the manifest "
        f"is {pack.manifest['assessment']['hash']}"
    ) in output


def _attachment(pack: Pack, name: str) -> bytes:
    from pypdf import PdfReader

    return PdfReader(io.BytesIO(pack.pdf)).attachments[name][0]


@pytest.mark.parametrize("keep", [0.5, 0.99])
def test_a_truncated_pack_is_detected(
    runner: CliRunner, pack: Pack, tmp_path: Path, keep: float
) -> None:
    path = tmp_path / "pack.pdf"
    path.write_bytes(pack.pdf[: int(len(pack.pdf) * keep)])
    code, output = verify(runner, path)
    assert code == 1
    assert output.splitlines() == [
        "the PDF is truncated: it does not end with %%EOF",
        f"NOT OK: {path}: 1 difference",
    ]


def test_a_file_that_is_not_a_pdf(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "pack.pdf"
    path.write_text("just text\n")
    code, output = verify(runner, path)
    assert code == 1
    assert output.splitlines() == [
        "not a PDF file (it does not start with %PDF-)",
        f"NOT OK: {path}: 1 difference",
    ]


def test_a_pdf_without_a_manifest(runner: CliRunner, tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_attachment("notes.txt", b"hello")
    path = tmp_path / "other.pdf"
    with path.open("wb") as stream:
        writer.write(stream)
    code, output = verify(runner, path)
    assert code == 1
    assert output.splitlines() == [
        "no manifest.json attachment: this PDF is not an assay evidence pack",
        f"NOT OK: {path}: 1 difference",
    ]


def forged_pack(path: Path, manifest: dict[str, Any], **attached: bytes) -> Path:
    """A blank PDF carrying ``manifest`` (its hash in the metadata, as a pack has it)."""
    data = json.dumps(manifest).encode()
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_attachment("manifest.json", data)
    for name, content in attached.items():
        writer.add_attachment(name, content)
    writer.add_metadata({"/assaymanifestsha256": sha256_hex(data)})
    with path.open("wb") as stream:
        writer.write(stream)
    return path


FORGED = {
    "format": "assay.pack.manifest/1",
    "service": "payments-api",
    "assessment": {"id": "a1", "hash": "ab" * 32},
    "evidence": [],
    "ledger_head": {"seq": 7, "hash": "cd" * 32},
    "attachments": [],
}


def test_a_manifest_alone_does_not_verify(runner: CliRunner, tmp_path: Path) -> None:
    path = forged_pack(tmp_path / "forged.pdf", FORGED)
    code, output = verify(runner, path)
    assert code == 1
    assert output.splitlines() == [
        "no assessment.json attachment: every assay evidence pack carries one",
        "no evidence.json attachment: every assay evidence pack carries one",
        f"NOT OK: {path}: 2 differences",
    ]


@pytest.mark.parametrize(
    ("key", "value"),
    [("attachments", ["x"]), ("evidence", [3]), ("evidence", [{"id": "e", "artefacts": "ab"}])],
)
def test_a_manifest_of_the_wrong_shape_is_reported_not_raised(
    runner: CliRunner, tmp_path: Path, key: str, value: Any
) -> None:
    records = json.dumps([{"id": "e", "artefacts": "zz"}]).encode()
    path = forged_pack(
        tmp_path / "forged.pdf", {**FORGED, key: value}, **{"evidence.json": records}
    )
    code, output = verify(runner, path)
    assert code == 1
    assert output.splitlines()[-1].startswith(f"NOT OK: {path}:")
    assert "internal error" not in output


def test_a_garbled_pdf_is_reported_not_raised(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 50 + b"\n%%EOF\n")
    code, output = verify(runner, path)
    assert code == 1
    assert "Traceback" not in output
    assert output.splitlines()[-1] == f"NOT OK: {path}: 1 difference"


def test_an_extra_attachment_is_named(runner: CliRunner, pack: Pack, tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=io.BytesIO(pack.pdf))
    writer.add_attachment("payload.exe", b"MZ")
    path = tmp_path / "pack.pdf"
    with path.open("wb") as stream:
        writer.write(stream)
    code, output = verify(runner, path)
    assert code == 1
    assert "attachment payload.exe is not listed in the manifest" in output.splitlines()


def test_a_missing_file_cannot_be_verified(runner: CliRunner, tmp_path: Path) -> None:
    code, output = verify(runner, tmp_path / "nope.pdf")
    assert code == 2
    assert output.splitlines() == [f"error: {tmp_path / 'nope.pdf'}: no such file"]


def test_json_output(runner: CliRunner, pack: Pack, tmp_path: Path) -> None:
    path = tmp_path / "pack.pdf"
    path.write_bytes(pack.pdf)
    result = runner.invoke(app, ["verify", str(path), "--format", "json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["ok"] is True
    assert data["manifest_sha256"] == pack.manifest_sha256
    assert data["problems"] == []
