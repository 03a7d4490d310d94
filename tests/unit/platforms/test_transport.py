"""The platform transport against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assay.platforms.cache import ResponseCache
from assay.platforms.identity import Credentials
from assay.platforms.transport import PlatformError, Transport
from tests.support.fake_http import FakeServer, Reply, Request, serving

TOKEN = "ghp_secretvalue123"


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with serving(FakeServer()) as running:
        yield running


def transport(server: FakeServer, tmp_path: Path | None = None, **kwargs: object) -> Transport:
    waits: list[float] = []
    cache = ResponseCache(tmp_path / "cache") if tmp_path else None
    made = Transport(
        server.url + "/api",
        Credentials("Authorization", TOKEN, "GITHUB_TOKEN"),
        cache=cache,
        sleep=waits.append,
        backoff=0.01,
        **kwargs,  # type: ignore[arg-type]
    )
    made.waits = waits  # type: ignore[attr-defined]
    return made


def test_pages_follow_link_headers_and_send_the_token(server: FakeServer) -> None:
    def page(request: Request) -> Reply:
        number = int(request.query.get("page", "1"))
        headers = {}
        if number < 3:
            headers["Link"] = f'<{server.url}/api/items?page={number + 1}>; rel="next"'
        return Reply(200, [number], headers)

    server.route("GET", "/api/items", page)
    with transport(server) as client:
        bodies = [response.body for response in client.pages("items")]
    assert bodies == [[1], [2], [3]]
    sent = server.requests("GET", "/api/items")
    assert [r.headers["authorization"] for r in sent] == [f"Bearer {TOKEN}"] * 3
    assert TOKEN not in repr(client)


def test_a_link_to_another_origin_is_refused(server: FakeServer) -> None:
    server.route(
        "GET",
        "/api/items",
        lambda _: Reply(200, [1], {"Link": '<https://elsewhere.example/x>; rel="next"'}),
    )
    with transport(server) as client, pytest.raises(PlatformError, match="outside its API"):
        list(client.pages("items"))


def test_an_unchanged_answer_is_served_from_the_cache_and_not_charged(
    server: FakeServer, tmp_path: Path
) -> None:
    def etagged(request: Request) -> Reply:
        if request.headers.get("if-none-match") == '"v1"':
            return Reply(304)
        return Reply(200, {"value": 1}, {"ETag": '"v1"'})

    server.route("GET", "/api/thing", etagged)
    with transport(server, tmp_path) as first:
        assert first.get("thing").body == {"value": 1}
    with transport(server, tmp_path) as second:
        again = second.get("thing")
    assert again.body == {"value": 1}
    assert again.from_cache
    assert (second.requests, second.charged) == (1, 0)
    for path in (tmp_path / "cache").rglob("*.json"):
        assert TOKEN not in path.read_text()


def test_retry_after_is_honoured(server: FakeServer) -> None:
    answers = [Reply(429, {"message": "slow down"}, {"Retry-After": "7"}), Reply(200, {"ok": 1})]
    server.route("GET", "/api/limited", lambda _: answers.pop(0))
    with transport(server) as client:
        assert client.get("limited").body == {"ok": 1}
    assert client.waits == [7.0]  # type: ignore[attr-defined]


def test_a_primary_rate_limit_waits_for_the_reset(server: FakeServer) -> None:
    now = 1_000_000.0
    answers = [
        Reply(
            403,
            {"message": "API rate limit exceeded"},
            {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(now) + 30)},
        ),
        Reply(200, {"ok": 1}),
    ]
    server.route("GET", "/api/limited", lambda _: answers.pop(0))
    with transport(server, clock=lambda: now) as client:
        assert client.get("limited").body == {"ok": 1}
    assert client.waits == [31.0]  # type: ignore[attr-defined]


def test_a_wait_beyond_the_cap_fails_with_when_the_limit_lifts(server: FakeServer) -> None:
    server.route("GET", "/api/limited", lambda _: Reply(429, {}, {"Retry-After": "3600"}))
    with transport(server) as client, pytest.raises(PlatformError, match="rate limited until"):
        client.get("limited")


def test_server_errors_are_retried_with_backoff_then_fail(server: FakeServer) -> None:
    server.route("GET", "/api/broken", lambda _: Reply(502, {"message": "bad gateway"}))
    with transport(server, retries=2) as client, pytest.raises(PlatformError) as caught:
        client.get("broken")
    assert "HTTP 502 after 3 attempts" in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert len(server.requests("GET", "/api/broken")) == 3


def test_a_refusal_is_an_answer_not_an_error(server: FakeServer) -> None:
    server.route("GET", "/api/secret", lambda _: Reply(403, {"message": "Resource not accessible"}))
    with transport(server) as client:
        answer = client.get("secret")
    assert (answer.status, answer.ok) == (403, False)


def test_an_unreachable_platform_raises_without_the_token() -> None:
    client = Transport(
        "http://127.0.0.1:9/api",
        Credentials("PRIVATE-TOKEN", TOKEN, "GITLAB_TOKEN"),
        retries=1,
        sleep=lambda _: None,
    )
    with client, pytest.raises(PlatformError) as caught:
        client.get("projects")
    assert "after 2 attempts" in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_graphql_posts_json(server: FakeServer) -> None:
    server.route("POST", "/api/graphql", lambda r: Reply(200, {"data": r.json()["variables"]}))
    with transport(server) as client:
        answer = client.graphql("query($a: Int) { x }", {"a": 1})
    assert answer.body == {"data": {"a": 1}}
