"""GitHub reviews: merged pull requests and approvals, against the fake GitHub API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assay.platforms.cache import ResponseCache
from assay.platforms.github import GitHubProvider, graphql_url
from assay.platforms.identity import Credentials, Platform
from assay.platforms.transport import Transport
from tests.support.fake_github import TOKEN, FakeCommit, FakeGitHub, FakePull, FakeReview, sha
from tests.support.fake_http import serving

SINCE = datetime(2026, 1, 1, tzinfo=UTC)
UNTIL = datetime(2026, 4, 1, tzinfo=UTC)


_OPENED: list[Transport] = []


@pytest.fixture(autouse=True)
def _close_transports() -> Iterator[None]:
    yield
    while _OPENED:
        _OPENED.pop().close()


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with serving(FakeGitHub()) as running:
        yield running


def provider(
    server: FakeGitHub, cache: Path | None = None, token: str | None = TOKEN
) -> GitHubProvider:
    credentials = Credentials("Authorization", token, "GITHUB_TOKEN") if token else None
    transport = Transport(
        server.api_url,
        credentials,
        cache=ResponseCache(cache) if cache else None,
        sleep=lambda _: None,
        backoff=0.0,
    )
    _OPENED.append(transport)
    return GitHubProvider(Platform("github", "acme/shop", server.api_url), transport)


def squash(number: int, author: str, reviewer: str, *, stale: bool = False) -> FakePull:
    head = sha(f"head{number}")
    day = f"2026-02-{number % 27 + 1:02d}T10:00:00Z"
    return FakePull(
        number=number,
        author=author,
        merged_at=day,
        head=head,
        merge_commit=sha(f"merge{number}"),
        parents=1,
        commits=[FakeCommit(head, author, day)],
        reviews=[FakeReview(reviewer, sha("older") if stale else head, day)],
    )


def test_a_squash_merge_with_an_independent_approval(github: FakeGitHub) -> None:
    github.pulls = [squash(1, "alice", "bob")]
    found = provider(github).reviews("main", SINCE, UNTIL)
    assert found.access.status == "read"
    (request,) = found.requests
    assert request.merge_method == "squash"
    assert request.branch_commits == (sha("merge1"),)
    assert request.authors == ("alice",)
    (approval,) = request.approvals
    assert (approval.approver, approval.stale, approval.bot) == ("bob", False, False)


def test_stale_and_bot_approvals_are_marked(github: FakeGitHub) -> None:
    bot = squash(2, "alice", "renovate[bot]")
    typed = squash(3, "alice", "helper")
    typed.reviews[0].typename = "Bot"
    github.pulls = [squash(1, "alice", "bob", stale=True), bot, typed]
    found = {r.number: r for r in provider(github).reviews("main", SINCE, UNTIL).requests}
    assert found[1].approvals[0].stale
    assert found[2].approvals[0].bot
    assert found[3].approvals[0].bot


def test_merge_squash_and_rebase_are_told_apart(github: FakeGitHub) -> None:
    day = "2026-02-10T10:00:00Z"
    first, second = sha("c1"), sha("c2")
    commits = [FakeCommit(first, "alice", "2026-02-09T10:00:00Z"), FakeCommit(second, "carol", day)]

    def pull(number: int, merge: str, parents: int, authored: str | None = None) -> FakePull:
        return FakePull(
            number,
            author="alice",
            merged_at="2026-02-11T10:00:00Z",
            head=second,
            merge_commit=merge,
            parents=parents,
            commits=commits,
            merge_authored=authored,
        )

    github.pulls = [
        pull(1, sha("m1"), 2),
        pull(2, sha("m2"), 1),
        pull(3, sha("m3"), 1, authored=day),  # keeps the last commit's author date
        pull(4, second, 1),  # the head itself: a fast-forward
    ]
    found = {r.number: r for r in provider(github).reviews("main", SINCE, UNTIL).requests}
    assert [found[n].merge_method for n in (1, 2, 3, 4)] == ["merge", "squash", "rebase", "rebase"]
    assert found[3].commits == 2
    assert found[1].authors == ("alice", "carol")


def test_pages_are_followed_and_stop_before_the_window(github: FakeGitHub) -> None:
    github.pulls = [squash(n, "alice", "bob") for n in range(1, 251)]
    old = squash(999, "alice", "bob")
    old.merged_at = old.updated_at = "2025-06-01T00:00:00Z"
    github.pulls.append(old)
    found = provider(github).reviews("main", SINCE, UNTIL)
    assert len(found.requests) == 250
    assert not found.truncated
    assert len(github.requests("POST", "/graphql")) == 3


def test_refusals_are_values_with_what_would_give_access(github: FakeGitHub) -> None:
    github.pulls = [squash(1, "alice", "bob")]
    none = provider(github, token=None).reviews("main", SINCE, UNTIL)
    assert none.access.status == "no_token"
    assert "GITHUB_TOKEN" in (none.access.needs or "")
    assert github.log == []  # nothing was sent without a token
    wrong = provider(github, token="ghp_wrong").reviews("main", SINCE, UNTIL)
    assert (wrong.access.status, wrong.access.reason) == ("refused", "HTTP 401: Bad credentials")
    github.graphql_errors = [{"type": "FORBIDDEN", "message": "Resource not accessible"}]
    forbidden = provider(github).reviews("main", SINCE, UNTIL)
    assert forbidden.access.status == "refused"
    assert "FORBIDDEN" in (forbidden.access.reason or "")
    assert forbidden.requests == ()


def test_a_secondary_rate_limit_is_waited_out(github: FakeGitHub) -> None:
    github.pulls = [squash(1, "alice", "bob")]
    github.secondary_limit = {"/graphql"}
    found = provider(github).reviews("main", SINCE, UNTIL)
    assert len(found.requests) == 1
    assert len(github.requests("POST", "/graphql")) == 2


def test_recollecting_unchanged_costs_no_rate_budget(github: FakeGitHub, tmp_path: Path) -> None:
    github.pulls = [squash(n, "alice", "bob") for n in range(1, 301)]
    first = provider(github, tmp_path)
    assert len(first.reviews("main", SINCE, UNTIL).requests) == 300
    assert first.transport.charged == 4  # the probe and three pages
    again = provider(github, tmp_path)
    assert len(again.reviews("main", SINCE, UNTIL).requests) == 300
    assert again.transport.charged == 0
    late = squash(301, "carol", "dave")
    late.merged_at = late.updated_at = "2026-03-01T09:00:00Z"  # merging updates a request
    github.pulls.append(late)
    changed = provider(github, tmp_path)
    assert len(changed.reviews("main", SINCE, UNTIL).requests) == 301
    assert changed.transport.charged == 5
    kept = "".join(p.read_text() for p in tmp_path.rglob("*.json"))
    assert TOKEN not in kept


def test_enterprise_server_answers_graphql_beside_its_rest_base() -> None:
    assert graphql_url("https://ghe.example/api/v3") == "https://ghe.example/api/graphql"
    assert graphql_url("https://api.github.com/") == "https://api.github.com/graphql"
    with serving(FakeGitHub(enterprise=True)) as server:
        server.pulls = [squash(1, "alice", "bob")]
        found = provider(server).reviews("main", SINCE, UNTIL)
        assert len(found.requests) == 1
        assert server.requests("POST", "/api/graphql")
