"""Which platform a repository is on, its API base and its token."""

from __future__ import annotations

import pytest

from assay.platforms.identity import (
    GITHUB_API,
    GITLAB_API,
    Platform,
    credentials,
    from_url,
    resolve,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/psf/requests.git", Platform("github", "psf/requests", GITHUB_API)),
        ("git@github.com:pallets/flask.git", Platform("github", "pallets/flask", GITHUB_API)),
        (
            "https://gitlab.com/gitlab-org/gitlab-runner",
            Platform("gitlab", "gitlab-org/gitlab-runner", GITLAB_API),
        ),
        (
            "ssh://git@gitlab.com/group/sub/project.git",
            Platform("gitlab", "group/sub/project", GITLAB_API),
        ),
        ("https://github.com/only-owner", None),
        ("https://github.com/a/b/c", None),
        ("https://github.com/../etc", None),
        ("https://git.example.org/a/b", None),
        ("file:///srv/git/repo", None),
        (None, None),
    ],
)
def test_platform_from_url(url: str | None, expected: Platform | None) -> None:
    assert from_url(url) == expected


def test_a_declared_platform_wins_and_keeps_its_api() -> None:
    declared = {"provider": "github", "project": "corp/app", "api_url": "https://ghe.corp/api/v3"}
    found = resolve(declared, "https://github.com/other/repo", {})
    assert found == Platform("github", "corp/app", "https://ghe.corp/api/v3")


def test_inside_ci_the_api_base_comes_from_the_job() -> None:
    environ = {"GITLAB_CI": "true", "CI_API_V4_URL": "https://gitlab.com/api/v4"}
    assert resolve(None, "https://gitlab.com/g/p", environ) == Platform(
        "gitlab", "g/p", "https://gitlab.com/api/v4"
    )
    # A job on another host does not redirect a gitlab.com repository to itself.
    other = {"GITLAB_CI": "true", "CI_API_V4_URL": "https://gitlab.corp/api/v4"}
    assert resolve(None, "https://gitlab.com/g/p", other) == Platform("gitlab", "g/p", GITLAB_API)


def test_tokens_come_from_the_environment_and_never_show() -> None:
    found = credentials("github", {"GH_TOKEN": "abc"})
    assert found is not None
    assert found.source == "GH_TOKEN"
    assert "abc" not in repr(found)
    assert found.headers() == {"Authorization": "Bearer abc"}
    assert credentials("github", {}) is None
    assert credentials("gitlab", {"CI_JOB_TOKEN": "j"}) is None  # only inside GitLab CI
    job = credentials("gitlab", {"CI_JOB_TOKEN": "j", "GITLAB_CI": "true"})
    assert job is not None
    assert job.headers() == {"JOB-TOKEN": "j"}
