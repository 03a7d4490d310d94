"""One verifier checking many signatures at once, as a service's attestations are checked:
every verdict is the one checking them one by one gives."""

from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from assay.assess.signing import Verifier, sign_many
from assay.people import People, Person

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="no ssh-keygen")


def test_signatures_checked_in_threads_get_their_own_verdicts(tmp_path: Path) -> None:
    key = tmp_path / "key"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ana", "-f", str(key)],
        check=True,
        capture_output=True,
    )
    public = (tmp_path / "key.pub").read_text().split()
    ana = Person("Ana Example", "ana@example.org", frozenset({"owner"}), (" ".join(public[:2]),))
    people = People({"owner": "Owner"}, (ana,))
    contents = [f"attestation {n}".encode() for n in range(12)]
    signatures = sign_many(contents, key)
    # Every third one is checked against content it does not sign.
    cases = [
        (content + (b" altered" if n % 3 == 0 else b""), signature)
        for n, (content, signature) in enumerate(zip(contents, signatures, strict=True))
    ]
    verifier = Verifier(people)
    try:
        with ThreadPoolExecutor(max_workers=6) as pool:
            verdicts = list(
                pool.map(lambda case: verifier.verify(case[0], case[1], "ana@example.org"), cases)
            )
    finally:
        verifier.close()
    assert [v.valid for v in verdicts] == [n % 3 != 0 for n in range(12)]
