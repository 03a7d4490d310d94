"""The one way Assay runs git: argument lists, hardened configuration, timeouts.

Repositories are untrusted input. A repository's own ``.git/config`` can name
commands for git to run (``core.fsmonitor``, ``core.hooksPath``,
``gpg.program``, ``log.showSignature`` with a hostile ``gpg.program`` ...), a
URL can name a remote helper (``ext::sh -c ...``), and a branch name starting
with ``-`` is read as an option. Every git process Assay starts therefore goes
through :class:`Git`, which:

- passes arguments as a list (never a shell) and refuses user values that start
  with ``-`` or hold control characters (:func:`safe_value`); callers put ``--``
  or ``--end-of-options`` before user-supplied revisions and paths;
- overrides the command-running settings on the command line (``-c`` beats the
  repository's config), disables replace refs (a repository cannot substitute
  objects in its history), ignores the system config, never prompts and never
  pages;
- scrubs ``GIT_*`` variables that would point git at another repository or
  config, and stops repository discovery at the folder it was given
  (``GIT_CEILING_DIRECTORIES``), so a folder inside some other repository is
  reported as "not a git repository" instead of silently reading its parent;
- kills git after a timeout and translates every failure into one
  :class:`CollectorError` line that names the repository.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from assay.errors import CollectorError

DEFAULT_TIMEOUT = 600.0

#: Settings that could make git run a program, page, or consult an outside helper.
HARDENED_CONFIG: tuple[str, ...] = (
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.pager=cat",
    "core.untrackedCache=false",
    "core.alternateRefsCommand=",
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
            f"repository URL {url!r} is refused: remote helpers such as ext:: can run commands"
        )
    if lowered.startswith(_URL_SCHEMES) or _SCP_LIKE.match(url):
        return url
    raise CollectorError(
        f"repository URL {url!r} is refused: use an https://, ssh://, git://, file:// "
        "or user@host:path URL"
    )


def git_env(base: dict[str, str] | None = None, *, ceiling: Path | None = None) -> dict[str, str]:
    """The environment every git process gets."""
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
    if ceiling is not None:
        env["GIT_CEILING_DIRECTORIES"] = str(ceiling)
    return env


Arg = str | bytes


class Git:
    """git for one repository folder, named ``display`` in messages."""

    def __init__(
        self,
        path: Path,
        display: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        extra_config: Sequence[str] = (),
    ) -> None:
        self.path = path.resolve()
        self.display = display
        self.timeout = timeout
        self.extra_config = tuple(extra_config)

    def command(self, args: Sequence[Arg]) -> list[Arg]:
        config: list[Arg] = []
        for setting in (*HARDENED_CONFIG, f"safe.directory={self.path}", *self.extra_config):
            config += ["-c", setting]
        return ["git", "--no-pager", "--no-replace-objects", *config, *args]

    def env(self) -> dict[str, str]:
        return git_env(ceiling=self.path.parent)

    def run(self, *args: Arg, stdin: bytes | None = None) -> bytes:
        """Run git and return its standard output; a non-zero exit status raises."""
        code, out, err = self.run_status(*args, stdin=stdin)
        if code != 0:
            raise self.failure(args, err)
        return out

    def run_status(self, *args: Arg, stdin: bytes | None = None) -> tuple[int, bytes, bytes]:
        """Run git; return (exit status, stdout, stderr) without judging the status."""
        try:
            done = subprocess.run(
                self.command(args),
                cwd=self.path,
                env=self.env(),
                input=stdin,
                capture_output=True,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise CollectorError(
                f"{self.display}: git {_verb(args)} timed out after {self.timeout:g} s"
            ) from None
        except FileNotFoundError as exc:
            raise _missing(exc) from None
        except NotADirectoryError:
            raise CollectorError(f"{self.display}: not a folder") from None
        return done.returncode, done.stdout, done.stderr

    def text(self, *args: Arg) -> str:
        return self.run(*args).decode("utf-8", "replace").strip()

    @contextmanager
    def stream(self, *args: Arg, stdin: bytes | None = None) -> Iterator[IO[bytes]]:
        """Run git and yield its standard output as a stream, read incrementally.

        Leaving the block early (the caller has what it needs) kills git quietly;
        reading it to the end checks the exit status like :meth:`run`.
        """
        limit = self.timeout
        with tempfile.TemporaryFile() as errors:
            try:
                process = subprocess.Popen(
                    self.command(args),
                    cwd=self.path,
                    env=self.env(),
                    stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=errors,
                )
            except FileNotFoundError as exc:
                raise _missing(exc) from None
            fired = threading.Event()

            def kill() -> None:
                fired.set()
                process.kill()

            timer = threading.Timer(limit, kill)
            timer.daemon = True
            timer.start()
            feeder = _feed(process, stdin)
            assert process.stdout is not None
            finished = False
            try:
                yield process.stdout
                finished = process.stdout.read(1) == b""
            finally:
                timer.cancel()
                if not finished:
                    process.kill()
                process.stdout.close()
                code = process.wait()
                if feeder is not None:
                    feeder.join()
                if fired.is_set():
                    raise CollectorError(
                        f"{self.display}: git {_verb(args)} timed out after {limit:g} s"
                    )
            if finished and code != 0:
                errors.seek(0)
                raise self.failure(args, errors.read())

    def failure(self, args: Sequence[Arg], stderr: bytes) -> CollectorError:
        return translate_failure(self.display, args, stderr)


def _feed(process: subprocess.Popen[bytes], data: bytes | None) -> threading.Thread | None:
    if data is None:
        return None
    stdin = process.stdin
    assert stdin is not None

    def write() -> None:
        try:
            stdin.write(data)
            stdin.close()
        except (BrokenPipeError, ValueError, OSError):
            pass

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def _verb(args: Sequence[Arg]) -> str:
    for arg in args:
        text = arg.decode("utf-8", "replace") if isinstance(arg, bytes) else arg
        if not text.startswith("-"):
            return text
    return "command"


def _missing(exc: FileNotFoundError) -> CollectorError:
    if exc.filename in (None, "git"):
        return CollectorError(
            "git is not installed or not on PATH", hint="install git 2.30 or newer"
        )
    return CollectorError(f"{exc.filename}: no such folder")


def translate_failure(display: str, args: Sequence[Arg], stderr: bytes) -> CollectorError:
    """One line a user can act on, from git's standard error."""
    text = stderr.decode("utf-8", "replace")
    lowered = text.lower()
    if "not a git repository" in lowered:
        return CollectorError(f"{display}: not a git repository")
    if "dubious ownership" in lowered:
        return CollectorError(
            f"{display}: git refuses a repository owned by another user",
            hint="run assay as the repository's owner",
        )
    if "does not have any commits yet" in lowered:
        return CollectorError(f"{display}: repository is empty")
    lines = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.startswith(("hint:", "warning:"))
    ]
    detail = lines[0] if lines else "no message"
    detail = detail.removeprefix("fatal: ").removeprefix("error: ")
    return CollectorError(f"{display}: git {_verb(args)} failed: {detail[:300]}")


def records(stream: IO[bytes], separator: bytes = b"\0", chunk: int = 1 << 16) -> Iterator[bytes]:
    """Split a stream into ``separator``-terminated records without reading it all at once."""
    pending = b""
    while True:
        block = stream.read(chunk)
        if not block:
            break
        pending += block
        parts = pending.split(separator)
        pending = parts.pop()
        yield from parts
    if pending:
        yield pending


class ObjectReader:
    """Read many git objects through one ``git cat-file --batch`` process.

    Each object's content is consumed in full (so the protocol stays in step) but only
    the first ``keep`` bytes are returned: enough to sniff binaries or parse a small file,
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
        request = "".join(f"{oid}\n" for oid in oids).encode("ascii")
        with self.git.stream("cat-file", "--batch", stdin=request) as out:
            for oid in oids:
                header = out.readline()
                if not header:
                    raise CollectorError(f"{self.git.display}: git cat-file ended early")
                fields = header.decode("ascii", "replace").split()
                if len(fields) == 2 and fields[1] == "missing":
                    yield oid, "missing", 0, b""
                    continue
                if len(fields) != 3:
                    raise CollectorError(f"{self.git.display}: unexpected git cat-file output")
                size = int(fields[2])
                limit = wide_keep if oid in wide else keep
                head = _read_exact(out, min(size, limit))
                _skip(out, size - len(head))
                out.read(1)  # the newline after the content
                yield oid, fields[1], size, head


def _read_exact(stream: IO[bytes], size: int) -> bytes:
    parts: list[bytes] = []
    remaining = size
    while remaining > 0:
        block = stream.read(remaining)
        if not block:
            break
        parts.append(block)
        remaining -= len(block)
    return b"".join(parts)


def _skip(stream: IO[bytes], size: int) -> None:
    while size > 0:
        block = stream.read(min(size, 1 << 20))
        if not block:
            return
        size -= len(block)
