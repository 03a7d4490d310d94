"""Build real git repositories for tests with the git command line.

Dates are fixed per commit so histories are reproducible.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

BASE_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
    "LC_ALL": "C",
}


def person_env(role: str, person: str) -> dict[str, str]:
    """``GIT_<role>_NAME`` and ``GIT_<role>_EMAIL`` for ``"Name <email>"``."""
    name, _, email = person.partition(" <")
    return {f"GIT_{role}_NAME": name, f"GIT_{role}_EMAIL": email.rstrip(">")}


@dataclass
class GitRepo:
    path: Path
    clock: int = 1_767_225_600  # 2026-01-01T00:00:00Z

    @classmethod
    def init(cls, path: Path, branch: str = "main") -> GitRepo:
        path.mkdir(parents=True, exist_ok=True)
        repo = cls(path)
        repo.git("init", "-q", "-b", branch)
        repo.git("config", "user.name", "Alice Example")
        repo.git("config", "user.email", "alice@example.com")
        repo.git("config", "commit.gpgsign", "false")
        return repo

    def git(self, *args: str, env: dict[str, str] | None = None, stdin: bytes | None = None) -> str:
        full_env = {**os.environ, **BASE_ENV, **(env or {})}
        result = subprocess.run(
            ["git", *args],
            cwd=self.path,
            env=full_env,
            input=stdin,
            capture_output=True,
            check=True,
        )
        return result.stdout.decode("utf-8", "replace").strip()

    def tick(self, seconds: int = 3600) -> str:
        self.clock += seconds
        return f"{self.clock} +0000"

    def write(self, relpath: str, content: str | bytes) -> Path:
        target = self.path / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
        return target

    def commit(
        self,
        message: str,
        files: dict[str, str | bytes] | None = None,
        *,
        author: str = "Alice Example <alice@example.com>",
        committer: str | None = None,
        allow_empty: bool = True,
        sign: bool = False,
    ) -> str:
        """Write ``files``, stage everything and commit; returns the new sha.

        The committer is the repository's user unless ``committer`` names another
        (``Name <email>``, e.g. a code host's); ``sign`` signs with the repository's
        configured key.
        """
        for relpath, content in (files or {}).items():
            self.write(relpath, content)
        self.git("add", "-A")
        date = self.tick()
        env = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
        env |= person_env("AUTHOR", author)
        if committer:
            env |= person_env("COMMITTER", committer)
        args = ["commit", "-q", "-F", "-"]
        if allow_empty:
            args.append("--allow-empty")
        if sign:
            args.append("-S")
        self.git(*args, env=env, stdin=message.encode("utf-8"))
        return self.head()

    def merge(
        self,
        branch: str,
        message: str,
        *,
        author: str | None = None,
        committer: str | None = None,
    ) -> str:
        """A no-fast-forward merge of ``branch`` into the current branch, made by ``author``
        (the repository's user by default) and committed by ``committer`` (the author)."""
        date = self.tick()
        env = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
        if author:
            env |= person_env("AUTHOR", author) | person_env("COMMITTER", author)
        if committer:
            env |= person_env("COMMITTER", committer)
        self.git("merge", "-q", "--no-ff", "-m", message, branch, env=env)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")

    def checkout(self, branch: str, *, new: bool = False) -> None:
        self.git("checkout", "-q", *(["-b"] if new else []), branch)
