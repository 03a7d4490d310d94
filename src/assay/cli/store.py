"""``assay store``: create or upgrade the evidence store, and show its state.

Also where commands open their store: ``--store-url``, else ``ASSAY_STORE_URL``, else the
workspace's ``[store] url``, else ``.assay/assay.db`` beside ``assay.toml`` (the order
:func:`assay.workspace.resolve_store_url` keeps for the core as well).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assay.cli.common import FormatOption, StoreUrlOption, WorkspaceOption, check_format
from assay.cli.output import echo, echo_json, table

if TYPE_CHECKING:
    from assay.evidence.store import Store
    from assay.workspace import Workspace

store_app = typer.Typer(help="The evidence store: upgrade, status, anchor.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(store_app, name="store")


def resolve_store_url(store_url: str | None, workspace: Path | Workspace | None) -> str:
    """The store URL a command should use (:func:`assay.workspace.resolve_store_url`).

    ``workspace`` may be the workspace a command has already opened, so ``assay.toml``
    is not read and validated a second time; a folder (or ``None``) is only opened when
    no URL is named.
    """
    from assay.workspace import Workspace, open_workspace
    from assay.workspace import resolve_store_url as resolve

    if isinstance(workspace, Workspace) or store_url:
        return resolve(store_url, workspace if isinstance(workspace, Workspace) else None)
    return resolve(None, open_workspace(workspace, required=False))


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
            "anchors": counts.anchors,
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
        ["anchors", str(counts.anchors)],
    ]
    lines = table(rows, ["FIELD", "VALUE"]).splitlines()[2:]  # a key/value list, no header
    echo("\n".join(line.rstrip() for line in lines))


@store_app.command("anchor")
def anchor(
    tsa: Annotated[
        str,
        typer.Option(
            "--tsa", metavar="URL", help="The RFC 3161 timestamp authority to ask (http or https)."
        ),
    ],
    timeout: Annotated[
        float, typer.Option("--timeout", min=1, max=600, help="Seconds to wait for the TSA.")
    ] = 30.0,
    store_url: StoreUrlOption = None,
    workspace: WorkspaceOption = None,
    output_format: FormatOption = "text",
) -> None:
    """Timestamp the ledger head at a TSA and keep the token in the store.

    Packs made afterwards carry the newest anchor at or before their ledger head, and
    `assay verify PACK --tsa-cert FILE` checks it offline.
    """
    check_format(output_format)
    with open_cli_store(store_url, workspace, create=False) as store:
        made = store.anchor(tsa, timeout=timeout)
    if output_format == "json":
        echo_json(made.summary())
        return
    echo(
        f"anchor {made.seq}: ledger head {made.head_seq} ({made.head_hash[:12]}…) "
        f"timestamped at {made.summary()['gen_time']} by {made.tsa}"
    )
