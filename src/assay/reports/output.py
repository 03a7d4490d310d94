"""Writing report files: all or nothing.

A report is written to a temporary file beside its destination and renamed over it
only when complete, so an interrupted or failed run never leaves a half-written pack
that could pass for a real one. Folder and permission problems become one clear
:class:`ReportError` line instead of a traceback.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from assay.errors import ReportError


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def check_destination(path: Path) -> None:
    """Fail early (before any slow rendering) when ``path`` cannot be written."""
    folder = path.parent if str(path.parent) else Path()
    try:
        if path.is_dir():
            raise ReportError(f"{path}: is a folder, not a file", hint="give a file name with -o")
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
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise ReportError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        Path(temporary).chmod(0o666 & ~_umask())
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
