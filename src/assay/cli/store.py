"""``assay store``: create or upgrade the evidence store, and show its state.

Also the one place commands find their store: ``--store-url``, else ``ASSAY_STORE_URL``,
else the workspace's ``[store] url``, else ``.assay/assay.db`` beside ``assay.toml``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assay.cli.common import FormatOption, WorkspaceOption, check_format, optional_workspace
from assay.cli.output import echo, echo_json, table

if TYPE_CHECKING:
    from assay.evidence.store import Store
    from assay.workspace import Workspace

StoreUrlOption = Annotated[
    str | None,
    typer.Option(
        "--store-url",
        help="Store URL: sqlite:///PATH or postgresql+psycopg://USER@HOST/DB "
        "(default: ASSAY_STORE_URL, else the workspace's store).",
        envvar="ASSAY_STORE_URL",
        show_envvar=False,
    ),
]

store_app = typer.Typer(help="The evidence store: upgrade, status.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(store_app, name="store")


def resolve_store_url(store_url: str | None, workspace: Path | Workspace | None) -> str:
    """The store URL a command should use (see the module docstring for the order).

    ``workspace`` may be the workspace a command has already opened, so ``assay.toml``
    is not read and validated a second time.
    """
    from assay.errors import StoreError
    from assay.workspace import Workspace

    if store_url:
        return store_url
    ws = workspace if isinstance(workspace, Workspace) else optional_workspace(workspace)
    if ws is None:
        raise StoreError(
            "no store to use: not inside a workspace",
            hint="pass --store-url URL, set ASSAY_STORE_URL, or run inside a folder with "
            "assay.toml (assay init)",
        )
    return ws.store_url


def open_cli_store(
    store_url: str | None, workspace: Path | Workspace | None, *, create: bool
) -> Store:
    """Open the store a command names; ``create=False`` refuses a store that is not there."""
    from assay.evidence.store import open_store

    return open_store(resolve_store_url(store_url, workspace), create=create)


@store_app.command("upgrade")
def upgrade(
    store_url: StoreUrlOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Create the store if needed and apply every pending migration."""
    from assay.evidence.store import upgrade_store

    store, before = upgrade_store(resolve_store_url(store_url, workspace))
    with store:
        if before is None:
            echo(f"created store {store.url} at revision {store.revision}")
        elif before != store.revision:
            echo(f"upgraded store {store.url} from revision {before} to {store.revision}")
        else:
            echo(f"store {store.url} is up to date (revision {store.revision})")


@store_app.command("status")
def status(
    store_url: StoreUrlOption = None,
    workspace: WorkspaceOption = None,
    output_format: FormatOption = "text",
) -> None:
    """Show the store's URL (password masked), schema revision and counts."""
    check_format(output_format)
    with open_cli_store(store_url, workspace, create=False) as store:
        counts = store.counts()
        head = store.head()
        data = {
            "url": store.url,
            "dialect": store.dialect,
            "revision": store.revision,
            "evidence": counts.evidence,
            "blobs": counts.blobs,
            "ledger": counts.ledger,
            "assessments": counts.assessments,
            "head": head[1] if head else None,
        }
    if output_format == "json":
        echo_json(data)
        return
    rows = [
        ["store", f"{data['url']} ({data['dialect']})"],
        ["revision", f"{data['revision']} (current)"],
        ["evidence", f"{counts.evidence} records"],
        ["blobs", str(counts.blobs)],
        ["ledger", f"{counts.ledger} entries, head {data['head'] or 'none'}"],
        ["assessments", str(counts.assessments)],
    ]
    lines = table(rows, ["FIELD", "VALUE"]).splitlines()[2:]  # a key/value list, no header
    echo("\n".join(line.rstrip() for line in lines))
