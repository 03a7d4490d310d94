"""A repository URL's credential is used for the clone and fetches, never kept on disk."""

from __future__ import annotations

import functools
import http.server
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assay.cli.app import app
from assay.display import without_credentials
from tests.support.gitrepo import GitRepo
from tests.unit.evidence.collection.helpers import workspace

TOKEN = "s3cr3t-TOKEN-4711"


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def served(git_repo: GitRepo, tmp_path: Path) -> Iterator[str]:
    """The test repository as a bare clone on a dumb-HTTP server on 127.0.0.1."""
    git_repo.commit("first", {"README.md": "hello\n"})
    public = tmp_path / "public"
    subprocess.run(
        ["git", "clone", "--quiet", "--bare", str(git_repo.path), str(public / "api.git")],
        check=True,
    )
    subprocess.run(["git", "-C", str(public / "api.git"), "update-server-info"], check=True)
    handler = functools.partial(QuietHandler, directory=str(public))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://deploy:{TOKEN}@127.0.0.1:{server.server_address[1]}/api.git"
    finally:
        server.shutdown()
        server.server_close()


def test_the_clone_keeps_no_credential_and_fetches_still_work(
    served: str, tmp_path: Path, runner: CliRunner, git_repo: GitRepo
) -> None:
    root = workspace(tmp_path / "ws", {"svc": {"repos": [{"name": "api", "url": served}]}})
    first = runner.invoke(app, ["collect", "--service", "svc", "-w", str(root)])
    assert first.exit_code == 0, first.output
    assert TOKEN not in first.output
    config = (root / ".assay" / "repos" / "svc" / "api" / "config").read_text()
    assert TOKEN not in config
    assert "deploy" not in config
    assert "url = http://127.0.0.1:" in config
    again = runner.invoke(app, ["collect", "--service", "svc", "-w", str(root)])
    assert again.exit_code == 0, again.output
    leaked = [
        p for p in (root / ".assay").rglob("*") if p.is_file() and TOKEN.encode() in p.read_bytes()
    ]
    assert leaked == []


def test_a_failed_clone_names_the_repository_without_the_credential(
    tmp_path: Path, runner: CliRunner
) -> None:
    url = f"http://deploy:{TOKEN}@127.0.0.1:9/missing.git"
    root = workspace(tmp_path / "ws", {"svc": {"repos": [{"name": "api", "url": url}]}})
    result = runner.invoke(app, ["collect", "--service", "svc", "-w", str(root)])
    assert result.exit_code == 2
    assert TOKEN not in result.output
    assert "http://deploy:***@127.0.0.1:9/missing.git: git clone failed" in result.output


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://deploy:tok@host/x.git", "https://host/x.git"),
        ("https://tok@host/x.git", "https://host/x.git"),
        ("ssh://git:pw@host/x.git", "ssh://git@host/x.git"),
        ("ssh://git@host/x.git", "ssh://git@host/x.git"),
        ("https://host/x.git", "https://host/x.git"),
    ],
)
def test_without_credentials(url: str, kept: str) -> None:
    assert without_credentials(url) == kept
