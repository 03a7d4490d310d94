"""The demo's CI samples: a risky workflow, and artefacts of every kind bound to the commits."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.demo import STEPS, Step, run_demo
from assay.demo.ci_samples import TRIAGE_WORKFLOW, write_ci_artefacts
from assay.demo.gitbuild import git_available
from assay.demo.steps import (
    build_repositories,
    collect_evidence,
    prepare_folder,
    write_workspace,
)

pytestmark = pytest.mark.skipif(not git_available(), reason="the demo builds git repositories")


def test_ci_artefacts_are_written_before_collection() -> None:
    names = [step.__name__ for step in STEPS]
    assert names.index("build_repositories") < names.index("write_ci_artefacts")
    assert names.index("write_ci_artefacts") < names.index("collect_evidence")


def test_demo_ci_evidence(tmp_path: Path) -> None:
    steps: list[Step] = [
        prepare_folder,
        write_workspace,
        build_repositories,
        write_ci_artefacts,
        collect_evidence,
    ]
    ctx = run_demo(tmp_path / "out", echo=lambda _: None, steps=steps)
    report = ctx.state["collect"]
    assert report.skipped == []
    found = {(c.service, c.kind): c for c in report.collected}

    triage = found[("eligibility-ai", "ci.workflows")].facts
    lines = TRIAGE_WORKFLOW.splitlines()
    injection = next(i for i, line in enumerate(lines, 1) if "pull_request.title" in line)
    assert {(f["rule"], f["file"], f["line"]) for f in triage["findings"]} == {
        ("untrusted_checkout", ".github/workflows/triage.yml", 11),
        ("script_injection", ".github/workflows/triage.yml", injection),
    }
    assert triage["unpinned_actions"] == 2
    assert "model_evaluation" in triage["tool_categories"]
    clean = found[("payments-api", "ci.workflows")].facts
    assert (clean["unpinned_actions"], clean["dangerous_patterns"]) == (0, 0)
    assert clean["permissions"]["top_level_read_only"] is True

    payments = {kind for service, kind in found if service == "payments-api"}
    assert payments >= {
        "test.results", "test.coverage", "sast.findings", "deps.vulnerabilities", "sbom",
        "provenance", "slo.report", "reviews",
    }  # fmt: skip
    head = found[("payments-api", "git.history")].subject["commit"]
    provenance = found[("payments-api", "provenance")]
    assert provenance.subject == {"pipeline": "ci", "run_id": None, "commit": head}
    assert provenance.facts["matches_commit"] is True
    reviews = found[("payments-api", "reviews")].facts
    assert (reviews["approvals_total"], reviews["self_approvals"]) == (8, 0)
    assert found[("payments-api", "test.results")].facts["pass_ratio"] == 1.0
    card = found[("eligibility-ai", "ai.model_card")].facts
    assert (card["human_oversight"], card["out_of_scope_use"]) == (True, False)
    evaluation = found[("eligibility-ai", "ai.evaluation")].facts
    assert (evaluation["fairness"]["failed"], evaluation["all_passed"]) == (1, False)
    assert found[("legacy-portal", "sast.findings")].facts["by_severity"]["high"] == 1
