"""Collection with a code platform: the fake GitHub's merged requests match a real git
history, and their independent approvals make git.history count change sets reviewed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assay.evidence.collect import CollectOptions, collect
from assay.evidence.store import open_store
from assay.workspace import open_workspace
from tests.support.fake_github import TOKEN, FakeCommit, FakeGitHub, FakePull, FakeReview, sha
from tests.support.fake_http import serving
from tests.support.gitrepo import GitRepo
from tests.unit.evidence.collection.helpers import collect_with as run
from tests.unit.evidence.collection.helpers import facts_of, platform_collectors, workspace

ALICE = "Alice Example <alice@example.com>"
CAROL = "Carol Example <carol@example.com>"


def when(repo: GitRepo) -> str:
    return datetime.fromtimestamp(repo.clock, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serving(FakeGitHub()) as running:
        yield running


def team_history(repo: GitRepo, github: FakeGitHub) -> None:
    """A direct push, five squash merges and a two-commit rebase, with the fake's requests."""
    repo.commit("Initial import", {"README.md": "shop"})

    def squash(number: int, reviews: list[FakeReview], commit_authors: list[str]) -> None:
        merged = repo.commit(f"Change {number} (#{number})", {f"f{number}": "x"}, author=ALICE)
        head = sha(f"head{number}")
        stamp = when(repo)
        for review in reviews:
            review.commit = review.commit or head
            review.submitted = stamp
        github.pulls.append(
            FakePull(
                number,
                author="alice",
                merged_at=stamp,
                head=head,
                merge_commit=merged,
                parents=1,
                commits=[FakeCommit(head, login, stamp) for login in commit_authors],
                reviews=reviews,
            )
        )

    squash(1, [FakeReview("bob", "", "")], ["alice"])  # independent
    squash(2, [FakeReview("alice", "", "")], ["alice"])  # self-approval
    squash(3, [FakeReview("renovate[bot]", "", "", "Bot")], ["alice"])  # bot
    squash(4, [FakeReview("bob", sha("before-push"), "")], ["alice"])  # stale
    squash(5, [FakeReview("bob", "", "")], ["alice", "bob"])  # bob wrote a commit
    first = repo.commit("Rebased one", {"r1": "x"}, author=CAROL)
    first_at = when(repo)
    last = repo.commit("Rebased two", {"r2": "x"}, author=CAROL)
    last_at = when(repo)
    github.pulls.append(
        FakePull(
            6,
            author="carol",
            merged_at=last_at,
            head=sha("head6"),
            merge_commit=last,
            parents=1,
            commits=[
                FakeCommit(sha("pr6-1"), "carol", first_at),
                FakeCommit(sha("head6"), "carol", last_at),
            ],
            reviews=[FakeReview("bob", sha("head6"), last_at)],
            merge_authored=last_at,  # a rebase keeps the author date
        )
    )
    assert first != last


def github_workspace(tmp_path: Path, github: FakeGitHub) -> tuple[Path, GitRepo]:
    repo = GitRepo.init(tmp_path / "ws" / "repos" / "shop")
    team_history(repo, github)
    platform = {"provider": "github", "project": "acme/shop", "api_url": github.api_url}
    root = workspace(
        tmp_path / "ws",
        {"shop": {"repos": [{"name": "shop", "path": "repos/shop", "platform": platform}]}},
    )
    return root, repo


def test_platform_approvals_count_as_reviewed_change_sets(
    tmp_path: Path, github: FakeGitHub
) -> None:
    root, repo = github_workspace(tmp_path, github)
    github.protection = {"required_pull_request_reviews": {"required_approving_review_count": 1}}
    report = run(root, tmp_path / "store.db", {"GITHUB_TOKEN": TOKEN})
    assert report.failures == []
    reviews = facts_of(report, "platform.reviews")
    assert reviews["access"]["status"] == "read"
    assert reviews["counts"] == {
        "requests": 6,
        "approved_independently": 2,
        "self_approved": 2,
        "bot_only": 1,
        "stale_only": 1,
        "unapproved": 0,
    }
    refused = {r["number"]: r["approvals"][0]["refused"] for r in reviews["requests"]}
    assert refused == {
        1: None,
        2: "self_approval",
        3: "bot",
        4: "stale",
        5: "self_approval",
        6: None,
    }
    rebase = next(r for r in reviews["requests"] if r["number"] == 6)
    assert rebase["merge_method"] == "rebase"
    assert rebase["branch_commits"] == repo.git("rev-list", "--reverse", "-n", "2", "HEAD").split()
    history = facts_of(report, "git.history")
    assert history["platform_reviews"] == {"status": "read", "reason": None, "needs": None}
    assert (history["change_sets"], history["reviewed_change_sets"]) == (8, 3)
    protection = facts_of(report, "platform.protection")
    assert (protection["protected"], protection["required_approvals"]) == (True, 1)
    # Tested platform facts: the history record is not marked self-reported.
    (record,) = [c for c in report.collected if c.kind == "git.history"]
    with open_store(f"sqlite:///{tmp_path / 'store.db'}", create=False) as store:
        stored = store.get(record.evidence_id)
        assert stored is not None
        assert [a.name for a in stored.artefacts] == []


def test_the_token_is_never_stored_or_kept(tmp_path: Path, github: FakeGitHub) -> None:
    root, _ = github_workspace(tmp_path, github)
    report = run(root, tmp_path / "store.db", {"GITHUB_TOKEN": TOKEN})
    assert report.failures == []
    assert TOKEN not in json.dumps([c.facts for c in report.collected])
    assert TOKEN.encode() not in (tmp_path / "store.db").read_bytes()
    cache = root / ".assay" / "cache" / "http"
    kept = list(cache.rglob("*.json"))
    assert kept  # answers and pages were kept ...
    assert all(TOKEN.encode() not in path.read_bytes() for path in kept)  # ... never the token
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in github.log)


def test_without_a_token_the_reviews_are_unverifiable(tmp_path: Path, github: FakeGitHub) -> None:
    root, _ = github_workspace(tmp_path, github)
    report = run(root, tmp_path / "store.db", {})
    assert report.failures == []
    reviews = facts_of(report, "platform.reviews")
    assert reviews["access"]["status"] == "no_token"
    assert "GITHUB_TOKEN" in reviews["access"]["needs"]
    history = facts_of(report, "git.history")
    assert history["platform_reviews"]["status"] == "no_token"
    assert history["reviewed_change_sets"] == 0
    assert facts_of(report, "platform.protection")["access"]["status"] == "no_token"
    assert github.log == []


def test_a_repository_without_a_platform_is_not_configured(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "ws" / "repos" / "shop")
    repo.commit("Initial import")
    root = workspace(tmp_path / "ws", {"shop": {"repos": [{"name": "shop", "path": "repos/shop"}]}})
    report = run(root, tmp_path / "store.db", {"GITHUB_TOKEN": TOKEN})
    assert report.failures == []
    assert {c.kind for c in report.collected} == {"git.history"}
    assert facts_of(report, "git.history")["platform_reviews"]["status"] == "not_configured"


DEPLOY = """\
on: push
permissions: {}
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: ./deploy
"""


def test_platform_environments_fill_in_what_the_definitions_cannot_show(
    tmp_path: Path, github: FakeGitHub
) -> None:
    from assay.evidence.collectors.ci_workflows import CiWorkflowsCollector

    repo = GitRepo.init(tmp_path / "ws" / "repos" / "shop")
    repo.commit("Deploy", {".github/workflows/deploy.yml": DEPLOY})
    platform = {"provider": "github", "project": "acme/shop", "api_url": github.api_url}
    root = workspace(
        tmp_path / "ws",
        {"shop": {"repos": [{"name": "shop", "path": "repos/shop", "platform": platform}]}},
    )
    rule = {"type": "required_reviewers", "prevent_self_review": True,
            "reviewers": [{"type": "User", "reviewer": {"login": "ops-lead"}}]}  # fmt: skip
    github.environments = [{"name": "production", "protection_rules": [rule]}]
    chosen = {**platform_collectors(), "ci.workflows": CiWorkflowsCollector()}
    with open_store(f"sqlite:///{tmp_path / 'store.db'}") as store:
        environ = {"GITHUB_TOKEN": TOKEN}
        options = CollectOptions(environ=environ, in_ci=False)
        report = collect(open_workspace(root), store, options, collectors=chosen)
        assert report.failures == []
        (production,) = facts_of(report, "ci.workflows")["deploy_environments"]
        assert production == {"name": "production", "jobs": 1, "requires_approval": True,
                              "approval_source": "platform"}  # fmt: skip
        github.environments_refusal = (403, "Resource not accessible by integration")
        again = collect(open_workspace(root), store, options, collectors=chosen)
    (unknown,) = facts_of(again, "ci.workflows")["deploy_environments"]
    assert unknown["requires_approval"] is None
    assert "approval_source" not in unknown


def test_the_platform_entry_is_read_and_checked(tmp_path: Path) -> None:
    from assay.errors import AssayError

    entry = {"provider": "github", "project": "acme/shop", "api_url": "https://ghe.example/api/v3"}
    root = workspace(
        tmp_path / "ws",
        {"shop": {"repos": [{"name": "shop", "path": "repos/shop", "platform": entry}]}},
    )
    (ref,) = open_workspace(root).load_services()["shop"].repos
    assert ref.platform == entry
    entry["api_url"] = "http://ghe.example/api/v3"  # a token must not travel in clear text
    workspace(
        tmp_path / "ws",
        {"shop": {"repos": [{"name": "shop", "path": "repos/shop", "platform": entry}]}},
    )
    with pytest.raises(AssayError) as refused:
        open_workspace(root).load_services()
    assert "repos[0].platform.api_url" in "\n".join(refused.value.diagnostics())


def test_a_local_clone_is_placed_by_its_origin_remote(tmp_path: Path) -> None:
    from assay.evidence.collectors.platform import origin_url
    from assay.platforms.identity import from_url
    from tests.unit.evidence.collection.helpers import target

    repo = GitRepo.init(tmp_path / "shop")
    repo.commit("Initial import")
    assert origin_url(target(repo)) is None
    repo.git("remote", "add", "origin", "git@github.com:acme/shop.git")
    found = from_url(origin_url(target(repo)))
    assert found is not None
    assert (found.provider, found.project) == ("github", "acme/shop")


def test_collection_places_a_path_repository_by_its_origin(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "ws" / "repos" / "shop")
    repo.commit("Initial import")
    repo.git("remote", "add", "origin", "https://github.com/acme/shop.git")
    root = workspace(tmp_path / "ws", {"shop": {"repos": [{"name": "shop", "path": "repos/shop"}]}})
    report = run(root, tmp_path / "store.db", {})  # no token: nothing is sent anywhere
    assert report.failures == []
    reviews = facts_of(report, "platform.reviews")
    assert (reviews["project"], reviews["access"]["status"]) == ("acme/shop", "no_token")
    assert facts_of(report, "git.history")["platform_reviews"]["status"] == "no_token"
