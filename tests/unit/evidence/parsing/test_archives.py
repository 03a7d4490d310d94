"""Zip artefacts: refused whole before extraction when hostile; members offered in memory."""

from __future__ import annotations

import contextlib
import io
import stat
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assay.evidence.collectors.junit import JUnitParser
from assay.evidence.parsing.archives import expand_archives, expand_zip, inspect_zip
from assay.evidence.parsing.errors import ArtefactError
from tests.unit.evidence.artefacts.helpers import artefact, collect, fixture, takers

CAP = 100 * 1024 * 1024


def make_zip(members: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for info, data in members:
            archive.writestr(info, data)
    return buffer.getvalue()


def symlink_member(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


def snapshot(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def test_members_are_offered_to_the_parsers_in_memory(tmp_path: Path) -> None:
    info = zipfile.ZipInfo("reports/junit.xml", date_time=(2026, 3, 12, 22, 30, 0))
    data = make_zip(
        [(info, fixture("junit/jest-junit.xml").data), ("reports/", b""),
         ("sarif/codeql.sarif", fixture("sarif/codeql.sarif").data)]
    )  # fmt: skip
    before = snapshot(tmp_path)
    members = expand_zip(artefact("ci.zip", data, pipeline="ci"), max_total_bytes=CAP)
    assert snapshot(tmp_path) == before, "nothing is written to disk"
    assert [m.name for m in members] == ["ci.zip!reports/junit.xml", "ci.zip!sarif/codeql.sarif"]
    assert members[0].pipeline == "ci"
    assert members[0].modified_at == datetime(2026, 3, 12, 22, 30, tzinfo=UTC)
    assert [takers(m) for m in members] == [["junit"], ["sarif"]]
    (draft,) = collect(JUnitParser(), [members[0]])
    assert draft.artefacts[0].name == "ci.zip!reports/junit.xml"
    assert draft.facts["tests"] == 4


def test_expand_archives_passes_other_files_through() -> None:
    plain = artefact("junit.xml", fixture("junit/jest-junit.xml").data)
    zipped = artefact("more.zip", make_zip([("a.xml", b"<testsuite/>")]))
    assert [t.name for t in expand_archives([plain, zipped], max_total_bytes=CAP)] == [
        "junit.xml",
        "more.zip!a.xml",
    ]


def test_hostile_members_refuse_the_whole_archive_before_extraction(tmp_path: Path) -> None:
    data = make_zip(
        [
            ("fine.xml", b"<testsuite/>"),
            ("../escape.txt", b"x"),
            ("/etc/cron.d/evil", b"x"),
            ("C:\\Windows\\evil.dll", b"x"),
            symlink_member("link.xml", "/etc/passwd"),
        ]
    )
    before = snapshot(tmp_path.parent)
    with pytest.raises(ArtefactError) as caught:
        expand_zip(artefact("evil.zip", data), max_total_bytes=CAP)
    assert snapshot(tmp_path.parent) == before
    assert caught.value.diagnostics() == [
        "evil.zip!../escape.txt: refused: the member has a '..' component "
        "that would escape the folder",
        "evil.zip!/etc/cron.d/evil: refused: the member has an absolute path",
        "evil.zip!C:\\Windows\\evil.dll: refused: the member has an absolute path",
        "evil.zip!link.xml: refused: the member is a symbolic link",
        "hint: nothing was extracted; produce the archive without these members",
    ]
    assert not (tmp_path.parent / "escape.txt").exists()


def test_zip_bomb_is_refused_by_compression_ratio() -> None:
    bomb = make_zip([("zeros.xml", b"\0" * (20 * 1024 * 1024))])
    assert len(bomb) < 100_000
    with pytest.raises(ArtefactError) as caught:
        expand_zip(artefact("bomb.zip", bomb), max_total_bytes=CAP)
    (problem,) = caught.value.problems
    assert problem.path == "bomb.zip!zeros.xml"
    assert "over the 200x compression ratio limit (a zip bomb?)" in problem.message


def test_total_size_over_the_cap_is_refused() -> None:
    data = make_zip([(f"r{i}.xml", bytes(range(256)) * 400) for i in range(3)])
    with pytest.raises(ArtefactError, match="would expand to 307,200 bytes, over the 200,000 byte"):
        inspect_zip(data, "big.zip", max_total_bytes=200_000)


def test_duplicate_names_and_garbage_are_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.xml", b"1")
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("a.xml", b"2")
    with pytest.raises(ArtefactError, match="appears twice"):
        inspect_zip(buffer.getvalue(), "dup.zip", max_total_bytes=CAP)
    with pytest.raises(ArtefactError, match="not a readable zip archive"):
        inspect_zip(b"PK\x03\x04 not really", "junk.zip", max_total_bytes=CAP)


def test_member_lying_about_its_size_is_refused() -> None:
    data = bytearray(make_zip([("r.xml", b"<testsuite>" + b" " * 5000 + b"</testsuite>")]))
    # Shrink the size the central directory declares: decompression stops at the declared
    # size, and the checksum of what was read then fails; nothing larger is ever produced.
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = (100).to_bytes(4, "little")
    with pytest.raises(ArtefactError, match=r"liar\.zip!r\.xml: cannot be decompressed: Bad CRC"):
        expand_zip(artefact("liar.zip", bytes(data)), max_total_bytes=CAP)


def test_a_zip_is_not_itself_a_report() -> None:
    assert takers(artefact("reports.zip", make_zip([("a.xml", b"<testsuite/>")]))) == []


def test_corrupt_compressed_data_is_refused_not_raised() -> None:
    data = bytearray(make_zip([("r.xml", b"<testsuite>" + b"x" * 5000 + b"</testsuite>")]))
    start = data.find(b"r.xml") + len(b"r.xml")  # the deflate stream follows the name
    data[start : start + 8] = b"\xff" * 8
    with pytest.raises(ArtefactError, match=r"bad\.zip!r\.xml: cannot be decompressed"):
        expand_zip(artefact("bad.zip", bytes(data)), max_total_bytes=CAP)


def test_any_damage_to_a_zip_is_a_refusal() -> None:
    import random

    base = make_zip([("a.xml", b"<testsuite/>" * 10), ("b/c.json", b"{}")])
    rng = random.Random(7)
    for _ in range(2000):
        data = bytearray(base)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        with contextlib.suppress(ArtefactError):  # any other exception fails the test
            expand_zip(artefact("f.zip", bytes(data)), max_total_bytes=CAP)
