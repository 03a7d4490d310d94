"""A hostile repository read through GitPython: nothing its configuration names is ever run.

The whole collection runs as a user would start it (``python -m assay collect`` in a
new process, from inside the repository), so GitPython's import-time ``git version``,
``Repo(...)`` construction, its configuration reader, the persistent ``cat-file``
processes and every command all happen under the repository's hostile settings.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from assay.evidence.git.policy import Git
from tests.support.gitrepo import GitRepo
from tests.support.paths import ROOT
from tests.unit.evidence.collection.helpers import sign_config, signed_commit, ssh_key, workspace

# Each setting names a program; the program would leave a marker named after it.
PROGRAM_SETTINGS = (
    "core.fsmonitor",
    "core.pager",
    "core.editor",
    "core.askPass",
    "core.sshCommand",
    "core.gitProxy",
    "core.alternateRefsCommand",
    "gpg.program",
    "gpg.ssh.program",
    "gpg.x509.program",
    "gpg.ssh.defaultKeyCommand",
    "diff.external",
    "diff.evil.textconv",
    "diff.evil.command",
    "filter.evil.clean",
    "filter.evil.smudge",
    "merge.evil.driver",
    "credential.helper",
    "sequence.editor",
    "pager.log",
    "pager.rev-list",
    "pager.cat-file",
    "uploadpack.packObjectsHook",
    "remote.origin.uploadpack",
    "remote.origin.receivepack",
)


def program(folder: Path, name: str, markers: Path) -> Path:
    path = folder / f"{name}.sh"
    path.write_text(f"#!/bin/sh\ntouch '{markers / name}'\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def hostile_repository(tmp_path: Path) -> tuple[GitRepo, Path, Path]:
    """A repository whose config (and an included file) names a program for every setting."""
    markers = tmp_path / "markers"
    markers.mkdir()
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    repo = GitRepo.init(tmp_path / "app")
    key = ssh_key(tmp_path / "keys")
    sign_config(repo, key)
    repo.commit(
        "first (#1)",
        {
            ".gitattributes": "* filter=evil diff=evil merge=evil\n",
            "CODEOWNERS": "* @team\n",
            "SECURITY.md": "# Security\n",
            ".github/workflows/ci.yml": "on: push\njobs:\n  t:\n    runs-on: x\n    steps: []\n",
            "slo.yaml": "slos: []\n",
        },
    )
    signed_commit(repo, "signed (#2)", {"b.txt": "b"})
    repo.git("tag", "-s", "-m", "release", "v1.0")
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for hook in ("post-checkout", "pre-commit", "reference-transaction", "post-index-change"):
        program(hooks, f"hook-{hook}", markers).rename(hooks / hook)
    included = tmp_path / "included.config"
    included.write_text(f"[core]\n\tfsmonitor = {program(scripts, 'included', markers)}\n")
    for setting in PROGRAM_SETTINGS:
        repo.git("config", setting, str(program(scripts, setting, markers)))
    repo.git("config", "core.hooksPath", str(hooks))
    repo.git("config", "log.showSignature", "true")
    repo.git("config", "include.path", str(included))
    signers = tmp_path / "allowed_signers"
    signers.write_text(f"signer@example.com {key.with_suffix('.pub').read_text().strip()}\n")
    return repo, markers, signers


def test_collecting_a_hostile_repository_with_gitpython_runs_nothing_it_names(
    tmp_path: Path,
) -> None:
    repo, markers, signers = hostile_repository(tmp_path)
    root = workspace(
        tmp_path / "ws",
        {
            "svc": {
                "repos": [{"name": "app", "path": str(repo.path), "allowed_signers": str(signers)}],
            }
        },
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [sys.executable, "-m", "assay", "collect", "--workspace", str(root), "--format", "json"],
        cwd=repo.path,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for kind in ("git.history", "git.tags", "repo.files", "ci.workflows", "slo.definitions"):
        assert f'"{kind}"' in done.stdout
    assert sorted(p.name for p in markers.iterdir()) == []
    # GitPython itself, opened and used directly, runs nothing either.
    git = Git(repo.path, "app")
    assert git.repo.git_dir == str(repo.path / ".git")
    assert git.text("log", "-1", "--format=%s") == "signed (#2)"
    git.close()
    assert sorted(p.name for p in markers.iterdir()) == []
    # Plain git in the same repository does run what it names: the test has teeth.
    for command in (["git", "status"], ["git", "diff", "HEAD~1"]):
        subprocess.run(
            command,
            cwd=repo.path,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=60,
            check=False,
        )
    ran = {p.name for p in markers.iterdir()}
    assert {"core.fsmonitor", "diff.external"} <= ran or "included" in ran


def test_a_worktree_setting_cannot_point_gitpython_at_another_repository(
    tmp_path: Path,
) -> None:
    real = GitRepo.init(tmp_path / "real")
    sha = real.commit("real")
    decoy = GitRepo.init(tmp_path / "decoy")
    decoy.commit("decoy")
    real.git("config", "core.worktree", str(decoy.path))
    git = Git(real.path, "real")
    assert git.text("rev-parse", "HEAD") == sha
    assert git.runner.folder == real.path.resolve()
    git.close()
