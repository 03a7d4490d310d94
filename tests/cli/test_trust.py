"""Trust boundaries through the real commands: attestations and self-reported reviews.

Each test replays an attack: an attestation from outside the workspace, one deleted after
it was recorded, a reviews file a job wrote approving everything as a bot.
"""

from __future__ import annotations

import json
import textwrap
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from assay.cli.app import app
from assay.durations import utc_now
from assay.evidence.context import CI_MARKERS
from tests.support.gitrepo import GitRepo
from tests.unit.evidence.collection.helpers import workspace

NO_CI = {**dict.fromkeys(CI_MARKERS, ""), "ASSAY_STORE_URL": ""}

ATTESTATION = """\
control: OPS-05
services: ["*"]
statement: Backups follow the policy and a restore was rehearsed last month.
signer: {signer}
signed_at: "{signed}"
expires: "{expires}"
file: {file}
"""


def invoke(runner: CliRunner, root: Path, *args: str) -> Result:
    return runner.invoke(app, [*args, "-w", str(root)], env=NO_CI)


def make_workspace(tmp_path: Path, toml: str = "") -> tuple[Path, GitRepo]:
    root = tmp_path / "ws"
    repo = GitRepo.init(root / "repos" / "api")
    for number in range(1, 4):
        repo.commit(f"change {number} (#{number})", {f"file{number}.txt": f"{number}\n"})
    workspace(
        root,
        {
            "api": {
                "repos": [{"name": "api", "path": "repos/api"}],
                "pipelines": [{"name": "ci", "provider": "github", "artefacts": "reports"}],
            }
        },
        toml=toml,
    )
    (root / "reports").mkdir()
    return root, repo


def result_of(runner: CliRunner, root: Path, control: str) -> dict[str, Any]:
    checked = invoke(runner, root, "check", "--service", "api", "--format", "json")
    assert checked.exit_code in (0, 1), checked.output
    (assessment,) = json.loads(checked.stdout)
    (found,) = [r for r in assessment["results"] if r["control"] == control]
    return dict(found)


def attestation_text(file: str, signer: str = "Nobody", years: int = 0) -> str:
    today = utc_now().date()
    expires = "2999-01-01" if years == 0 else today.replace(year=today.year + years).isoformat()
    return ATTESTATION.format(signer=signer, signed=today, expires=expires, file=file)


# --------------------------------------------------------------------------- attestations


def test_an_attestation_from_outside_the_workspace_is_refused(
    tmp_path: Path, runner: CliRunner
) -> None:
    root, _ = make_workspace(tmp_path)
    outside = tmp_path / "elsewhere" / "ops.yaml"
    outside.parent.mkdir()
    outside.write_text(attestation_text("../ws/assay.toml"), encoding="utf-8")
    attested = invoke(runner, root, "attest", str(outside))
    assert attested.exit_code == 2
    shown = str(outside)
    first, validity, document = attested.stderr.splitlines()
    assert first == (
        f"{shown}:1:1: an attestation counts only from the workspace's attestations/ folder; "
        "move it there and have it reviewed"
    )
    assert validity.startswith(f"{shown}:6:10: valid for ")
    assert validity.endswith(
        f"days, from {utc_now().date()} to 2999-01-01: an attestation may last P1Y at most "
        f"(until {utc_now().date().replace(year=utc_now().year + 1)}; [attestations] "
        "max_validity in assay.toml)"
    )
    assert document == (
        f"{shown}:7:7: file '../ws/assay.toml' is a workspace configuration file, not evidence"
    )
    assert not (root / ".assay" / "assay.db").exists()
    invoke(runner, root, "collect")
    assert result_of(runner, root, "OPS-05")["status"] == "gap"


@pytest.mark.parametrize(
    "target", ["assay.toml", "services/api.yaml", "controls/notes.md", "attestations/other.yaml"]
)
def test_a_configuration_file_is_no_supporting_document(
    tmp_path: Path, runner: CliRunner, target: str
) -> None:
    root, _ = make_workspace(tmp_path)
    (root / "controls").mkdir()
    (root / "controls" / "notes.md").write_text("# notes\n", encoding="utf-8")
    (root / "attestations").mkdir()
    (root / "attestations" / "other.yaml").write_text("# another\n", encoding="utf-8")
    path = root / "attestations" / "ops.yaml"
    path.write_text(attestation_text(f"../{target}", years=1), encoding="utf-8")
    attested = invoke(runner, root, "attest", "attestations/ops.yaml")
    assert attested.exit_code == 2
    assert attested.stderr.splitlines() == [
        f"attestations/ops.yaml:7:7: file '../{target}' is a workspace configuration file, "
        "not evidence"
    ]


def test_a_link_out_of_attestations_is_refused(tmp_path: Path, runner: CliRunner) -> None:
    root, _ = make_workspace(tmp_path)
    (root / "docs").mkdir()
    (root / "docs" / "restore.txt").write_text("restore log\n", encoding="utf-8")
    (root / "docs" / "ops.yaml").write_text(
        attestation_text("restore.txt", years=1), encoding="utf-8"
    )
    (root / "attestations").mkdir()
    (root / "attestations" / "ops.yaml").symlink_to(root / "docs" / "ops.yaml")
    attested = invoke(runner, root, "attest", "attestations/ops.yaml")
    assert attested.exit_code == 2
    assert "an attestation counts only from the workspace's attestations/ folder" in (
        attested.stderr
    )


def recorded_attestation(runner: CliRunner, root: Path, **kwargs: Any) -> Path:
    (root / "attestations" / "evidence").mkdir(parents=True)
    (root / "attestations" / "evidence" / "restore.txt").write_text("restored\n")
    path = root / "attestations" / "ops.yaml"
    path.write_text(attestation_text("evidence/restore.txt", **kwargs), encoding="utf-8")
    attested = invoke(runner, root, "attest", "attestations/ops.yaml")
    assert attested.exit_code == 0, attested.output
    return path


def test_a_deleted_attestation_no_longer_satisfies(tmp_path: Path, runner: CliRunner) -> None:
    root, _ = make_workspace(tmp_path)
    path = recorded_attestation(runner, root, signer="Priya Raman, Head of Platform", years=1)
    invoke(runner, root, "collect")
    before = result_of(runner, root, "OPS-05")
    assert before["status"] == "pass"
    path.unlink()
    after = result_of(runner, root, "OPS-05")
    assert after["status"] == "gap"
    assert "is no longer in attestations/, or its file changed" in after["reasons"][0]
    assert before["self_reported"] == ["manual.attestation"]


def test_a_revoked_attestation_no_longer_satisfies(tmp_path: Path, runner: CliRunner) -> None:
    root, _ = make_workspace(tmp_path)
    path = recorded_attestation(runner, root, signer="Priya Raman, Head of Platform", years=1)
    invoke(runner, root, "collect")
    today = utc_now().date()
    path.write_text(
        path.read_text()
        + textwrap.dedent(
            f"""\
            revoked:
              on: "{today - timedelta(days=1)}"
              by: Sam Okafor, CISO
              reason: the restore ran against a stale snapshot
            """
        ),
        encoding="utf-8",
    )
    result = result_of(runner, root, "OPS-05")
    assert result["status"] == "gap"
    assert result["reasons"] == [
        f"the attestation in attestations/ops.yaml was revoked on {today - timedelta(days=1)} "
        "by Sam Okafor, CISO: the restore ran against a stale snapshot"
    ]


def test_the_maximum_validity_is_configurable(tmp_path: Path, runner: CliRunner) -> None:
    root, _ = make_workspace(tmp_path, '[attestations]\nmax_validity = "P2Y"\n')
    recorded_attestation(runner, root, signer="Priya Raman, Head of Platform", years=2)
    invoke(runner, root, "collect")
    assert result_of(runner, root, "OPS-05")["status"] == "pass"
    (root / "assay.toml").write_text('[attestations]\nmax_validity = "P1Y"\n')
    checked = invoke(runner, root, "check", "--service", "api")
    assert checked.exit_code == 2
    assert checked.stderr.splitlines()[0].startswith("attestations/ops.yaml:6:10: valid for 73")


# --------------------------------------------------------------------------- reviews


def reviews(repo: GitRepo, approver: str, author: str | None) -> str:
    shas = repo.git("rev-list", "main").split()
    requests = [
        {
            "number": index + 1,
            **({"author": author} if author is not None else {}),
            "merge_commit": sha,
            "approvals": [{"approver": approver, "approved_at": "2026-01-01T06:00:00Z"}],
        }
        for index, sha in enumerate(shas)
    ]
    document = {"format": "assay.reviews/v1", "provider": "github", "repo": "api"}
    return json.dumps({**document, "pull_requests": requests})


def collected_reviews(runner: CliRunner, root: Path) -> dict[str, Any]:
    done = invoke(runner, root, "collect", "--format", "json")
    assert done.exit_code == 0, done.output
    (found,) = [e for e in json.loads(done.stdout)["evidence"] if e["kind"] == "reviews"]
    return dict(found["facts"])


def test_a_bot_rubber_stamp_without_authors_does_not_pass_review(
    tmp_path: Path, runner: CliRunner
) -> None:
    root, repo = make_workspace(tmp_path)
    invoke(runner, root, "collect")
    # Pull requests whose review only the platform could show, and nothing read from it.
    assert result_of(runner, root, "CHG-01")["status"] == "unverifiable"
    (root / "reports" / "reviews.json").write_text(reviews(repo, "rubber-stamp-bot", None))
    facts = collected_reviews(runner, root)
    assert result_of(runner, root, "CHG-01")["status"] == "fail"
    assert result_of(runner, root, "CHG-06")["status"] == "fail"  # no approval counts
    assert facts["accepted_approvals"] == 0
    assert facts["refused_approvals"] == {"no_author": 3, "self_approval": 0, "bot": 0}


def test_bots_and_authors_are_not_reviewers(tmp_path: Path, runner: CliRunner) -> None:
    root, repo = make_workspace(tmp_path)
    (root / "reports" / "reviews.json").write_text(reviews(repo, "renovate[bot]", "alice"))
    facts = collected_reviews(runner, root)
    assert result_of(runner, root, "CHG-01")["status"] == "fail"
    assert facts["refused_approvals"] == {"no_author": 0, "self_approval": 0, "bot": 3}
    (root / "reports" / "reviews.json").write_text(reviews(repo, "Alice", "alice"))
    facts = collected_reviews(runner, root)
    assert result_of(runner, root, "CHG-01")["status"] == "fail"
    assert facts["refused_approvals"] == {"no_author": 0, "self_approval": 3, "bot": 0}
    (root / "assay.toml").write_text('[collect]\nautomation_accounts = ["jenkins"]\n')
    (root / "reports" / "reviews.json").write_text(reviews(repo, "jenkins", "alice"))
    facts = collected_reviews(runner, root)
    assert facts["refused_approvals"] == {"no_author": 0, "self_approval": 0, "bot": 3}


def allowed_bot_review(tmp_path: Path, runner: CliRunner, toml: str = "") -> Path:
    allow = '[collect]\nallowed_bot_reviewers = ["review-bot"]\n'
    root, repo = make_workspace(tmp_path, allow + toml)
    (root / "reports" / "reviews.json").write_text(reviews(repo, "review-bot", "alice"))
    facts = collected_reviews(runner, root)
    assert facts["accepted_approvals"] == 3
    return root


def test_approvals_a_workspace_allows_pass_and_are_labelled_self_reported(
    tmp_path: Path, runner: CliRunner
) -> None:
    root = allowed_bot_review(tmp_path, runner)
    result = result_of(runner, root, "CHG-01")
    assert result["status"] == "pass"
    assert result["self_reported"] == ["reviews"]
    assert {t["self_reported"] for t in result["tests"]} == {"reviews"}
    text = invoke(runner, root, "check", "--service", "api")
    assert "self-reported: CHG-01 rests on reviews (docs/trust.md)" in text.stdout.splitlines()


def gate(runner: CliRunner, root: Path, *args: str) -> Result:
    return invoke(runner, root, "gate", "--service", "api", "--stage", "release", *args)


def test_a_stage_can_refuse_self_reported_evidence(tmp_path: Path, runner: CliRunner) -> None:
    refuse = (
        '[gate.stages.release]\nmin_severity = "high"\ncontrols = ["CHG-01"]\n'
        "refuse_self_reported = true\n"
    )
    root = allowed_bot_review(tmp_path, runner, refuse)
    blocked = gate(runner, root)
    assert blocked.exit_code == 1, blocked.output
    lines = blocked.stdout.splitlines()
    assert lines[0] == "assay gate: block: api may not pass release: 1 control blocks"
    start = lines.index("blocking (most severe first):")
    assert lines[start + 1 : start + 3] == [
        "  CHG-01  high     pass (self-reported)  Changes are independently reviewed before "
        "they merge",
        "      why: rests on self-reported reviews, which stage release refuses: counted as gap",
    ]
    decision = json.loads(gate(runner, root, "--format", "json").stdout)
    assert decision["blocking"][0]["self_reported"] == ["reviews"]


def test_a_stage_refusing_other_kinds_lets_reviews_through(
    tmp_path: Path, runner: CliRunner
) -> None:
    refuse = (
        '[gate.stages.release]\nmin_severity = "high"\ncontrols = ["CHG-01"]\n'
        'refuse_self_reported = ["manual.attestation"]\n'
    )
    root = allowed_bot_review(tmp_path, runner, refuse)
    allowed = gate(runner, root)
    assert allowed.exit_code == 0, allowed.output
    assert "self-reported: CHG-01 rests on reviews (docs/trust.md)" in allowed.stdout


def test_a_stage_can_refuse_attestations(tmp_path: Path, runner: CliRunner) -> None:
    refuse = (
        '[gate.stages.release]\nmin_severity = "high"\ncontrols = ["OPS-05"]\n'
        'refuse_self_reported = ["manual.attestation"]\n'
    )
    root, _ = make_workspace(tmp_path, refuse)
    recorded_attestation(runner, root, signer="Priya Raman, Head of Platform", years=1)
    invoke(runner, root, "collect")
    assert result_of(runner, root, "OPS-05")["status"] == "pass"
    blocked = gate(runner, root, "--format", "json")
    assert blocked.exit_code == 1, blocked.output
    decision = json.loads(blocked.stdout)
    assert decision["policy"]["refuse_self_reported"] == ["manual.attestation"]
    (entry,) = decision["blocking"]
    assert (entry["control"], entry["status"]) == ("OPS-05", "pass")
    assert entry["reasons"][0] == (
        "rests on self-reported manual.attestation, which stage release refuses: counted as gap"
    )
    (root / "assay.toml").write_text(refuse.replace("manual.attestation", "reviews"))
    assert gate(runner, root).exit_code == 0


def test_junit_and_github_outputs_name_self_reported_results(
    tmp_path: Path, runner: CliRunner
) -> None:
    refuse = (
        '[gate.stages.release]\nmin_severity = "high"\ncontrols = ["CHG-01"]\n'
        "refuse_self_reported = true\n"
    )
    root = allowed_bot_review(tmp_path, runner, refuse)
    junit = gate(runner, root, "--format", "junit")
    assert junit.exit_code == 1
    assert '<property name="self-reported" value="reviews" />' in junit.stdout
    assert (
        '<failure type="gap" message="rests on self-reported reviews, which stage release '
        'refuses: counted as gap"' in junit.stdout
    )
    (root / "assay.toml").write_text(refuse.replace("true", "false"))
    summary = tmp_path / "summary.md"
    github = runner.invoke(
        app,
        ["gate", "--service", "api", "--stage", "release", "--format", "github", "-w", str(root)],
        env={**NO_CI, "GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert github.exit_code == 0, github.output
    text = summary.read_text(encoding="utf-8")
    assert "### Self-reported evidence\n\n- CHG-01 rests on reviews\n" in text
