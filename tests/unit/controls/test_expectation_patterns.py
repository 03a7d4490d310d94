"""Expectation patterns run over facts a repository wrote: ones that could hang are refused."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tests.unit.controls.test_library_validate import GOOD, make_workspace, run

SLOW = GOOD.replace(
    "        tests: {minimum: 1}\n",
    "        tests: {minimum: 1}\n"
    "        suites: {pattern: '^(a+)+$'}\n"
    "      patternProperties:\n"
    "        '(x)\\1': {type: string}\n",
)


def test_a_nested_repeat_or_backreference_in_an_expectation_is_refused(
    runner: CliRunner, tmp_path: Path
) -> None:
    root = make_workspace(tmp_path / "ws", {"TST-90.yaml": SLOW})
    code, _, err = run(runner, root)
    assert code == 2
    lines = [line for line in err.splitlines() if "expectation's regular expression" in line]
    assert len(lines) == 2
    assert "TST-90.yaml:16:" in lines[0]
    assert "repeat inside a repeat" in lines[0]
    assert "backreference" in lines[1]


def test_ordinary_expectation_patterns_pass(runner: CliRunner, tmp_path: Path) -> None:
    ordinary = SLOW.replace("^(a+)+$", "^[a-z]+(-[a-z]+)?$").replace("(x)\\1", "^x-")
    root = make_workspace(tmp_path / "ws", {"TST-90.yaml": ordinary})
    code, out, err = run(runner, root)
    assert "regular expression" not in err
    assert (code, out) == (0, "ok: 1 controls, 3 frameworks, 0 crosswalk links\n")
