"""Pulling 200 services' CI runs and artefacts from the fake GitHub Actions API on 127.0.0.1.

    .venv/bin/python benchmarks/ci_pull.py

Each of 200 repositories has one completed run on its head commit with two jobs and three
artefact archives (JUnit, coverage, SARIF), handed out through a redirect to a second
server (the blob host). The pulls run on a pool of four threads, as ``assay collect
--from-ci`` does. Figures:

- requests sent for the first pull, per service, and the wall time against the API
  server's own summed handler time;
- requests sent for a second pull with nothing new (target: at most one per service: the
  run list, answered ``304`` from the kept ETag; the run and its archives are read from
  the kept pull).

Exits 1 when a target is missed.
"""

from __future__ import annotations

import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.fake_ci import (  # noqa: E402
    FakeActions,
    FakeArtefact,
    FakeBlobs,
    FakeJob,
    FakeRun,
    zipped,
)
from tests.support.fake_github import TOKEN, sha  # noqa: E402
from tests.support.fake_http import serving  # noqa: E402

from assay.evidence.ci_pull import Pulled, pull  # noqa: E402
from assay.platforms.cache import ResponseCache  # noqa: E402
from assay.platforms.ci_kept import KeptRuns  # noqa: E402
from assay.platforms.github import GitHubProvider  # noqa: E402
from assay.platforms.identity import Credentials, Platform  # noqa: E402
from assay.platforms.transport import Transport  # noqa: E402

SERVICES = 200
WORKERS = 4
MAX_FIRST_PER_SERVICE = 10
MAX_SECOND_PER_SERVICE = 1
JUNIT = (ROOT / "tests" / "data" / "artefacts" / "junit" / "pytest-junit.xml").read_bytes()
COVERAGE = (ROOT / "tests" / "data" / "artefacts" / "coverage" / "cobertura.xml").read_bytes()
SARIF = (ROOT / "tests" / "data" / "artefacts" / "sarif" / "bandit.sarif").read_bytes()


def populate(server: FakeActions) -> None:
    for n in range(SERVICES):
        server.runs[f"acme/svc{n}"] = [
            FakeRun(
                1000 + n,
                sha(f"head{n}"),
                jobs=[FakeJob(1, "test"), FakeJob(2, "scan")],
                artefacts=[
                    FakeArtefact(10 * n + 1, "junit", zipped({"junit.xml": JUNIT})),
                    FakeArtefact(10 * n + 2, "coverage", zipped({"coverage.xml": COVERAGE})),
                    FakeArtefact(10 * n + 3, "sarif", zipped({"bandit.sarif": SARIF})),
                ],
            )
        ]


def pull_all(server: FakeActions, folder: Path) -> tuple[int, int, float, list[Pulled]]:
    credentials = Credentials("Authorization", TOKEN, "GITHUB_TOKEN")
    kept = KeptRuns(folder / "ci")

    def one(n: int) -> tuple[int, int, Pulled]:
        platform = Platform("github", f"acme/svc{n}", server.api_url)
        cache = ResponseCache(folder / "http")
        with Transport(server.api_url, credentials, cache=cache) as transport:
            found = pull(
                GitHubProvider(platform, transport),
                platform,
                "main",
                sha(f"head{n}"),
                None,
                max_bytes=10_000_000,
                kept=kept,
            )
            return transport.requests, transport.charged, found

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        results = list(pool.map(one, range(SERVICES)))
    elapsed = time.perf_counter() - started
    return (
        sum(r[0] for r in results),
        sum(r[1] for r in results),
        elapsed,
        [r[2] for r in results],
    )


def main() -> int:
    missed = []
    with (
        tempfile.TemporaryDirectory() as temporary,
        serving(FakeBlobs()) as blobs,
        serving(FakeActions(blobs)) as server,
    ):
        populate(server)
        folder = Path(temporary)
        requests, charged, elapsed, pulled = pull_all(server, folder)
        archives = sum(len(p.archives) for p in pulled)
        print(
            f"first pull: {SERVICES} services, {archives} archives, {requests} requests "
            f"({requests / SERVICES:.1f} per service; {charged} to the API, the rest to the "
            f"blob host), {elapsed:.2f} s wall; the API server's own handler time "
            f"{server.handler_seconds:.2f} s"
        )
        if archives != 3 * SERVICES or requests / SERVICES > MAX_FIRST_PER_SERVICE:
            missed.append("first pull")
        server_before = server.handler_seconds
        requests, charged, elapsed, pulled = pull_all(server, folder)
        reused = sum(p.reused for p in pulled)
        print(
            f"second pull, nothing new: {requests} requests ({requests / SERVICES:.2f} per "
            f"service, {charged} charged), {reused}/{SERVICES} runs from the kept pull, "
            f"{elapsed:.2f} s wall; server {server.handler_seconds - server_before:.2f} s"
        )
        if requests > MAX_SECOND_PER_SERVICE * SERVICES or reused != SERVICES:
            missed.append("second pull")
    if missed:
        print("MISSED: " + ", ".join(missed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
