"""The linear-time glob matcher: its rules, agreement with fnmatch and gitignore, its speed."""

from __future__ import annotations

import random
import re
import time
from fnmatch import fnmatchcase

import pytest

from assay.evidence.globs import Glob, glob_match


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("ci/*.yml", "ci/test.yml", True),
        ("ci/*.yml", "ci/sub/test.yml", False),
        ("ci/**.yml", "ci/sub/test.yml", True),
        ("ci/**/*.yml", "ci/test.yml", True),
        ("ci/**/*.yml", "ci/a/b/test.yml", True),
        ("ci/**/*.yml", "cia/test.yml", False),
        ("**/x.yml", "x.yml", True),
        ("**/x.yml", "a/b/x.yml", True),
        ("**/x.yml", "a/bx.yml", False),
        ("docs/**", "docs/a/b.md", True),
        ("docs/**", "doc/a.md", False),
        ("?.yml", "a.yml", True),
        ("?.yml", "/.yml", False),
        ("?.yml", "ab.yml", False),
        ("[ab].yml", "b.yml", True),
        ("[!ab].yml", "b.yml", False),
        ("[^ab].yml", "c.yml", True),
        ("[a-c]x", "bx", True),
        ("[a-c]x", "dx", False),
        ("[]]x", "]x", True),
        ("[x", "[x", True),
        ("a\\*b", "a*b", True),
        ("a\\*b", "axb", False),
        ("*", "", True),
        ("", "", True),
        ("", "a", False),
        ("a*", "a/b", False),
        ("*a*a*a*a*a*a*a*a*a*a", "a" * 40 + "b", False),
        ("*a*a*a*a*a*a*a*a*a*a", "b" + "a" * 40, True),
    ],
)
def test_rules(pattern: str, path: str, expected: bool) -> None:
    assert glob_match(pattern, path) is expected


def _gitignore_reference(pattern: str) -> re.Pattern[str]:
    """The rules as a backtracking regular expression (fine on the short inputs below)."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index) and (index == 0 or pattern[index - 1] == "/"):
            out.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            out.append(".*")
            index += 2
        elif pattern[index] == "*":
            out.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            out.append("[^/]")
            index += 1
        else:
            out.append(re.escape(pattern[index]))
            index += 1
    return re.compile("".join(out) + r"\Z")


def test_agrees_with_a_gitignore_style_reference_on_random_paths() -> None:
    rng = random.Random(20261207)
    pieces = ["a", "b", "/", "*", "**", "?", ".", "**/"]
    checked = 0
    for _ in range(5000):
        pattern = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))
        if "***" in pattern:
            continue
        path = "".join(rng.choice("ab/.") for _ in range(rng.randint(0, 8)))
        expected = _gitignore_reference(pattern).match(path) is not None
        assert glob_match(pattern, path) is expected, (pattern, path)
        checked += 1
    assert checked > 4000


def test_agrees_with_fnmatch_on_names_without_folders() -> None:
    rng = random.Random(7)
    pieces = ["a", "b", "*", "?", ".", "[ab]", "[!a]", "[a-c]"]
    for _ in range(5000):
        pattern = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 6)))
        name = "".join(rng.choice("abc.") for _ in range(rng.randint(0, 8)))
        assert glob_match(pattern, name) is fnmatchcase(name, pattern), (pattern, name)


@pytest.mark.parametrize(
    "pattern",
    ["*a*a*a*a*a*a*a*a*a*a[xy]c", "**a**a**a**a**a**a*[xy]c", "*" * 2000 + "[xy]c"],
)
def test_hostile_patterns_take_linear_time(pattern: str) -> None:
    glob = Glob(pattern)
    start = time.perf_counter()
    assert not glob.match("a" * 100_000 + "c")
    assert time.perf_counter() - start < 5  # a backtracking regex takes hours


def test_a_long_pattern_of_stars_is_one_wildcard() -> None:
    assert glob_match("*" * 10_000, "anything")
    assert not glob_match("*" * 10_001 + "/", "anything")
