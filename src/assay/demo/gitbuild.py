"""Build git repositories quickly and deterministically by writing objects directly.

The demo needs histories with merges, tags and signatures at fixed dates. Writing
loose objects (zlib-compressed ``<type> <size>\\0<body>``) from Python is much faster
than one ``git commit`` per change and gives the same object ids on every run. Signed
commits and tags carry SSH signatures made by ``ssh-keygen -Y sign`` over exactly the
bytes git signs, so ``git verify-commit`` accepts them.
"""

from __future__ import annotations

import hashlib
import subprocess
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from assay.evidence.git.policy import Git, git_env

FILE = "100644"
EXECUTABLE = "100755"
SYMLINK = "120000"
TREE = "40000"


@dataclass(frozen=True)
class Person:
    name: str
    email: str

    def line(self, when: int) -> str:
        return f"{self.name} <{self.email}> {when} +0000"


@dataclass
class SshSigner:
    """Signs with an SSH key (git's ``gpg.format=ssh``)."""

    key: Path

    def sign(self, payload: bytes) -> str:
        done = subprocess.run(
            ["ssh-keygen", "-q", "-Y", "sign", "-n", "git", "-f", str(self.key)],
            input=payload,
            capture_output=True,
            check=True,
            timeout=60,
        )
        return done.stdout.decode("ascii").strip()


def make_ssh_key(path: Path, comment: str) -> SshSigner | None:
    """An ed25519 key at ``path`` (reused if present); None when ssh-keygen is missing."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            subprocess.run(
                ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
                capture_output=True,
                check=True,
                timeout=60,
            )
        except (OSError, subprocess.SubprocessError):
            return None
    return SshSigner(path)


@dataclass
class RepoBuilder:
    """Writes objects and refs into a new repository at ``path`` (branch ``main``)."""

    path: Path
    signer: SshSigner | None = None
    _written: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        self.git = Git(self.path, self.path.name, repository=False)
        self.git.run("init", "-q", "-b", "main", "--template=", ".")
        self.objects = self.path / ".git" / "objects"

    def _write(self, kind: str, body: bytes) -> str:
        data = f"{kind} {len(body)}\0".encode() + body
        oid = hashlib.sha1(data, usedforsecurity=False).hexdigest()
        if oid not in self._written:
            target = self.objects / oid[:2] / oid[2:]
            if not target.exists():
                target.parent.mkdir(exist_ok=True)
                target.write_bytes(zlib.compress(data))
            self._written.add(oid)
        return oid

    def tree(self, files: dict[str, tuple[str, bytes]]) -> str:
        """The tree of ``files`` (path -> (mode, content)), sub-trees included."""
        here: dict[str, tuple[str, str]] = {}
        nested: dict[str, dict[str, tuple[str, bytes]]] = {}
        for path, (mode, content) in files.items():
            head, _, rest = path.partition("/")
            if rest:
                nested.setdefault(head, {})[rest] = (mode, content)
            else:
                here[head] = (mode, self._write("blob", content))
        for name, inner in nested.items():
            here[name] = (TREE, self.tree(inner))
        body = b"".join(
            f"{mode} {name}".encode() + b"\0" + bytes.fromhex(oid)
            for name, (mode, oid) in sorted(
                here.items(), key=lambda item: item[0] + ("/" if item[1][0] == TREE else "")
            )
        )
        return self._write("tree", body)

    def commit(
        self,
        tree: str,
        parents: list[str],
        author: Person,
        when: int,
        message: str,
        *,
        committer: Person | None = None,
        sign: bool = False,
    ) -> str:
        lines = [f"tree {tree}", *(f"parent {p}" for p in parents)]
        lines += [f"author {author.line(when)}", f"committer {(committer or author).line(when)}"]
        payload = ("\n".join(lines) + "\n\n" + message.rstrip("\n") + "\n").encode()
        if sign and self.signer is not None:
            signature = self.signer.sign(payload)
            lines.append("gpgsig " + signature.replace("\n", "\n "))
            payload = ("\n".join(lines) + "\n\n" + message.rstrip("\n") + "\n").encode()
        return self._write("commit", payload)

    def tag(
        self, name: str, target: str, tagger: Person, when: int, message: str, *, sign: bool
    ) -> str:
        head = f"object {target}\ntype commit\ntag {name}\ntagger {tagger.line(when)}\n\n"
        payload = (head + message.rstrip("\n") + "\n").encode()
        if sign and self.signer is not None:
            payload += (self.signer.sign(payload) + "\n").encode()
        oid = self._write("tag", payload)
        self.set_ref(f"refs/tags/{name}", oid)
        return oid

    def set_ref(self, ref: str, oid: str) -> None:
        target = self.path / ".git" / ref
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(oid + "\n", encoding="ascii")

    def finish(self) -> None:
        """Check out ``main`` so the working tree shows the files too."""
        self.git.run("reset", "-q", "--hard", "main")


def git_available() -> bool:
    try:
        subprocess.run(["git", "--version"], capture_output=True, check=True, env=git_env())
    except (OSError, subprocess.SubprocessError):
        return False
    return True
