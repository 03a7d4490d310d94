"""GitHub branch protection, rulesets and environments, against the fake GitHub API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assay.platforms.cache import ResponseCache
from assay.platforms.github import GitHubProvider
from assay.platforms.identity import Credentials, Platform
from assay.platforms.model import Protection
from assay.platforms.transport import Transport
from tests.support.fake_github import TOKEN, FakeGitHub
from tests.support.fake_http import serving

CLASSIC: dict[str, Any] = {
    "required_pull_request_reviews": {
        "required_approving_review_count": 1,
        "require_code_owner_reviews": False,
        "dismiss_stale_reviews": True,
        "require_last_push_approval": False,
        "bypass_pull_request_allowances": {"users": [{"login": "release-manager"}], "teams": []},
    },
    "required_status_checks": {"strict": True, "contexts": ["build"], "checks": []},
    "enforce_admins": {"enabled": True},
    "allow_force_pushes": {"enabled": False},
    "allow_deletions": {"enabled": False},
    "required_signatures": {"enabled": False},
}
RULES: list[dict[str, Any]] = [
    {
        "type": "pull_request",
        "ruleset_source_type": "Repository",
        "ruleset_source": "acme/shop",
        "ruleset_id": 7,
        "parameters": {
            "required_approving_review_count": 2,
            "dismiss_stale_reviews_on_push": False,
            "require_code_owner_review": True,
            "require_last_push_approval": True,
            "required_review_thread_resolution": False,
        },
    },
    {"type": "required_signatures", "ruleset_source": "acme/shop", "ruleset_id": 7},
    {
        "type": "required_status_checks",
        "ruleset_source": "acme/shop",
        "ruleset_id": 7,
        "parameters": {
            "strict_required_status_checks_policy": False,
            "required_status_checks": [{"context": "lint", "integration_id": 1}],
        },
    },
]
RULESET: dict[str, Any] = {
    "id": 7,
    "name": "main rules",
    "enforcement": "active",
    "bypass_actors": [{"actor_id": 5, "actor_type": "RepositoryRole", "bypass_mode": "always"}],
}
ENVIRONMENTS: list[dict[str, Any]] = [
    {
        "name": "production",
        "protection_rules": [
            {
                "type": "required_reviewers",
                "prevent_self_review": True,
                "reviewers": [{"type": "Team", "reviewer": {"slug": "ops"}}],
            },
            {"type": "wait_timer", "wait_timer": 30},
        ],
        "deployment_branch_policy": {"protected_branches": True, "custom_branch_policies": False},
    },
    {"name": "staging", "protection_rules": [], "deployment_branch_policy": None},
]


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serving(FakeGitHub()) as running:
        yield running


def read(server: FakeGitHub, token: str | None = TOKEN) -> Protection:
    credentials = Credentials("Authorization", token, "GITHUB_TOKEN") if token else None
    with Transport(server.api_url, credentials, sleep=lambda _: None) as transport:
        found = GitHubProvider(Platform("github", "acme/shop", server.api_url), transport)
        return found.protection("main")


def test_classic_protection_and_rulesets_merge_strictest_first(github: FakeGitHub) -> None:
    github.protection, github.rules, github.rulesets = CLASSIC, RULES, {7: RULESET}
    github.environments = ENVIRONMENTS
    found = read(github)
    assert found.access.status == "read"
    assert found.protected is True
    assert found.required_approvals == 2
    assert (found.code_owner_review, found.dismiss_stale_reviews) == (True, True)
    assert found.require_last_push_approval is True
    assert found.signed_commits is True
    assert found.required_checks == ("build", "lint")
    assert found.bypass == ("RepositoryRole:5", "user:release-manager")
    assert (found.allow_force_push, found.allow_deletion, found.enforce_admins) == (
        False,
        False,
        True,
    )
    assert found.sources == ("branch_protection", "ruleset:acme/shop")
    production, staging = found.environments
    assert production.requires_approval is True
    assert production.required_reviewers == ("team:ops",)
    assert (production.prevent_self_review, production.wait_minutes) == (True, 30)
    assert production.branch_policy == "protected"
    assert (staging.requires_approval, staging.branch_policy) == (False, "all")


def test_an_unprotected_branch_is_said_so_only_when_github_says_it(github: FakeGitHub) -> None:
    found = read(github)
    assert (found.access.status, found.protected, found.required_approvals) == ("read", False, 0)
    assert found.allow_force_push is True


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (403, "Resource not accessible by integration"),
        (404, "Not Found"),
        (403, "Upgrade to GitHub Pro or make this repository public to enable this feature."),
    ],
)
def test_a_refused_protection_is_unknown_never_unprotected(
    github: FakeGitHub, status: int, message: str
) -> None:
    github.protection_refusal = (status, message)
    found = read(github)
    assert found.access.status == "refused"
    assert message in (found.access.reason or "")
    assert "Administration" in (found.access.needs or "")
    assert found.protected is None
    assert found.required_approvals is None
    assert found.allow_force_push is None


def test_rules_still_count_when_classic_protection_is_refused(github: FakeGitHub) -> None:
    github.protection_refusal = (404, "Not Found")
    github.rules, github.rulesets = RULES, {7: RULESET}
    found = read(github)
    assert found.access.status == "refused"
    assert found.protected is True
    assert found.required_approvals == 2  # at least: the classic settings are unknown
    assert found.bypass is None


def test_environments_refused_and_no_token(github: FakeGitHub) -> None:
    github.protection = CLASSIC
    github.environments_refusal = (403, "Resource not accessible by integration")
    found = read(github)
    assert found.access.status == "read"
    assert found.environments_access.status == "refused"
    assert found.environments == ()
    none = read(github, token=None)
    assert (none.access.status, none.environments_access.status) == ("no_token", "no_token")
    assert none.protected is None


def test_reading_unchanged_protection_again_costs_no_rate_budget(
    github: FakeGitHub, tmp_path: Path
) -> None:
    github.protection, github.rules, github.rulesets = CLASSIC, RULES, {7: RULESET}
    github.environments = ENVIRONMENTS
    charged = []
    for _ in range(2):
        credentials = Credentials("Authorization", TOKEN, "GITHUB_TOKEN")
        cache = ResponseCache(tmp_path / "cache")
        with Transport(github.api_url, credentials, cache=cache) as transport:
            platform = Platform("github", "acme/shop", github.api_url)
            found = GitHubProvider(platform, transport).protection("main")
            charged.append(transport.charged)
        assert found.required_approvals == 2
    assert charged == [4, 0]
