"""RFC 3161 timestamps: asking a timestamp authority (TSA) and checking its tokens offline.

A token is the TSA's signed statement that a digest existed at a time (``genTime``).
Assay asks for tokens over HTTP (``Content-Type: application/timestamp-query``) with its
own httpx client, through pyHanko's request and response handling, so the same client
serves ``assay store anchor`` and the signature timestamp of ``assay report pack --sign
--tsa``. A token is checked without the network: its signature must be intact and made
by a certificate for time stamping, its message imprint must be the digest it is said to
cover, and, when trust roots are given, the TSA certificate must chain to one of them.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from assay import __version__
from assay.display import mask_url
from assay.errors import TimestampError

#: A TSA reply larger than this is refused (tokens are a few kilobytes).
MAX_REPLY_BYTES = 1024 * 1024
DEFAULT_TIMEOUT = 30.0
MAX_CERTIFICATE_FILE_BYTES = 1024 * 1024


def check_url(url: str) -> str:
    """``url`` if it is an http(s) URL with a host; a one-line error otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TimestampError(
            f"--tsa {url}: not an http(s) URL", hint="give the TSA's URL, e.g. https://tsa.example/"
        )
    return url


def _timestamper(url: str, timeout: float) -> Any:
    """A pyHanko ``TimeStamper`` whose HTTP exchange is the project's httpx client."""
    import httpx
    from asn1crypto import tsp
    from pyhanko.sign.timestamps import TimeStamper
    from pyhanko.sign.timestamps.common_utils import TimestampRequestError

    class HttpTimeStamper(TimeStamper):
        async def async_request_tsa_response(self, req: Any) -> Any:
            headers = {
                "Content-Type": "application/timestamp-query",
                "Accept": "application/timestamp-reply",
                "User-Agent": f"assay/{__version__}",
            }
            try:
                async with (
                    httpx.AsyncClient(timeout=httpx.Timeout(timeout)) as client,
                    client.stream("POST", url, content=req.dump(), headers=headers) as reply,
                ):
                    body = bytearray()
                    async for chunk in reply.aiter_bytes():
                        body.extend(chunk)
                        if len(body) > MAX_REPLY_BYTES:
                            raise TimestampRequestError("the reply is too large")
            except httpx.HTTPError as exc:
                raise TimestampRequestError(f"cannot reach it: {exc}") from None
            if reply.status_code != 200:
                raise TimestampRequestError(f"it answered HTTP {reply.status_code}")
            kind = reply.headers.get("content-type", "").split(";")[0].strip()
            if kind != "application/timestamp-reply":
                raise TimestampRequestError(f"it answered {kind or 'no content type'}")
            try:
                return tsp.TimeStampResp.load(bytes(body))
            except ValueError:
                raise TimestampRequestError("its reply is not a timestamp response") from None

    return HttpTimeStamper()  # type: ignore[no-untyped-call]


def timestamper(url: str, timeout: float = DEFAULT_TIMEOUT) -> Any:
    """The pyHanko timestamper for ``url`` (used by pack signing)."""
    return _timestamper(check_url(url), timeout)


def request_token(url: str, digest: bytes, *, timeout: float = DEFAULT_TIMEOUT) -> bytes:
    """A token (DER) from the TSA at ``url`` over the sha256 ``digest``, checked for
    integrity and imprint before it is returned."""
    from pyhanko.sign.timestamps.common_utils import TimestampRequestError

    stamper = _timestamper(check_url(url), timeout)
    shown = mask_url(url)
    try:
        token = asyncio.run(stamper.async_timestamp(digest, "sha256"))
    except (TimestampRequestError, OSError, ValueError, TypeError, KeyError) as exc:
        raise TimestampError(f"timestamp authority {shown}: {exc}") from None
    data: bytes = token.dump()
    check = check_token(data, digest)
    if not check.ok:
        raise TimestampError(f"timestamp authority {shown}: {'; '.join(check.problems)}")
    return data


@dataclass(frozen=True)
class TokenInfo:
    """What a token says: when, over which digest, and who signed it."""

    gen_time: datetime
    hash_algorithm: str
    imprint: bytes
    serial: int
    #: The signing certificate's subject and the sha256 of its DER bytes.
    tsa: str
    fingerprint: str
    #: Every certificate the token carries, DER.
    certificates: tuple[bytes, ...]


@dataclass
class TokenCheck:
    """A token checked offline; ``trusted`` is ``None`` when no trust root was given."""

    info: TokenInfo | None
    problems: list[str] = field(default_factory=list)
    trusted: bool | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def _signed_data(data: bytes) -> Any:
    from asn1crypto import cms, tsp

    try:
        info = cms.ContentInfo.load(data)
        signed = info["content"]
        if info["content_type"].native != "signed_data":
            raise ValueError("not signed data")
        tst = signed["encap_content_info"]["content"].parsed
        if not isinstance(tst, tsp.TSTInfo):
            raise ValueError("no TSTInfo")
        tst.native  # noqa: B018 - parse every field now, so a bad token fails here
        return signed, tst
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise TimestampError(f"not an RFC 3161 timestamp token ({exc})") from None


def read_token(data: bytes) -> TokenInfo:
    """The token's facts; :class:`TimestampError` when it is not a timestamp token."""
    signed, tst = _signed_data(data)
    certificates = tuple(
        item.chosen.dump() for item in signed["certificates"] or () if item.name == "certificate"
    )
    signer = _signer_certificate(signed)
    gen_time = tst["gen_time"].native
    return TokenInfo(
        gen_time=gen_time.astimezone(UTC),
        hash_algorithm=str(tst["message_imprint"]["hash_algorithm"]["algorithm"].native),
        imprint=bytes(tst["message_imprint"]["hashed_message"].native),
        serial=int(tst["serial_number"].native),
        tsa=str(signer.subject.human_friendly) if signer is not None else "unknown",
        fingerprint=hashlib.sha256(signer.dump()).hexdigest() if signer is not None else "",
        certificates=certificates,
    )


def _signer_certificate(signed: Any) -> Any:
    """The certificate the token's signer info names, if the token carries it."""
    infos = signed["signer_infos"]
    if len(infos) != 1:
        return None
    sid = infos[0]["sid"]
    for item in signed["certificates"] or ():
        if item.name != "certificate":
            continue
        cert = item.chosen
        if sid.name == "issuer_and_serial_number":
            if (
                cert.issuer == sid.chosen["issuer"]
                and cert.serial_number == sid.chosen["serial_number"].native
            ):
                return cert
        elif cert.key_identifier == sid.chosen.native:
            return cert
    return None


def check_token(
    data: bytes, digest: bytes, roots: Sequence[bytes] = (), *, trust: bool = False
) -> TokenCheck:
    """Check ``data`` against ``digest`` offline; with ``trust``, its certificate must
    chain to one of ``roots`` (DER certificates) at the token's own time.

    The check uses asn1crypto and cryptography alone (see :mod:`assay.token_check`), so
    verifying a pack does not pay for loading a whole PDF signing library.
    """
    from assay.token_check import chains_to, signature_problems

    try:
        info = read_token(data)
    except TimestampError as exc:
        return TokenCheck(None, [str(exc)])
    check = TokenCheck(info)
    if info.hash_algorithm != "sha256":
        check.problems.append(f"the token's imprint is {info.hash_algorithm}, not sha256")
    elif info.imprint != digest:
        check.problems.append(
            f"the token covers {info.imprint.hex()}, not {digest.hex()}: it is for another head"
        )
    signed, _ = _signed_data(data)
    signer = _signer_certificate(signed)
    trouble = signature_problems(signed, signer)
    check.problems.extend(trouble)
    if trust and not trouble:
        pool = [item.chosen.dump() for item in signed["certificates"] or ()]
        reason = chains_to(signer.dump(), pool, roots, info.gen_time)
        check.trusted = reason is None
        if reason is not None:
            check.problems.append(
                f"the TSA certificate ({info.tsa}) does not chain to a trusted TSA "
                f"certificate: {reason}"
            )
    return check


def load_certificates(path: Path) -> list[bytes]:
    """The certificates in a PEM (one or more) or DER file, as DER bytes."""
    from asn1crypto import pem, x509

    try:
        if path.stat().st_size > MAX_CERTIFICATE_FILE_BYTES:
            raise TimestampError(f"{path}: over the {MAX_CERTIFICATE_FILE_BYTES:,} byte limit")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise TimestampError(f"{path}: no such file") from None
    except OSError as exc:
        raise TimestampError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        blocks = (
            [der for _, _, der in pem.unarmor(raw, multiple=True)] if pem.detect(raw) else [raw]
        )
        found = [x509.Certificate.load(der) for der in blocks]
        for cert in found:
            cert.native  # noqa: B018 - parse fully: a broken certificate fails here
    except (ValueError, TypeError) as exc:
        raise TimestampError(f"{path}: not a certificate (PEM or DER): {exc}") from None
    if not found:
        raise TimestampError(f"{path}: holds no certificate")
    return [cert.dump() for cert in found]


def pem_bundle(certificates: Sequence[bytes]) -> str:
    """Certificates as one PEM text (how the store keeps a TSA's chain)."""
    from asn1crypto import pem

    return "".join(pem.armor("CERTIFICATE", der).decode("ascii") for der in certificates)
