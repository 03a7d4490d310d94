"""Assay assessed on its own repository: the governance files and the CI workflow it ships.

The controls below are the ones on CI definitions and governance files that apply to a
library. Each is collected from this repository's own git objects at HEAD (so only what is
committed counts) and checked by the real commands.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from assay.cli.app import app
from tests.support.paths import ROOT

#: Controls whose every test reads the repository's files or CI definitions.
WHOLE_CONTROLS = {
    "CHG-03": "CODEOWNERS gives every path an owner",
    "SDL-02": "a secret scanner runs before merge",
    "SDL-03": "actions are pinned to commit ids",
    "SDL-04": "the workflow token is read-only by default",
    "SDL-05": "no dangerous workflow patterns",
    "SDL-06": "SECURITY.md names a contact",
    "SUP-03": "a hashed lock is committed and Dependabot is configured",
}
#: Controls with a CI-definition test; their other test reads a run's reports, which a
#: checkout does not have (so the control as a whole is a gap here, never a failure).
DEFINITION_TESTS = {
    "SDL-01": "sast-before-merge",
    "SUP-02": "sca-in-ci",
    "TST-01": "tests-before-merge",
}

SERVICE = """\
id: assay
name: Assay
owner: maintainers@assay.dev
tier: 3
repos:
  - name: assay
    path: {root}
pipelines:
  - name: ci
    provider: github
    repo: assay
    definition: .github/workflows/ci.yml
"""


@pytest.fixture(scope="module")
def assessment(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    inside = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--show-toplevel"],
        capture_output=True,
        text=True,
        check=False,
    )
    if inside.returncode != 0 or Path(inside.stdout.strip()).resolve() != ROOT:
        pytest.skip("not a git checkout of the project (an sdist): nothing to collect")
    workspace = tmp_path_factory.mktemp("self")
    (workspace / "services").mkdir()
    (workspace / "assay.toml").write_text('[workspace]\nname = "Assay itself"\n')
    (workspace / "services" / "assay.yaml").write_text(SERVICE.format(root=ROOT))
    runner = CliRunner()
    collected = runner.invoke(app, ["collect", "--service", "assay", "-w", str(workspace)])
    assert collected.exit_code == 0, collected.output
    checked = runner.invoke(
        app, ["check", "--service", "assay", "--format", "json", "-w", str(workspace)]
    )
    assert checked.exit_code in (0, 1), checked.output
    (only,) = json.loads(checked.stdout)
    result: dict[str, Any] = only
    return result


def results(assessment: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {result["control"]: result for result in assessment["results"]}


@pytest.mark.parametrize("control", sorted(WHOLE_CONTROLS))
def test_the_governance_and_workflow_controls_pass(
    assessment: dict[str, Any], control: str
) -> None:
    result = results(assessment)[control]
    assert result["status"] == "pass", (WHOLE_CONTROLS[control], result["reasons"])
    assert {test["kind"] for test in result["tests"]} <= {"repo.files", "ci.workflows"}


@pytest.mark.parametrize("control", sorted(DEFINITION_TESTS))
def test_the_ci_definition_half_passes_and_the_run_half_is_a_gap(
    assessment: dict[str, Any], control: str
) -> None:
    result = results(assessment)[control]
    tests = {test["test"]: test for test in result["tests"]}
    assert tests[DEFINITION_TESTS[control]]["status"] == "pass"
    others = [test for name, test in tests.items() if name != DEFINITION_TESTS[control]]
    assert others
    assert all(test["status"] == "gap" for test in others)
    assert result["status"] == "gap"
