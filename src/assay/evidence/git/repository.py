"""GitPython under the git policy of :mod:`assay.evidence.git.policy`.

- :class:`PolicyGit` is GitPython's command runner (``git.cmd.Git``) with its
  ``execute`` bound to the policy: every git process it starts (the commands Assay
  runs, the persistent ``cat-file`` processes of the object database, a clone) gets
  exactly the environment :func:`~assay.evidence.git.policy.git_env` builds, with the
  hardened settings as ``GIT_CONFIG_*`` variables. ``Git.execute`` starts git with
  this process's environment plus additions, so variables the policy removes
  (``GIT_DIR``, ``GIT_CONFIG_PARAMETERS``...) are unset by ``env -u NAME`` in front of
  git; only their names appear in the command line, never their values. Commands get
  ``kill_after_timeout``; a streamed or cloning process (``as_process``) is started in
  its own process group, killed whole when its time is up.
- :class:`PolicyRepo` is ``git.Repo`` opened at the folder given and nowhere else
  (no search of parent folders, no ``$VAR`` expansion, never ``GIT_DIR`` or the
  current folder), whose commands run in that folder through a :class:`PolicyGit`
  and whose object database is GitPython's ``GitCmdObjectDB`` (one persistent
  ``git cat-file --batch``). GitPython's own configuration reader sees the
  repository's config file only, without includes, and only when it is a regular
  file of at most 1 MiB; it reads settings and runs nothing.
- :func:`clone` is ``Repo.clone_from`` with GitPython's unsafe-protocol and
  unsafe-option guards on.
"""

from __future__ import annotations

import os
import signal
import stat
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from io import BytesIO
from pathlib import Path
from typing import Any

from git import Repo
from git.cmd import Git as GitCommand
from git.config import GitConfigParser
from git.db import GitCmdObjectDB
from git.exc import (
    GitCommandError,
    GitCommandNotFound,
    InvalidGitRepositoryError,
    NoSuchPathError,
    UnsafeOptionError,
    UnsafeProtocolError,
)

from assay.display import mask_credentials, mask_url, without_credentials
from assay.errors import CollectorError
from assay.evidence.git import policy, processes

__all__ = [
    "GitCommandNotFound",
    "PolicyGit",
    "PolicyRepo",
    "batch_deadline",
    "check_url",
    "clone",
    "open_repo",
]

#: GitPython reads the repository's config file for ``core.bare``; larger files are not read.
MAX_CONFIG_BYTES = 1 << 20


class PolicyGit(GitCommand):
    """``git.cmd.Git`` whose every process runs under the policy, in ``working_dir``."""

    def __init__(
        self,
        working_dir: str | None = None,
        *,
        timeout: float = policy.DEFAULT_TIMEOUT,
        extra_config: Sequence[str] = (),
    ) -> None:
        super().__init__(working_dir)
        folder = Path(working_dir or Path.cwd()).resolve()
        self.folder = folder
        self.timeout = timeout
        self.config = policy.folder_config(folder, extra_config)
        self.armed: dict[int, threading.Timer] = {}

    def policy_env(self) -> dict[str, str]:
        return policy.git_env(ceiling=self.folder.parent, config=self.config)

    def execute(self, command: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(command, str) or kwargs.get("shell"):
            raise CollectorError("git is run with an argument list, never through a shell")
        kwargs["shell"] = False
        inline = dict(kwargs.pop("env", None) or {})
        env = self.policy_env()
        # Git.execute starts from os.environ and adds; whatever the policy leaves out is
        # unset in front of git, so git sees exactly ``env``.
        present = {*os.environ, *self.environment(), *inline}
        removed = sorted(name for name in present if name not in env)
        kwargs["env"] = env
        if removed:
            unset = [part for name in removed for part in ("-u", name)]
            command = ["env", *unset, "--", *command]
        limit = kwargs.get("kill_after_timeout")
        if not kwargs.get("as_process"):
            if limit is None:
                kwargs["kill_after_timeout"] = self.timeout
            return super().execute(command, *args, **kwargs)
        if limit is None:
            return super().execute(command, *args, **kwargs)
        kwargs["start_new_session"] = True
        handle = super().execute(command, *args, **kwargs)
        self._arm(handle, float(limit))
        return handle

    def _arm(self, handle: Any, limit: float) -> None:
        process = handle.proc

        def expire() -> None:
            if process.poll() is None:
                with suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)

        timer = threading.Timer(limit, expire)
        timer.daemon = True
        self.armed[process.pid] = timer
        timer.start()

    def disarm(self, handle: Any) -> None:
        """Stop the timer of a process started with ``as_process`` (it has ended)."""
        process = handle.proc
        if process is not None:
            timer = self.armed.pop(process.pid, None)
            if timer is not None:
                timer.cancel()


def _repository_config(path: str) -> str | BytesIO:
    """The config file for GitPython to read, or nothing when it is not a small regular file."""
    try:
        info = Path(path).stat()
    except OSError:
        return BytesIO(b"")
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_CONFIG_BYTES:
        return BytesIO(b"")
    return path


class PolicyRepo(Repo):
    """``git.Repo`` at exactly the folder given, running git under the policy."""

    GitCommandWrapperType = PolicyGit  # type: ignore[assignment]

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        odbt: Any = GitCmdObjectDB,
        search_parent_directories: bool = False,
        expand_vars: bool = False,
    ) -> None:
        if path is None or not os.fspath(path):
            raise InvalidGitRepositoryError("no folder given")  # never GIT_DIR or the cwd
        super().__init__(
            path, odbt=GitCmdObjectDB, search_parent_directories=False, expand_vars=False
        )
        self.use(PolicyGit(str(Path(path).resolve())))

    def use(self, runner: PolicyGit) -> None:
        """Run git through ``runner`` and read objects through its ``cat-file`` processes."""
        self.git = runner
        self.odb = GitCmdObjectDB(str(Path(self.common_dir) / "objects"), runner)

    def _config_reader(self, config_level: Any = None, git_dir: Any = None) -> GitConfigParser:
        source = _repository_config(self._get_config_path("repository", git_dir))
        return GitConfigParser(source, read_only=True, repo=self, merge_includes=False)


def open_repo(
    path: Path,
    display: str,
    *,
    timeout: float = policy.DEFAULT_TIMEOUT,
    extra_config: Sequence[str] = (),
) -> PolicyRepo:
    """The repository at ``path`` (its top folder, or a bare repository's folder)."""
    try:
        repo = PolicyRepo(path)
    except NoSuchPathError:
        raise CollectorError(f"{display}: no such folder") from None
    except InvalidGitRepositoryError:
        raise CollectorError(f"{display}: not a git repository") from None
    except OSError as exc:
        raise CollectorError(f"{display}: cannot be opened: {exc.strerror or exc}") from None
    repo.use(PolicyGit(str(path.resolve()), timeout=timeout, extra_config=extra_config))
    return repo


def check_url(url: str) -> None:
    """GitPython's own refusal of remote helpers (``ext::``), on top of :func:`safe_url`."""
    try:
        GitCommand.check_unsafe_protocols(url)
    except UnsafeProtocolError as exc:
        raise CollectorError(
            f"repository URL {mask_url(url)!r} is refused: {mask_credentials(str(exc))}"
        ) from None


def clone(url: str, dest: Path, display: str, *, timeout: float) -> None:
    """Clone ``url`` bare into ``dest`` (no templates, no submodules) with ``Repo.clone_from``."""
    policy.safe_url(url)
    started = time.monotonic()
    try:
        repo = PolicyRepo.clone_from(
            url,
            dest,
            allow_unsafe_protocols=False,
            allow_unsafe_options=False,
            bare=True,
            quiet=True,
            no_recurse_submodules=True,
            kill_after_timeout=timeout,
        )
    except (UnsafeProtocolError, UnsafeOptionError) as exc:
        raise CollectorError(
            f"repository URL {mask_url(url)!r} is refused: {mask_credentials(str(exc))}"
        ) from None
    except GitCommandNotFound:
        raise processes.missing_git() from None
    except GitCommandError as exc:
        if time.monotonic() - started >= timeout:
            raise CollectorError(f"{display}: git clone timed out after {timeout:g} s") from None
        raise processes.translate_failure(display, ["clone"], _stderr(exc)) from None
    if time.monotonic() - started >= timeout:  # finished, but past its limit all the same
        repo.close()
        raise CollectorError(f"{display}: git clone timed out after {timeout:g} s")
    try:
        # The clone's config keeps no credential: every fetch names the URL itself.
        repo.git.execute(["git", "config", "remote.origin.url", without_credentials(url)])
    finally:
        repo.close()


def _stderr(exc: GitCommandError) -> bytes:
    text = str(exc.stderr or "")
    text = text.removeprefix("\n  stderr: '").removesuffix("'")
    return text.encode("utf-8", "replace")


Reader = Callable[[str], "tuple[str, int, Any] | None"]


@contextmanager
def batch_deadline(repo: PolicyRepo, display: str, timeout: float) -> Iterator[Reader]:
    """A reader of objects through ``repo.odb`` for one batch, which must end in ``timeout``.

    ``read(oid)`` returns ``(type, size, stream)`` or None for a missing object. Every
    object of the batch goes through the one persistent ``cat-file --batch`` process,
    which is ended with the batch, or killed when the batch outlives its time.
    """
    fired = threading.Event()
    runner = repo.git

    def expire() -> None:
        fired.set()
        process = runner.cat_file_all
        if process is not None and process.proc is not None:
            with suppress(ProcessLookupError):
                process.proc.kill()

    def read(oid: str) -> tuple[str, int, Any] | None:
        try:
            info = repo.odb.stream(bytes.fromhex(oid))
        except ValueError as exc:
            if fired.is_set():
                raise _cat_file_timed_out(display, timeout) from None
            if "could not be resolved" in str(exc) or "non-hexadecimal" in str(exc):
                return None
            if "dubious ownership" in str(exc):
                raise processes.dubious(display) from None
            raise CollectorError(f"{display}: git cat-file ended early") from None
        except GitCommandNotFound:
            raise processes.missing_git() from None
        kind = info.type.decode() if isinstance(info.type, bytes) else str(info.type)
        return kind, int(info.size), info.stream

    timer = threading.Timer(timeout, expire)
    timer.daemon = True
    timer.start()
    started = time.monotonic()
    try:
        yield read
    finally:
        timer.cancel()
        runner.clear_cache()  # the batch is over: end its cat-file process now
        if fired.is_set() or time.monotonic() - started >= timeout:
            raise _cat_file_timed_out(display, timeout)


def _cat_file_timed_out(display: str, timeout: float) -> CollectorError:
    return CollectorError(f"{display}: git cat-file timed out after {timeout:g} s")
