"""``assay collect``: gather evidence from repositories, artefacts and the CI run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from assay.cli.common import FormatOption, StoreUrlOption, WorkspaceOption, check_format
from assay.cli.output import echo, echo_json, is_tty, table
from assay.cli.store import open_cli_store

if TYPE_CHECKING:
    from assay.evidence.collect import ProgressCallback
    from assay.evidence.collect_results import CollectReport


def register(app: typer.Typer) -> None:
    app.command("collect")(collect)


def collect(
    service: Annotated[
        list[str] | None,
        typer.Option("--service", "-s", help="Only this service (repeat for several)."),
    ] = None,
    repo: Annotated[
        Path | None,
        typer.Option(
            "--repo",
            help="Collect this clone instead of the service's configured repository.",
            file_okay=False,
        ),
    ] = None,
    commit: Annotated[
        str | None,
        typer.Option("--commit", help="With --repo: the commit to collect (default: branch head)."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="History window as an ISO 8601 duration (default P90D)."),
    ] = None,
    artefacts: Annotated[
        list[Path] | None,
        typer.Option("--artefacts", help="Also read reports from this folder (repeatable)."),
    ] = None,
    from_ci: Annotated[
        bool,
        typer.Option(
            "--from-ci",
            help="Pull runs and artefacts of every GitHub Actions and GitLab CI pipeline "
            "from its API (as if each said source: api), several services at a time.",
        ),
    ] = False,
    output_format: FormatOption = "text",
    store_url: StoreUrlOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Run the collectors for each service and store the evidence (one transaction each).

    Collecting the same commit again adds a ledger entry, not a duplicate record. Exit 2
    when any service could not be collected (the others are still stored).
    """
    from assay.evidence.collect import CollectOptions
    from assay.evidence.collect import collect as run_collect
    from assay.workspace import open_workspace

    check_format(output_format)
    ws = open_workspace(workspace)
    options = CollectOptions(
        services=tuple(service or ()),
        repo=repo,
        commit=commit,
        since=since,
        artefacts=tuple(artefacts or ()),
        from_ci=from_ci,
    )
    with (
        open_cli_store(store_url, ws, create=True) as store,
        _progress(output_format) as progress,
    ):
        report = run_collect(ws, store, options, progress=progress)
    if output_format == "json":
        echo_json(report.to_dict())
    else:
        echo(render_report(report))
    for failure in report.failures:
        echo(f"error: service {failure.service} was not collected:", err=True)
        for line in failure.lines:
            echo(f"  {line}", err=True)
    if report.failures:
        raise typer.Exit(2)


def _subject(subject: dict[str, Any]) -> str:
    if subject.get("repo"):
        commit = str(subject.get("commit") or "")[:12]
        branch = subject.get("branch")
        return f"{subject['repo']}@{commit}" + (f" ({branch})" if branch else "")
    if subject.get("pipeline"):
        run = subject.get("run_id")
        return f"{subject['pipeline']}" + (f" run {run}" if run else "")
    return ", ".join(f"{k}={v}" for k, v in sorted(subject.items())) or "service"


def render_report(report: CollectReport) -> str:
    """The summary table, skipped files, and a closing count."""
    rows = [
        [c.service, c.kind, _subject(c.subject), c.evidence_id[:12], "new" if c.new else "seen"]
        for c in report.collected
    ]
    parts = []
    if rows:
        parts.append(table(rows, ["SERVICE", "KIND", "SUBJECT", "EVIDENCE", "STATUS"]))
    if report.skipped:
        parts.append("skipped:")
        parts.extend(f"  {s.service}: {s.path}: {s.reason}" for s in report.skipped)
    new = sum(c.new for c in report.collected)
    services = len({c.service for c in report.collected})
    noun = "record" if len(rows) == 1 else "records"
    parts.append(
        f"{len(rows)} evidence {noun} stored ({new} new, {len(rows) - new} already known) "
        f"for {services} service{'s' if services != 1 else ''}"
    )
    return "\n".join(parts)


@contextmanager
def _progress(output_format: str) -> Iterator[ProgressCallback | None]:
    """A progress bar on an interactive terminal; nothing in CI logs or when piping."""
    from assay.evidence.collect import in_ci

    if output_format == "json" or not is_tty() or in_ci(os.environ):
        yield None
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, Progress, TextColumn

    from assay.display import terminal_safe
    from assay.evidence.collect import ProgressEvent

    def safe(text: str) -> str:
        return escape(terminal_safe(text, keep_breaks=False))

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        console=Console(stderr=True),
        transient=True,
    )
    tasks: dict[str, Any] = {}

    def update(event: ProgressEvent) -> None:
        if event.service not in tasks:
            tasks[event.service] = bar.add_task(safe(event.service), total=event.steps)
        bar.update(
            tasks[event.service],
            completed=event.step,
            total=event.steps,
            description=safe(f"{event.service}: {event.message}"),
        )

    with bar:
        yield update
