"""`assay library validate` lists every problem of every file at once, located, exit 2."""

from __future__ import annotations

import textwrap
from pathlib import Path

from typer.testing import CliRunner

from assay.cli.app import app

GOOD = """\
id: TST-90
title: Tests pass on the main branch
statement: Every build on the main branch runs the test suite and it passes.
family: testing
owner_role: Engineering lead
severity: high
freshness: P7D
tests:
  - id: pass-ratio
    kind: test.results
    expectation:
      required: [pass_ratio, tests]
      properties:
        pass_ratio: {minimum: 1}
        tests: {minimum: 1}
    explain: "{failures} of {tests} tests failed"
"""


def make_workspace(root: Path, controls: dict[str, str], crosswalk: str | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "assay.toml").write_text("[library]\nbuiltin = false\n", encoding="utf-8")
    folder = root / "controls"
    folder.mkdir()
    for name, text in controls.items():
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    if crosswalk is not None:
        (root / "crosswalks").mkdir()
        (root / "crosswalks" / "iso.yaml").write_text(textwrap.dedent(crosswalk), encoding="utf-8")
    return root


def run(runner: CliRunner, root: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["library", "validate", "--workspace", str(root), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_a_good_workspace_library_validates(runner: CliRunner, tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws", {"TST-90.yaml": GOOD})
    code, out, err = run(runner, root)
    assert (code, err) == (0, "")
    assert out == "ok: 1 controls, 3 frameworks, 0 crosswalk links\n"


def test_every_problem_in_every_file_is_listed(runner: CliRunner, tmp_path: Path) -> None:
    wrong_types = GOOD.replace("severity: high", "severity: [high]").replace(
        "freshness: P7D", "freshness: 7 days"
    )
    unknown_and_missing = GOOD.replace("id: TST-90", "id: TST-91").replace(
        "owner_role: Engineering lead\n", "owner: someone\n"
    )
    bad_schema = GOOD.replace("id: TST-90", "id: TST-92").replace(
        "pass_ratio: {minimum: 1}", "pass_ratio: {minimum: high}"
    )
    unknown_fact = GOOD.replace("id: TST-90", "id: TST-93").replace(
        "tests: {minimum: 1}", "test_count: {minimum: 1}"
    )
    unknown_kind = GOOD.replace("id: TST-90", "id: TST-94").replace(
        "kind: test.results", "kind: test.magic"
    )
    bad_explain = GOOD.replace("id: TST-90", "id: TST-95").replace(
        '"{failures} of {tests} tests failed"', '"{nope} and {tests.__class__}"'
    )
    root = make_workspace(
        tmp_path / "ws",
        {
            "a.yaml": GOOD,
            "b.yaml": GOOD,  # the same id again
            "c.yaml": wrong_types,
            "d.yaml": unknown_and_missing,
            "e.yaml": bad_schema,
            "f.yaml": unknown_fact,
            "g.yaml": unknown_kind,
            "h.yaml": bad_explain,
            "i.yaml": "",
            "j.yaml": "id: [unclosed\n",
            "k.yaml": "id: X\nid: Y\n",
        },
    )
    code, out, err = run(runner, root)
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert lines == [
        "controls/b.yaml:1:5: duplicate control id TST-90 (also in controls/a.yaml:1)",
        "controls/c.yaml:6:11: severity: expected a string, got a list",
        "controls/c.yaml:7:12: freshness: '7 days' is not an ISO 8601 duration such as P30D, "
        "PT12H or P1Y",
        "controls/d.yaml:1:1: missing required field 'owner_role'",
        "controls/d.yaml:5:1: unknown field 'owner'",
        "controls/e.yaml:14:31: expectation is not a valid JSON Schema: "
        "'high' is not of type 'number'",
        "controls/f.yaml:15:9: expectation names 'test_count', which evidence kind 'test.results' "
        "does not have",
        "controls/g.yaml:10:11: unknown evidence kind 'test.magic' (known: "
        + ", ".join(__import__("assay.evidence.kinds", fromlist=["x"]).kind_names())
        + ")",
        "controls/h.yaml:16:14: explain placeholder {nope} is not a fact of 'test.results'",
        "controls/h.yaml:16:14: explain placeholder {tests.__class__} must be a fact name or a "
        "dotted path of them",
        "controls/i.yaml:1:1: file is empty",
        "controls/j.yaml:2:1: while parsing a flow sequence; did not find expected ',' or ']'",
        "controls/k.yaml:2:1: duplicate key 'id' (first at line 1)",
    ]


def test_required_fact_missing_from_kind(runner: CliRunner, tmp_path: Path) -> None:
    text = GOOD.replace("required: [pass_ratio, tests]", "required: [pass_ratio, coverage]")
    root = make_workspace(tmp_path / "ws", {"a.yaml": text})
    code, _, err = run(runner, root)
    assert code == 2
    assert err.splitlines() == [
        "controls/a.yaml:12:30: expectation names 'coverage', which evidence kind "
        "'test.results' does not have"
    ]


def test_crosswalk_to_unknown_requirement_and_control(runner: CliRunner, tmp_path: Path) -> None:
    crosswalk = """\
    framework: iso27001-2022
    links:
      - control: TST-90
        requirement: A.9.99
        relationship: subset
        rationale: Test results show the change was tested before release.
      - control: NOPE-01
        requirement: A.8.29
        relationship: subset
        rationale: Test results show the change was tested before release.
      - control: TST-90
        requirement: "6.1"
        relationship: subset
        rationale: Test results show the change was tested before release.
      - control: TST-90
        requirement: A.8.29
        relationship: identical
        rationale: short
    """
    root = make_workspace(tmp_path / "ws", {"a.yaml": GOOD}, crosswalk)
    code, _, err = run(runner, root)
    assert code == 2
    assert err.splitlines() == [
        "crosswalks/iso.yaml:17:19: links[3].relationship: 'identical' is not one of "
        "'equal', 'subset', 'superset', 'intersect'",
        "crosswalks/iso.yaml:18:16: links[3].rationale: 'short' is too short",
    ]
    fixed = crosswalk.replace("identical", "subset").replace(
        "rationale: short", "rationale: Test evidence shows secure testing happens."
    )
    (root / "crosswalks" / "iso.yaml").write_text(textwrap.dedent(fixed), encoding="utf-8")
    code, _, err = run(runner, root)
    assert code == 2
    assert err.splitlines() == [
        "crosswalks/iso.yaml:4:18: unknown requirement 'A.9.99' in iso27001-2022",
        "crosswalks/iso.yaml:7:14: unknown control 'NOPE-01'",
        "crosswalks/iso.yaml:12:18: requirement '6.1' is a heading, not assessable; "
        "link its sub-requirements",
    ]


def test_directory_given_where_a_file_is_expected(runner: CliRunner, tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws", {"a.yaml": GOOD})
    (tmp_path / "notafile.yaml").mkdir()
    code, _, err = run(runner, root, str(tmp_path / "notafile.yaml"))
    # a folder argument is read as a folder of controls: an empty one adds nothing
    assert code == 0
    sub = tmp_path / "folder"
    sub.mkdir()
    (sub / "x.yaml").mkdir()
    code, _, err = run(runner, root, str(sub / "x.yaml"))
    assert code == 0
    code, _, err = run(runner, root, str(tmp_path / "missing.yaml"))
    assert code == 2
    assert err == f"{tmp_path / 'missing.yaml'}: no such file\n"


def test_non_utf8_and_alias_bomb_and_big_file(runner: CliRunner, tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws", {"a.yaml": GOOD})
    (root / "controls" / "b.yaml").write_bytes(b"id: TST-91\ntitle: caf\xe9\n")
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n"
        for i in range(8)
    )
    (root / "controls" / "c.yaml").write_text(bomb, encoding="utf-8")
    (root / "controls" / "d.yaml").write_bytes(b"# padding\n" * 600_000)
    code, _, err = run(runner, root)
    assert code == 2
    assert err.splitlines() == [
        "controls/b.yaml:2:11: not valid UTF-8 (byte 0xe9)",
        "controls/c.yaml:1:14: document expands to more than 200,000 values "
        "(aliases nested too deeply?)",
        "controls/d.yaml: file is 6,000,000 bytes, over the 1,048,576 byte limit",
    ]


def test_a_freshness_off_the_calendar_is_located(runner: CliRunner, tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws", {"TST-90.yaml": GOOD.replace("P7D", "P99999999999D")})
    code, _, err = run(runner, root)
    assert code == 2
    assert err.splitlines()[0] == (
        "controls/TST-90.yaml:7:12: 'P99999999999D' is longer than 100 years"
    )


UNVERIFIABLE = (
    GOOD
    + """\
    unverifiable_when:
      required: [tests]
      properties:
        tests: {const: 0}
    unverifiable_explain: "No test ran on {branch.name}: {runner.reason}"
"""
)


def test_an_unverifiable_trigger_validates(runner: CliRunner, tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws", {"TST-90.yaml": UNVERIFIABLE})
    code, out, err = run(runner, root)
    assert (code, err) == (0, "")
    assert out.startswith("ok: 1 controls")


def test_unverifiable_problems_are_located(runner: CliRunner, tmp_path: Path) -> None:
    bad_schema = UNVERIFIABLE.replace("tests: {const: 0}", "tests: {type: 7}")
    alone = UNVERIFIABLE.replace(
        '    unverifiable_explain: "No test ran on {branch.name}: {runner.reason}"\n', ""
    )
    bad_placeholder = UNVERIFIABLE.replace("{runner.reason}", "{runner.__dict__}")
    slow = UNVERIFIABLE.replace("tests: {const: 0}", 'tests: {pattern: "(a+)+$"}')
    root = make_workspace(
        tmp_path / "ws",
        {
            "a.yaml": bad_schema.replace("TST-90", "TST-91"),
            "b.yaml": alone.replace("TST-90", "TST-92"),
            "c.yaml": bad_placeholder.replace("TST-90", "TST-93"),
            "d.yaml": slow.replace("TST-90", "TST-94"),
        },
    )
    code, _, err = run(runner, root)
    assert code == 2
    assert err.splitlines() == [
        "controls/a.yaml:20:23: unverifiable_when is not a valid JSON Schema: 7 is not valid "
        "under any of the given schemas",
        "controls/b.yaml:9:5: tests[0]: 'unverifiable_explain' is a dependency of "
        "'unverifiable_when'",
        "controls/c.yaml:21:27: unverifiable_explain placeholder {runner.__dict__} must be a "
        "fact name or a dotted path of them",
        "controls/d.yaml:20:26: unverifiable_when's regular expression holds a repeat inside a "
        "repeat (such as (a+)+), which can take exponential time",
    ]


def test_a_manual_test_cannot_be_unverifiable(runner: CliRunner, tmp_path: Path) -> None:
    manual = GOOD.split("tests:")[0] + textwrap.dedent(
        """\
        tests:
          - manual: true
            attestation: A signed record.
            unverifiable_when: {required: [x]}
            unverifiable_explain: "x"
        """
    )
    root = make_workspace(tmp_path / "ws", {"TST-95.yaml": manual})
    code, _, err = run(runner, root)
    assert code == 2
    assert err.startswith("controls/TST-95.yaml:")
