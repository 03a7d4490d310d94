"""Writing output files: only to a regular file or a new path, and all or nothing.

A destination that exists must be a regular file: a FIFO, a device, a socket, a
symbolic link or a folder is refused with one line, before anything is rendered and
nothing is written (writing through a link or into ``/dev/full`` as root would put the
report somewhere else, or nowhere). The file is written to a new temporary file beside
its destination (created exclusively, never through a link) and renamed over it only
when complete, so an interrupted or failed run never leaves a half-written pack that
could pass for a real one. A rename replaces the directory entry itself: a link or a
FIFO put in place between the check and the rename is replaced, never written through.
Folder and permission problems become one clear :class:`ReportError` line instead of a
traceback.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from assay.errors import ReportError

#: What an existing destination that is not a regular file is, for the message.
_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
_ONLY_FILES = "output is written only to a regular file or a new path"


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def refuse_special_file(path: Path) -> None:
    """Raise unless ``path`` is missing or a regular file (links are not followed)."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ReportError(f"{path}: cannot access: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        raise ReportError(f"{path}: is a folder, not a file", hint="give a file name with -o")
    for test, kind in _KINDS:
        if test(mode):
            raise ReportError(f"{path}: is {kind}, not a regular file", hint=_ONLY_FILES)
    if not stat.S_ISREG(mode):
        raise ReportError(f"{path}: is not a regular file", hint=_ONLY_FILES)


def check_destination(path: Path) -> None:
    """Fail early (before any slow rendering) when ``path`` cannot be written, or is
    anything but a regular file or a new path."""
    refuse_special_file(path)
    folder = path.parent if str(path.parent) else Path()
    try:
        folder_exists = folder.is_dir()
    except OSError as exc:
        raise ReportError(f"{path}: cannot access: {exc.strerror or exc}") from None
    if not folder_exists:
        raise ReportError(
            f"{path}: folder {folder} does not exist",
            hint="create the folder first or choose another output path",
        )
    effective = os.access in os.supports_effective_ids
    if not os.access(folder, os.W_OK | os.X_OK, effective_ids=effective):
        raise ReportError(f"{path}: cannot write to folder {folder}: permission denied")


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    check_destination(path)
    folder = path.parent if str(path.parent) else Path()
    try:
        # mkstemp opens with O_CREAT | O_EXCL (and O_NOFOLLOW): always a new file of ours.
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise ReportError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fchmod(stream.fileno(), 0o666 & ~_umask())
            os.fsync(stream.fileno())
        refuse_special_file(path)  # again, as late as possible: something may have appeared
        Path(temporary).replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            Path(temporary).unlink()
        raise ReportError(f"{path}: cannot write: {exc.strerror or exc}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            Path(temporary).unlink()
        raise


def json_bytes(document: dict[str, Any]) -> bytes:
    """Stable JSON file bytes (indented, UTF-8, a final newline): the same document always
    gives the same file."""
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
