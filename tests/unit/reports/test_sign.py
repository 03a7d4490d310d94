"""Signed packs (PAdES): signing, checking, and what breaks a signature."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from assay.errors import ReportError
from assay.reports.pdf import Pack
from assay.reports.sign import SignOptions, check_signatures, sign_pdf
from assay.reports.verify_pack import verify_pack
from tests.unit.reports.keys import make_keys


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, str]:
    return make_keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def signed(pack: Pack, keys: tuple[Path, Path, Path, str]) -> bytes:
    key, cert, _, _ = keys
    return sign_pdf(pack.pdf, SignOptions(key, cert))


def test_a_signed_pack_verifies_and_names_its_signer(
    signed: bytes, keys: tuple[Path, Path, Path, str], tmp_path: Path, pack: Pack
) -> None:
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    check = verify_pack(path)
    assert check.problems == []
    assert check.notes == [
        f"signature AssaySignature: signed by Common Name: Assay test signer (certificate "
        f"sha256 {keys[3]}); the certificate is not checked against a trust root"
    ]
    assert signed.startswith(pack.pdf)  # an incremental update: the pack is unchanged inside
    assert sorted(PdfReader(io.BytesIO(signed)).attachments) == sorted(pack.attachment_names)


def test_a_changed_byte_breaks_the_signature(signed: bytes, tmp_path: Path) -> None:
    at = signed.index(b"/Title")
    path = tmp_path / "altered.pdf"
    path.write_bytes(signed[:at] + b"/Titlf" + signed[at + 6 :])
    check = verify_pack(path)
    assert "signature AssaySignature: the signed bytes were altered after signing" in (
        check.problems
    )


def test_a_pkcs12_bundle_with_a_passphrase(
    pack: Pack, keys: tuple[Path, Path, Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSAY_SIGN_PASSPHRASE", "s3cret")
    signed = sign_pdf(pack.pdf, SignOptions(keys[2]))
    (signature,) = check_signatures(signed)
    assert (signature.intact, signature.whole_file, signature.fingerprint) == (
        True,
        True,
        keys[3],
    )


def test_a_wrong_passphrase_is_one_clear_error(
    pack: Pack, keys: tuple[Path, Path, Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSAY_SIGN_PASSPHRASE", "wrong")
    with pytest.raises(ReportError) as caught:
        sign_pdf(pack.pdf, SignOptions(keys[2]))
    assert caught.value.diagnostics() == [
        f"error: cannot load the signing key {keys[2]}",
        "hint: check the file and its passphrase (ASSAY_SIGN_PASSPHRASE)",
    ]


def test_a_pem_key_needs_its_certificate(pack: Pack, keys: tuple[Path, Path, Path, str]) -> None:
    with pytest.raises(ReportError, match="give its certificate with --sign-cert"):
        sign_pdf(pack.pdf, SignOptions(keys[0]))


def test_an_unsigned_pack_has_no_signatures(pack: Pack) -> None:
    assert check_signatures(pack.pdf) == []
