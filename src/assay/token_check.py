"""Checking an RFC 3161 token's CMS signature and certificate chain, offline.

A timestamp token is a CMS ``SignedData`` whose content is a ``TSTInfo``. It is good when:

- it has one signer, whose certificate the token carries, and that certificate is for
  time stamping (extended key usage ``timeStamping``, RFC 3161 section 2.3);
- its signed attributes name the content type ``TSTInfo`` and hold the digest of the
  encapsulated ``TSTInfo`` bytes, and bind the signer's certificate (ESS
  ``signingCertificate`` or ``signingCertificateV2``) when they name one;
- the signature over the signed attributes verifies with the certificate's key;
- (trust) the certificate is one of the trusted certificates, or is issued by one, through
  CA certificates the token carries, each valid at the token's own time.

Revocation is not checked: verification is offline. asn1crypto reads the structures and
cryptography checks signatures; nothing else is loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

#: Digest algorithms a token may be signed with.
DIGESTS = ("sha256", "sha384", "sha512")
MAX_CHAIN = 8


def _hash(name: str) -> Any:
    from cryptography.hazmat.primitives import hashes

    return {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}[name]


def _digest(name: str, data: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes

    hasher = hashes.Hash(_hash(name) if name in DIGESTS else hashes.SHA1())  # noqa: S303
    hasher.update(data)
    return hasher.finalize()


def _attributes(signer_info: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for attribute in signer_info["signed_attrs"]:
        values = attribute["values"]
        if len(values) != 1 or attribute["type"].native in found:
            raise ValueError(f"attribute {attribute['type'].native} is not single-valued")
        found[str(attribute["type"].native)] = values[0]
    return found


def signature_problems(signed: Any, certificate: Any) -> list[str]:
    """Why the token's signature is not good (an empty list when it is)."""
    infos = signed["signer_infos"]
    if len(infos) != 1:
        return [f"the token has {len(infos)} signers, not one"]
    if certificate is None:
        return ["the token does not carry its signer's certificate"]
    usages = certificate.extended_key_usage_value
    if usages is None or "time_stamping" not in usages.native:
        return ["the token is signed by a certificate that is not for time stamping"]
    info = infos[0]
    algorithm = str(info["digest_algorithm"]["algorithm"].native)
    if algorithm not in DIGESTS:
        return [f"the token is signed with digest {algorithm}, which is not accepted"]
    try:
        attributes = _attributes(info)
        content = signed["encap_content_info"]["content"].contents
        if attributes["content_type"].native != "tst_info":
            return ["the token's signed content type is not TSTInfo"]
        if attributes["message_digest"].native != _digest(algorithm, content):
            return ["the token's signature does not match its content"]
        bound = _bound_certificate(attributes, certificate)
        if bound is not None:
            return [bound]
        signed_bytes = b"\x31" + info["signed_attrs"].dump()[1:]  # as a SET, not [0]
    except (KeyError, ValueError, TypeError) as exc:
        return [f"the token's signed attributes are malformed ({exc})"]
    return _verify(certificate.dump(), info, signed_bytes, algorithm)


def _bound_certificate(attributes: dict[str, Any], certificate: Any) -> str | None:
    """The ESS attribute naming the signer's certificate must name this one."""
    der = certificate.dump()
    if "signing_certificate_v2" in attributes:
        first = attributes["signing_certificate_v2"]["certs"][0]
        name = str(first["hash_algorithm"]["algorithm"].native)
        if name not in DIGESTS or first["cert_hash"].native != _digest(name, der):
            return "the token's signed attributes name another signing certificate"
    elif "signing_certificate" in attributes:
        first = attributes["signing_certificate"]["certs"][0]
        if first["cert_hash"].native != _digest("sha1", der):
            return "the token's signed attributes name another signing certificate"
    return None


def _verify(certificate: bytes, info: Any, signed_bytes: bytes, algorithm: str) -> list[str]:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

    key = x509.load_der_x509_certificate(certificate).public_key()
    signature = info["signature"].native
    mechanism = info["signature_algorithm"].signature_algo
    try:
        if isinstance(key, rsa.RSAPublicKey) and mechanism == "rsassa_pkcs1v15":
            key.verify(signature, signed_bytes, padding.PKCS1v15(), _hash(algorithm))
        elif isinstance(key, rsa.RSAPublicKey) and mechanism == "rsassa_pss":
            params = info["signature_algorithm"]["parameters"]
            pss_hash = _hash(str(params["hash_algorithm"]["algorithm"].native))
            pss = padding.PSS(padding.MGF1(pss_hash), int(params["salt_length"].native))
            key.verify(signature, signed_bytes, pss, pss_hash)
        elif isinstance(key, ec.EllipticCurvePublicKey) and mechanism == "ecdsa":
            key.verify(signature, signed_bytes, ec.ECDSA(_hash(algorithm)))
        elif isinstance(key, ed25519.Ed25519PublicKey) and mechanism == "ed25519":
            key.verify(signature, signed_bytes)
        else:
            return [f"the token's signature mechanism {mechanism} is not accepted"]
    except InvalidSignature:
        return ["the token's signature does not match its content"]
    except (UnsupportedAlgorithm, ValueError, KeyError, TypeError) as exc:
        return [f"the token's signature cannot be checked ({exc})"]
    return []


def chains_to(
    certificate: bytes, pool: Sequence[bytes], roots: Sequence[bytes], moment: datetime
) -> str | None:
    """``None`` when ``certificate`` is one of ``roots`` or is issued, through CA
    certificates from ``pool``, by one of them, each valid at ``moment``; else why not."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm

    trusted = set(roots)
    candidates = [x509.load_der_x509_certificate(der) for der in {*pool, *roots}]
    current = x509.load_der_x509_certificate(certificate)
    for _ in range(MAX_CHAIN):
        if not current.not_valid_before_utc <= moment <= current.not_valid_after_utc:
            return f"{current.subject.rfc4514_string()} was not valid at the token's time"
        if current.public_bytes(_der()) in trusted:
            return None
        issuer = None
        for candidate in candidates:
            if candidate == current or not _is_ca(candidate):
                continue
            try:
                current.verify_directly_issued_by(candidate)
            except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
                continue
            issuer = candidate
            break
        if issuer is None:
            name = current.subject.rfc4514_string()
            if current.issuer == current.subject:
                return f"it chains to {name}, which is not trusted"
            return f"the issuer of {name} is neither given nor trusted"
        current = issuer
    return "the chain is too long"


def _der() -> Any:
    from cryptography.hazmat.primitives import serialization

    return serialization.Encoding.DER


def _is_ca(certificate: Any) -> bool:
    from cryptography import x509

    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    except x509.ExtensionNotFound:
        return False
    return bool(constraints.value.ca)
