"""Reading a pipeline's artefact folder: regular files only, size-capped, links never followed.

A CI job writes reports into a folder; anything in it is untrusted. Symbolic links
(to files or folders) are listed as skipped and never opened, so a link to
``/etc/shadow`` cannot become evidence; files over the size limit are skipped
without being read; everything else becomes an :class:`ArtefactTarget`.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from assay.errors import CollectorError
from assay.evidence.collectors.interface import ArtefactTarget

#: Files whose name marks them as not being reports (editor and OS litter).
_IGNORED = (".DS_Store", "Thumbs.db", ".gitkeep")


@dataclass
class ArtefactScan:
    targets: list[ArtefactTarget] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def scan_folder(
    folder: Path,
    display: str,
    *,
    max_bytes: int,
    pipeline: str | None = None,
    commit: str | None = None,
    must_exist: bool = True,
) -> ArtefactScan:
    """Every regular file under ``folder`` (sorted), read into memory up to ``max_bytes``."""
    scan = ArtefactScan()
    try:
        info = folder.lstat()
    except (FileNotFoundError, NotADirectoryError):  # a/b where a is a file: no folder either
        if must_exist:
            raise CollectorError(f"{display}: no such folder") from None
        scan.skipped.append((display, "artefacts folder not found"))
        return scan
    except OSError as exc:
        raise CollectorError(f"{display}: {exc.strerror or exc}") from None
    if stat.S_ISLNK(info.st_mode):
        scan.skipped.append((display, "symbolic link (not followed)"))
        return scan
    if not stat.S_ISDIR(info.st_mode):
        raise CollectorError(f"{display}: not a folder")
    for root, dirs, files in os.walk(folder, followlinks=False, onerror=None):
        base = Path(root)
        for name in sorted(dirs):
            if (base / name).is_symlink():
                scan.skipped.append((_rel(base / name, folder), "symbolic link (not followed)"))
        dirs[:] = sorted(d for d in dirs if not (base / d).is_symlink())
        for name in sorted(files):
            if name in _IGNORED:
                continue
            _add(scan, base / name, folder, max_bytes, pipeline, commit)
    return scan


def _rel(path: Path, folder: Path) -> str:
    return path.relative_to(folder).as_posix()


def _add(
    scan: ArtefactScan,
    path: Path,
    folder: Path,
    max_bytes: int,
    pipeline: str | None,
    commit: str | None,
) -> None:
    name = _rel(path, folder)
    try:
        info = path.lstat()
    except OSError as exc:
        scan.skipped.append((name, f"cannot read: {exc.strerror}"))
        return
    if stat.S_ISLNK(info.st_mode):
        scan.skipped.append((name, "symbolic link (not followed)"))
        return
    if not stat.S_ISREG(info.st_mode):
        scan.skipped.append((name, "not a regular file"))
        return
    if info.st_size > max_bytes:
        scan.skipped.append((name, f"{info.st_size:,} bytes, over the {max_bytes:,} byte limit"))
        return
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        scan.skipped.append((name, f"cannot read: {exc.strerror}"))
        return
    if len(data) > max_bytes:
        scan.skipped.append((name, f"over the {max_bytes:,} byte limit"))
        return
    scan.targets.append(
        ArtefactTarget(path=path, name=name, data=data, pipeline=pipeline, commit=commit)
    )
