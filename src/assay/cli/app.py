"""The ``assay`` command: the root app, the single error handler, and the groups.

Importing this module must stay cheap: ``assay --version`` and ``assay gate``
run in every pipeline. Command modules import the core lazily, inside commands.
"""

from __future__ import annotations

import sys
import warnings
from typing import Annotated, Any

import typer
import typer.core

from assay import __version__
from assay.errors import AssayError


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

    def invoke(self, ctx: Any) -> Any:
        try:
            with warnings.catch_warnings():
                quiet_third_party_warnings()
                return super().invoke(ctx)
        except AssayError as exc:
            for line in exc.diagnostics():
                typer.echo(line, err=True)
            ctx.exit(exc.exit_code)
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            if type(exc).__module__.startswith("typer"):
                raise  # usage errors, --help, typer.Exit: typer prints and exits as usual
            # A bug, not bad input: never let it read as "the gate blocks" (exit 1).
            typer.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
            typer.echo("hint: this is a bug in assay; please report it with the command", err=True)
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
        typer.echo(f"assay {__version__}")
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
