"""Collection of a pipeline pulled from the CI system's API (``source: api``, ``--from-ci``)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from assay.evidence.collect import CollectOptions, collect
from assay.evidence.collect_results import CollectReport
from assay.evidence.store import open_store
from assay.evidence.trust import PULLED_ARTEFACT
from assay.workspace import open_workspace
from tests.support.fake_ci import FakeActions, FakeArtefact, FakeBlobs, FakeJob, FakeRun, zipped
from tests.support.fake_github import TOKEN
from tests.support.fake_http import serving
from tests.support.gitrepo import GitRepo
from tests.support.paths import DATA
from tests.unit.evidence.collection.helpers import workspace

JUNIT = (DATA / "artefacts" / "junit" / "pytest-junit.xml").read_bytes()


@pytest.fixture
def actions() -> Iterator[FakeActions]:
    with serving(FakeBlobs()) as blobs, serving(FakeActions(blobs)) as running:
        yield running


def setup(tmp_path: Path, actions: FakeActions, source: str | None = "api") -> tuple[Path, str]:
    repo = GitRepo.init(tmp_path / "ws" / "repos" / "shop")
    head = repo.commit("Initial import", {"README.md": "shop"})
    platform = {"provider": "github", "project": "acme/shop", "api_url": actions.api_url}
    pipeline = {"name": "ci", "provider": "github", "repo": "shop", "workflow": "ci.yml"}
    if source:
        pipeline["source"] = source
    root = workspace(
        tmp_path / "ws",
        {
            "shop": {
                "repos": [{"name": "shop", "path": "repos/shop", "platform": platform}],
                "pipelines": [pipeline],
            }
        },
    )
    actions.runs["acme/shop"] = [
        FakeRun(
            31,
            head,
            jobs=[FakeJob(1, "test")],
            artefacts=[
                FakeArtefact(5, "test-results", zipped({"reports/junit.xml": JUNIT})),
                FakeArtefact(6, "old-scan", b"x", expired=True, expires_at="2026-02-01T00:00:00Z"),
            ],
        )
    ]
    return root, head


def run(root: Path, store: Path, **options: object) -> CollectReport:
    with open_store(f"sqlite:///{store}") as opened:
        return collect(
            open_workspace(root),
            opened,
            CollectOptions(environ={"GITHUB_TOKEN": TOKEN}, in_ci=False, **options),  # type: ignore[arg-type]
        )


def test_a_pulled_run_and_its_reports_are_evidence(tmp_path: Path, actions: FakeActions) -> None:
    root, head = setup(tmp_path, actions)
    report = run(root, tmp_path / "store.db")
    assert report.failures == []
    (ci_run,) = [c for c in report.collected if c.kind == "ci.run"]
    assert ci_run.subject == {"pipeline": "ci", "run_id": "31", "commit": head}
    assert ci_run.facts["source"] == "api"
    assert [a["status"] for a in ci_run.facts["artefacts"]] == ["read", "expired"]
    (results,) = [c for c in report.collected if c.kind == "test.results"]
    assert results.subject == {"pipeline": "ci", "run_id": "31", "commit": head}
    with open_store(f"sqlite:///{tmp_path / 'store.db'}") as store:
        record = store.get(results.evidence_id)
        assert record is not None
        names = [a.name for a in record.artefacts]
    assert "test-results.zip!reports/junit.xml" in names
    assert PULLED_ARTEFACT in names
    gaps = [s for s in report.skipped if "old-scan" in s.reason]
    assert gaps
    assert "expired" in gaps[0].reason
    assert gaps[0].path == "ci (pulled from github)"


def test_from_ci_pulls_pipelines_without_source(tmp_path: Path, actions: FakeActions) -> None:
    root, _ = setup(tmp_path, actions, source=None)
    plain = run(root, tmp_path / "store.db")
    assert not [c for c in plain.collected if c.kind == "ci.run"]
    pulled = run(root, tmp_path / "store.db", from_ci=True)
    assert [c.facts["run_id"] for c in pulled.collected if c.kind == "ci.run"] == ["31"]


def hostile_zip(name: str, data: bytes, *, level: int = 9) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("archive", "reason"),
    [
        (hostile_zip("../../escape.xml", JUNIT), "escape the folder"),
        (hostile_zip("bomb.xml", b"\x00" * (4 * 1024 * 1024)), "zip bomb"),
    ],
)
def test_a_hostile_archive_stops_the_service(
    tmp_path: Path, actions: FakeActions, archive: bytes, reason: str
) -> None:
    root, _ = setup(tmp_path, actions)
    actions.runs["acme/shop"][0].artefacts = [FakeArtefact(5, "evil", archive)]
    report = run(root, tmp_path / "store.db")
    (failure,) = report.failures
    assert any(reason in line for line in failure.lines)
    assert report.collected == []


def test_a_commit_off_the_branch_never_stands_for_it(tmp_path: Path, actions: FakeActions) -> None:
    root, head = setup(tmp_path, actions)
    repo = GitRepo(tmp_path / "ws" / "repos" / "shop")
    repo.checkout("side", new=True)
    side = repo.commit("Side work", {"side": "x"})
    repo.checkout("main")
    actions.runs["acme/shop"][0].sha = side
    report = run(root, tmp_path / "store.db", repo=root / "repos" / "shop", commit=side)
    (ci_run,) = [c for c in report.collected if c.kind == "ci.run"]
    assert ci_run.subject["on_branch"] is False
    assert ci_run.subject["branch"] is None
    results = [c for c in report.collected if c.kind == "test.results"]
    assert all(r.subject.get("on_branch") is False for r in results)
    assert json.dumps(ci_run.subject)
    assert head != side


def test_reports_tell_pulled_from_job_written(tmp_path: Path, actions: FakeActions) -> None:
    from assay.reports.gather import ci_origin

    root, _ = setup(tmp_path, actions)
    report = run(root, tmp_path / "store.db")
    with open_store(f"sqlite:///{tmp_path / 'store.db'}") as store:
        origins = {}
        for collected in report.collected:
            record = store.get(collected.evidence_id)
            assert record is not None
            origins[collected.kind] = ci_origin(record)
    assert origins["ci.run"] == " (pulled from the CI API)"
    assert origins["test.results"] == " (pulled from the CI API)"
    assert origins["git.history"] == ""
