"""What ``assay verify`` asks of signatures: required, by whom, and not stripped."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfWriter
from typer.testing import CliRunner

from assay.cli.app import app
from assay.reports.gather import gather
from assay.reports.pdf import Pack, build_pack
from assay.reports.sign import SignOptions, sign_pdf
from assay.reports.verify_pack import verify_pack
from tests.unit.reports.keys import make_keys


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ASSAY_STORE_URL", raising=False)
    monkeypatch.delenv("ASSAY_WORKSPACE", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, str]:
    return make_keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def to_sign(module_sample: Any) -> Pack:
    """A pack written to be signed: its manifest says so."""
    return build_pack(gather(module_sample.sources()), module_sample.blob, signed=True)


@pytest.fixture(scope="module")
def signed(to_sign: Pack, keys: tuple[Path, Path, Path, str]) -> bytes:
    return sign_pdf(to_sign.pdf, SignOptions(keys[0], keys[1]))


def run(runner: CliRunner, data: bytes, path: Path, *options: str) -> tuple[int, list[str]]:
    path.write_bytes(data)
    result = runner.invoke(app, ["verify", str(path), *options])
    return result.exit_code, result.output.splitlines()


def test_a_pack_made_to_be_signed_says_so(to_sign: Pack, pack: Pack) -> None:
    assert to_sign.manifest["signed"] is True
    assert pack.manifest["signed"] is False


def test_a_signed_pack_meets_require_signature_and_its_signer(
    runner: CliRunner, signed: bytes, keys: tuple[Path, Path, Path, str], tmp_path: Path
) -> None:
    code, lines = run(
        runner, signed, tmp_path / "s.pdf", "--require-signature", "--signer", keys[3].upper()
    )
    assert code == 0, lines
    assert lines[-1].startswith("OK: ")


def test_an_unsigned_pack_fails_require_signature(
    runner: CliRunner, pack: Pack, tmp_path: Path
) -> None:
    path = tmp_path / "p.pdf"
    code, lines = run(runner, pack.pdf, path, "--require-signature")
    assert (code, lines) == (
        1,
        [
            "the pack is not signed, and a signature is required (--require-signature)",
            f"NOT OK: {path}: 1 difference",
        ],
    )


def test_another_signer_is_refused(
    runner: CliRunner, signed: bytes, keys: tuple[Path, Path, Path, str], tmp_path: Path
) -> None:
    path = tmp_path / "s.pdf"
    code, lines = run(runner, signed, path, "--signer", "ab" * 32)
    assert code == 1
    assert (
        f"the pack is not signed by certificate sha256 {'ab' * 32} (signed by: {keys[3]})"
    ) in lines


def test_a_signer_that_is_not_a_sha256_cannot_be_used(
    runner: CliRunner, pack: Pack, tmp_path: Path
) -> None:
    code, lines = run(runner, pack.pdf, tmp_path / "p.pdf", "--signer", "abc")
    assert code == 2
    assert lines[0] == "error: --signer abc: not a sha256 (64 hexadecimal digits)"


def test_a_stripped_signature_is_reported(
    runner: CliRunner, signed: bytes, to_sign: Pack, tmp_path: Path
) -> None:
    """The signature revision cut off: what is left is the pack as rendered."""
    stripped = signed[: len(to_sign.pdf)]
    assert stripped == to_sign.pdf
    path = tmp_path / "stripped.pdf"
    code, lines = run(runner, stripped, path)
    assert (code, lines) == (
        1,
        [
            "the manifest says this pack was signed, but it carries no signature (the "
            "signature was removed)",
            f"NOT OK: {path}: 1 difference",
        ],
    )


def test_a_blanked_signature_field_is_reported(
    runner: CliRunner, signed: bytes, tmp_path: Path
) -> None:
    """The field's value removed by a same-length byte edit: the offsets stay valid."""
    at = signed.rindex(b"/V ")
    end = signed.index(b"\n", at)
    blank = b"/V null".ljust(end - at)
    code, lines = run(runner, signed[:at] + blank + signed[end:], tmp_path / "b.pdf")
    assert code == 1
    assert (
        "the manifest says this pack was signed, but it carries no signature (the signature "
        "was removed)"
    ) in lines


def test_an_update_after_the_signature_is_reported(
    runner: CliRunner, signed: bytes, tmp_path: Path
) -> None:
    writer: Any = PdfWriter(io.BytesIO(signed), incremental=True)
    writer.add_attachment("later.txt", b"after signing")
    out = io.BytesIO()
    writer.write(out)
    code, lines = run(runner, out.getvalue(), tmp_path / "u.pdf")
    assert code == 1
    assert "revision 3 (an update appended to the pack) adds no signature" in lines
    assert "signature AssaySignature: the file was changed after it was signed" in lines


def test_a_signed_pack_has_two_revisions_and_verifies(signed: bytes, tmp_path: Path) -> None:
    path = tmp_path / "s.pdf"
    path.write_bytes(signed)
    check = verify_pack(path)
    assert check.problems == []
    assert check.revisions == 2
    assert check.to_dict()["signers"] == [check.signatures[0].fingerprint]
