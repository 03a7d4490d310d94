"""Wrapper files are untrusted: escapes, links, sizes and garbage give a reason, never a crash.

And a workspace names its own wrappers in its CI tables.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.errors import InvalidInput
from assay.evidence.ci.tables import load_tables
from assay.evidence.ci.treefiles import MAX_WRAPPER_BYTES
from tests.support.gitrepo import GitRepo
from tests.unit.evidence.artefacts.test_ci_wrappers import (
    collect,
    only_wrapper,
    tst01_passes,
    workflow,
)


def problem(repo: GitRepo, step: str, files: dict[str, str | bytes]) -> str:
    facts = collect(repo, {".github/workflows/ci.yml": workflow(step), **files})
    entry = only_wrapper(facts)
    assert entry["followed"] is False
    return str(entry["problem"])


def test_paths_out_of_the_repository_are_refused(git_repo: GitRepo) -> None:
    assert problem(git_repo, "make -C ../other test", {}) == (
        "make -C ../other leaves the repository"
    )
    assert problem(git_repo, "bash ../../etc/profile", {}) == (
        "../../etc/profile is outside the repository"
    )
    assert problem(git_repo, "npm --prefix ../.. test", {}) == (
        "npm ../..: the folder leaves the repository"
    )


def test_cd_out_of_the_repository_stops_following(git_repo: GitRepo) -> None:
    facts = collect(
        git_repo,
        {
            ".github/workflows/ci.yml": workflow("cd .. && make test"),
            "Makefile": "test:\n\techo nothing\n",
        },
    )
    assert facts["wrappers"] == []
    assert tst01_passes(facts), "the command's own words still count"


def test_a_link_out_of_the_repository_is_not_followed(git_repo: GitRepo, tmp_path: Path) -> None:
    outside = tmp_path / "outside.mk"
    outside.write_text("test:\n\tpytest\n", encoding="utf-8")
    (git_repo.path / "Makefile").symlink_to(outside)
    assert (
        problem(git_repo, "make test", {})
        == "Makefile is a link out of the repository; not followed"
    )


def test_a_link_inside_the_repository_is_followed(git_repo: GitRepo) -> None:
    git_repo.write("build/rules.mk", "test:\n\tpytest\n")
    (git_repo.path / "Makefile").symlink_to("build/rules.mk")
    facts = collect(git_repo, {".github/workflows/ci.yml": workflow("make test")})
    entry = only_wrapper(facts)
    assert (entry["read"], entry["followed"]) == ("build/rules.mk", True)
    assert entry["tools"][0]["file"] == "build/rules.mk"


def test_an_oversized_wrapper_is_not_read(git_repo: GitRepo) -> None:
    huge = "test:\n\tpytest\n" + "# filler\n" * (MAX_WRAPPER_BYTES // 9 + 1)
    assert problem(git_repo, "make test", {"Makefile": huge}).endswith("byte limit for a wrapper")


@pytest.mark.parametrize(
    ("step", "files", "reason"),
    [
        ("npm test", {"package.json": "{x"}, "package.json cannot be read: JSONDecodeError"),
        ("npm test", {"package.json": "[" * 100_000}, "package.json cannot be read: Recursion"),
        ("nox -s tests", {"noxfile.py": "def (:\n"}, "noxfile.py cannot be parsed: SyntaxError"),
        ("nox -s tests", {"noxfile.py": "(" * 5_000}, "noxfile.py cannot be parsed: SyntaxError"),
        ("tox", {"pyproject.toml": "[tool.tox\n"}, "pyproject.toml cannot be read"),
        ("make ci", {"Makefile": b"ci:\n\t\x00\xff\n"}, "Makefile is not text"),
        ("make ci", {"Makefile": "all:\n\ttrue\n"}, "Makefile has no target ci"),
        ("nox -s missing", {"noxfile.py": "import nox\n"}, "noxfile.py has no session missing"),
        ("just deploy", {"justfile": "test:\n  pytest\n"}, "justfile has no recipe deploy"),
        ("yarn test", {"package.json": '{"scripts": {}}'}, "package.json has no script test"),
    ],
)  # fmt: skip
def test_hostile_or_broken_wrapper_files_give_a_reason(
    git_repo: GitRepo, step: str, files: dict[str, str | bytes], reason: str
) -> None:
    assert problem(git_repo, step, files).startswith(reason)


def test_makefile_oddities_do_not_confuse_targets(git_repo: GitRepo) -> None:
    makefile = (
        "VERSION := 1.0\n"
        "SRC = a:b\n"
        "define HELP\n"
        "test:\n"
        "\tnot a recipe\n"
        "endef\n"
        "build: VAR = x\n"
        "%.o: %.c\n"
        "\tcc -c $<\n"
        "test: build ; @echo inline\n"
        "\t-pytest \\\n"
        "\t  --maxfail=1\n"
    )
    facts = collect(
        git_repo, {".github/workflows/ci.yml": workflow("make test"), "Makefile": makefile}
    )
    entry = only_wrapper(facts)
    assert [(t["name"], t["line"]) for t in entry["tools"]] == [("pytest", 11)]


def test_workspace_wrappers_name_tools_or_follow(git_repo: GitRepo, tmp_path: Path) -> None:
    table = tmp_path / "house.yaml"
    table.write_text(
        "wrappers:\n"
        "  - command: ./build.sh test\n"
        "    tools: [{name: house-tests, category: tests}]\n"
        "  - command: bin/check\n"
        "    follow: true\n",
        encoding="utf-8",
    )
    files: dict[str, str | bytes] = {
        ".github/workflows/ci.yml": workflow("./build.sh test --fast"),
        "build.sh": '#!/bin/sh\nexec ./tools/runner "$@"\n',
    }
    facts = collect(git_repo, files, ci_tables=(table,))
    assert tst01_passes(facts)
    assert facts["tools"]["tests"] == ["house-tests"]
    entry = only_wrapper(facts)
    assert (entry["kind"], entry["tools"][0]["file"], entry["tools"][0]["line"]) == (
        "workspace",
        str(table),
        2,
    )
    followed = collect(
        git_repo,
        {".github/workflows/ci.yml": workflow("bin/check"), "bin/check": "python -m pytest\n"},
        ci_tables=(table,),
    )
    assert tst01_passes(followed)
    assert only_wrapper(followed)["read"] == "bin/check"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("wrappers:\n  - command: make\n", "wrappers[0]"),
        ("wrappers:\n  - command: x\n    follow: false\n", "wrappers[0]"),
        ("wrappers:\n  - command: x\n    tools: [{name: T, category: tests}]\n", ".tools[0].name"),
        ("wrappers:\n  - command: '   '\n    follow: true\n", "names no command to match"),
    ],
)  # fmt: skip
def test_bad_workspace_wrappers_are_located(tmp_path: Path, text: str, message: str) -> None:
    table = tmp_path / "bad.yaml"
    table.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_tables([table])
    shown = [f"{p.line}: {p.message}" for p in caught.value.problems]
    assert any(message in line for line in shown), shown
    assert all(p.line and p.line >= 2 for p in caught.value.problems)
