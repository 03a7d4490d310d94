"""The demo's own RFC 3161 timestamp authority, on 127.0.0.1, for the length of one step.

The demo runs offline, so it cannot ask a public timestamp authority. It makes a throwaway
CA and a TSA certificate (extended key usage timeStamping), and answers RFC 3161 requests
over HTTP (``application/timestamp-query`` in, ``application/timestamp-reply`` out) with
pyHanko's ``DummyTimeStamper``, which signs whatever it is asked to. Assay reaches it
through the same HTTP client it uses for a real TSA. Its certificates are trusted by no
one but the reader of the demo, who is given the CA's certificate to verify with.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: A timestamp request is a few hundred bytes; anything larger is refused.
MAX_REQUEST_BYTES = 64 * 1024


@dataclass(frozen=True)
class Authority:
    """A CA certificate, the TSA certificate it issued and the TSA's key (DER, PKCS#8)."""

    ca: bytes
    certificate: bytes
    key: bytes

    def ca_pem(self) -> bytes:
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization

        cert = x509.load_der_x509_certificate(self.ca)
        return cert.public_bytes(serialization.Encoding.PEM)


def make_authority(name: str, days: int = 3650) -> Authority:
    """A new CA named ``<name> Root CA`` and its TSA ``<name> TSA``, valid from yesterday."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def subject(common_name: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])

    def usage(*, signing: bool) -> x509.KeyUsage:
        return x509.KeyUsage(
            digital_signature=signing,
            content_commitment=signing,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=not signing,
            crl_sign=not signing,
            encipher_only=False,
            decipher_only=False,
        )

    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    end = start + dt.timedelta(days=days)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (
        x509.CertificateBuilder()
        .subject_name(subject(f"{name} Root CA"))
        .issuer_name(subject(f"{name} Root CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage(signing=False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tsa = (
        x509.CertificateBuilder()
        .subject_name(subject(f"{name} TSA"))
        .issuer_name(ca.subject)
        .public_key(tsa_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(usage(signing=True), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    der = serialization.Encoding.DER
    key = tsa_key.private_bytes(
        der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return Authority(ca.public_bytes(der), tsa.public_bytes(der), key)


def stamper(authority: Authority) -> Any:
    """pyHanko's ``DummyTimeStamper`` signing as ``authority``'s TSA, embedding its CA."""
    from asn1crypto import keys, x509
    from pyhanko.sign.timestamps import DummyTimeStamper
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    return DummyTimeStamper(
        tsa_cert=x509.Certificate.load(authority.certificate),
        tsa_key=keys.PrivateKeyInfo.load(authority.key),
        certs_to_embed=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
            [x509.Certificate.load(authority.ca)]
        ),
    )


@contextmanager
def serving(authority: Authority) -> Iterator[str]:
    """Serve ``authority`` on 127.0.0.1; yields its URL, stops on exit."""
    from asn1crypto import tsp

    signer = stamper(authority)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            kind = self.headers.get("Content-Type", "")
            if kind != "application/timestamp-query" or not 0 < length <= MAX_REQUEST_BYTES:
                self.send_error(400, "expected one application/timestamp-query")
                return
            try:
                request = tsp.TimeStampReq.load(self.rfile.read(length))
                body = signer.request_tsa_response(request).dump()
            except (ValueError, TypeError, KeyError):
                self.send_error(400, "not a timestamp request")
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsr"
    finally:
        server.shutdown()
        server.server_close()
