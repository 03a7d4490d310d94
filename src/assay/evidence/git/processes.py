"""Plumbing for git processes: standard input as a file, a drained standard error,
records split from a stream, and one-line errors from git's messages."""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from assay.display import mask_credentials
from assay.errors import CollectorError

Arg = str | bytes
STDERR_KEPT = 1 << 16


def text(arg: Arg) -> str:
    return arg.decode("utf-8", "surrogateescape") if isinstance(arg, bytes) else arg


@contextmanager
def stdin_file(data: bytes | None) -> Iterator[IO[bytes] | None]:
    """Standard input for git: a file holding ``data`` (Git.execute takes a file)."""
    if data is None:
        yield None
        return
    with tempfile.TemporaryFile() as held:
        held.write(data)
        held.seek(0)
        yield held


class _Drain(threading.Thread):
    """Reads git's standard error to its end, keeping the first 64 KiB, so git never
    blocks on a full pipe while its output is being read."""

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.kept = bytearray()

    def run(self) -> None:
        try:
            while block := self.stream.read(1 << 14):
                if len(self.kept) < STDERR_KEPT:
                    self.kept += block[: STDERR_KEPT - len(self.kept)]
        except (OSError, ValueError):
            pass
        finally:
            self.stream.close()


def drain(stream: IO[bytes]) -> _Drain:
    thread = _Drain(stream)
    thread.start()
    return thread


def verb(args: Sequence[Arg]) -> str:
    for arg in args:
        word = text(arg)
        if not word.startswith("-"):
            return word
    return "command"


def missing_git() -> CollectorError:
    return CollectorError("git is not installed or not on PATH", hint="install git 2.31 or newer")


def not_found(exc: Exception, path: Path) -> CollectorError:
    if not path.exists():
        return CollectorError(f"{path}: no such folder")
    return missing_git()


def translate_failure(display: str, args: Sequence[Arg], stderr: bytes) -> CollectorError:
    """One line a user can act on, from git's standard error."""
    text = mask_credentials(stderr.decode("utf-8", "replace"))
    lowered = text.lower()
    if "not a git repository" in lowered:
        return CollectorError(f"{display}: not a git repository")
    if "dubious ownership" in lowered:
        return dubious(display)
    if "does not have any commits yet" in lowered:
        return CollectorError(f"{display}: repository is empty")
    lines = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.startswith(("hint:", "warning:"))
    ]
    detail = lines[0] if lines else "no message"
    detail = detail.removeprefix("fatal: ").removeprefix("error: ")
    return CollectorError(f"{display}: git {verb(args)} failed: {detail[:300]}")


def dubious(display: str) -> CollectorError:
    return CollectorError(
        f"{display}: git refuses a repository owned by another user",
        hint="run assay as the repository's owner",
    )


def records(stream: IO[bytes], separator: bytes = b"\0", chunk: int = 1 << 16) -> Iterator[bytes]:
    """Split a stream into ``separator``-terminated records without reading it all at once."""
    pending = b""
    while True:
        block = stream.read(chunk)
        if not block:
            break
        pending += block
        parts = pending.split(separator)
        pending = parts.pop()
        yield from parts
    if pending:
        yield pending


def read_exact(stream: Any, size: int) -> bytes:
    parts: list[bytes] = []
    remaining = size
    while remaining > 0:
        block = stream.read(remaining)
        if not block:
            break
        parts.append(block)
        remaining -= len(block)
    return b"".join(parts)
