"""Signing a pack (PAdES, with pyHanko) and checking the signatures a pack carries.

``assay report pack --sign KEY`` adds one PAdES baseline signature (CMS, sha256) over the
whole PDF, as an incremental update, so the unsigned pack inside is unchanged and still
verifies on its own. KEY is a PKCS#12 bundle (``.p12``/``.pfx``) or a PEM private key with
its certificate given by ``--sign-cert``; a passphrase, if any, is read from
``ASSAY_SIGN_PASSPHRASE``, never from the command line. A signed pack is not
byte-identical across runs: the signature records when it was made.

With ``--tsa URL`` the signature carries an RFC 3161 signature timestamp (PAdES
baseline B-T): a timestamp authority vouches for when the pack was signed.

``assay verify`` checks every signature it finds: the signed bytes must be intact and cover
the whole file (nothing appended after signing). It reports who signed (the certificate's
subject and sha256 fingerprint); trust in that certificate is for the reader to decide
against the organisation's published signing certificate. A signature timestamp must match
the signature; with trusted TSA certificates (``--tsa-cert``) it must chain to one of them.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from assay.display import mask_url
from assay.durations import isoformat
from assay.errors import ReportError, TimestampError

FIELD_NAME = "AssaySignature"
PASSPHRASE_VARIABLE = "ASSAY_SIGN_PASSPHRASE"  # noqa: S105 - the variable's name, not a secret


@dataclass(frozen=True)
class SignOptions:
    key: Path
    certificate: Path | None = None
    #: The RFC 3161 timestamp authority that timestamps the signature, if any.
    tsa: str | None = None


@dataclass(frozen=True)
class SignatureCheck:
    """One signature found in a pack."""

    field: str
    intact: bool
    whole_file: bool
    signer: str
    fingerprint: str
    #: The signature timestamp, if any: its time, its TSA, whether it matches the
    #: signature, and whether its TSA is trusted (``None``: no trust root was given).
    timestamp: datetime | None = None
    timestamp_tsa: str = ""
    timestamp_intact: bool = True
    timestamp_trusted: bool | None = None

    @property
    def ok(self) -> bool:
        return self.intact and self.whole_file

    def describe(self) -> str:
        return (
            f"signature {self.field}: signed by {self.signer} (certificate sha256 "
            f"{self.fingerprint}); the certificate is not checked against a trust root"
        )

    def describe_timestamp(self) -> str | None:
        if self.timestamp is None:
            return None
        trust = (
            "a trusted TSA"
            if self.timestamp_trusted
            else "a TSA not checked against a trust root (give --tsa-cert)"
        )
        return (
            f"signature {self.field}: timestamped at {isoformat(self.timestamp)} by "
            f"{self.timestamp_tsa}, {trust}"
        )


@contextmanager
def quiet() -> Iterator[None]:
    """pyHanko logs validation details (with tracebacks) that are not for the user: keep
    its loggers, and their children, from reaching the console while it works."""
    saved = []
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logger = logging.getLogger(name)
        handler = logging.NullHandler()
        saved.append((logger, handler, logger.propagate))
        logger.addHandler(handler)
        logger.propagate = False
    try:
        yield
    finally:
        for logger, handler, propagate in saved:
            logger.removeHandler(handler)
            logger.propagate = propagate


def check_options(options: SignOptions) -> None:
    """Refuse unusable signing options before any slow rendering."""
    if not options.key.is_file():
        raise ReportError(f"signing key {options.key}: no such file")
    if _is_pkcs12(options.key):
        return
    if options.certificate is None:
        raise ReportError(
            f"signing key {options.key}: give its certificate with --sign-cert",
            hint="or pass a PKCS#12 bundle (.p12) holding both",
        )
    if not options.certificate.is_file():
        raise ReportError(f"signing certificate {options.certificate}: no such file")


def _is_pkcs12(path: Path) -> bool:
    return path.suffix.lower() in (".p12", ".pfx")


def _signer(options: SignOptions) -> Any:
    from pyhanko.sign import signers

    check_options(options)
    passphrase = os.environ.get(PASSPHRASE_VARIABLE)
    secret = passphrase.encode("utf-8") if passphrase else None
    signer = None
    with quiet(), contextlib.suppress(ValueError, TypeError, OSError):
        if _is_pkcs12(options.key):
            signer = signers.SimpleSigner.load_pkcs12(  # type: ignore[no-untyped-call]
                str(options.key), passphrase=secret
            )
        else:
            signer = signers.SimpleSigner.load(  # type: ignore[no-untyped-call]
                str(options.key), str(options.certificate), key_passphrase=secret
            )
    if signer is None:
        raise ReportError(
            f"cannot load the signing key {options.key}",
            hint=f"check the file and its passphrase ({PASSPHRASE_VARIABLE})",
        )
    return signer


def sign_pdf(pdf: bytes, options: SignOptions) -> bytes:
    """``pdf`` with a PAdES signature over all of it appended."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.timestamps import TimestampRequestError

    from assay.timestamps import timestamper

    signer = _signer(options)
    stamper = timestamper(options.tsa) if options.tsa else None
    metadata = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason="Assay evidence pack",
    )
    try:
        with quiet():
            writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
            output = signers.sign_pdf(writer, metadata, signer=signer, timestamper=stamper)
    except TimestampRequestError as exc:
        raise TimestampError(f"timestamp authority {mask_url(options.tsa or '')}: {exc}") from None
    except (ValueError, OSError) as exc:
        raise ReportError(f"cannot sign the pack: {exc}") from None
    signed: bytes = output.getvalue()
    return signed


def check_signatures(pdf: bytes, tsa_roots: Sequence[bytes] = ()) -> list[SignatureCheck]:
    """Every signature in ``pdf``, checked; an empty list for an unsigned pack.

    A signature timestamp is checked against ``tsa_roots`` (DER certificates) when given.
    """
    from asn1crypto import x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    # No trust roots: integrity and coverage are checked, trust is the reader's call.
    context = ValidationContext(trust_roots=[])
    roots = [x509.Certificate.load(item) for item in tsa_roots]
    found = []
    with quiet():
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        for embedded in reader.embedded_signatures:
            ts_context = ValidationContext(trust_roots=roots, allow_fetching=False)
            status = validate_pdf_signature(
                embedded, signer_validation_context=context, ts_validation_context=ts_context
            )
            certificate = status.signing_cert
            fingerprint = hashlib.sha256(certificate.dump()).hexdigest()
            stamp = status.timestamp_validity
            found.append(
                SignatureCheck(
                    field=str(embedded.field_name),
                    intact=bool(status.intact),
                    whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
                    signer=str(certificate.subject.human_friendly),
                    fingerprint=fingerprint,
                    timestamp=None if stamp is None else stamp.timestamp,
                    timestamp_tsa=""
                    if stamp is None
                    else str(stamp.signing_cert.subject.human_friendly),
                    timestamp_intact=stamp is None or bool(stamp.intact and stamp.valid),
                    timestamp_trusted=None if stamp is None or not roots else bool(stamp.trusted),
                )
            )
    return found
