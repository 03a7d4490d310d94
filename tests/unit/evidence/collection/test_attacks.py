"""Hostile repositories and service files: nothing they name is ever run."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assay.cli.app import app
from assay.errors import CollectorError
from assay.evidence.collectors.git_history import GitHistoryCollector
from assay.evidence.collectors.git_tags import GitTagsCollector
from assay.evidence.collectors.repo_files import RepoFilesCollector
from assay.evidence.git.clones import prepare_repo
from assay.workspace import RepoRef
from tests.support.gitrepo import GitRepo
from tests.unit.evidence.collection.helpers import (
    context,
    sign_config,
    signed_commit,
    ssh_key,
    target,
    workspace,
)


def script(path: Path, marker: Path) -> Path:
    path.write_text(f"#!/bin/sh\ntouch {marker}\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def test_repository_config_commands_never_run(git_repo: GitRepo, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    evil = script(tmp_path / "evil.sh", marker)
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for hook in ("post-checkout", "pre-commit", "reference-transaction", "post-index-change"):
        script(hooks / hook, marker)
    key = ssh_key(tmp_path)
    sign_config(git_repo, key)
    signers = tmp_path / "allowed_signers"
    signers.write_text(f"signer@example.com {key.with_suffix('.pub').read_text().strip()}\n")
    git_repo.commit("plain (#1)", {"CODEOWNERS": "* @a\n", "a.txt": "a"})
    signed_commit(git_repo, "signed (#2)", {"b.txt": "b"})
    git_repo.git("tag", "-s", "-m", "release", "v1.0")
    for setting, value in {
        "core.fsmonitor": str(evil),
        "core.hooksPath": str(hooks),
        "core.pager": str(evil),
        "gpg.program": str(evil),
        "gpg.ssh.program": str(evil),
        "log.showSignature": "true",
        "diff.external": str(evil),
        "core.alternateRefsCommand": str(evil),
    }.items():
        git_repo.git("config", setting, value)
    resolved = target(git_repo, allowed_signers=signers)  # verification runs gpg.ssh.program
    for collector in (GitHistoryCollector(), GitTagsCollector(), RepoFilesCollector()):
        assert list(collector.collect(resolved, context()))
    assert not marker.exists()
    # The same repository read by plain git does run the hostile program: the test has teeth.
    subprocess.run(["git", "status"], cwd=git_repo.path, capture_output=True, check=False)
    assert marker.exists()


def test_ext_url_in_a_service_file_is_refused_before_anything_runs(
    tmp_path: Path, runner: CliRunner
) -> None:
    marker = tmp_path / "pwned"
    root = workspace(
        tmp_path / "ws",
        {"svc": {"repos": [{"name": "app", "url": f"ext::sh -c touch% {marker}"}]}},
    )
    result = runner.invoke(app, ["collect", "--workspace", str(root)])
    assert result.exit_code == 2
    assert "services/svc.yaml:" in result.stderr
    assert "is refused: it could be read by git as an option or a remote helper" in result.stderr
    assert not marker.exists()


@pytest.mark.parametrize(
    ("url", "branch", "message"),
    [
        ("ext::sh -c touch% {marker}", None, "remote helpers"),
        ("--upload-pack=touch {marker}", None, "starts with '-'"),
        ("https://example.org/x", "--output={marker}", "starts with '-'"),
    ],
)
def test_hostile_urls_and_branches_are_refused(
    url: str, branch: str | None, message: str, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    ref = RepoRef(
        name="app",
        url=url.format(marker=marker),
        branch=branch.format(marker=marker) if branch else None,
    )
    with pytest.raises(CollectorError, match=message):
        prepare_repo(ref, service="svc", root=tmp_path, display="app")
    assert not marker.exists()
    assert not (tmp_path / ".assay").exists()  # nothing was cloned


def test_option_like_branch_in_a_local_repo_is_refused(git_repo: GitRepo) -> None:
    git_repo.commit("one")
    with pytest.raises(CollectorError, match="starts with '-'"):
        target(git_repo, branch="--all")


def test_url_repositories_are_cloned_then_fetched(git_repo: GitRepo, tmp_path: Path) -> None:
    first = git_repo.commit("one")
    ref = RepoRef(name="app", url=f"file://{git_repo.path}")
    cloned = prepare_repo(ref, service="svc", root=tmp_path / "ws", display="app")
    assert cloned.commit == first
    assert cloned.path == (tmp_path / "ws" / ".assay" / "repos" / "svc" / "app").resolve()
    assert not (cloned.path / "hooks").exists()  # cloned without templates
    second = git_repo.commit("two")
    again = prepare_repo(ref, service="svc", root=tmp_path / "ws", display="app")
    assert again.commit == second


def test_a_commit_with_a_time_past_the_calendar_is_a_collector_error(git_repo: GitRepo) -> None:
    git_repo.commit("one")
    tree = git_repo.git("rev-parse", "HEAD^{tree}").strip()
    forged = (
        f"tree {tree}\n"
        "author Eve <eve@example.org> 99999999999999999999 +0000\n"
        "committer Eve <eve@example.org> 99999999999999999999 +0000\n\nforged\n"
    )
    sha = git_repo.git(
        "hash-object", "-t", "commit", "-w", "--literally", "--stdin", stdin=forged.encode()
    ).strip()
    git_repo.git("update-ref", "refs/heads/main", sha)
    with pytest.raises(CollectorError, match=f"commit {sha} has an unreadable committer time"):
        target(git_repo)


def test_a_failed_clone_leaves_nothing_behind(tmp_path: Path) -> None:
    ref = RepoRef(name="app", url=f"file://{tmp_path / 'no-such-repo'}")
    for _ in range(2):
        with pytest.raises(CollectorError):
            prepare_repo(ref, service="svc", root=tmp_path / "ws", display="app")
    folder = tmp_path / "ws" / ".assay" / "repos" / "svc"
    assert sorted(p.name for p in folder.iterdir()) == [".app.lock"]
