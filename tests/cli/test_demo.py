"""The demo runs end to end, offline, and its outputs say what the samples were built to show."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from assay.cli.app import app
from assay.demo import STEPS, run_demo
from assay.evidence.store import open_store
from tests.support.gitrepo import GitRepo


@pytest.fixture(scope="module")
def demo(demo_run: tuple[Path, str]) -> tuple[Path, str]:
    return demo_run


@pytest.fixture(scope="module")
def gates(demo: tuple[Path, str]) -> dict[str, Result]:
    """``assay gate --stage release`` for each service of the demo workspace, run once."""
    root = demo[0] / "workspace"
    runner = CliRunner()
    return {
        service: runner.invoke(
            app,
            ["gate", "-s", service, "--stage", "release", "-w", str(root)],
            env={"ASSAY_STORE_URL": ""},
        )
        for service in ("payments-api", "eligibility-ai", "legacy-portal")
    }


def facts(out: Path) -> dict[tuple[str, str], dict[str, object]]:
    with open_store(f"sqlite:///{out / 'workspace' / '.assay' / 'assay.db'}", create=False) as s:
        found = {}
        for service in ("payments-api", "eligibility-ai", "legacy-portal"):
            for record in s.latest(service, ["git.history", "git.tags", "repo.files"]):
                found[(service, record.kind)] = record.facts
        assert s.verify().ok
    return found


def test_demo_builds_three_services_with_real_repositories(demo: tuple[Path, str]) -> None:
    out, stdout = demo
    root = out / "workspace"
    assert sorted(p.name for p in (root / "services").iterdir()) == [
        "eligibility-ai.yaml", "legacy-portal.yaml", "payments-api.yaml",
    ]  # fmt: skip
    for name in ("payments-api", "eligibility-ai", "legacy-portal"):
        repo = GitRepo(root / "repos" / name)
        assert repo.git("fsck", "--strict") == ""
        assert (root / "repos" / name / "README.md").exists() or name == "legacy-portal"
    assert f"demo workspace: {root}\n" in stdout
    assert "  legacy-portal: 5 change sets, 0% reviewed, 0% signed, 5 direct; " in stdout
    coverage = json.loads((out / "coverage.json").read_text())
    assert {f["id"] for f in coverage["frameworks"]} >= {"iso27001-2022"}


def test_demo_evidence_shows_the_contrasts(demo: tuple[Path, str]) -> None:
    found = facts(demo[0])
    payments = found[("payments-api", "git.history")]
    assert (payments["review_ratio"], payments["direct_commits"]) == (1.0, 0)
    eligibility = found[("eligibility-ai", "git.history")]
    assert eligibility["unreviewed_change_sets"] == 3
    assert eligibility["direct_commits"] == 1
    legacy_files = found[("legacy-portal", "repo.files")]
    assert legacy_files["files"]["codeowners"]["present"] is False  # type: ignore[index]
    assert legacy_files["files"]["security_policy"]["present"] is False  # type: ignore[index]
    assert legacy_files["binaries"] == {"count": 1, "paths": ["lib/report-engine.jar"]}
    assert found[("eligibility-ai", "repo.files")]["model_card_sections"]
    if shutil.which("ssh-keygen"):
        assert payments["signed_ratio"] == 1.0
        assert payments["verified_commits"] == payments["commits"]
        assert found[("payments-api", "git.tags")]["latest_signed"] is True
    assert found[("legacy-portal", "git.history")]["signed_ratio"] == 0.0


def test_the_release_gate_allows_payments_and_blocks_legacy(
    demo: tuple[Path, str], gates: dict[str, Result]
) -> None:
    out, stdout = demo
    assert "  gate release payments-api: allow\n" in stdout
    payments = gates["payments-api"]
    assert payments.exit_code == 0, payments.output
    assert payments.stdout.startswith("assay gate: allow: payments-api may pass release\n")
    assert "blocking (most severe first)" not in payments.stdout
    legacy = gates["legacy-portal"]
    assert legacy.exit_code == 1
    assert legacy.stdout.startswith("assay gate: block: legacy-portal may not pass release: ")
    assert "\n  CHG-01  high     fail    Changes are independently reviewed" in legacy.stdout
    eligibility = gates["eligibility-ai"]
    assert eligibility.exit_code == 1
    assert "CHG-01  high     waived (fail)" in eligibility.stdout
    written = json.loads((out / "gates" / "payments-api.json").read_text())
    assert (written["decision"], written["exit_code"]) == ("allow", 0)
    with open_store(f"sqlite:///{out / 'workspace' / '.assay' / 'assay.db'}", create=False) as s:
        (slos,) = s.latest("payments-api", ["slo.definitions"])
    assert (slos.facts["objectives"], slos.facts["with_error_budget_policy"]) == (1, 1)
    assert slos.facts["with_alerting"] == 1


def test_the_eligibility_waiver_expires_within_30_days(
    demo: tuple[Path, str], runner: CliRunner
) -> None:
    root = demo[0] / "workspace"
    listed = runner.invoke(
        app, ["waivers", "list", "--expiring", "P30D", "-f", "json", "-w", str(root)]
    )
    assert listed.exit_code == 0, listed.output
    (waiver,) = json.loads(listed.stdout)
    assert (waiver["service"], waiver["control"]) == ("eligibility-ai", "CHG-01")
    assert 0 < waiver["days_left"] <= 30


def test_demo_runs_again_and_refuses_foreign_folders(
    demo: tuple[Path, str], gates: dict[str, Result], tmp_path: Path, runner: CliRunner
) -> None:
    out, _ = demo
    assert gates  # the gates ran on this workspace before it is replaced
    before = facts(out)
    # Up to collection is enough to show the evidence is reproducible: the full run
    # (reports included) is the module's fixture.
    names = [step.__name__ for step in STEPS]
    run_demo(out, echo=lambda _: None, steps=STEPS[: names.index("collect_evidence") + 1])
    assert facts(out) == before  # same key, same dates: the same evidence
    (tmp_path / "workspace").mkdir()
    (tmp_path / "workspace" / "precious.txt").write_text("mine")
    refused = runner.invoke(app, ["demo", "--out", str(tmp_path)])
    assert refused.exit_code == 2
    assert "is not a demo workspace: refusing to replace it" in refused.stderr
    assert (tmp_path / "workspace" / "precious.txt").read_text() == "mine"
    (tmp_path / "a-file").write_text("not a folder")
    through = runner.invoke(app, ["demo", "--out", str(tmp_path / "a-file")])
    assert through.exit_code == 2
    assert through.stderr.splitlines()[0] == (
        f"error: cannot make the demo folder {tmp_path / 'a-file' / 'workspace'}: Not a directory"
    )
