"""`assay collect` on repositories built to make it hang: it finishes, and the facts are right.

The time bounds are generous (a loaded 2-core machine); before the linear matchers, the
first repository took hours and the second over a minute.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from assay.cli.app import app
from tests.support.gitrepo import GitRepo
from tests.unit.evidence.collection.helpers import workspace

BOUND_SECONDS = 10


def _collect(
    tmp_path: Path, runner: CliRunner, files: dict[str, str | bytes], provider: str
) -> Any:
    root = tmp_path / "ws"
    repo = GitRepo.init(root / "repos" / "api")
    repo.commit("Hostile files", files)
    workspace(
        root,
        {
            "api": {
                "repos": [{"name": "api", "path": "repos/api"}],
                "pipelines": [{"name": "ci", "provider": provider, "repo": "api"}],
            }
        },
    )
    start = time.perf_counter()
    result = runner.invoke(app, ["collect", "-w", str(root), "-f", "json"])
    elapsed = time.perf_counter() - start
    assert result.exit_code == 0, result.output
    assert elapsed < BOUND_SECONDS, f"collect took {elapsed:.1f} s"
    evidence = json.loads(result.stdout)["evidence"]
    return next(e["facts"] for e in evidence if e["kind"] == "ci.workflows")


def test_a_gitlab_include_glob_of_ten_stars_does_not_hang(
    tmp_path: Path, runner: CliRunner
) -> None:
    glob = "*a" * 10
    facts = _collect(
        tmp_path,
        runner,
        {
            ".gitlab-ci.yml": f'include:\n  - local: "{glob}"\ntest: {{script: [pytest]}}\n',
            "a" * 60 + "b": "not a pipeline\n",
            "a" * 60 + "/" + "a" * 60: "not matched: * stops at a folder\n",
            "lint-" + "a" * 12: "lint: {script: [ruff check .]}\n",
        },
        "gitlab",
    )
    paths = [workflow["path"] for workflow in facts["workflows"]]
    assert paths == [".gitlab-ci.yml", "lint-" + "a" * 12]
    assert {"tests", "lint"} <= set(facts["tool_categories"])


def test_a_workflow_of_repeated_expression_openings_does_not_hang(
    tmp_path: Path, runner: CliRunner
) -> None:
    opened = "${{ " * 60_000  # 240 KB with no closing }}
    workflow = (
        "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
        f"      - run: |\n          echo {opened}\n"
    )
    facts = _collect(tmp_path, runner, {".github/workflows/ci.yml": workflow}, "github")
    injections = [f for f in facts["findings"] if f["rule"] == "script_injection"]
    assert [(f["file"], f["line"]) for f in injections] == [(".github/workflows/ci.yml", 6)]
