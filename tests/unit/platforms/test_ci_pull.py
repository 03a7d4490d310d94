"""Pulling CI runs and artefact archives from the fake GitHub Actions and GitLab CI APIs."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assay.evidence.ci_pull import Pulled, pull
from assay.evidence.parsing.errors import HostileArtefact
from assay.platforms.cache import ResponseCache
from assay.platforms.ci_kept import KeptRuns
from assay.platforms.github import GitHubProvider
from assay.platforms.gitlab import GitLabProvider
from assay.platforms.identity import Credentials, Platform
from assay.platforms.transport import PlatformError, Transport
from tests.support.fake_ci import (
    FakeActions,
    FakeArtefact,
    FakeBlobs,
    FakeGitLabCI,
    FakeJob,
    FakeRun,
    zipped,
)
from tests.support.fake_github import TOKEN, sha
from tests.support.fake_gitlab import TOKEN as GL_TOKEN
from tests.support.fake_http import serving

HEAD = sha("head")
GH = Credentials("Authorization", TOKEN, "GITHUB_TOKEN")
GL = Credentials("PRIVATE-TOKEN", GL_TOKEN, "GITLAB_TOKEN")
NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture
def blobs() -> Iterator[FakeBlobs]:
    with serving(FakeBlobs()) as running:
        yield running


@pytest.fixture
def actions(blobs: FakeBlobs) -> Iterator[FakeActions]:
    with serving(FakeActions(blobs)) as running:
        yield running


def a_run(run_id: int = 7, commit: str = HEAD, **extra: object) -> FakeRun:
    run = FakeRun(
        run_id,
        commit,
        jobs=[FakeJob(1, "test"), FakeJob(2, "deploy", conclusion="failure")],
        artefacts=[
            FakeArtefact(11, "junit", zipped({"junit.xml": b"<testsuite/>"})),
            FakeArtefact(12, "sbom", zipped({"sbom.json": b"{}"})),
        ],
        approvals=[("production", "carol", "approved")],
    )
    for name, value in extra.items():
        setattr(run, name, value)
    return run


def github_pull(
    server: FakeActions,
    *,
    workflow: str | None = None,
    kept: KeptRuns | None = None,
    cache: Path | None = None,
) -> tuple[Pulled, Transport]:
    platform = Platform("github", "acme/shop", server.api_url)
    responses = ResponseCache(cache) if cache else None
    with Transport(server.api_url, GH, cache=responses, sleep=lambda _: None) as transport:
        found = pull(
            GitHubProvider(platform, transport),
            platform,
            "main",
            HEAD,
            workflow,
            max_bytes=1_000_000,
            kept=kept,
            now=NOW,
        )
    return found, transport


def test_github_run_jobs_approvals_and_archives(actions: FakeActions, blobs: FakeBlobs) -> None:
    actions.runs["acme/shop"] = [a_run()]
    found, _ = github_pull(actions)
    facts = found.facts
    assert facts is not None
    assert (facts["source"], facts["run_id"], facts["commit"]) == ("api", "7", HEAD)
    assert (facts["status"], facts["conclusion"], facts["event"]) == (
        "completed",
        "success",
        "push",
    )
    assert [(j["name"], j["conclusion"]) for j in facts["jobs"]] == [
        ("test", "success"),
        ("deploy", "failure"),
    ]
    assert facts["deployments"] == [
        {
            "environment": "production",
            "status": "approved",
            "approvals": [{"user": "carol", "state": "approved", "at": None}],
        }
    ]
    digests = {a.name: a.sha256 for a in found.archives}
    assert digests["junit"] == hashlib.sha256(a_run().artefacts[0].data).hexdigest()
    assert [e["status"] for e in facts["artefacts"]] == ["read", "read"]
    # The blob host got no credentials; the API got the token.
    assert len(blobs.log) == 2
    assert all("authorization" not in r.headers for r in blobs.log)
    assert all(r.headers.get("authorization") == f"Bearer {TOKEN}" for r in actions.log)


def test_never_a_run_of_another_commit_or_branch(actions: FakeActions) -> None:
    actions.runs["acme/shop"] = [
        a_run(9, sha("other")),
        a_run(8, branch="feature"),
        a_run(10, status="in_progress", conclusion=None),
        a_run(7),
    ]
    found, _ = github_pull(actions)
    assert found.facts is not None
    assert found.facts["run_id"] == "7"
    actions.runs["acme/shop"] = [a_run(9, sha("other"))]
    none, _ = github_pull(actions)
    assert none.facts is None
    assert "no completed run" in none.notes[0]


def test_workflow_is_chosen_by_file_name(actions: FakeActions) -> None:
    actions.runs["acme/shop"] = [
        a_run(20, name="Release", path=".github/workflows/release.yml"),
        a_run(7),
    ]
    found, _ = github_pull(actions, workflow="ci.yml")
    assert found.facts is not None
    assert found.facts["run_id"] == "7"
    named, _ = github_pull(actions, workflow="release")
    assert named.facts is not None
    assert named.facts["run_id"] == "20"


def test_expired_gone_and_deleted_archives_are_gaps(actions: FakeActions) -> None:
    run = a_run()
    run.artefacts = [
        FakeArtefact(11, "old", b"x", expired=True, expires_at="2026-02-01T00:00:00Z"),
        FakeArtefact(12, "gone", b"x", gone=True),
        FakeArtefact(13, "deleted", b"x", deleted=True),
    ]
    actions.runs["acme/shop"] = [run]
    found, _ = github_pull(actions)
    assert found.facts is not None
    assert found.archives == ()
    statuses = {e["name"]: e["status"] for e in found.facts["artefacts"]}
    assert statuses == {"old": "expired", "gone": "expired", "deleted": "missing"}
    assert len(found.notes) == 3
    assert "expired on 2026-02-01" in found.notes[0]
    # The expired archive was never asked for.
    assert not [r for r in actions.log if r.path.endswith("/artifacts/11/zip")]


def test_a_digest_that_differs_refuses(actions: FakeActions) -> None:
    run = a_run()
    run.artefacts[0].digest = "sha256:" + "0" * 64
    actions.runs["acme/shop"] = [run]
    with pytest.raises(HostileArtefact, match="differs"):
        github_pull(actions)


def test_oversized_archive_is_not_read_past_the_cap(actions: FakeActions) -> None:
    run = a_run()
    run.artefacts = [FakeArtefact(11, "big", b"z" * 2_000_000, digest=None)]
    actions.runs["acme/shop"] = [run]
    found, _ = github_pull(actions)
    assert found.facts is not None
    assert found.facts["artefacts"][0]["status"] == "too_large"


def test_pages_and_secondary_rate_limit(actions: FakeActions) -> None:
    run = a_run()
    run.artefacts += [FakeArtefact(13, "sarif", zipped({"x.sarif": b"{}"}))]
    actions.runs["acme/shop"] = [run]
    actions.page_size = 1
    actions.secondary_limit.add("/repos/acme/shop/actions/runs")
    found, _transport = github_pull(actions)
    assert found.facts is not None
    assert len(found.archives) == 3
    assert len(found.facts["jobs"]) == 2
    jobs = [r for r in actions.log if r.path.endswith("/runs/7/jobs")]
    assert [r.query.get("page", "1") for r in jobs] == ["1", "2"]
    assert len(actions.requests("GET", "/repos/acme/shop/actions/runs")) == 2  # limit, retry


def test_refused_actions_is_a_note(actions: FakeActions) -> None:
    actions.runs["acme/shop"] = [a_run()]
    actions.forbidden.add("acme/shop")
    found, _ = github_pull(actions)
    assert found.facts is None
    assert "403" in found.notes[0]
    assert "Actions read" in found.notes[0]


def test_an_unchanged_run_costs_one_request(actions: FakeActions, tmp_path: Path) -> None:
    actions.runs["acme/shop"] = [a_run()]
    kept = KeptRuns(tmp_path / "ci")
    first, transport = github_pull(actions, kept=kept, cache=tmp_path / "http")
    assert transport.requests >= 6
    assert not first.reused
    again, transport = github_pull(actions, kept=kept, cache=tmp_path / "http")
    assert transport.requests == 1
    assert transport.charged == 0
    assert again.reused
    assert again.facts == first.facts
    assert [a.sha256 for a in again.archives] == [a.sha256 for a in first.archives]
    # A re-run changes the run: pulled afresh.
    actions.runs["acme/shop"][0].attempt = 2
    third, _ = github_pull(actions, kept=kept, cache=tmp_path / "http")
    assert not third.reused
    assert third.facts is not None
    assert third.facts["attempt"] == 2


def test_a_redirect_to_plain_http_from_https_is_refused() -> None:
    transport = Transport("https://api.example", GH)
    assert transport.url("/x").startswith("https://api.example/")
    with serving(FakeBlobs()) as blobs, Transport(blobs.url, GH) as plain:
        # Same origin, no redirect: read as bytes, not JSON.
        blobs.blobs["k"] = b"PK\x05\x06" + b"\x00" * 18
        got = plain.download(f"{blobs.url}/blob/k", 100)
        assert got.status == "read"
        assert got.data is not None
        with pytest.raises(PlatformError, match="outside its API"):
            plain.download("https://elsewhere.example/blob/k", 100)


# ---------------------------------------------------------------------- GitLab


@pytest.fixture
def gitlab(blobs: FakeBlobs) -> Iterator[FakeGitLabCI]:
    with serving(FakeGitLabCI(blobs)) as running:
        yield running


def gitlab_pull(server: FakeGitLabCI) -> Pulled:
    platform = Platform("gitlab", "group/sub/project", server.api_url)
    with Transport(server.api_url, GL, sleep=lambda _: None) as transport:
        return pull(
            GitLabProvider(platform, transport),
            platform,
            "main",
            HEAD,
            None,
            max_bytes=1_000_000,
            now=NOW,
        )


def test_gitlab_pipeline_jobs_deployments_and_job_artefacts(
    gitlab: FakeGitLabCI, blobs: FakeBlobs
) -> None:
    report = zipped({"junit.xml": b"<testsuite/>"})
    run = a_run(41)
    run.jobs = [
        FakeJob(1, "test", artefact=FakeArtefact(1, "test", report)),
        FakeJob(
            2, "scan", artefact=FakeArtefact(2, "scan", b"x", expires_at="2026-05-01T00:00:00Z")
        ),
        FakeJob(3, "lint", artefact=FakeArtefact(3, "lint", b"x", deleted=True)),
        FakeJob(4, "build"),
    ]
    gitlab.runs["group/sub/project"] = [a_run(50, sha("other")), run]
    found = gitlab_pull(gitlab)
    facts = found.facts
    assert facts is not None
    assert (facts["run_id"], facts["provider"], facts["conclusion"]) == ("41", "gitlab", "success")
    assert facts["actor"] == "alice"
    assert facts["finished_at"] == "2026-03-01T10:20:00Z"
    assert len(facts["jobs"]) == 4
    assert facts["deployments"][0]["environment"] == "production"
    assert facts["deployments"][0]["approvals"][0]["user"] == "carol"
    statuses = {e["name"]: e["status"] for e in facts["artefacts"]}
    assert statuses == {"test": "read", "scan": "expired", "lint": "missing"}
    assert found.archives[0].data == report
    assert all("private-token" not in r.headers for r in blobs.log)
