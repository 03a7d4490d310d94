"""Files of the commit a CI definition runs at, read safely for the wrapper follower.

A wrapper (``Makefile``, ``tox.ini``, ``package.json``, ``scripts/test`` ...) is read from
git objects at the same commit as the workflow that calls it, never from a working tree:

- a path is taken relative to the repository root (or the folder a command ``cd``-ed
  into); one that is absolute, holds a backslash or a NUL, or climbs out with ``..`` is
  refused;
- a symbolic link is followed only while its target stays inside the repository, at
  most :data:`MAX_LINKS` links in a row;
- a file over :data:`MAX_WRAPPER_BYTES` is not read;
- folders and submodules are not files.

Each answer is a value (:class:`FileRead`): the text, or the reason there is none.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

MAX_WRAPPER_BYTES = 512 * 1024
MAX_LINKS = 5
_REGULAR = ("100644", "100755")
_LINK = "120000"


class TreeEntry(Protocol):
    @property
    def path(self) -> str: ...
    @property
    def mode(self) -> str: ...
    @property
    def oid(self) -> str: ...
    @property
    def size(self) -> int: ...


class Tree(Protocol):
    """What :class:`TreeFiles` needs of a commit's tree (``GitTree`` in the collector)."""

    def entries(self, path: str) -> Sequence[TreeEntry]: ...

    def read(self, entries: Sequence[Any]) -> dict[str, bytes]: ...


@dataclass(frozen=True)
class FileRead:
    """A file's text at the commit, or why it has none (``missing`` when it does not exist)."""

    path: str
    text: str | None = None
    problem: str | None = None
    missing: bool = False


def join(folder: str, name: str) -> str | None:
    """``name`` inside ``folder`` as a repository path, or None when it leaves the repository."""
    if not name or name.startswith("/") or "\\" in name or "\x00" in name:
        return None
    joined = posixpath.normpath(posixpath.join(folder or ".", name))
    if joined == ".." or joined.startswith("../") or joined.startswith("/"):
        return None
    return "" if joined == "." else joined


class TreeFiles:
    """Reads files of one commit; each path is read at most once."""

    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self._cache: dict[str, FileRead] = {}

    def read(self, path: str) -> FileRead:
        found = self._cache.get(path)
        if found is None:
            found = self._read(path)
            self._cache[path] = found
        return found

    def _read(self, path: str) -> FileRead:
        current = join("", path)
        if current is None or not current:
            return FileRead(path, problem=f"{path} is outside the repository")
        for _ in range(MAX_LINKS + 1):
            entries = [e for e in self.tree.entries(current) if e.path == current]
            if not entries:
                return FileRead(path, problem=f"{current} does not exist", missing=True)
            entry = entries[0]
            if entry.mode not in (*_REGULAR, _LINK):
                return FileRead(path, problem=f"{current} is a folder or a submodule")
            if entry.size > MAX_WRAPPER_BYTES:
                return FileRead(
                    path,
                    problem=f"{current} has {entry.size:,} bytes, over the "
                    f"{MAX_WRAPPER_BYTES:,} byte limit for a wrapper",
                )
            raw = self.tree.read([entry]).get(entry.oid, b"")
            if entry.mode != _LINK:
                if b"\x00" in raw:
                    return FileRead(path, problem=f"{current} is not text")
                return FileRead(current, text=raw.decode("utf-8", "replace"))
            target = raw.decode("utf-8", "replace")
            following = join(posixpath.dirname(current), target)
            if following is None or not following:
                return FileRead(
                    path, problem=f"{current} is a link out of the repository; not followed"
                )
            current = following
        return FileRead(path, problem=f"{path}: more than {MAX_LINKS} links in a row")


@dataclass(frozen=True)
class Body:
    """What a wrapper runs, read from its file: (line, command) pairs, or why not read.

    ``problem`` is None when the file was read and the wrapper found in it (a target, a
    session, a script); the commands may still be none.
    """

    file: str
    commands: tuple[tuple[int, str], ...] = ()
    problem: str | None = None
