"""Collection with GitLab: merge request approvals from the fake GitLab count for the
squashed commits of a real git history, judged against the authors of the merged commits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.fake_gitlab import TOKEN, FakeCommit, FakeGitLab, FakeMR, running
from tests.support.gitrepo import GitRepo
from tests.unit.evidence.collection.helpers import collect_with as run
from tests.unit.evidence.collection.helpers import facts_of, workspace

RENOVATE = "Renovate Bot <bot@renovateapp.com>"


@pytest.fixture
def gitlab() -> Iterator[FakeGitLab]:
    with running(FakeGitLab(project="acme/runner")) as server:
        yield server


def squash(repo: GitRepo, gitlab: FakeGitLab, iid: int, author: str, approver: str) -> None:
    login = author.split()[0].lower()
    merged = repo.commit(f"Change {iid}", {f"f{iid}": "x"}, author=author)
    at = datetime.fromtimestamp(repo.clock, UTC)
    gitlab.merge_requests.append(
        FakeMR(
            iid,
            author=login,
            merged_at=at,
            merged_by="mara",
            commits=[FakeCommit(f"{iid:040x}", login)],
            created_at=at - timedelta(hours=2),
            squash=True,
            squash_sha=merged,
            approvals=[(approver, at - timedelta(minutes=30))],
        )
    )


def gitlab_workspace(tmp_path: Path, gitlab: FakeGitLab) -> Path:
    repo = GitRepo.init(tmp_path / "ws" / "repos" / "runner")
    repo.commit("Initial import", {"README.md": "runner"})
    # The merger approves a change Renovate wrote: an independent review.
    squash(repo, gitlab, 1, RENOVATE, "mara")
    # Alice approves her own change: refused.
    squash(repo, gitlab, 2, "Alice Example <alice@example.com>", "alice")
    # Bob reviews Alice's change.
    squash(repo, gitlab, 3, "Alice Example <alice@example.com>", "bob")
    platform = {"provider": "gitlab", "project": "acme/runner", "api_url": gitlab.api_url}
    return workspace(
        tmp_path / "ws",
        {"runner": {"repos": [{"name": "runner", "path": "repos/runner", "platform": platform}]}},
    )


def test_merge_request_approvals_count_against_the_merged_commits_authors(
    tmp_path: Path, gitlab: FakeGitLab
) -> None:
    root = gitlab_workspace(tmp_path, gitlab)
    report = run(root, tmp_path / "store.db", {"GITLAB_TOKEN": TOKEN})
    assert report.failures == []
    reviews = facts_of(report, "platform.reviews")
    assert reviews["access"]["status"] == "read"
    assert reviews["counts"]["requests"] == 3
    assert reviews["counts"]["approved_independently"] == 2
    assert reviews["counts"]["self_approved"] == 1
    history = facts_of(report, "git.history")
    assert history["platform_reviews"]["status"] == "read"
    assert (history["change_sets"], history["reviewed_change_sets"]) == (4, 2)


def test_without_a_token_nothing_is_asked_and_the_reviews_are_unread(
    tmp_path: Path, gitlab: FakeGitLab
) -> None:
    root = gitlab_workspace(tmp_path, gitlab)
    report = run(root, tmp_path / "store.db", {})
    assert report.failures == []
    assert facts_of(report, "platform.reviews")["access"]["status"] == "no_token"
    history = facts_of(report, "git.history")
    assert history["platform_reviews"]["status"] == "no_token"
    assert "GITLAB_TOKEN" in history["platform_reviews"]["needs"]
    assert gitlab.log == []
