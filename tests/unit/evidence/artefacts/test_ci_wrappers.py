"""Wrapper commands followed one level into the files they run, as TST-01 sees them.

Each case is a real git repository whose pull request workflow runs its tests through a
wrapper (make, tox, nox, npm, a script, just, hatch), the shapes real projects use.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest

from assay.assess.evaluate import Evaluator
from assay.controls.loader import load_library
from assay.controls.model import ControlTest
from assay.evidence.collectors.ci_workflows import CiWorkflowsCollector
from assay.evidence.collectors.interface import RepoTarget
from assay.evidence.kinds import kind_validator
from tests.support.gitrepo import GitRepo
from tests.unit.evidence.artefacts.helpers import context

COLLECTOR = CiWorkflowsCollector()


def workflow(*lines: str) -> str:
    steps = "".join(f"      - run: {line}\n" for line in lines)
    return (
        "name: ci\non: [pull_request]\njobs:\n  check:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - uses: actions/checkout@v4\n" + steps
    )


def collect(repo: GitRepo, files: dict[str, str | bytes], **fields: Any) -> dict[str, Any]:
    commit = repo.commit("ci", files)
    target = RepoTarget(
        name="shop",
        path=repo.path,
        commit=commit,
        branch="main",
        commit_time=datetime(2026, 1, 1, tzinfo=UTC),
    )
    (draft,) = COLLECTOR.collect(target, context(**fields))
    assert list(kind_validator("ci.workflows").iter_errors(draft.facts)) == []
    return draft.facts


@cache
def merge_gate() -> ControlTest:
    control = load_library(strict=False).controls["TST-01"]
    return next(test for test in control.tests if test.id == "tests-before-merge")


def tst01_passes(facts: dict[str, Any]) -> bool:
    return Evaluator().evaluate("TST-01", merge_gate(), facts).passed


def only_wrapper(facts: dict[str, Any]) -> dict[str, Any]:
    (entry,) = facts["wrappers"]
    return dict(entry)


MAKEFILE_CI = """\
PYTHON ?= python3
.PHONY: ci lint unit-test

ci: lint unit-test
\t@echo all checks passed

lint:
\truff check src

unit-test:
\t$(PYTHON) -m pytest -q tests/unit
"""


def test_make_ci_runs_tests_through_prerequisites(git_repo: GitRepo) -> None:
    facts = collect(
        git_repo, {".github/workflows/ci.yml": workflow("make ci"), "Makefile": MAKEFILE_CI}
    )
    assert tst01_passes(facts)
    entry = only_wrapper(facts)
    assert (entry["kind"], entry["read"], entry["followed"]) == ("make", "Makefile", True)
    assert {(t["name"], t["file"], t["line"]) for t in entry["tools"]} == {
        ("ruff", "Makefile", 8),
        ("pytest", "Makefile", 11),
    }
    assert entry["file"] == ".github/workflows/ci.yml"
    assert entry["summary"].startswith("make ci -> ")
    assert "pytest at Makefile:11" in entry["summary"]
    assert facts["pre_merge_tool_categories"] == ["lint", "tests"]


def test_make_unit_test_target_with_a_hyphen(git_repo: GitRepo) -> None:
    facts = collect(
        git_repo,
        {".github/workflows/ci.yml": workflow("make unit-test"), "Makefile": MAKEFILE_CI},
    )
    assert tst01_passes(facts)
    assert [t["name"] for t in only_wrapper(facts)["tools"]] == ["pytest"]


def test_bare_make_runs_the_default_goal(git_repo: GitRepo) -> None:
    makefile = "all: test\n\ntest:\n\tgo test ./...\n\nrelease:\n\tgoreleaser release\n"
    facts = collect(git_repo, {".github/workflows/ci.yml": workflow("make"), "Makefile": makefile})
    assert tst01_passes(facts)
    assert facts["tools"]["tests"] == ["go-test"]
    assert [(t["name"], t["line"]) for t in only_wrapper(facts)["tools"]] == [("go-test", 4)]


def test_make_ci_that_only_lints_is_not_tests(git_repo: GitRepo) -> None:
    makefile = "ci:\n\truff check .\n\tmypy src\n"
    facts = collect(
        git_repo, {".github/workflows/ci.yml": workflow("make ci"), "Makefile": makefile}
    )
    assert not tst01_passes(facts)
    assert facts["pre_merge_tool_categories"] == ["lint"]


def test_the_file_decides_over_the_wrappers_name(git_repo: GitRepo) -> None:
    """``make test`` whose recipe only lints is lint: the recipe is read, not the name."""
    makefile = "test:\n\tflake8 .\n"
    facts = collect(
        git_repo, {".github/workflows/ci.yml": workflow("make test"), "Makefile": makefile}
    )
    assert not tst01_passes(facts)
    assert facts["tools"]["tests"] == []


def test_without_the_wrappers_file_its_own_words_count(git_repo: GitRepo) -> None:
    facts = collect(git_repo, {".github/workflows/ci.yml": workflow("make test")})
    assert tst01_passes(facts), "make test still names a test run"
    entry = only_wrapper(facts)
    assert entry["followed"] is False
    assert entry["problem"] == "no GNUmakefile or makefile or Makefile in the repository root"


def test_a_wrapper_two_levels_deep_is_not_followed(git_repo: GitRepo) -> None:
    files: dict[str, str | bytes] = {
        ".github/workflows/ci.yml": workflow("make ci"),
        "Makefile": "ci:\n\truff check .\n\t./scripts/run-suite.sh\n",
        "scripts/run-suite.sh": "#!/bin/sh\npytest -q\n",
    }
    facts = collect(git_repo, files)
    assert not tst01_passes(facts)
    entry = only_wrapper(facts)
    assert entry["not_followed"] == [
        {"command": "./scripts/run-suite.sh", "file": "Makefile", "line": 3}
    ]
    assert "./scripts/run-suite.sh at Makefile:3 not followed" in entry["summary"]
    assert "pytest" not in facts["tools"]["tests"]


def test_recursive_make_is_a_wrapper_inside_a_wrapper(git_repo: GitRepo) -> None:
    makefile = "ci:\n\t$(MAKE) lint\n\t$(MAKE) unit\nunit:\n\tpytest\nlint:\n\truff check\n"
    facts = collect(
        git_repo, {".github/workflows/ci.yml": workflow("make ci"), "Makefile": makefile}
    )
    entry = only_wrapper(facts)
    assert [n["command"] for n in entry["not_followed"]] == ["$(MAKE) lint", "$(MAKE) unit"]
    assert not tst01_passes(facts)


WRAPPED_TESTS: list[tuple[str, dict[str, str | bytes]]] = [
    (
        "tox",
        {
            "tox.ini": (
                "[tox]\n"
                "envlist = py311, lint\n"
                "\n"
                "[testenv]\n"
                "commands =\n"
                "    pytest {posargs}\n"
                "\n"
                "[testenv:lint]\n"
                "commands = ruff check .\n"
            ),
        },
    ),
    (
        "tox -e py311",
        {
            "tox.ini": ("[testenv]\ndeps = pytest\ncommands = python -m pytest tests\n"),
        },
    ),
    (
        "tox -e py311",
        {
            "pyproject.toml": (
                "[tool.tox]\n"
                'env_list = ["py311"]\n'
                "\n"
                "[tool.tox.env_run_base]\n"
                'commands = [["pytest", "-q"]]\n'
            ),
        },
    ),
    (
        "tox -e py311",
        {
            "pyproject.toml": (
                '[tool.tox]\nlegacy_tox_ini = """\n[testenv]\ncommands = pytest\n"""\n'
            ),
        },
    ),
    (
        "tox",
        {
            "setup.cfg": (
                "[metadata]\n"
                "name = shop\n"
                "\n"
                "[tox:tox]\n"
                "envlist = py{310,311}\n"
                "\n"
                "[testenv]\n"
                "commands = pytest\n"
            ),
        },
    ),
    (
        "nox -s tests",
        {
            "noxfile.py": (
                "import nox\n"
                "\n"
                "\n"
                '@nox.session(python=["3.11"])\n'
                "def tests(session):\n"
                '    session.install("-e", ".")\n'
                '    session.run("pytest", "--cov")\n'
                "\n"
                "\n"
                "@nox.session\n"
                "def lint(session):\n"
                '    session.run("ruff", "check")\n'
            ),
        },
    ),
    (
        "nox",
        {
            "noxfile.py": (
                "import nox\n"
                "\n"
                'nox.options.sessions = ["unit"]\n'
                "\n"
                '@nox.session(name="unit")\n'
                "def run_unit(session):\n"
                '    session.run("python", "-m", "unittest", "discover")\n'
            ),
        },
    ),
    (
        "npm test",
        {
            "package.json": ('{\n  "scripts": {\n    "test": "jest --ci"\n  }\n}\n'),
        },
    ),
    (
        "npm run test",
        {
            "package.json": ('{"scripts": {"test": "vitest run"}}'),
        },
    ),
    (
        "yarn test",
        {
            "package.json": ('{"scripts": {"test": "mocha"}}'),
        },
    ),
    (
        "pnpm test",
        {
            "package.json": ('{"scripts": {"test": "vitest"}}'),
        },
    ),
    (
        "./scripts/test",
        {
            "scripts/test": ("#!/usr/bin/env bash\nset -euo pipefail\ngo test -race ./...\n"),
        },
    ),
    (
        "bash scripts/ci.sh",
        {
            "scripts/ci.sh": ("set -e\ncargo test --all\n"),
        },
    ),
    (
        "hatch run test",
        {
            "pyproject.toml": ('[tool.hatch.envs.default.scripts]\ntest = "pytest {args:tests}"\n'),
        },
    ),
    (
        "hatch run test:unit",
        {
            "pyproject.toml": (
                "[tool.hatch.envs.test.scripts]\n"
                'unit = ["coverage run -m pytest", "coverage report"]\n'
            ),
        },
    ),
    (
        "just test",
        {
            "justfile": ("default:\n    just --list\n\ntest *args:\n    pytest {{args}}\n"),
        },
    ),
    (
        "cd web && npm test",
        {
            "web/package.json": ('{"scripts": {"test": "jest"}}'),
        },
    ),
]


@pytest.mark.parametrize(("step", "files"), WRAPPED_TESTS)
def test_tests_behind_a_wrapper_are_seen(
    git_repo: GitRepo, step: str, files: dict[str, str | bytes]
) -> None:
    facts = collect(git_repo, {".github/workflows/ci.yml": workflow(step), **files})
    assert tst01_passes(facts), facts["wrapper_summary"]
    entry = only_wrapper(facts)
    assert entry["followed"], entry["problem"]
    assert entry["read"] in files
    assert any(t["category"] == "tests" for t in entry["tools"])


def test_npm_default_test_script_is_not_tests(git_repo: GitRepo) -> None:
    """npm init's test script only fails: following it finds no runner."""
    package = '{"scripts": {"test": "echo \\"Error: no test specified\\" && exit 1"}}'
    facts = collect(
        git_repo, {".github/workflows/ci.yml": workflow("npm test"), "package.json": package}
    )
    assert not tst01_passes(facts)


def test_npm_script_calling_another_script_is_not_followed(git_repo: GitRepo) -> None:
    package = '{"scripts": {"check": "npm run lint && ./tools/unit.sh", "lint": "eslint ."}}'
    files: dict[str, str | bytes] = {
        ".github/workflows/ci.yml": workflow("npm run check"),
        "package.json": package,
        "tools/unit.sh": "jest\n",
    }
    entry = only_wrapper(collect(git_repo, files))
    assert [n["command"] for n in entry["not_followed"]] == ["npm run lint", "./tools/unit.sh"]
    assert entry["tools"] == []


def test_a_tox_env_that_only_lints(git_repo: GitRepo) -> None:
    ini = "[testenv]\ncommands = pytest\n\n[testenv:lint]\ncommands = ruff check .\n"
    facts = collect(git_repo, {".github/workflows/ci.yml": workflow("tox -e lint"), "tox.ini": ini})
    assert not tst01_passes(facts)


def test_a_script_for_another_interpreter_is_not_read(git_repo: GitRepo) -> None:
    files: dict[str, str | bytes] = {
        ".github/workflows/ci.yml": workflow("./scripts/check"),
        "scripts/check": "#!/usr/bin/env python3\nimport subprocess\nsubprocess.run(['pytest'])\n",
    }
    entry = only_wrapper(collect(git_repo, files))
    assert entry["problem"] == "scripts/check is not a shell script (#!/usr/bin/env python3)"


def test_tool_paths_are_not_taken_for_scripts(git_repo: GitRepo) -> None:
    files: dict[str, str | bytes] = {
        ".github/workflows/ci.yml": workflow("./gradlew test"),
        "gradlew": '#!/bin/sh\nexec java -jar gradle-wrapper.jar "$@"\n',
    }
    facts = collect(git_repo, files)
    assert facts["wrappers"] == []
    assert facts["tools"]["tests"] == ["gradle"]


def test_gitlab_script_make_test_is_followed(git_repo: GitRepo) -> None:
    pipeline = (
        "workflow:\n  rules:\n    - if: $CI_PIPELINE_SOURCE == 'merge_request_event'\n"
        "test:\n  script:\n    - make check\n"
    )
    facts = collect(
        git_repo,
        {".gitlab-ci.yml": pipeline, "Makefile": "check:\n\tpython -m pytest\n"},
    )
    assert tst01_passes(facts)
    entry = only_wrapper(facts)
    assert (entry["file"], entry["line"], entry["read"]) == (".gitlab-ci.yml", 6, "Makefile")
