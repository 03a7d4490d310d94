"""Collection end to end: services, the store, idempotence, artefacts, plugins, the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest
from typer.testing import CliRunner

from assay.cli.app import app
from assay.durations import parse_instant
from assay.evidence.collect import CollectOptions, ProgressEvent, collect
from assay.evidence.collectors.git_history import GitHistoryCollector
from assay.evidence.collectors.interface import (
    ArtefactTarget,
    CollectContext,
    Collector,
    EnvironmentTarget,
    RepoTarget,
)
from assay.evidence.context import CI_MARKERS
from assay.evidence.model import EvidenceDraft
from assay.evidence.store import open_store
from assay.workspace import open_workspace
from tests.support.gitrepo import GitRepo
from tests.unit.evidence.collection.helpers import workspace

NOT_CI = dict.fromkeys(CI_MARKERS, "")


def two_services(tmp_path: Path) -> tuple[Path, GitRepo, GitRepo]:
    api = GitRepo.init(tmp_path / "ws" / "repos" / "api")
    api.commit("API (#1)\n\nReviewed-by: Bob <bob@example.com>", {"README.md": "api"})
    web = GitRepo.init(tmp_path / "ws" / "repos" / "web")
    web.commit("Web", {"CODEOWNERS": "* @web\n"})
    root = workspace(
        tmp_path / "ws",
        {
            "api": {"repos": [{"name": "api", "path": "repos/api"}]},
            "web": {"repos": [{"name": "web", "path": "repos/web"}]},
        },
    )
    return root, api, web


def rows(output: str) -> list[list[str]]:
    return [line.split() for line in output.splitlines() if line.startswith(("api ", "web "))]


def test_collect_twice_adds_ledger_entries_not_records(tmp_path: Path, runner: CliRunner) -> None:
    root, api, _web = two_services(tmp_path)
    first = runner.invoke(app, ["collect", "-w", str(root)], env=NOT_CI)
    assert first.exit_code == 0, first.output
    found = rows(first.stdout)
    ours = [row for row in found if row[1] in ("git.history", "git.tags", "repo.files")]
    assert len(ours) == 6
    assert {row[-1] for row in ours} == {"new"}
    assert [row[2] for row in ours if row[0] == "api"] == [f"api@{api.head()[:12]}"] * 3
    assert ours[0][3] == "(main)"
    second = runner.invoke(app, ["collect", "-w", str(root)], env=NOT_CI)
    assert second.exit_code == 0
    assert {row[-1] for row in rows(second.stdout)} == {"seen"}
    assert f"{len(found)} evidence records stored (0 new, {len(found)} already known)" in (
        second.stdout
    )
    with open_store(open_workspace(root).store_url, create=False) as store:
        counts = store.counts()
        assert (counts.evidence, counts.ledger) == (len(found), 2 * len(found))
        assert store.verify().ok
        entries = list(store.ledger())
        assert {entry.context["service"] for entry in entries} == {"api", "web"}


def test_json_output_lists_ids_and_facts(tmp_path: Path, runner: CliRunner) -> None:
    root, api, _ = two_services(tmp_path)
    result = runner.invoke(
        app, ["collect", "-w", str(root), "--service", "api", "--format", "json"], env=NOT_CI
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    history = next(e for e in data["evidence"] if e["kind"] == "git.history")
    assert history["subject"] == {"repo": "api", "branch": "main", "commit": api.head()}
    assert history["facts"]["reviewed_change_sets"] == 1
    assert history["new"] is True
    assert len(history["id"]) == 64
    assert {e["service"] for e in data["evidence"]} == {"api"}
    assert data["failures"] == []


def test_an_ad_hoc_clone_at_an_older_commit(tmp_path: Path, runner: CliRunner) -> None:
    root, api, _ = two_services(tmp_path)
    old = api.head()
    api.commit("later", {"x": "1"})
    clone = GitRepo(api.path)
    result = runner.invoke(
        app,
        ["collect", "-w", str(root), "-s", "api", "--repo", str(clone.path), "--commit", old,
         "--format", "json"],
        env=NOT_CI,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    history = next(e for e in json.loads(result.stdout)["evidence"] if e["kind"] == "git.history")
    assert history["facts"]["head"] == old
    assert history["facts"]["change_sets"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["-s", "nope"],
            "error: unknown service 'nope'\nhint: services in this workspace: api, web",
        ),
        (
            ["--commit", "HEAD"],
            "error: --commit needs --repo PATH: name the repository it belongs to",
        ),
        (["--repo", "."], "error: --repo needs one service: pass --service S"),
        (["--since", "90 days"], "error: --since: '90 days' is not an ISO 8601 duration"),
    ],
)
def test_bad_requests_exit_2(
    tmp_path: Path, runner: CliRunner, args: list[str], message: str
) -> None:
    root, _, _ = two_services(tmp_path)
    result = runner.invoke(app, ["collect", "-w", str(root), *args], env=NOT_CI)
    assert result.exit_code == 2
    assert result.stderr.startswith(message)


def test_one_broken_service_does_not_stop_the_others(tmp_path: Path, runner: CliRunner) -> None:
    root, _, _web = two_services(tmp_path)
    (root / "services" / "api.yaml").write_text(
        "id: api\nname: api\nowner: o\ntier: 1\nrepos:\n  - {name: api, path: repos/gone}\n"
    )
    result = runner.invoke(app, ["collect", "-w", str(root)], env=NOT_CI)
    assert result.exit_code == 2
    assert result.stderr == (
        "error: service api was not collected:\n  error: repos/gone: no such folder\n"
    )
    assert {row[0] for row in rows(result.stdout)} == {"web"}


# --------------------------------------------------------------------------- plugins


class FakeParser(Collector):
    """Reads ``*.fake`` files into reviews evidence approving what the file names."""

    name = "fake"
    version = "1"
    kinds = ("reviews",)
    target = "artefact"

    def accepts(self, target: Any) -> bool:
        return isinstance(target, ArtefactTarget) and target.name.endswith(".fake")

    def collect(self, target: ArtefactTarget, context: CollectContext) -> Iterable[EvidenceDraft]:
        commit = target.data.decode().strip()
        yield EvidenceDraft(
            kind="reviews",
            service=context.service,
            subject={"pipeline": target.pipeline, "commit": commit},
            observed_at=parse_instant("2026-02-01"),
            collector=self.ident,
            facts={
                "provider": "github", "repo": "api", "commits": 1, "pull_requests": 1,
                "approvals_total": 1, "approvers": 1, "self_approvals": 0,
                "approvals": [{"commit": commit, "approver": "carol", "author": "alice",
                               "approved_at": "2026-01-02T00:00:00Z", "pr": 1}],
            },
        )  # fmt: skip


class FakeEnvironment(Collector):
    name = "fake-env"
    version = "1"
    kinds = ("ci.run",)
    target = "environment"
    seen: ClassVar[list[Mapping[str, str]]] = []

    def collect(self, target: EnvironmentTarget, context: CollectContext) -> Iterable[Any]:
        FakeEnvironment.seen.append(target.environ)
        return []


class Broken(Collector):
    name = "broken"
    version = "2"
    kinds = ("git.tags",)
    target = "repo"

    def collect(self, target: RepoTarget, context: CollectContext) -> Iterable[EvidenceDraft]:
        yield EvidenceDraft("git.tags", context.service, {"repo": target.name},
                            target.commit_time, self.ident, {"repo": target.name})  # fmt: skip


def test_artefacts_feed_parsers_and_approvals_reach_git_history(tmp_path: Path) -> None:
    api = GitRepo.init(tmp_path / "ws" / "repos" / "api")
    sha = api.commit("unreviewed change (#1)")
    artefacts = tmp_path / "ws" / "out"
    (artefacts / "sub").mkdir(parents=True)
    (artefacts / "sub" / "approvals.fake").write_text(sha)
    (artefacts / "notes.txt").write_text("nobody reads this")
    (artefacts / "big.fake").write_bytes(b"x" * 2048)
    (artefacts / "passwd.fake").symlink_to("/etc/passwd")
    root = workspace(
        tmp_path / "ws",
        {"api": {"repos": [{"name": "api", "path": "repos/api"}],
                 "pipelines": [{"name": "ci", "provider": "github", "artefacts": "out"}]}},
        toml="[collect]\nmax_artefact_bytes = 1024\n",
    )  # fmt: skip
    events: list[ProgressEvent] = []
    collectors = {
        "fake": FakeParser(),
        "git.history": GitHistoryCollector(),
        "env": FakeEnvironment(),
    }
    with open_store(f"sqlite:///{tmp_path / 'store.db'}") as store:
        report = collect(
            open_workspace(root), store, CollectOptions(environ={}, in_ci=False),
            collectors=collectors, progress=events.append,
        )  # fmt: skip
    assert report.failures == []
    kinds = {c.kind: c for c in report.collected}
    assert set(kinds) == {"reviews", "git.history"}
    assert kinds["git.history"].facts["reviewed_change_sets"] == 1
    assert kinds["reviews"].subject == {"pipeline": "ci", "commit": sha}
    assert sorted((s.path, s.reason) for s in report.skipped) == [
        ("big.fake", "2,048 bytes, over the 1,024 byte limit"),
        ("notes.txt", "no collector recognises this file"),
        ("passwd.fake", "symbolic link (not followed)"),
    ]
    assert FakeEnvironment.seen == []  # not in CI
    assert [e.message for e in events][-1] == "api: git.history"
    assert all(e.step <= e.steps for e in events)


def test_environment_collectors_run_in_ci(tmp_path: Path) -> None:
    root, _, _ = two_services(tmp_path)
    FakeEnvironment.seen.clear()
    with open_store(f"sqlite:///{tmp_path / 'store.db'}") as store:
        collect(
            open_workspace(root), store,
            CollectOptions(services=("api",), environ={"CI": "true", "GITHUB_SHA": "abc"}),
            collectors={"env": FakeEnvironment()},
        )  # fmt: skip
    assert FakeEnvironment.seen == [{"CI": "true", "GITHUB_SHA": "abc"}]


def test_invalid_facts_from_a_plugin_store_nothing_for_that_service(tmp_path: Path) -> None:
    root, _, _ = two_services(tmp_path)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with open_store(url) as store:
        report = collect(
            open_workspace(root), store, CollectOptions(environ={}, in_ci=False),
            collectors={"broken": Broken(), "git.history": GitHistoryCollector()},
        )  # fmt: skip
        assert store.counts().evidence == 0
    assert [f.service for f in report.failures] == ["api", "web"]
    lines = report.failures[0].lines
    assert (
        "evidence draft 1 (git.tags from broken@2 for service 'api'): "
        "facts: 'branch' is a required property"
    ) in lines
    assert lines[-1] == (
        "hint: the collector produced evidence its kind refuses; nothing was stored"
    )


class Sloppy(Collector):
    """Drafts the store refuses only for the repository named api: a subject key far too
    long and a time given as text."""

    name = "sloppy"
    version = "1"
    kinds = ("git.history",)
    target = "repo"

    def collect(self, target: RepoTarget, context: CollectContext) -> Iterable[EvidenceDraft]:
        if target.name != "api":
            return
        yield EvidenceDraft("git.history", context.service, {"repo": "r" * 400},
                            "2026-01-01", self.ident, {})  # type: ignore[arg-type]  # fmt: skip


def test_drafts_the_store_refuses_stop_only_their_service(tmp_path: Path) -> None:
    root, _, _ = two_services(tmp_path)
    with open_store(f"sqlite:///{tmp_path / 'store.db'}") as store:
        report = collect(
            open_workspace(root), store, CollectOptions(environ={}, in_ci=False),
            collectors={"sloppy": Sloppy(), "git.history": GitHistoryCollector()},
        )  # fmt: skip
        assert [f.service for f in report.failures] == ["api"]
        lines = report.failures[0].lines
        where = "evidence draft 2 (git.history from sloppy@1 for service 'api')"
        assert f"{where}: observed_at must be a date-time" in lines
        assert f"{where}: subject key is too long" in lines
        assert store.latest("api", ["git.history"]) == []
        assert [r.service for r in store.latest("web", ["git.history"])] == ["web"]
