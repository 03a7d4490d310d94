"""Offline checks of RFC 3161 tokens: the signature, the TSA's certificate and its chain.

Tokens come from pyHanko's test timestamper signing as authorities built here; each
verdict is compared with pyHanko's own validation of the same token where both apply.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from dataclasses import dataclass

import pytest
from asn1crypto import cms, keys, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps import DummyTimeStamper
from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from assay.timestamps import check_token, read_token
from assay.token_check import chains_to

NOW = dt.datetime.now(dt.UTC)
DIGEST = hashlib.sha256(b"ledger head").digest()
DER = serialization.Encoding.DER


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def _cert(
    subject: str,
    key: object,
    issuer: tuple[str, object] | None,
    *,
    ca: bool,
    eku: bool = True,
    days: tuple[int, int] = (-1, 30),
) -> x509.Certificate:
    issuer_name, issuer_key = issuer or (subject, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer_name))
        .public_key(key.public_key())  # type: ignore[attr-defined]
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW + dt.timedelta(days=days[0]))
        .not_valid_after(NOW + dt.timedelta(days=days[1]))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if eku and not ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
    return builder.sign(issuer_key, hashes.SHA256())  # type: ignore[arg-type]


@dataclass
class Made:
    token: bytes
    root: bytes
    leaf: bytes


def _token(*, eku: bool = True, intermediate: bool = False) -> Made:
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = _cert("Root", root_key, None, ca=True)
    issuer: tuple[str, object] = ("Root", root_key)
    embed = [root]
    if intermediate:
        middle_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        middle = _cert("Middle", middle_key, issuer, ca=True)
        issuer = ("Middle", middle_key)
        embed = [middle]
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = _cert("TSA", key, issuer, ca=False, eku=eku)
    pkcs8 = key.private_bytes(DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(leaf.public_bytes(DER)),
        tsa_key=keys.PrivateKeyInfo.load(pkcs8),
        certs_to_embed=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
            [asn1_x509.Certificate.load(c.public_bytes(DER)) for c in embed]
        ),
    )
    _, request = stamper.request_cms(DIGEST, "sha256")  # type: ignore[no-untyped-call]
    token = stamper.request_tsa_response(request)["time_stamp_token"].dump()
    return Made(token, root.public_bytes(DER), leaf.public_bytes(DER))


@pytest.fixture(scope="module")
def good() -> Made:
    return _token()


def _pyhanko(token: bytes, root: bytes) -> tuple[bool, bool]:
    """pyHanko's verdict on the same token: (intact and valid, trusted)."""
    signed = cms.ContentInfo.load(token)["content"]
    context = ValidationContext(trust_roots=[asn1_x509.Certificate.load(root)])
    status = asyncio.run(validate_tst_signed_data(signed, context, lambda _: DIGEST))
    return bool(status["intact"] and status["valid"]), status["trust_problem_indic"] is None


def test_a_good_token_is_trusted_as_pyhanko_trusts_it(good: Made) -> None:
    check = check_token(good.token, DIGEST, [good.root], trust=True)
    assert (check.problems, check.trusted) == ([], True)
    assert _pyhanko(good.token, good.root) == (True, True)
    # The TSA's own certificate can be what is trusted.
    assert check_token(good.token, DIGEST, [good.leaf], trust=True).trusted


def test_another_root_is_not_trusted(good: Made) -> None:
    other = _token().root
    check = check_token(good.token, DIGEST, [other], trust=True)
    assert check.trusted is False
    assert check.problems == [
        "the TSA certificate (Common Name: TSA) does not chain to a trusted TSA certificate: "
        "it chains to CN=Root, which is not trusted"
    ]
    assert _pyhanko(good.token, other) == (True, False)


def test_an_altered_signature_is_refused(good: Made) -> None:
    token = bytearray(good.token)
    token[-10] ^= 0x01
    check = check_token(bytes(token), DIGEST, [good.root], trust=True)
    assert check.problems == ["the token's signature does not match its content"]
    assert _pyhanko(bytes(token), good.root)[0] is False


def test_an_altered_time_is_refused(good: Made) -> None:
    """Changing the TSTInfo (its time) breaks the signed digest of the content."""
    info = read_token(good.token)
    old = info.gen_time.strftime("%Y%m%d%H%M%S").encode()
    new = (info.gen_time - dt.timedelta(days=365)).strftime("%Y%m%d%H%M%S").encode()
    token = good.token.replace(old, new, 1)
    assert token != good.token
    check = check_token(token, DIGEST, [good.root], trust=True)
    assert check.problems == ["the token's signature does not match its content"]


def test_a_token_for_another_digest(good: Made) -> None:
    check = check_token(good.token, bytes(32), [good.root], trust=True)
    assert check.problems == [
        f"the token covers {DIGEST.hex()}, not {bytes(32).hex()}: it is for another head"
    ]


def test_a_certificate_not_for_time_stamping_is_refused() -> None:
    made = _token(eku=False)
    check = check_token(made.token, DIGEST, [made.root], trust=True)
    assert check.problems == ["the token is signed by a certificate that is not for time stamping"]


def test_a_chain_through_an_intermediate() -> None:
    made = _token(intermediate=True)
    check = check_token(made.token, DIGEST, [made.root], trust=True)
    assert (check.problems, check.trusted) == ([], True)
    assert _pyhanko(made.token, made.root) == (True, True)


def test_a_certificate_is_judged_at_the_token_time(good: Made) -> None:
    later = NOW + dt.timedelta(days=400)
    assert chains_to(good.leaf, [good.root], [good.root], later) == (
        "CN=TSA was not valid at the token's time"
    )
    assert chains_to(good.leaf, [good.root], [good.root], NOW) is None


def test_not_a_token() -> None:
    check = check_token(b"\x30\x03\x02\x01\x01", DIGEST)
    assert check.info is None
    assert check.problems[0].startswith("not an RFC 3161 timestamp token")


def test_a_request_is_not_a_token() -> None:
    request = tsp.TimeStampReq(
        {
            "version": 1,
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": DIGEST,
            },
        }
    ).dump()
    assert not check_token(request, DIGEST).ok
