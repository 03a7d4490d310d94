"""``assay verify PACK --rerender``: the pack rebuilt from the store must be the same bytes."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, TextStringObject
from typer.testing import CliRunner

from assay.evidence.model import sha256_hex
from assay.reports.page_digests import outline_of
from tests.unit.reports.workspace import ReportWorkspace

pytestmark = pytest.mark.usefixtures("no_ambient_store")


@pytest.fixture(scope="module")
def ws(report_ws: ReportWorkspace) -> ReportWorkspace:
    return report_ws


@pytest.fixture(scope="module")
def pack_file(ws: ReportWorkspace, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("out") / "evidence-pack.pdf"
    code, _, err = ws.invoke(CliRunner(), "report", "pack", "-s", "svc", "-o", str(path))
    assert code == 0, err
    return path


def rerender(runner: CliRunner, ws: ReportWorkspace, path: Path) -> tuple[int, list[str]]:
    code, out, err = ws.invoke(runner, "verify", str(path), "--rerender")
    return code, (out + err).splitlines()


def test_an_untouched_pack_is_rebuilt_byte_for_byte(
    runner: CliRunner, ws: ReportWorkspace, pack_file: Path
) -> None:
    code, lines = rerender(runner, ws, pack_file)
    assert code == 0, lines
    assert "rerender: the pack is byte for byte the one rebuilt from the store" in lines
    assert lines[-1].startswith(f"OK: {pack_file}: ")


def test_a_signed_pack_is_compared_without_its_signature(
    runner: CliRunner, ws: ReportWorkspace, tmp_path: Path
) -> None:
    from tests.unit.reports.keys import make_keys

    key, cert, _, _ = make_keys(tmp_path)
    path = tmp_path / "signed.pdf"
    code, _, err = ws.invoke(
        runner, "report", "pack", "-s", "svc", "-o", str(path), "--sign", str(key),
        "--sign-cert", str(cert),
    )  # fmt: skip
    assert code == 0, err
    code, lines = rerender(runner, ws, path)
    assert code == 0, lines
    assert "rerender: the pack is byte for byte the one rebuilt from the store" in lines


def without_pages(pdf: bytes, drop: list[int]) -> bytes:
    """Pages deleted, and the manifest and its metadata hash forged to match: consistent
    in itself, so only the store can tell."""
    reader = PdfReader(io.BytesIO(pdf))
    manifest = json.loads(reader.attachments["manifest.json"][0])
    writer: Any = PdfWriter(clone_from=io.BytesIO(pdf))
    for index in sorted(drop, reverse=True):
        writer.remove_page(index)
    pages = manifest["pages"]
    kept = [d for i, d in enumerate(pages["content_sha256"]) if i not in drop]
    shapes = [g for i, g in enumerate(pages["geometry"]) if i not in drop]
    manifest["pages"] = {"count": len(kept), "content_sha256": kept, "geometry": shapes}
    out = io.BytesIO()
    writer.write(out)
    manifest["outline"] = outline_of(PdfReader(io.BytesIO(out.getvalue())))
    data = (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
    names = writer.root_object["/Names"]["/EmbeddedFiles"].get_object()["/Names"]
    spec = names[list(names).index("manifest.json") + 1].get_object()
    spec["/EF"]["/F"].get_object().set_data(data)
    writer._info.get_object()[NameObject("/assaymanifestsha256")] = TextStringObject(
        sha256_hex(data)
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_deleted_pages_with_a_forged_manifest_are_caught_by_rerender(
    runner: CliRunner,
    ws: ReportWorkspace,
    pack_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reader = PdfReader(pack_file)
    gaps = [i for i, page in enumerate(reader.pages) if "Gap register" in page.extract_text()]
    assert gaps
    path = tmp_path / "evidence-pack.pdf"
    path.write_bytes(without_pages(pack_file.read_bytes(), gaps))
    # Against the store alone it holds together: the store keeps no page digests.
    code, out, _ = ws.invoke(runner, "verify", str(path))
    assert code == 0, out
    code, lines = rerender(runner, ws, path)
    assert code == 1
    assert "rerender: the pack differs from the one rebuilt from the store" in lines
    assert "rerender: manifest.json 'pages' differs from the rebuilt pack's" in lines
    for index in gaps:
        assert (
            f"rerender: page {index + 1} of the rebuilt pack is missing (a page was deleted)"
        ) in lines


def test_rerender_needs_a_workspace(
    runner: CliRunner, pack_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assay.cli.app import app

    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["verify", str(pack_file), "--rerender"])
    assert result.exit_code == 2
    assert result.output.startswith("error: ")
