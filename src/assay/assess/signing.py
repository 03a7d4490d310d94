"""Signed attestations: ``ssh-keygen -Y sign`` and ``-Y verify`` in their own namespace.

What is signed is the attestation's *canonical content*: its control, services, statement,
signer, dates and supporting file name with the file's sha256, as compact JSON with sorted
keys (:func:`canonical_content`). Changing any of them, or the document, breaks the
signature. The signature lies beside the attestation as ``NAME.yaml.sig``.

Signatures are made and checked in the namespace :data:`NAMESPACE`, so a signature made
for git commits or anything else never counts as an attestation's. Verification reads the
keys of ``people.yaml`` only: an allowed-signers file is written into a private temporary
folder, one line per key with the person's email as principal, and the signature must
verify for the principal of the person the attestation names as signer.

``ssh-keygen`` runs through :func:`run_ssh_keygen`: an argument list (never a shell), a
fixed environment (``PATH``, ``LC_ALL=C``, ``HOME`` in the temporary folder; no agent
except when signing), standard input from bytes, a timeout, and output capped.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import tempfile
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay.errors import AssayError

if TYPE_CHECKING:
    from assay.assess.attestations import Attestation, Signature
    from assay.people import People

NAMESPACE = "assay-attestation"
SIGNATURE_SUFFIX = ".sig"
FORMAT = "assay-attestation/1"
TIMEOUT_SECONDS = 30.0
SEARCH_PATH = "/usr/bin:/bin:/usr/local/bin"
MAX_SIGNATURE_BYTES = 64 * 1024
MAX_OUTPUT_BYTES = 64 * 1024


class SigningError(AssayError):
    """A signature could not be made, or ``ssh-keygen`` could not run."""


def canonical_content(attestation: Attestation, digest: str) -> bytes:
    """The bytes signed for ``attestation`` whose supporting file hashes to ``digest``."""
    body = {
        "format": FORMAT,
        "control": attestation.control,
        "services": sorted(attestation.services),
        "statement": attestation.statement,
        "signer": attestation.signer,
        "signed_at": attestation.signed_at.isoformat(),
        "expires": attestation.expires.isoformat(),
        "file": {"name": attestation.file, "sha256": digest},
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def signature_path(attestation_path: Path) -> Path:
    """Where the signature of the attestation at ``attestation_path`` lies."""
    return attestation_path.with_name(attestation_path.name + SIGNATURE_SUFFIX)


def read_signature(path: Path) -> bytes | None:
    """The signature file's bytes, ``None`` when there is none; a link, a folder or an
    oversized file is :class:`SigningError`."""
    if not path.exists() and not path.is_symlink():
        return None
    if path.is_symlink() or not path.is_file():
        raise SigningError(f"{path.name}: a signature must be a regular file")
    with path.open("rb") as handle:
        data = handle.read(MAX_SIGNATURE_BYTES + 1)
    if len(data) > MAX_SIGNATURE_BYTES:
        raise SigningError(f"{path.name}: over {MAX_SIGNATURE_BYTES:,} bytes")
    return data


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: bytes
    stderr: bytes

    def message(self) -> str:
        """The first line ssh-keygen wrote to standard error, for a one-line error."""
        text = self.stderr.decode("utf-8", "replace")
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return lines[0][:300] if lines else f"exit status {self.returncode}"


def ssh_keygen_path() -> str:
    """The ``ssh-keygen`` executable on the fixed search path."""
    found = shutil.which("ssh-keygen", path=SEARCH_PATH)
    if found is None:
        raise SigningError(
            "ssh-keygen is not installed",
            hint="install OpenSSH 8.2 or newer (ssh-keygen -Y sign and -Y verify)",
        )
    return found


def run_ssh_keygen(
    args: Sequence[str],
    *,
    stdin: bytes,
    home: Path,
    agent: bool = False,
    timeout: float = TIMEOUT_SECONDS,
) -> Completed:
    """Run ``ssh-keygen ARGS`` without a shell, in a fixed environment, with a timeout."""
    env = {"PATH": SEARCH_PATH, "LC_ALL": "C", "HOME": str(home)}
    socket = os.environ.get("SSH_AUTH_SOCK")
    if agent and socket:
        env["SSH_AUTH_SOCK"] = socket
    try:
        done = subprocess.run(
            [ssh_keygen_path(), *args],
            input=stdin,
            capture_output=True,
            env=env,
            cwd=home,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise SigningError(f"ssh-keygen took longer than {timeout:g} s; stopped") from None
    except OSError as exc:
        raise SigningError(f"cannot run ssh-keygen: {exc.strerror or exc}") from None
    return Completed(
        done.returncode, done.stdout[:MAX_OUTPUT_BYTES], done.stderr[:MAX_OUTPUT_BYTES]
    )


def sign(content: bytes, key: Path) -> bytes:
    """An armored SSH signature of ``content`` with the private key at ``key``."""
    return sign_many([content], key)[0]


def sign_many(contents: Sequence[bytes], key: Path) -> list[bytes]:
    """Signatures of every item of ``contents``, made by one ``ssh-keygen`` process."""
    if not contents:
        return []
    key = key.resolve()
    if not key.is_file():
        raise SigningError(f"{key}: no such key file")
    with tempfile.TemporaryDirectory(prefix="assay-sign-") as folder:
        home = Path(folder)
        names = []
        for index, content in enumerate(contents):
            (home / f"{index}.json").write_bytes(content)
            names.append(f"{index}.json")
        done = run_ssh_keygen(
            ["-q", "-Y", "sign", "-n", NAMESPACE, "-f", str(key), *names],
            stdin=b"",
            home=home,
            agent=True,
        )
        made = [home / f"{name}.sig" for name in names]
        if done.returncode != 0 or not all(path.is_file() for path in made):
            raise SigningError(
                f"ssh-keygen could not sign with {key.name}: {done.message()}",
                hint="name a private key without a passphrase, or one loaded in ssh-agent",
            )
        return [path.read_bytes() for path in made]


@dataclass(frozen=True)
class Verdict:
    """Whether a signature verified for ``principal``; ``detail`` says how or why not."""

    valid: bool
    principal: str
    detail: str


class Verifier:
    """Verifies attestation signatures against the keys in ``people.yaml``.

    The allowed-signers file is written once, in a private temporary folder that lives as
    long as the verifier (or until :meth:`close`). ``ssh-keygen -Y verify`` checks one
    signature a process.
    """

    def __init__(self, people: People) -> None:
        self._people = people
        self._folder: Path | None = None
        self._cleanup: weakref.finalize[Any, Any] | None = None
        self._names = itertools.count(1)  # next() is atomic: verify runs in threads
        self._lock = threading.Lock()

    def _home(self) -> Path:
        with self._lock:
            return self._made_home()

    def _made_home(self) -> Path:
        if self._folder is None:
            folder = Path(tempfile.mkdtemp(prefix="assay-verify-"))
            self._cleanup = weakref.finalize(self, shutil.rmtree, folder, ignore_errors=True)
            (folder / "allowed_signers").write_text(
                self._people.allowed_signers(NAMESPACE), encoding="utf-8"
            )
            self._folder = folder
        return self._folder

    def verify(self, content: bytes, signature: bytes, principal: str) -> Verdict:
        """Check ``signature`` over ``content`` for ``principal`` (an email)."""
        person = self._people.find(principal)
        if person is None or not person.keys:
            return Verdict(False, principal, f"people.yaml lists no signing key for {principal}")
        home = self._home()
        sig = home / f"signature-{next(self._names)}.sig"
        sig.write_bytes(signature)
        try:
            done = run_ssh_keygen(
                [
                    "-Y",
                    "verify",
                    "-f",
                    str(home / "allowed_signers"),
                    "-I",
                    person.email,
                    "-n",
                    NAMESPACE,
                    "-s",
                    str(sig),
                ],
                stdin=content,
                home=home,
            )
        finally:
            sig.unlink(missing_ok=True)
        if done.returncode == 0:
            said = done.stdout.decode("utf-8", "replace").strip()
            key = said.rsplit(" with ", 1)[-1] if " with " in said else "a listed key"
            return Verdict(True, person.email, f"signed by {person.email} with {key}")
        return Verdict(
            False,
            person.email,
            f"the signature does not verify for {person.email}: {done.message()}",
        )

    def close(self) -> None:
        if self._cleanup is not None:
            self._cleanup()
        self._folder = None
        self._cleanup = None


def attestation_signature(
    attestation: Attestation, digest: str, people: People | None, key: Path | None = None
) -> Signature | None:
    """The attestation's signature, made with ``key`` or read from beside it, verified
    against people.yaml; ``None`` when it is unsigned. A signature that cannot be checked
    or does not verify is :class:`SigningError`: it is never recorded."""
    from assay.assess.attestations import Signature

    content = canonical_content(attestation, digest)
    path = signature_path(attestation.path)
    data = sign(content, key) if key is not None else read_signature(path)
    if data is None:
        return None
    if people is None:
        raise SigningError(
            f"cannot verify {path.name}: the workspace has no people.yaml",
            hint="list the signer and their public key in people.yaml",
        )
    verifier = Verifier(people)
    try:
        verdict = verifier.verify(content, data, attestation.signer)
    finally:
        verifier.close()
    if not verdict.valid:
        raise SigningError(
            f"{attestation.source}: {verdict.detail}",
            hint=f"sign with a key people.yaml lists for the signer '{attestation.signer}'",
        )
    return Signature(data, verdict.principal, verdict.detail)
