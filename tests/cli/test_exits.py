"""How commands end on input they cannot use, and when their reader goes away early."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assay.cli.app import EXIT_OUTPUT_CLOSED, app

ASSAY = [sys.executable, "-m", "assay"]


@pytest.mark.parametrize("command", [["evidence", "list"], ["assessments", "list"]])
@pytest.mark.parametrize("limit", ["99999999999999999999", "100001", "0", "-1"])
def test_a_limit_out_of_bounds_is_one_line(
    runner: CliRunner, in_dir: Path, command: list[str], limit: str
) -> None:
    result = runner.invoke(app, [*command, "--limit", limit])
    assert result.exit_code == 2
    assert result.stderr == f"error: --limit must be from 1 to 100,000, not {int(limit)}\n"


def test_the_largest_limit_is_accepted(runner: CliRunner, in_dir: Path) -> None:
    assert runner.invoke(app, ["init", "."]).exit_code == 0
    assert runner.invoke(app, ["store", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["evidence", "list", "--limit", "100000"])
    assert (result.exit_code, result.stdout) == (0, "no evidence records\n")


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs a /proc file system")
def test_init_where_nothing_can_be_created_is_one_line(runner: CliRunner) -> None:
    result = runner.invoke(app, ["init", "/proc/x"])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: cannot create a workspace in /proc/x: No such file or directory\n"
    )


def test_init_under_a_file_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    target = tmp_path / "notes.txt" / "ws"
    result = runner.invoke(app, ["init", str(target)])
    assert result.exit_code == 2
    assert result.stderr == f"error: cannot create a workspace in {target}: Not a directory\n"


@pytest.mark.parametrize(
    "command",
    [["library", "list"], ["library", "show", "CHG-01"], ["frameworks", "list"], ["--help"],
     ["--version"], ["gate", "--help"]],
)  # fmt: skip
def test_output_closed_before_the_first_write_ends_quietly(command: list[str]) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the command writes a byte
    try:
        done = subprocess.run(
            [*ASSAY, *command], stdout=write_end, stderr=subprocess.PIPE, timeout=120, check=False
        )
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (EXIT_OUTPUT_CLOSED, b"")


@pytest.mark.skipif(shutil.which("head") is None, reason="needs head(1)")
def test_library_list_piped_to_head(tmp_path: Path) -> None:
    """`assay library list | head -1`, as a shell runs it."""
    lister = subprocess.Popen(
        [*ASSAY, "library", "list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert lister.stdout is not None
    head = subprocess.Popen(["head", "-1"], stdin=lister.stdout, stdout=subprocess.PIPE)
    lister.stdout.close()  # head alone holds the read end: when it exits, the pipe closes
    first, _ = head.communicate(timeout=120)
    assert lister.stderr is not None
    errors = lister.stderr.read()
    lister.stderr.close()
    status = lister.wait(timeout=120)
    assert first.split()[:2] == [b"ID", b"FAMILY"]
    assert errors == b"", "no internal error, no traceback"
    # 0 when the whole list fitted in the pipe before head exited, else the closed pipe
    assert status in (0, EXIT_OUTPUT_CLOSED)


def test_a_broken_pipe_elsewhere_is_not_silenced(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only our own output closing is quiet: a broken pipe to anything else is a failure."""
    import assay.cli.library as library

    def broken(*args: object, **kwargs: object) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(library, "table", broken)
    result = runner.invoke(app, ["library", "list"])
    assert result.exit_code == 2
    assert result.stderr.startswith("internal error: BrokenPipeError")
