"""The one git policy: hardened configuration, scrubbed environment, refused values, timeouts.

Repositories are untrusted input. A repository's own ``.git/config`` can name
commands for git to run (``core.fsmonitor``, ``core.hooksPath``,
``gpg.program``, ``log.showSignature`` with a hostile ``gpg.program`` ...), a
URL can name a remote helper (``ext::sh -c ...``), and a branch name starting
with ``-`` is read as an option. Assay reads git through GitPython
(:mod:`assay.evidence.git.repository`): ``git.Repo`` opens a repository, its ``cat-file``
object database reads objects (:class:`ObjectReader`: blobs, one persistent process
per batch), ``Repo.clone_from`` clones, and every git process (bulk listings such as
``rev-list`` and ``ls-tree`` included) is started by ``git.cmd.Git.execute``. This
module builds the policy those processes run under, and :class:`Git` is the one way
collectors reach them:

- arguments are lists (never a shell); user values that start with ``-`` or hold
  control characters are refused (:func:`safe_value`); callers put ``--`` or
  ``--end-of-options`` before user-supplied revisions and paths;
- the command-running settings are overridden by configuration passed in the
  environment (``GIT_CONFIG_COUNT``, ``GIT_CONFIG_KEY_n``, ``GIT_CONFIG_VALUE_n``,
  which git reads like ``-c`` and which beat the repository's config); replace refs
  are off (a repository cannot substitute objects in its history), the system
  config is ignored, git never prompts and never pages;
- every ``GIT_*`` variable that could point git at another repository or config is
  removed, and repository discovery stops at the folder given
  (``GIT_CEILING_DIRECTORIES``; GitPython opens it with
  ``search_parent_directories=False``), so a folder inside some other repository
  is reported as "not a git repository" instead of silently reading its parent;
- GitPython's own configuration reader sees the repository's config file only,
  without following includes, and runs nothing;
- git is killed after a timeout (``kill_after_timeout``), and every failure
  becomes one :class:`CollectorError` line that names the repository.
"""

from __future__ import annotations

import fcntl
import os
import re
import time
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from assay.display import mask_url
from assay.errors import CollectorError
from assay.evidence.git.processes import (
    Arg,
    drain,
    missing_git,
    not_found,
    read_exact,
    stdin_file,
    text,
    translate_failure,
    verb,
)
from assay.evidence.git.processes import records as records  # the collectors read streams with it

if TYPE_CHECKING:
    from assay.evidence.git.repository import PolicyGit, PolicyRepo

DEFAULT_TIMEOUT = 600.0

#: Settings that could make git run a program, page, or consult an outside helper.
HARDENED_CONFIG: tuple[str, ...] = (
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.pager=cat",
    "core.untrackedCache=false",
    "core.alternateRefsCommand=",
    "core.sshCommand=",
    "protocol.ext.allow=never",
    "protocol.file.allow=user",
    "log.showSignature=false",
    "gpg.program=gpg",
    "gpg.ssh.program=ssh-keygen",
    "gpg.x509.program=gpgsm",
    "gpg.ssh.defaultKeyCommand=",
    "diff.external=",
    "diff.renames=false",
    "submodule.recurse=false",
    "fetch.recurseSubmodules=false",
    "transfer.fsckObjects=true",
    "init.templateDir=",
    "color.ui=false",
)

# GIT_* variables an operator may legitimately set for network access; every other
# GIT_* variable is removed so the environment cannot redirect git to other files.
_ENV_PASSTHROUGH = frozenset(
    {
        "GIT_SSH",
        "GIT_SSH_COMMAND",
        "GIT_SSL_CAINFO",
        "GIT_SSL_CAPATH",
        "GIT_HTTP_PROXY",
        "GIT_PROXY_SSL_CERT",
    }
)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_URL_SCHEMES = ("https://", "http://", "ssh://", "git://", "file://")
_SCP_LIKE = re.compile(r"^(?:[A-Za-z0-9._~-]+@)?[A-Za-z0-9.-]+:(?!//)[^:]")


def safe_value(value: str, what: str) -> str:
    """``value`` if git cannot mistake it for an option; otherwise :class:`CollectorError`."""
    if not value:
        raise CollectorError(f"{what} is empty")
    if value.startswith("-"):
        raise CollectorError(
            f"{what} {value!r} is refused: it starts with '-' and git would read it as an option"
        )
    if _CONTROL.search(value):
        raise CollectorError(f"{what} {value!r} is refused: it contains control characters")
    return value


def safe_url(url: str) -> str:
    """A clone URL git will fetch with a real transport, never a remote helper."""
    safe_value(url, "repository URL")
    lowered = url.lower()
    if "::" in url.split("/", 1)[0] or lowered.startswith("ext:"):
        raise CollectorError(
            f"repository URL {mask_url(url)!r} is refused: "
            "remote helpers such as ext:: can run commands"
        )
    if lowered.startswith(_URL_SCHEMES) or _SCP_LIKE.match(url):
        return url
    raise CollectorError(
        f"repository URL {mask_url(url)!r} is refused: use an https://, ssh://, git://, file:// "
        "or user@host:path URL"
    )


def git_env(
    base: dict[str, str] | None = None,
    *,
    ceiling: Path | None = None,
    config: Sequence[str] = (),
) -> dict[str, str]:
    """The whole environment of a git process: ``base`` (default: this process's) scrubbed,
    with the hardened configuration and ``config`` passed as ``GIT_CONFIG_*`` variables."""
    source = os.environ if base is None else base
    env = {
        key: value
        for key, value in source.items()
        if not key.startswith("GIT_") or key in _ENV_PASSTHROUGH
    }
    env.update(
        {
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_NO_REPLACE_OBJECTS": "1",
            "GIT_PAGER": "cat",
            "GIT_OPTIONAL_LOCKS": "0",
            "GIT_LITERAL_PATHSPECS": "1",
            "LC_ALL": "C",
            "LANGUAGE": "C",
        }
    )
    env.pop("PAGER", None)
    settings = (*HARDENED_CONFIG, *config)
    env["GIT_CONFIG_COUNT"] = str(len(settings))
    for index, setting in enumerate(settings):
        key, _, value = setting.partition("=")
        env[f"GIT_CONFIG_KEY_{index}"] = key
        env[f"GIT_CONFIG_VALUE_{index}"] = value
    if ceiling is not None:
        env["GIT_CEILING_DIRECTORIES"] = str(ceiling)
    return env


def folder_config(folder: Path, extra: Sequence[str] = ()) -> tuple[str, ...]:
    """Settings added to the hardened ones for git run in ``folder``."""
    return (f"safe.directory={folder}", *extra)


def load_layer() -> Any:
    """The GitPython layer; importing GitPython runs ``git version``, which needs git."""
    try:
        from assay.evidence.git import repository
    except ImportError as exc:
        if "git" not in str(exc).lower():  # pragma: no cover - a broken install
            raise
        raise missing_git() from None
    return repository


class Git:
    """git for one repository folder, named ``display`` in messages.

    The repository is opened with GitPython (:class:`~assay.evidence.git.repository.PolicyRepo`)
    the first time it is needed; ``repository=False`` runs git in a folder that is not
    (yet) a repository (``git init``). Commands run through ``Git.execute`` of that
    repository's command runner.
    """

    def __init__(
        self,
        path: Path,
        display: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        extra_config: Sequence[str] = (),
        repository: bool = True,
    ) -> None:
        self.path = path.resolve()
        self.display = display
        self.timeout = timeout
        self.extra_config = tuple(extra_config)
        self.repository = repository
        self._repo: PolicyRepo | None = None
        self._runner: PolicyGit | None = None

    @property
    def repo(self) -> PolicyRepo:
        """The GitPython ``Repo`` of the folder (opened once, no discovery above it)."""
        if self._repo is None:
            self._repo = load_layer().open_repo(
                self.path, self.display, timeout=self.timeout, extra_config=self.extra_config
            )
        return self._repo

    @property
    def runner(self) -> PolicyGit:
        if self._runner is None:
            runner: PolicyGit
            if self.repository:
                runner = self.repo.git  # type: ignore[assignment]
            else:
                runner = load_layer().PolicyGit(
                    str(self.path), timeout=self.timeout, extra_config=self.extra_config
                )
            self._runner = runner
        return self._runner

    def close(self) -> None:
        """End the persistent ``cat-file`` processes, if any were started."""
        if self._repo is not None:
            self._repo.close()

    def command(self, args: Sequence[Arg]) -> list[str]:
        return [self.runner.GIT_PYTHON_GIT_EXECUTABLE or "git", *(text(a) for a in args)]

    def run(self, *args: Arg, stdin: bytes | None = None) -> bytes:
        """Run git and return its standard output; a non-zero exit status raises."""
        code, out, err = self.run_status(*args, stdin=stdin)
        if code != 0:
            raise self.failure(args, err)
        return out

    def run_status(self, *args: Arg, stdin: bytes | None = None) -> tuple[int, bytes, bytes]:
        """Run git; return (exit status, stdout, stderr) without judging the status."""
        runner = self.runner
        started = time.monotonic()
        with stdin_file(stdin) as istream:
            try:
                code, out, err = runner.execute(
                    self.command(args),
                    istream=istream,
                    with_extended_output=True,
                    with_exceptions=False,
                    stdout_as_string=False,
                    strip_newline_in_stdout=False,
                    kill_after_timeout=self.timeout,
                )
            except load_layer().GitCommandNotFound as exc:
                raise not_found(exc, self.path) from None
        if time.monotonic() - started >= self.timeout:
            raise self.timed_out(args)
        return code, out, err.encode("utf-8", "surrogateescape")

    def text(self, *args: Arg) -> str:
        return self.run(*args).decode("utf-8", "replace").strip()

    @contextmanager
    def stream(self, *args: Arg, stdin: bytes | None = None) -> Iterator[IO[bytes]]:
        """Run git and yield its standard output as a stream, read incrementally.

        The process is started by ``Git.execute(as_process=True)``. Leaving the block
        early (the caller has what it needs) kills git quietly; reading it to the end
        checks the exit status like :meth:`run`.
        """
        runner = self.runner
        started = time.monotonic()
        with stdin_file(stdin) as istream:
            try:
                handle = runner.execute(
                    self.command(args),
                    istream=istream,
                    as_process=True,
                    kill_after_timeout=self.timeout,
                )
            except load_layer().GitCommandNotFound as exc:
                raise not_found(exc, self.path) from None
        process = handle.proc
        widen_pipe(process.stdout)
        errors = drain(process.stderr)
        finished = False
        try:
            yield process.stdout
            finished = process.stdout.read(1) == b""
        finally:
            runner.disarm(handle)
            if not finished:
                process.kill()
            process.stdout.close()
            code = process.wait()
            errors.join()
            if time.monotonic() - started >= self.timeout:
                raise self.timed_out(args)
        if finished and code != 0:
            raise self.failure(args, bytes(errors.kept))

    def failure(self, args: Sequence[Arg], stderr: bytes) -> CollectorError:
        return translate_failure(self.display, args, stderr)

    def timed_out(self, args: Sequence[Arg]) -> CollectorError:
        what = verb(args)
        return CollectorError(f"{self.display}: git {what} timed out after {self.timeout:g} s")


class ObjectReader:
    """Read many git objects through GitPython's object database (``repo.odb``).

    The database answers through one persistent ``git cat-file --batch`` process,
    started on the first object of a batch and kept open for all of them. Each
    object's content is consumed in full (so the protocol stays in step) but only the
    first ``keep`` bytes are returned: enough to sniff binaries or parse a small file,
    without holding a large blob in memory.
    """

    def __init__(self, git: Git) -> None:
        self.git = git

    def read(
        self,
        oids: Sequence[str],
        keep: int,
        *,
        wide: Collection[str] = (),
        wide_keep: int = 0,
    ) -> Iterator[tuple[str, str, int, bytes]]:
        """Yield ``(oid, type, size, first keep bytes)``; a missing object has type "missing".

        Objects in ``wide`` keep ``wide_keep`` bytes instead (files that will be parsed).
        """
        if not oids:
            return
        git = self.git
        with load_layer().batch_deadline(git.repo, git.display, git.timeout) as read:
            for oid in oids:
                found = read(oid)
                if found is None:
                    yield oid, "missing", 0, b""
                    continue
                kind, size, stream = found
                limit = wide_keep if oid in wide else keep
                head = read_exact(stream, min(size, limit))
                while stream.read(1 << 20):
                    pass  # the rest of the object, read and dropped
                yield oid, kind, size, head


#: The pipe a streamed command writes into, where the system allows it (Linux). With the
#: default 64 KiB, git stops at every few writes until the reader catches up; a bulk
#: ``rev-list`` spends as long again in the kernel as in its own work.
PIPE_BYTES = 1 << 20


def widen_pipe(stream: IO[bytes]) -> None:
    """Give ``stream``'s pipe :data:`PIPE_BYTES` where the system lets a process do so."""
    resize = getattr(fcntl, "F_SETPIPE_SZ", None)
    if resize is None:
        return
    with suppress(OSError):  # over /proc/sys/fs/pipe-max-size, or not a pipe: keep it
        fcntl.fcntl(stream.fileno(), resize, PIPE_BYTES)
