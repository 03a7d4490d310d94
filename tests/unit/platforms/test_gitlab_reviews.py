"""GitLab merge requests and approvals, read from a fake GitLab on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from assay.platforms.cache import ResponseCache
from assay.platforms.gitlab import GitLabProvider
from assay.platforms.gitlab_reviews import change_request
from assay.platforms.identity import Credentials, Platform
from assay.platforms.model import ChangeRequest
from assay.platforms.provider import PlatformProvider
from assay.platforms.transport import PlatformError, Transport
from tests.support.fake_gitlab import T0, TOKEN, FakeCommit, FakeGitLab, FakeMR, running

SINCE, UNTIL = T0 - timedelta(days=1), T0 + timedelta(days=30)
OPENED: list[Transport] = []


@pytest.fixture(autouse=True)
def _close_transports() -> Iterator[None]:
    yield
    while OPENED:
        OPENED.pop().close()


@pytest.fixture
def gitlab() -> Iterator[FakeGitLab]:
    with running(FakeGitLab()) as server:
        yield server


def provider(
    server: FakeGitLab, tmp_path: Path | None = None, token: str | None = TOKEN, **options: int
) -> GitLabProvider:
    waits: list[float] = []
    credentials = Credentials("PRIVATE-TOKEN", token, "GITLAB_TOKEN") if token else None
    transport = Transport(
        server.api_url,
        credentials,
        cache=ResponseCache(tmp_path / "cache") if tmp_path else None,
        sleep=waits.append,
        backoff=0.0,
    )
    transport.waits = waits  # type: ignore[attr-defined]
    OPENED.append(transport)
    return GitLabProvider(Platform("gitlab", server.project, server.api_url), transport, **options)


def mr(iid: int, **fields: object) -> FakeMR:
    values: dict[str, object] = {
        "author": "alice",
        "merged_at": T0 + timedelta(hours=iid),
        "merged_by": "bob",
        "commits": [FakeCommit(f"{iid:02d}" + "a" * 38, "alice")],
        "merge_sha": f"{iid:02d}" + "m" * 38,
        "created_at": T0 - timedelta(hours=5),
    }
    values.update(fields)
    return FakeMR(iid, **values)  # type: ignore[arg-type]


def only(server: FakeGitLab, *requests: FakeMR) -> ChangeRequest:
    server.merge_requests = list(requests)
    found = provider(server).reviews("main", SINCE, UNTIL)
    assert found.access.read, found.access
    assert len(found.requests) == 1
    return found.requests[0]


def test_a_merge_commit_lands_the_merge_commit(gitlab: FakeGitLab) -> None:
    found = only(gitlab, mr(1))
    assert found.merge_method == "merge"
    assert found.branch_commits == ("01" + "m" * 38,)
    assert found.head_commit == "01" + "a" * 38
    assert (found.author, found.merged_by, found.authors) == ("alice", "bob", ("alice",))


def test_a_squash_lands_the_squashed_commit(gitlab: FakeGitLab) -> None:
    found = only(gitlab, mr(2, squash=True, squash_sha="s" * 40, merge_sha=None))
    assert (found.merge_method, found.branch_commits) == ("squash", ("s" * 40,))
    with_merge = only(gitlab, mr(3, squash=True, squash_sha="s" * 40, merge_sha="m" * 40))
    assert with_merge.branch_commits == ("s" * 40, "m" * 40)


def test_a_fast_forward_lands_every_commit_of_the_request(gitlab: FakeGitLab) -> None:
    commits = [FakeCommit("c" * 40, "alice"), FakeCommit("d" * 40, "carol")]
    found = only(gitlab, mr(4, merge_sha=None, commits=commits))
    assert found.merge_method == "rebase"
    assert found.branch_commits == ("c" * 40, "d" * 40)
    assert found.authors == ("alice", "carol")


def test_the_mergers_approval_of_someone_elses_work_is_independent(gitlab: FakeGitLab) -> None:
    gitlab.bots.add("renovate-bot")
    request = mr(
        5,
        author="renovate-bot",
        commits=[FakeCommit("e" * 40, "renovate-bot")],
        approvals=[("bob", T0 - timedelta(hours=1))],
    )
    found = only(gitlab, request)
    assert found.author_bot is True
    (approval,) = found.approvals
    assert approval.approver == found.merged_by == "bob"
    assert approval.approver not in {found.author, *found.authors}
    assert (approval.stale, approval.bot, approval.at) == (False, False, T0 - timedelta(hours=1))
    assert approval.commit == "e" * 40


def test_an_approval_by_the_author_of_any_commit_is_visible_as_self_approval(
    gitlab: FakeGitLab,
) -> None:
    commits = [FakeCommit("f" * 40, "alice"), FakeCommit("9" * 40, "carol")]
    found = only(gitlab, mr(6, commits=commits, approvals=[("carol", T0 - timedelta(hours=1))]))
    (approval,) = found.approvals
    assert found.author == "alice"
    assert approval.approver in found.authors
    assert found.to_facts()["authors"] == ["alice", "carol"]


def test_bot_approvers_are_flagged_by_gitlab_or_by_name(gitlab: FakeGitLab) -> None:
    gitlab.bots.add("release-helper")
    approvals = [
        ("release-helper", T0 - timedelta(hours=2)),
        ("project_42_bot_0123abcd", T0 - timedelta(hours=2)),
        ("dave", T0 - timedelta(hours=2)),
    ]
    found = only(gitlab, mr(7, approvals=approvals))
    assert {a.approver: a.bot for a in found.approvals} == {
        "release-helper": True,
        "project_42_bot_0123abcd": True,
        "dave": False,
    }


def test_an_approval_before_the_last_push_is_stale(gitlab: FakeGitLab) -> None:
    request = mr(
        8,
        pushes=[T0 - timedelta(hours=3), T0 - timedelta(minutes=30)],
        approvals=[("bob", T0 - timedelta(hours=2)), ("dave", T0 - timedelta(minutes=10))],
    )
    found = only(gitlab, request)
    assert found.last_push_at == T0 - timedelta(minutes=30)
    by_name = {a.approver: a for a in found.approvals}
    assert by_name["bob"].stale is True
    assert by_name["bob"].commit is None
    assert by_name["dave"].stale is False
    assert by_name["dave"].commit == found.head_commit


def test_pages_of_requests_commits_and_notes_are_all_read(gitlab: FakeGitLab) -> None:
    many_commits = [FakeCommit(f"{i:040x}", f"dev{i % 3}") for i in range(230)]
    gitlab.merge_requests = [mr(i) for i in range(1, 8)]
    gitlab.merge_requests.append(
        mr(
            9,
            merge_sha=None,
            commits=many_commits,
            other_notes=120,
            approvals=[("bob", T0 + timedelta(days=2))],
        )
    )
    found = provider(gitlab, page_size=3).reviews("main", SINCE, UNTIL)
    assert [r.number for r in found.requests] == [1, 2, 3, 4, 5, 6, 7, 9]
    last = found.requests[-1]
    assert len(last.branch_commits) == 230
    assert last.authors == ("dev0", "dev1", "dev2")
    assert last.approvals[0].at == T0 + timedelta(days=2)
    # 3 pages of requests; then commits 100-229 and notes 50-120 in two more queries
    assert gitlab.graphql_calls == 3 + 2


def test_a_too_complex_page_is_asked_again_smaller(gitlab: FakeGitLab) -> None:
    gitlab.merge_requests = [mr(i) for i in range(1, 6)]
    gitlab.max_graphql_page = 30
    found = provider(gitlab).reviews("main", SINCE, UNTIL)
    assert len(found.requests) == 5
    sizes = [r.json()["variables"]["first"] for r in gitlab.requests("POST")]
    assert sizes == [100, 50, 25]


def test_a_rate_limit_is_waited_out(gitlab: FakeGitLab) -> None:
    gitlab.merge_requests = [mr(1)]
    gitlab.rate_limit_next = 1
    reader = provider(gitlab)
    found = reader.reviews("main", SINCE, UNTIL)
    assert len(found.requests) == 1
    assert reader.transport.waits == [2.0]  # type: ignore[attr-defined]


def test_a_rate_limit_without_retry_after_waits_for_the_reset(gitlab: FakeGitLab) -> None:
    gitlab.merge_requests = [mr(1)]
    gitlab.rate_limit_next = 1
    gitlab.rate_limit_reset = time.time() + 30
    reader = provider(gitlab)
    assert len(reader.reviews("main", SINCE, UNTIL).requests) == 1
    (waited,) = reader.transport.waits  # type: ignore[attr-defined]
    assert 25 < waited <= 32


def test_the_window_and_branch_bound_the_requests(gitlab: FakeGitLab) -> None:
    gitlab.merge_requests = [
        mr(1),
        mr(2, target_branch="develop"),
        mr(3, merged_at=UNTIL + timedelta(days=1)),
    ]
    found = provider(gitlab).reviews("main", SINCE, UNTIL)
    assert [r.number for r in found.requests] == [1]


def test_a_cap_marks_the_result_truncated(gitlab: FakeGitLab) -> None:
    gitlab.merge_requests = [mr(i) for i in range(1, 6)]
    found = provider(gitlab, limit=3, page_size=2).reviews("main", SINCE, UNTIL)
    assert len(found.requests) == 3
    assert found.truncated is True


def test_no_token_sends_nothing(gitlab: FakeGitLab) -> None:
    found = provider(gitlab, token=None).reviews("main", SINCE, UNTIL)
    assert found.access.status == "no_token"
    assert "read_api" in (found.access.needs or "")
    assert gitlab.log == []


def test_a_wrong_token_or_unknown_project_is_refused(gitlab: FakeGitLab) -> None:
    found = provider(gitlab, token="glpat-wrong").reviews("main", SINCE, UNTIL)
    assert found.access.status == "refused"
    assert "401" in (found.access.reason or "")
    elsewhere = provider(gitlab)
    elsewhere.platform = Platform("gitlab", "group/other", gitlab.api_url)
    hidden = elsewhere.reviews("main", SINCE, UNTIL)
    assert hidden.access.status == "refused"
    assert "no project" in (hidden.access.reason or "")


def test_a_graphql_error_is_a_located_failure(gitlab: FakeGitLab) -> None:
    gitlab.max_graphql_page = 0
    with pytest.raises(PlatformError, match="GitLab GraphQL said: Query has complexity"):
        provider(gitlab, page_size=4).reviews("main", SINCE, UNTIL)


def test_a_self_managed_instance_under_a_path_prefix() -> None:
    with running(FakeGitLab("platform/tools/app", prefix="/gitlab/api/v4")) as server:
        server.merge_requests = [mr(1)]
        found = provider(server).reviews("main", SINCE, UNTIL)
        assert [r.number for r in found.requests] == [1]
        assert {r.path for r in server.log} == {"/gitlab/api/graphql"}


def test_a_thousand_requests_cost_at_most_fifteen_requests(gitlab: FakeGitLab) -> None:
    gitlab.merge_requests = [
        mr(
            i,
            merged_at=T0 + timedelta(minutes=i),
            approvals=[("bob", T0 - timedelta(minutes=5))],
            pushes=[T0 - timedelta(minutes=30)],
            other_notes=4,
        )
        for i in range(1, 1001)
    ]
    reader = provider(gitlab)
    found = reader.reviews("main", SINCE, UNTIL)
    assert len(found.requests) == 1000
    assert all(r.approvals[0].at is not None for r in found.requests)
    assert reader.transport.requests == 10 <= 15
    assert reader.transport.charged == 10


def test_reading_again_with_nothing_changed_costs_one_request(
    gitlab: FakeGitLab, tmp_path: Path
) -> None:
    gitlab.merge_requests = [
        mr(i, merged_at=T0 + timedelta(minutes=i), approvals=[("bob", T0)]) for i in range(1, 301)
    ]
    first = provider(gitlab, tmp_path)
    before = first.reviews("main", SINCE, UNTIL)
    assert first.transport.requests == 1 + 3  # the probe and three pages
    again = provider(gitlab, tmp_path)
    after = again.reviews("main", SINCE, UNTIL)
    assert after.requests == before.requests
    assert again.transport.requests == 1
    assert again.transport.charged == 0
    gitlab.merge_requests.append(mr(400, merged_at=T0 + timedelta(days=2)))
    changed = provider(gitlab, tmp_path)
    assert len(changed.reviews("main", SINCE, UNTIL).requests) == 301
    assert changed.transport.requests == 1 + 4


def test_a_later_end_reuses_the_kept_result_an_earlier_start_does_not(
    gitlab: FakeGitLab, tmp_path: Path
) -> None:
    gitlab.merge_requests = [mr(i, merged_at=T0 + timedelta(days=i)) for i in range(1, 5)]
    provider(gitlab, tmp_path).reviews("main", SINCE, T0 + timedelta(days=10))
    later = provider(gitlab, tmp_path)
    found = later.reviews("main", T0 + timedelta(days=2), T0 + timedelta(days=60))
    assert [r.number for r in found.requests] == [2, 3, 4]
    assert later.transport.requests == 1
    earlier = provider(gitlab, tmp_path)
    wider = earlier.reviews("main", SINCE - timedelta(days=30), T0 + timedelta(days=60))
    assert [r.number for r in wider.requests] == [1, 2, 3, 4]
    assert earlier.transport.requests == 2  # the probe, then a full read


def test_a_damaged_kept_result_is_read_again(gitlab: FakeGitLab, tmp_path: Path) -> None:
    gitlab.merge_requests = [mr(1)]
    provider(gitlab, tmp_path).reviews("main", SINCE, UNTIL)
    for kept in (tmp_path / "cache").rglob("*.json"):
        text = kept.read_text()
        if '"requests"' in text:
            kept.write_text(text.replace('"merged_at"', '"merged_when"'))
    again = provider(gitlab, tmp_path)
    assert [r.number for r in again.reviews("main", SINCE, UNTIL).requests] == [1]
    assert again.transport.requests == 2


def test_the_provider_meets_the_contract(gitlab: FakeGitLab) -> None:
    contract: PlatformProvider = provider(gitlab)
    assert contract.platform.provider == "gitlab"
    with pytest.raises(ValueError, match="not a GitLab project"):
        GitLabProvider(Platform("github", "o/r", "https://api.github.com"), contract.transport)


@pytest.mark.parametrize(
    ("node", "message"),
    [
        ({"iid": "x"}, r"merge request !x: its number is not a number"),
        ({"iid": "3", "mergedAt": "yesterday"}, r"merge request !3: 'yesterday' is not a time"),
        ({"iid": "3", "mergedAt": None}, r"merge request !3: merged, but GitLab gives no merge"),
        (
            {"iid": "3", "mergedAt": "2026-03-01T09:00:00Z", "approvedBy": []},
            r"merge request !3: expected an object",
        ),
    ],
)
def test_a_malformed_answer_fails_naming_the_merge_request(
    node: dict[str, object], message: str
) -> None:
    with pytest.raises(PlatformError, match=message):
        change_request(node, [], [])
