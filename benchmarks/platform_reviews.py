"""GitHub reviews of 1,000 merged pull requests from the fake GitHub API on 127.0.0.1.

    .venv/bin/python benchmarks/platform_reviews.py [--quick]

The fake server (tests/support/fake_github.py) holds 1,000 merged pull requests, each with
two commits and an approval. Figures:

- requests sent for the first collection (target: at most 15: one probe and ten GraphQL
  pages of 100);
- the client's wall time against the server's own summed handler time (what building the
  answers cost; the rest is HTTP, JSON and the provider's reading);
- requests the rate limit counts when collecting again with nothing changed (target: at
  most 2; the probe is answered ``304`` from the kept ETag and the kept pages are read).

Exits 1 when a target is missed. ``--quick`` runs once instead of taking the best of 3.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.fake_github import (  # noqa: E402
    TOKEN,
    FakeCommit,
    FakeGitHub,
    FakePull,
    FakeReview,
    sha,
)
from tests.support.fake_http import serving  # noqa: E402

from assay.platforms.cache import ResponseCache  # noqa: E402
from assay.platforms.github import GitHubProvider  # noqa: E402
from assay.platforms.identity import Credentials, Platform  # noqa: E402
from assay.platforms.transport import Transport  # noqa: E402

PULLS = 1000
MAX_REQUESTS = 15
MAX_RECOLLECT_CHARGED = 2
SINCE = datetime(2026, 1, 1, tzinfo=UTC)
UNTIL = datetime(2026, 7, 1, tzinfo=UTC)


def pulls() -> list[FakePull]:
    made = []
    for number in range(1, PULLS + 1):
        day = f"2026-{number % 5 + 1:02d}-{number % 27 + 1:02d}T{number % 24:02d}:00:00Z"
        head = sha(f"head{number}")
        made.append(
            FakePull(
                number,
                author="alice",
                merged_at=day,
                head=head,
                merge_commit=sha(f"merge{number}"),
                parents=1,
                commits=[
                    FakeCommit(sha(f"c{number}"), "alice", day),
                    FakeCommit(head, "carol", day),
                ],
                reviews=[FakeReview("bob", head, day)],
            )
        )
    return made


def collect(server: FakeGitHub, cache: Path) -> tuple[int, int, int, float]:
    """(requests found, requests sent, requests charged, wall seconds)."""
    transport = Transport(
        server.api_url,
        Credentials("Authorization", TOKEN, "GITHUB_TOKEN"),
        cache=ResponseCache(cache),
    )
    with transport:
        provider = GitHubProvider(Platform("github", "acme/shop", server.api_url), transport)
        started = time.perf_counter()
        found = provider.reviews("main", SINCE, UNTIL)
        seconds = time.perf_counter() - started
    return len(found.requests), transport.requests, transport.charged, seconds


def main() -> int:
    runs = 1 if "--quick" in sys.argv else 3
    best: tuple[float, float] | None = None
    sent = charged_again = found = 0
    for _ in range(runs):
        with (
            tempfile.TemporaryDirectory(prefix="assay-bench-github-") as temp,
            serving(FakeGitHub()) as server,
        ):
            server.pulls = pulls()
            found, sent, _, seconds = collect(server, Path(temp))
            handler = server.handler_seconds
            again, _, charged_again, _ = collect(server, Path(temp))
            assert again == found
            if best is None or seconds < best[0]:
                best = (seconds, handler)
    assert best is not None
    seconds, handler = best
    print(f"{found:,} merged pull requests with approvals")
    print(f"first collection: {sent} requests (target <= {MAX_REQUESTS})")
    print(
        f"wall {seconds * 1000:.0f} ms; the server's own handlers {handler * 1000:.0f} ms "
        f"({seconds / handler:.1f}x)"
    )
    print(
        f"collecting again, nothing changed: {charged_again} charged requests "
        f"(target <= {MAX_RECOLLECT_CHARGED})"
    )
    missed = found != PULLS or sent > MAX_REQUESTS or charged_again > MAX_RECOLLECT_CHARGED
    if missed:
        print("target missed")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
