"""``-o``/``--output``/``--save`` write only to a regular file or a new path.

A FIFO, a device, a socket or a symbolic link in the way is one error line (exit 2), and
nothing is written: not through the link, not into the device, no temporary file left.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assay.cli.app import app
from assay.errors import ReportError
from assay.evidence.store import open_store
from assay.reports.output import write_atomic
from tests.cli.sample import Sample, make_sample
from tests.unit.reports.workspace import ReportWorkspace

ONLY_FILES = "hint: output is written only to a regular file or a new path"
as_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="only root can open /dev/full for writing and replace it"
)


pytestmark = pytest.mark.usefixtures("no_ambient_store")


@pytest.fixture(scope="module")
def ws(report_ws: ReportWorkspace) -> ReportWorkspace:
    return report_ws


def fifo(folder: Path) -> Path:
    path = folder / "out.json"
    os.mkfifo(path)
    return path


def link(folder: Path) -> Path:
    target = folder / "precious.txt"
    target.write_text("keep me\n")
    path = folder / "out.json"
    path.symlink_to(target)
    return path


def test_a_report_to_a_fifo_is_refused(
    runner: CliRunner, ws: ReportWorkspace, tmp_path: Path
) -> None:
    path = fifo(tmp_path)
    code, out, err = ws.invoke(runner, "report", "json", "-o", str(path))
    assert code == 2
    assert err.splitlines() == [f"error: {path}: is a FIFO, not a regular file", ONLY_FILES]
    assert out == ""
    assert stat.S_ISFIFO(path.lstat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_a_report_to_a_symbolic_link_is_refused(
    runner: CliRunner, ws: ReportWorkspace, tmp_path: Path
) -> None:
    path = link(tmp_path)
    code, _, err = ws.invoke(runner, "report", "oscal", "-o", str(path))
    assert code == 2
    assert err.splitlines()[0] == f"error: {path}: is a symbolic link, not a regular file"
    assert path.is_symlink()
    assert (tmp_path / "precious.txt").read_text() == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json", "precious.txt"]


def test_a_symbolic_link_to_a_folder_is_a_link_not_a_folder(
    runner: CliRunner, ws: ReportWorkspace, tmp_path: Path
) -> None:
    (tmp_path / "folder").mkdir()
    path = tmp_path / "out.xlsx"
    path.symlink_to(tmp_path / "folder")
    code, _, err = ws.invoke(runner, "report", "soa", "-o", str(path))
    assert code == 2
    assert err.splitlines()[0] == f"error: {path}: is a symbolic link, not a regular file"
    assert list((tmp_path / "folder").iterdir()) == []


@as_root
def test_a_report_to_dev_full_is_refused_and_the_device_stays(
    runner: CliRunner, ws: ReportWorkspace
) -> None:
    before = os.lstat("/dev/full")
    code, _, err = ws.invoke(runner, "report", "json", "-o", "/dev/full")
    assert code == 2
    assert err.splitlines()[0] == "error: /dev/full: is a character device, not a regular file"
    after = os.lstat("/dev/full")
    assert stat.S_ISCHR(after.st_mode)
    assert (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)
    assert not [p for p in Path("/dev").iterdir() if p.name.startswith(".full.")]


def test_a_regular_file_is_replaced_and_a_new_path_created(
    runner: CliRunner, ws: ReportWorkspace, tmp_path: Path
) -> None:
    existing = tmp_path / "old.json"
    existing.write_text("old\n")
    for path in (existing, tmp_path / "new.json"):
        code, out, err = ws.invoke(runner, "report", "json", "-o", str(path))
        assert code == 0, err
        assert out.startswith(f"wrote {path}: ")
        assert path.read_text().startswith("{")
        assert stat.S_ISREG(path.lstat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.json", "old.json"]


@pytest.fixture
def sample(tmp_path: Path) -> Sample:
    return make_sample(tmp_path / "ws")


@pytest.mark.parametrize("make", [fifo, link], ids=["fifo", "symlink"])
@pytest.mark.parametrize("option", ["--output", "--save"])
def test_the_gate_refuses_a_special_destination_before_it_decides(
    runner: CliRunner, sample: Sample, tmp_path: Path, make: Callable[[Path], Path], option: str
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    path = make(folder)
    value = str(path) if option == "--output" else f"sarif={path}"
    result = runner.invoke(
        app,
        ["gate", "-s", "payments", "--stage", "release", "-w", str(sample.root), option, value],
    )
    assert result.exit_code == 2
    kind = "a FIFO" if make is fifo else "a symbolic link"
    assert result.stderr.splitlines()[0] == f"error: {path}: is {kind}, not a regular file"
    assert path.is_symlink() or stat.S_ISFIFO(path.lstat().st_mode)
    if make is link:
        assert (folder / "precious.txt").read_text() == "keep me\n"
    with open_store(sample.url) as store:
        assert store.counts().ledger == 0


def test_the_gate_writes_its_output_file_whole(
    runner: CliRunner, sample: Sample, tmp_path: Path
) -> None:
    path = tmp_path / "gate.json"
    path.write_text("stale\n")
    sample.empty_store()
    args = ["gate", "-s", "payments", "--stage", "release", "-w", str(sample.root)]
    result = runner.invoke(app, [*args, "-f", "json", "-o", str(path)])
    assert result.exit_code == 1, result.output
    assert path.read_text().startswith("{")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_link_made_between_the_check_and_the_write_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The destination is checked again just before the rename."""
    target = tmp_path / "precious.txt"
    target.write_text("keep me\n")
    path = tmp_path / "out.json"
    real_fsync = os.fsync

    def race(fd: int) -> None:
        real_fsync(fd)
        path.symlink_to(target)

    monkeypatch.setattr(os, "fsync", race)
    with pytest.raises(ReportError, match="is a symbolic link, not a regular file"):
        write_atomic(path, b"{}")
    assert target.read_text() == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json", "precious.txt"]


def test_a_link_made_after_the_last_check_is_replaced_never_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "precious.txt"
    target.write_text("keep me\n")
    path = tmp_path / "out.json"
    real_replace = Path.replace

    def race(source: Path, destination: Path) -> Path:
        path.symlink_to(target)
        return real_replace(source, destination)

    monkeypatch.setattr(Path, "replace", race)
    write_atomic(path, b"{}")
    assert target.read_text() == "keep me\n"
    assert not path.is_symlink()
    assert path.read_bytes() == b"{}"
