"""Zip artefacts: checked whole before anything is read, then offered member by member.

CI systems hand reports over as zip files (GitHub's artifact downloads are zips). A zip
is untrusted, so :func:`expand_zip` first lists every member and refuses the whole
archive, before decompressing a single byte, when any member:

- has an absolute name (``/etc/x``, ``\\x``, ``C:x``) or a ``..`` component;
- is a symbolic link, or is encrypted;
- would decompress past the size cap (the sum of declared sizes over
  ``max_total_bytes``), or at a compression ratio over ``max_ratio`` (a zip bomb);
- appears twice.

These refusals are :class:`~assay.evidence.parsing.errors.HostileArtefact`: the service
they were found for is not collected. A zip that is merely corrupt is an ordinary
:class:`~assay.evidence.parsing.errors.ArtefactError`, noted and skipped.

Members are then decompressed into memory only (never written to disk), each checked to be
exactly the size its header declared, and returned as artefact targets named
``archive.zip!path/in/zip`` for the parsers. Nested archives are not opened.
"""

from __future__ import annotations

import io
import lzma
import re
import stat
import struct
import zipfile
import zlib
from datetime import UTC, datetime

from assay.errors import Problem
from assay.evidence.collectors.interface import ArtefactTarget
from assay.evidence.parsing.errors import HostileArtefact, refuse

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
DEFAULT_MAX_RATIO = 200.0
DEFAULT_MAX_MEMBERS = 10_000
#: Members smaller than this are not judged by ratio (tiny files compress absurdly well).
RATIO_FLOOR = 1024 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")


def is_zip(data: bytes) -> bool:
    return data.startswith(ZIP_MAGIC)


#: What corrupt or crafted zip data can raise, from zipfile and from the decompressors.
_CORRUPT = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    ValueError,
    IndexError,
    NotImplementedError,
    zlib.error,
    lzma.LZMAError,
    struct.error,
)


def _name_problem(filename: str) -> str | None:
    if not filename:
        return "has no name"
    if "\x00" in filename:
        return "has a NUL character in its name"
    if filename.startswith(("/", "\\")) or _DRIVE.match(filename):
        return "has an absolute path"
    if ".." in re.split(r"[\\/]", filename):
        return "has a '..' component that would escape the folder"
    return None


def inspect_zip(
    data: bytes,
    name: str,
    *,
    max_total_bytes: int,
    max_ratio: float = DEFAULT_MAX_RATIO,
    max_members: int = DEFAULT_MAX_MEMBERS,
) -> list[zipfile.ZipInfo]:
    """The file members of a zip, or :class:`ArtefactError` listing every reason to refuse it."""
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except _CORRUPT as exc:
        raise refuse(name, f"not a readable zip archive: {exc}") from None
    if len(infos) > max_members:
        many = f"zip has {len(infos):,} members, over the {max_members:,} limit"
        raise HostileArtefact([Problem(name, None, None, many)])
    problems: list[Problem] = []
    seen: set[str] = set()
    members: list[zipfile.ZipInfo] = []
    total = 0
    for info in infos:
        label = f"{name}!{info.filename}"
        reason = _name_problem(info.filename)
        mode = info.external_attr >> 16
        if reason is None and info.create_system == 3 and stat.S_ISLNK(mode):
            reason = "is a symbolic link"
        if reason is None and info.flag_bits & 0x1:
            reason = "is encrypted"
        if reason is None and info.filename in seen:
            reason = "appears twice in the archive"
        if reason is None and info.file_size >= RATIO_FLOOR:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > max_ratio:
                reason = (
                    f"would expand {ratio:,.0f} times ({info.file_size:,} bytes): "
                    f"over the {max_ratio:,.0f}x compression ratio limit (a zip bomb?)"
                )
        if reason is not None:
            problems.append(Problem(label, None, None, f"refused: the member {reason}"))
            continue
        seen.add(info.filename)
        if info.is_dir():
            continue
        total += info.file_size
        members.append(info)
    if total > max_total_bytes:
        problems.append(
            Problem(
                name,
                None,
                None,
                f"refused: the zip would expand to {total:,} bytes, over the "
                f"{max_total_bytes:,} byte limit",
            )
        )
    if problems:
        raise HostileArtefact(
            problems, hint="nothing was extracted; produce the archive without these members"
        )
    return members


def expand_zip(
    target: ArtefactTarget,
    *,
    max_total_bytes: int,
    max_ratio: float = DEFAULT_MAX_RATIO,
) -> list[ArtefactTarget]:
    """Every file member of a checked zip, in memory, as artefact targets."""
    members = inspect_zip(
        target.data, target.name, max_total_bytes=max_total_bytes, max_ratio=max_ratio
    )
    archive = zipfile.ZipFile(io.BytesIO(target.data))
    found: list[ArtefactTarget] = []
    for info in members:
        label = f"{target.name}!{info.filename}"
        try:
            with archive.open(info) as handle:
                content = handle.read(info.file_size + 1)
        except _CORRUPT as exc:
            raise refuse(label, f"cannot be decompressed: {exc}") from None
        if len(content) != info.file_size:
            raise HostileArtefact(
                [Problem(label, None, None, "refused: the member's size differs from its header")]
            )
        try:
            stamp = datetime(*info.date_time, tzinfo=UTC)
        except ValueError:
            stamp = None
        found.append(
            ArtefactTarget(
                path=target.path,
                name=label,
                data=content,
                pipeline=target.pipeline,
                commit=target.commit,
                run_id=target.run_id,
                modified_at=stamp,
            )
        )
    return found


def expand_archives(
    targets: list[ArtefactTarget] | tuple[ArtefactTarget, ...],
    *,
    max_total_bytes: int,
    max_ratio: float = DEFAULT_MAX_RATIO,
) -> list[ArtefactTarget]:
    """``targets`` with every zip replaced by its members (each zip checked whole first)."""
    expanded: list[ArtefactTarget] = []
    for target in targets:
        if is_zip(target.data):
            expanded.extend(
                expand_zip(target, max_total_bytes=max_total_bytes, max_ratio=max_ratio)
            )
        else:
            expanded.append(target)
    return expanded
