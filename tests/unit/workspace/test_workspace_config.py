"""A malformed or hostile assay.toml gives one located line per problem and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from assay.cli.app import app


def coverage(runner: CliRunner, root: Path) -> tuple[int, str, str]:
    result = runner.invoke(app, ["coverage", "-w", str(root)])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            b'[store\nurl = "x"\n',
            ["assay.toml:1:7: Expected ']' at the end of a table declaration"],
        ),
        (
            b'[store]\nurl = "sqlite:///x"\ncolour = "red"\n\n'
            b'[gate.stages.release]\nmin_severity = "urgent"\n',
            [
                "assay.toml:3:1: store: unknown field 'colour'",
                "assay.toml:6:1: gate.stages.release.min_severity: 'urgent' is not one of "
                "'critical', 'high', 'medium', 'low'",
            ],
        ),
        (b'[workspace]\nname = "caf\xe9"\n', ["assay.toml:2:12: not valid UTF-8 (byte 0xe9)"]),
        (
            b"[collect]\nsince = 90\n",
            ["assay.toml:2:1: collect.since: expected a string, got an integer"],
        ),
        (b"# " + b"x" * 300_000 + b"\n", ["assay.toml: file is over the 262,144 byte limit"]),
        (b"a = " + b"[" * 5000 + b"]" * 5000 + b"\n", ["assay.toml: nested too deeply"]),
        (
            b"[collect]\nmax_artefact_bytes = 1000000000000\n",
            [
                "assay.toml:2:1: collect.max_artefact_bytes: 1000000000000 is greater than "
                "the maximum of 2147483648"
            ],
        ),
    ],
)
def test_bad_config_is_located_and_exits_2(
    runner: CliRunner, tmp_path: Path, content: bytes, expected: list[str]
) -> None:
    (tmp_path / "assay.toml").write_bytes(content)
    code, out, err = coverage(runner, tmp_path)
    assert (code, out) == (2, "")
    assert err.splitlines() == expected
    assert not (tmp_path / ".assay").exists()  # nothing written


def test_no_workspace_says_how_to_make_one(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = coverage(runner, tmp_path)
    assert code == 2
    assert (
        err
        == f"error: {tmp_path}: no assay.toml here\nhint: run 'assay init' to create a workspace\n"
    )
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["gate", "--service", "x", "--stage", "release"])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: no assay.toml in this folder or any parent\n"
        "hint: run 'assay init' to create a workspace, or pass --workspace DIR\n"
    )
