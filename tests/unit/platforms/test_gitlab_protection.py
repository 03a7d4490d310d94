"""GitLab branch protection, approval settings and protected environments from a fake GitLab."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assay.platforms.cache import ResponseCache
from assay.platforms.gitlab import GitLabProvider
from assay.platforms.identity import Credentials, Platform
from assay.platforms.transport import Transport
from tests.support.fake_gitlab import JOB_TOKEN, TOKEN, FakeGitLab, running

OPENED: list[Transport] = []


@pytest.fixture(autouse=True)
def _close_transports() -> Iterator[None]:
    yield
    while OPENED:
        OPENED.pop().close()


@pytest.fixture
def gitlab() -> Iterator[FakeGitLab]:
    with running(FakeGitLab()) as server:
        server.protected_branches = [
            {
                "id": 1,
                "name": "main",
                "push_access_levels": [
                    {"access_level": 0, "access_level_description": "No one"},
                    {"access_level": 40, "access_level_description": "Maintainers", "user_id": 7},
                ],
                "merge_access_levels": [{"access_level": 30}],
                "allow_force_push": False,
                "code_owner_approval_required": False,
            },
            {
                "id": 2,
                "name": "release/*",
                "push_access_levels": [{"access_level": 40}],
                "merge_access_levels": [{"access_level": 40}],
                "allow_force_push": True,
                "code_owner_approval_required": True,
            },
        ]
        server.approval_rules = [
            {"id": 1, "name": "All members", "rule_type": "any_approver", "approvals_required": 1},
            {
                "id": 2,
                "name": "Security",
                "rule_type": "regular",
                "approvals_required": 2,
                "protected_branches": [{"name": "release/*"}],
            },
            {"id": 3, "name": "Coverage", "rule_type": "report_approver", "approvals_required": 5},
        ]
        server.protected_environments = [
            {
                "name": "production",
                "deploy_access_levels": [{"access_level": 40}],
                "required_approval_count": 0,
                "approval_rules": [{"group_id": 9, "required_approvals": 2}],
            },
            {"name": "staging", "deploy_access_levels": [{"access_level": 30}]},
        ]
        yield server


def provider(
    server: FakeGitLab, credentials: Credentials | None, tmp_path: Path | None = None
) -> GitLabProvider:
    transport = Transport(
        server.api_url,
        credentials,
        cache=ResponseCache(tmp_path / "cache") if tmp_path else None,
        sleep=lambda _: None,
    )
    OPENED.append(transport)
    return GitLabProvider(Platform("gitlab", server.project, server.api_url), transport)


PERSONAL = Credentials("PRIVATE-TOKEN", TOKEN, "GITLAB_TOKEN")


def test_an_exactly_protected_branch(gitlab: FakeGitLab) -> None:
    found = provider(gitlab, PERSONAL).protection("main")
    assert found.access.read
    assert (found.protected, found.allow_force_push, found.code_owner_review) == (
        True,
        False,
        False,
    )
    assert found.bypass == ("push:user:7",)
    assert found.dismiss_stale_reviews is True
    assert found.prevent_author_approval is True
    assert found.require_last_push_approval is False
    assert found.required_approvals == 1  # the report rule and the release rule do not apply
    assert "protected_branch:main" in found.sources
    environments = {e.name: e for e in found.environments}
    assert environments["production"].requires_approval is True
    assert environments["production"].required_reviewers == ("group:9",)
    assert environments["staging"].requires_approval is False


def test_a_wildcard_protected_branch_and_its_scoped_rule(gitlab: FakeGitLab) -> None:
    found = provider(gitlab, PERSONAL).protection("release/2.0")
    assert found.protected is True
    assert found.allow_force_push is True
    assert found.code_owner_review is True
    assert found.required_approvals == 2
    assert "protected_branch:release/*" in found.sources
    assert any(r.path.endswith("/protected_branches/release%2F2.0") for r in gitlab.log)


def test_an_unprotected_branch_is_said_so_only_when_the_list_was_read(gitlab: FakeGitLab) -> None:
    found = provider(gitlab, PERSONAL).protection("feature/x")
    assert found.access.read
    assert found.protected is False


def test_a_refused_protected_branches_read_is_never_unprotected(gitlab: FakeGitLab) -> None:
    gitlab.refuse["protected_branches"] = 403
    found = provider(gitlab, PERSONAL).protection("main")
    assert found.access.status == "refused"
    assert "403" in (found.access.reason or "")
    assert "read_api" in (found.access.needs or "")
    assert found.protected is None
    assert found.allow_force_push is None
    assert found.dismiss_stale_reviews is True  # what was readable is kept


def test_a_plan_without_approval_apis_is_refused_with_the_plan_named(gitlab: FakeGitLab) -> None:
    for endpoint in ("approvals", "approval_rules", "protected_environments"):
        gitlab.refuse[endpoint] = 404
    found = provider(gitlab, PERSONAL).protection("main")
    assert found.access.status == "refused"
    assert "Premium" in (found.access.reason or "")
    assert found.protected is True
    assert found.required_approvals is None
    assert found.prevent_author_approval is None
    assert found.environments_access.status == "refused"
    assert found.environments == ()


def test_a_job_token_reads_no_settings(gitlab: FakeGitLab) -> None:
    job = Credentials("JOB-TOKEN", JOB_TOKEN, "CI_JOB_TOKEN")
    found = provider(gitlab, job).protection("main")
    assert found.access.status == "refused"
    assert found.protected is None
    assert all(r.headers.get("job-token") == JOB_TOKEN for r in gitlab.log)
    assert all("private-token" not in r.headers for r in gitlab.log)


def test_no_token_reads_nothing(gitlab: FakeGitLab) -> None:
    found = provider(gitlab, None).protection("main")
    assert found.access.status == "no_token"
    assert found.environments_access.status == "no_token"
    assert gitlab.log == []


def test_long_lists_are_paged_and_kept_answers_cost_nothing(
    gitlab: FakeGitLab, tmp_path: Path
) -> None:
    gitlab.per_page_default = 100
    gitlab.protected_environments += [{"name": f"review-{i}"} for i in range(150)]
    first = provider(gitlab, PERSONAL, tmp_path).protection("main")
    assert len(first.environments) == 152
    again = provider(gitlab, PERSONAL, tmp_path)
    assert again.protection("main") == first
    assert again.transport.charged == 0
    assert again.transport.requests == 5
