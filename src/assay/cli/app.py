"""The ``assay`` command: the root app, the single error handler, and the groups.

Importing this module must stay cheap: ``assay --version`` and ``assay gate``
run in every pipeline. Command modules import the core lazily, inside commands.

Output closed early (``assay library list | head -1``) ends every command the same way:
silently, with exit status 141 (128 + SIGPIPE, what a shell reports for a program that
signal ended). Never 0: a gate whose decision nobody read has not allowed anything.
"""

from __future__ import annotations

import errno
import os
import sys
import warnings
from typing import Annotated, Any, NoReturn, TextIO

import typer
import typer.core

from assay import __version__
from assay.cli.output import echo
from assay.errors import AssayError

#: Exit status when standard output (or error) was closed before the command finished.
EXIT_OUTPUT_CLOSED = 141


def _stream_closed(stream: TextIO | None) -> bool:
    """Whether the reader of ``stream`` has gone away (a pipe or socket with no reader)."""
    try:
        fd = stream.fileno() if stream is not None else -1
    except (AttributeError, OSError, ValueError):
        return False  # not a real file (an in-process test's buffer): it cannot close
    if fd < 0:
        return False
    import select

    if not hasattr(select, "poll"):  # pragma: no cover - Windows has no poll()
        return True
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(event & (select.POLLERR | select.POLLHUP) for _, event in poller.poll(0))


def output_closed(exc: BaseException) -> bool:
    """Whether ``exc`` is a write to our own stdout or stderr after its reader went away.

    A broken pipe anywhere else (a subprocess, a socket) is a real failure and is not
    silenced.
    """
    if not isinstance(exc, OSError) or exc.errno != errno.EPIPE:
        return False
    return _stream_closed(sys.stdout) or _stream_closed(sys.stderr)


def exit_output_closed() -> NoReturn:
    """End quietly after output closed early: exit status :data:`EXIT_OUTPUT_CLOSED`.

    The closed streams are pointed at /dev/null first, so the interpreter's last flush of
    what is still buffered neither fails nor prints a second error.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        for stream in (sys.stdout, sys.stderr):
            if _stream_closed(stream):
                os.dup2(devnull, stream.fileno())
    finally:
        os.close(devnull)
    raise typer.Exit(EXIT_OUTPUT_CLOSED)


class AssayGroup(typer.core.TyperGroup):
    """The root group: loads command modules on demand, and turns every
    :class:`AssayError` into its diagnostics on stderr and its exit code.

    Only the module of the command being run is imported (``assay gate`` does not
    build the forty other commands), which keeps start-up in pipelines short.
    """

    def list_commands(self, ctx: Any) -> list[str]:
        from assay.cli.commands import GROUPS

        return [*GROUPS, *(name for name in super().list_commands(ctx) if name not in GROUPS)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        from assay.cli.commands import GROUPS, load_command

        if cmd_name not in GROUPS:
            return None
        command = load_command(cmd_name)
        self.add_command(command, cmd_name)
        return command

    def make_context(self, info_name: Any, args: Any, parent: Any = None, **extra: Any) -> Any:
        # `assay --help | head -1`, `assay --version | ...`: printed while parsing.
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except OSError as exc:
            if output_closed(exc):
                exit_output_closed()
            raise

    def invoke(self, ctx: Any) -> Any:
        try:
            return self._invoke_reporting(ctx)
        except OSError as exc:  # also a report that could not be written: stderr closed
            if output_closed(exc):
                exit_output_closed()
            raise

    def _invoke_reporting(self, ctx: Any) -> Any:
        try:
            with warnings.catch_warnings():
                quiet_third_party_warnings()
                return super().invoke(ctx)
        except AssayError as exc:
            for line in exc.diagnostics():
                echo(line, err=True)
            ctx.exit(exc.exit_code)
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            if output_closed(exc):
                raise  # not a bug: the reader went away (handled in invoke)
            if type(exc).__module__.startswith("typer"):
                raise  # usage errors, --help, typer.Exit: typer prints and exits as usual
            # A bug, not bad input: never let it read as "the gate blocks" (exit 1).
            echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
            echo("hint: this is a bug in assay; please report it with the command", err=True)
            ctx.exit(2)


def quiet_third_party_warnings() -> None:
    """Silence warnings raised on behalf of other packages for the rest of the command.

    A library's deprecation notice (cryptography's about DSA when pyHanko is imported, say)
    is for the people who maintain Assay, not for the person running it, and it must never
    end a command as an internal error where warnings are errors (as in the test suite).
    Warnings that Assay's own modules raise still show.
    """
    warnings.filterwarnings("ignore", module=r"(?!assay(\.|$))")


def _version(value: bool) -> None:
    if value:
        echo(f"assay {__version__}")
        raise typer.Exit(0)


app = typer.Typer(
    cls=AssayGroup,
    name="assay",
    help="Governance and controls compliance from git and CI evidence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", callback=_version, is_eager=True
        ),
    ] = False,
) -> None:
    """Governance and controls compliance from git and CI evidence."""


def main() -> None:
    """Console entry point.

    The process ends when the command does. On the way out the interpreter would walk every
    object the command imported or made, in its last cycle collections, to free memory the
    system reclaims anyway: over 100 ms once the store's libraries are loaded, in every
    pipeline step. So everything is frozen out of those collections at exit. Nothing relies
    on them: commands close their files and the store themselves.
    """
    import atexit
    import gc

    atexit.register(gc.freeze)
    try:
        app(prog_name="assay")
    except AssayError as exc:  # pragma: no cover - AssayGroup handles these first
        for line in exc.diagnostics():
            sys.stderr.write(line + "\n")
        sys.exit(exc.exit_code)
    except SystemExit:
        # What is still buffered is written now, while a closed pipe can be handled,
        # rather than by the interpreter on its way out.
        try:
            sys.stdout.flush()
        except OSError as exc:
            if not output_closed(exc):
                raise
            try:
                exit_output_closed()
            except typer.Exit as closed:
                sys.exit(closed.exit_code)
        raise
