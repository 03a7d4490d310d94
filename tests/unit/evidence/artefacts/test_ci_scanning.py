"""Scanning untrusted CI text: expressions, windowed table patterns, the pattern rule."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from assay.errors import InvalidInput
from assay.evidence.ci.definitions import Definition
from assay.evidence.ci.pattern_rules import MAX_PATTERN, pattern_problem
from assay.evidence.ci.scanning import MAX_MATCH, STRIDE, LineFinder, expressions, finditer, search
from assay.evidence.ci.tables import builtin_tables, load_tables


def test_expressions_are_found_in_order_with_their_inner_text() -> None:
    text = "echo ${{ a }} and ${{b}}${{ c\n }} ${{ open"
    found = [(text[start:end], inner) for start, end, inner in expressions(text)]
    assert found == [("${{ a }}", " a "), ("${{b}}", "b"), ("${{ c\n }}", " c\n ")]


def test_expressions_match_the_lazy_regular_expression() -> None:
    reference = re.compile(r"\$\{\{(.*?)\}\}", re.S)
    text = "x ${{ ${{ a }} }} ${{}} $${{ b }}}} ${ { c }}"
    assert [inner for _, _, inner in expressions(text)] == reference.findall(text)


def test_a_file_of_open_expressions_is_scanned_in_linear_time() -> None:
    start = time.perf_counter()
    assert list(expressions("${{ " * 500_000)) == []
    assert time.perf_counter() - start < 5


def test_windowed_search_finds_matches_across_window_edges() -> None:
    pattern = re.compile(r"curl[^|]*\|\s*sh")
    for offset in (0, STRIDE - 10, STRIDE * 3 - 3, STRIDE * 5):
        text = "x" * offset + "curl " + "a" * (MAX_MATCH - 20) + " | sh" + "y" * 5000
        found = search(pattern, text)
        assert found is not None
        assert found.start() == offset


def test_windowed_finditer_yields_each_match_once_in_order() -> None:
    pattern = re.compile(r"tok\d+")
    text = " ".join(f"tok{i}" for i in range(3000))
    assert [m.group(0) for m in finditer(pattern, text)] == [f"tok{i}" for i in range(3000)]


def test_quadratic_table_patterns_stay_linear_on_a_long_line() -> None:
    tables = builtin_tables()
    timings = []
    for size in (20_000, 40_000):
        text = "mvn " * size
        start = time.perf_counter()
        Definition("ci.yml", "github").script(1, text, tables, [text])
        timings.append(time.perf_counter() - start)
    assert timings[1] < 20  # unwindowed, the 160 KB line takes many minutes
    assert timings[1] / max(timings[0], 1e-3) < 4


def test_line_finder_moves_forward_and_finds_repeated_text_on_later_lines() -> None:
    lines = ["run: |", "  echo ${{ x }}", "  other", "  echo ${{ x }}"]
    finder = LineFinder(lines, 1)
    assert [finder.find("${{ x }}"), finder.find("${{ x }}")] == [2, 4]
    assert finder.find("not there") == 4  # stays on the last line found


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"(a+)+$", "a repeat inside a repeat"),
        (r"\bmake\s+(\S+\s+)*test", "a repeat inside a repeat"),
        (r"(?:x|(?:y+))*z", "a repeat inside a repeat"),
        (r"(a)\1", "backreference"),
        (r"(a)?(?(1)b|c)", "backreference"),
        ("a" * (MAX_PATTERN + 1), "longer than"),
    ],
)
def test_patterns_that_can_hang_are_refused(pattern: str, reason: str) -> None:
    problem = pattern_problem(pattern)
    assert problem is not None
    assert reason in problem


@pytest.mark.parametrize(
    "pattern", [r"\bpytest\b", r"\bmvnw?\b.*\btest\b", r"(?:ab){2,5}", r"(?:a{2})*", r"^x(?=y+)"]
)
def test_ordinary_patterns_are_accepted(pattern: str) -> None:
    assert pattern_problem(pattern) is None


def test_the_builtin_tables_follow_the_rule() -> None:
    assert builtin_tables().tools  # loading checks every pattern


def test_a_workspace_table_with_a_nested_repeat_is_refused_with_its_line(tmp_path: Path) -> None:
    table = tmp_path / "bad.yaml"
    table.write_text(
        "tools:\n  - name: x\n    category: lint\n    run: ['(\\w+\\s?)*$']\n", encoding="utf-8"
    )
    with pytest.raises(InvalidInput) as caught:
        load_tables([table])
    message = str(caught.value) + " ".join(str(p) for p in caught.value.problems)
    assert "bad.yaml:4" in message
    assert "repeat inside a repeat" in message
