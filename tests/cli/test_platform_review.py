"""A squash-merging GitHub team with required reviews, end to end through the CLI:
`assay collect` against a fake GitHub on 127.0.0.1, then `assay check`.

With a token CHG-01's review test passes on the platform's approvals; without one the
same history is `unverifiable`, never a fail, and the result says what would let Assay see.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from assay.cli.app import app
from tests.support.fake_github import TOKEN, FakeCommit, FakeGitHub, FakePull, FakeReview, sha
from tests.support.fake_http import serving
from tests.support.gitrepo import GitRepo
from tests.unit.evidence.collection.helpers import workspace

PULLS = 20


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serving(FakeGitHub()) as running:
        yield running


def squash_team(tmp_path: Path, github: FakeGitHub) -> Path:
    """Twenty squash merges, each approved on GitHub by someone other than its author."""
    repo = GitRepo.init(tmp_path / "ws" / "repos" / "shop")
    for number in range(1, PULLS + 1):
        merged = repo.commit(
            f"Change {number} (#{number})",
            {f"f{number}.txt": "x"},
            author="Alice Example <alice@example.com>",
        )
        stamp = datetime.fromtimestamp(repo.clock, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        head = sha(f"head{number}")
        github.pulls.append(
            FakePull(
                number,
                author="alice",
                merged_at=stamp,
                head=head,
                merge_commit=merged,
                parents=1,
                commits=[FakeCommit(head, "alice", stamp)],
                reviews=[FakeReview("bob", head, stamp)],
            )
        )
    github.protection = {"required_pull_request_reviews": {"required_approving_review_count": 1}}
    platform = {"provider": "github", "project": "acme/shop", "api_url": github.api_url}
    repos = [{"name": "shop", "path": "repos/shop", "platform": platform}]
    return workspace(tmp_path / "ws", {"shop": {"repos": repos}})


def chg01(root: Path, environ: dict[str, str]) -> tuple[int, dict[str, Any]]:
    runner = CliRunner()
    env = {"ASSAY_STORE_URL": "", "GITHUB_TOKEN": "", "GH_TOKEN": "", **environ}
    collected = runner.invoke(app, ["collect", "-s", "shop", "-w", str(root)], env=env)
    assert collected.exit_code == 0, collected.output
    checked = runner.invoke(app, ["check", "-s", "shop", "-w", str(root), "-f", "json"], env=env)
    (assessment,) = json.loads(checked.stdout)
    (result,) = [r for r in assessment["results"] if r["control"] == "CHG-01"]
    return checked.exit_code, result


def test_with_a_token_platform_approvals_pass_chg01(tmp_path: Path, github: FakeGitHub) -> None:
    root = squash_team(tmp_path, github)
    _, result = chg01(root, {"GITHUB_TOKEN": TOKEN})
    assert result["status"] == "pass", result


def test_without_a_token_chg01_is_unverifiable_and_says_what_it_needs(
    tmp_path: Path, github: FakeGitHub
) -> None:
    root = squash_team(tmp_path, github)
    code, result = chg01(root, {})
    assert code == 1
    assert result["status"] == "unverifiable", result
    reasons = " ".join(result.get("reasons", []))
    assert "GITHUB_TOKEN" in reasons
    assert f"{PULLS} of {PULLS} change sets" in reasons
    assert github.log == []  # nothing was asked without a token
