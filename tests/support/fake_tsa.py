"""A real RFC 3161 timestamp authority on 127.0.0.1, for tests of anchors and pack timestamps.

:class:`FakeTSA` makes a throwaway CA and a TSA certificate (extended key usage
timeStamping, critical; made as the demo's TSA makes them, :mod:`assay.demo.tsa`), and
answers ``POST /tsa`` with pyHanko's ``DummyTimeStamper`` behind
:class:`~tests.support.fake_http.FakeServer`, speaking ``application/timestamp-query`` /
``application/timestamp-reply``. Assay reaches it through its own HTTP client, as it would
a public TSA.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from asn1crypto import keys, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.timestamps import DummyTimeStamper

from assay.demo.tsa import make_authority as authority
from tests.support.fake_http import FakeServer, Reply, Request

PATH = "/tsa"
REPLY = {"Content-Type": "application/timestamp-reply"}


@cache
def make_authority(common_name: str = "Assay Test") -> tuple[bytes, bytes, bytes]:
    """(CA certificate, TSA certificate, TSA PKCS#8 key), all DER; cached per name."""
    made = authority(common_name, days=365)
    return made.ca, made.certificate, made.key


def pem(der: bytes) -> bytes:
    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)


class FakeTSA:
    """A TSA served at ``url``; ``ca_pem``/``tsa_pem`` write its certificates to files."""

    def __init__(self, common_name: str = "Assay Test") -> None:
        self.ca, self.certificate, key = make_authority(common_name)
        self.stamper = DummyTimeStamper(
            tsa_cert=asn1_x509.Certificate.load(self.certificate),
            tsa_key=keys.PrivateKeyInfo.load(key),
            certs_to_embed=[asn1_x509.Certificate.load(self.ca)],  # type: ignore[arg-type]
        )
        self.server = FakeServer()
        self.server.route("POST", PATH, self._answer)
        #: When set, the reply's bytes are replaced by this (a broken TSA).
        self.broken: bytes | None = None

    def _answer(self, request: Request) -> Reply:
        if self.broken is not None:
            return Reply(200, raw=self.broken, headers=REPLY)
        if request.headers.get("content-type") != "application/timestamp-query":
            return Reply(415, raw=b"", headers={"Content-Type": "text/plain"})
        reply = self.stamper.request_tsa_response(tsp.TimeStampReq.load(request.body))
        return Reply(200, raw=reply.dump(), headers=REPLY)

    @property
    def url(self) -> str:
        return self.server.url + PATH

    def ca_pem(self, folder: Path) -> Path:
        path = folder / "tsa-root.pem"
        path.write_bytes(pem(self.ca))
        return path

    def tsa_pem(self, folder: Path) -> Path:
        path = folder / "tsa.pem"
        path.write_bytes(pem(self.certificate))
        return path


@contextmanager
def running_tsa(common_name: str = "Assay Test") -> Iterator[FakeTSA]:
    tsa = FakeTSA(common_name)
    tsa.server.start()
    try:
        yield tsa
    finally:
        tsa.server.stop()
