"""The shipped GitHub action and GitLab template: well formed, injection-safe, and working."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cli.sample import Sample, make_sample
from tests.support.paths import ROOT as PROJECT

ROOT = PROJECT
ACTION = ROOT / "action.yml"
TEMPLATE = ROOT / "ci" / "gitlab" / "assay.gitlab-ci.yml"


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def test_action_is_a_composite_action_with_the_documented_inputs() -> None:
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    assert action["inputs"]["service"]["required"] is True
    assert set(action["inputs"]) == {
        "service",
        "stage",
        "workspace",
        "collect",
        "artefacts",
        "store-url",
        "sarif",
        "junit",
        "fail-on-block",
        "python",
    }
    assert set(action["outputs"]) == {"decision", "exit-code"}
    docs = (ROOT / "docs" / "ci-integration.md").read_text(encoding="utf-8")
    for name in action["inputs"]:
        assert f"| `{name}`" in docs or f"`{name}`," in docs or f", `{name}`" in docs


def test_action_scripts_never_expand_inputs() -> None:
    for step in load(ACTION)["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step["name"]
        assert "uses" not in step  # no third-party action to pin


def test_template_publishes_code_quality_and_junit() -> None:
    job = load(TEMPLATE)[".assay-gate"]
    assert job["artifacts"]["reports"] == {
        "codequality": "gl-code-quality-report.json",
        "junit": "assay-gate.xml",
    }
    script = "\n".join(job["script"])
    assert '--save "gitlab=$CI_PROJECT_DIR/gl-code-quality-report.json"' in script
    assert re.search(r"assay collect --service \"\$ASSAY_SERVICE\"", script)


def gate_script() -> str:
    (step,) = [s for s in load(ACTION)["runs"]["steps"] if s.get("id") == "gate"]
    script: str = step["run"]
    return script


@pytest.mark.skipif(shutil.which("bash") is None, reason="the action's scripts are bash")
@pytest.mark.parametrize(("fail_on_block", "code"), [("true", 1), ("false", 0)])
def test_action_gate_step_sets_outputs_and_exit_code(
    tmp_path: Path, fail_on_block: str, code: int
) -> None:
    sample: Sample = make_sample(tmp_path / "ws")
    sample.good_evidence()  # BCP-02 has no attestation: the release is blocked
    outputs, summary = tmp_path / "out.txt", tmp_path / "summary.md"
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(summary),
        "ASSAY_SERVICE": "payments",
        "ASSAY_STAGE": "release",
        "ASSAY_SARIF": str(tmp_path / "gate.sarif"),
        "ASSAY_JUNIT": "",
        "ASSAY_STORE_INPUT": "",
        "ASSAY_FAIL_ON_BLOCK": fail_on_block,
    }
    env.pop("ASSAY_STORE_URL", None)
    result = subprocess.run(
        ["bash", "-c", gate_script()],
        cwd=sample.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == code, result.stderr
    assert outputs.read_text().splitlines() == ["decision=block", "exit-code=1"]
    assert "::error title=BCP-02 Restore rehearsal (gap)::" in result.stdout
    assert (tmp_path / "gate.sarif").is_file()
    assert "**blocked**" in summary.read_text()
