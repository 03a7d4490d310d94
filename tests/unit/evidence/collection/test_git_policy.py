"""The safe git runner: refused values, scrubbed environment, timeouts, one-line errors."""

from __future__ import annotations

import fcntl
import time
from pathlib import Path

import pytest

from assay.errors import CollectorError
from assay.evidence.git.policy import Git, ObjectReader, git_env, safe_url, safe_value
from tests.support.gitrepo import GitRepo


@pytest.mark.parametrize(
    "value", ["-x", "--upload-pack=touch /tmp/x", "--output=/etc/passwd", "a\nb", "a\x00b"]
)
def test_option_like_or_control_values_are_refused(value: str) -> None:
    with pytest.raises(CollectorError, match="is refused"):
        safe_value(value, "branch")


@pytest.mark.parametrize(
    "url",
    [
        "ext::sh -c touch% /tmp/pwned",
        "EXT::sh",
        "fd::17",
        "-uhttps://x",
        "--upload-pack=id",
        "transport::thing",
        "/just/a/path",
    ],
)
def test_dangerous_urls_are_refused(url: str) -> None:
    with pytest.raises(CollectorError, match="is refused"):
        safe_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://git.example.org/team/app.git",
        "ssh://git@example.org/team/app.git",
        "git@example.org:team/app.git",
        "file:///srv/git/app.git",
    ],
)
def test_ordinary_urls_pass(url: str) -> None:
    assert safe_url(url) == url


def test_environment_is_scrubbed() -> None:
    env = git_env(
        {"PATH": "/bin", "GIT_DIR": "/elsewhere", "GIT_CONFIG_PARAMETERS": "'x=y'", "GIT_SSH": "s"}
    )
    assert "GIT_DIR" not in env
    assert "GIT_CONFIG_PARAMETERS" not in env
    assert env["GIT_SSH"] == "s"
    assert env["GIT_CONFIG_NOSYSTEM"] == "1"
    assert env["GIT_NO_REPLACE_OBJECTS"] == "1"


def test_git_dir_in_the_environment_cannot_redirect_git(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sha = git_repo.commit("real")
    other = GitRepo.init(tmp_path / "other")
    other.commit("decoy")
    monkeypatch.setenv("GIT_DIR", str(other.path / ".git"))
    assert Git(git_repo.path, "repos/api").text("rev-parse", "HEAD") == sha


def test_failures_are_one_line_naming_the_repository(git_repo: GitRepo) -> None:
    git_repo.commit("one")
    with pytest.raises(CollectorError) as caught:
        Git(git_repo.path, "repos/api").run("rev-parse", "--verify", "no-such-ref")
    assert caught.value.message == "repos/api: git rev-parse failed: Needed a single revision"


def test_a_slow_git_is_stopped(git_repo: GitRepo) -> None:
    git_repo.commit("one")
    git = Git(git_repo.path, "repos/api", timeout=1e-6)
    with pytest.raises(CollectorError, match=r"^repos/api: git rev-list timed out after 1e-06 s$"):
        git.run("rev-list", "--all")
    with pytest.raises(CollectorError, match="timed out"):
        read_slowly(git)


def read_slowly(git: Git) -> None:
    with git.stream("cat-file", "--batch", stdin=b"") as out:
        time.sleep(0.2)
        out.read()


def test_object_reader_keeps_only_what_is_asked(git_repo: GitRepo) -> None:
    git_repo.commit("one", {"big.txt": "x" * 100_000, "small.txt": "hello"})
    git = Git(git_repo.path, "repos/api")
    big = git.text("rev-parse", "HEAD:big.txt")
    small = git.text("rev-parse", "HEAD:small.txt")
    read = list(ObjectReader(git).read([big, small, "0" * 40], keep=3, wide={small}, wide_keep=99))
    assert read == [
        (big, "blob", 100_000, b"xxx"),
        (small, "blob", 5, b"hello"),
        ("0" * 40, "missing", 0, b""),
    ]


def test_the_hardened_settings_travel_in_the_environment() -> None:
    env = git_env(
        {"PATH": "/bin", "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "x.y"}, config=("a.b=c",)
    )
    count = int(env["GIT_CONFIG_COUNT"])
    settings = {env[f"GIT_CONFIG_KEY_{i}"]: env[f"GIT_CONFIG_VALUE_{i}"] for i in range(count)}
    assert settings["core.fsmonitor"] == "false"
    assert settings["core.hooksPath"] == "/dev/null"
    assert settings["a.b"] == "c"
    assert "x.y" not in settings


def test_git_sees_the_hardened_settings_over_the_repository_config(git_repo: GitRepo) -> None:
    git_repo.commit("one")
    git_repo.git("config", "core.hooksPath", "/somewhere/else")
    git = Git(git_repo.path, "repos/api")
    assert git.text("config", "core.hooksPath") == "/dev/null"
    git.close()


def test_gitpython_refuses_remote_helpers_too() -> None:
    from assay.evidence.git.repository import check_url

    with pytest.raises(CollectorError, match="is refused"):
        check_url("ext::sh -c touch% /tmp/pwned")


def test_git_is_never_run_through_a_shell(git_repo: GitRepo) -> None:
    git_repo.commit("one")
    runner = Git(git_repo.path, "repos/api").runner
    with pytest.raises(CollectorError, match="never through a shell"):
        runner.execute("git status")
    with pytest.raises(CollectorError, match="never through a shell"):
        runner.execute(["git", "status"], shell=True)  # noqa: S604 - the call must be refused


def test_a_folder_inside_a_repository_is_not_opened_as_its_parent(git_repo: GitRepo) -> None:
    git_repo.commit("one", {"sub/a.txt": "a"})
    with pytest.raises(CollectorError, match=r"^repos/api: not a git repository$"):
        Git(git_repo.path / "sub", "repos/api").text("rev-parse", "HEAD")


def test_a_slow_clone_is_stopped_and_leaves_nothing(git_repo: GitRepo, tmp_path: Path) -> None:
    from assay.evidence.git.clones import prepare_repo
    from assay.workspace import RepoRef

    git_repo.commit("one")
    ref = RepoRef(name="app", url=f"file://{git_repo.path}")
    with pytest.raises(CollectorError, match=r"^app: git clone timed out after 1e-06 s$"):
        prepare_repo(ref, service="svc", root=tmp_path / "ws", display="app", timeout=1e-6)
    folder = tmp_path / "ws" / ".assay" / "repos" / "svc"
    assert sorted(p.name for p in folder.iterdir()) == [".app.lock"]


@pytest.mark.skipif(not hasattr(fcntl, "F_GETPIPE_SZ"), reason="pipe sizes are Linux's")
def test_streamed_output_comes_through_a_wide_pipe(git_repo: GitRepo) -> None:
    from assay.evidence.git.policy import PIPE_BYTES

    git_repo.commit("one")
    allowed = int(Path("/proc/sys/fs/pipe-max-size").read_text())
    with Git(git_repo.path, "repos/api").stream("rev-list", "--header", "HEAD", "--") as out:
        size = fcntl.fcntl(out.fileno(), fcntl.F_GETPIPE_SZ)
        assert out.read().count(b"\0") == 1
    assert size == PIPE_BYTES if allowed >= PIPE_BYTES else size < PIPE_BYTES
