"""``assay services``: list, show and validate service constitutions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from assay.cli.common import FormatOption, WorkspaceOption, check_format
from assay.cli.output import echo, echo_json, table

if TYPE_CHECKING:
    from assay.workspace import Service, Workspace

services_app = typer.Typer(
    help="Service constitutions (services/<id>.yaml): list, show, validate.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(services_app, name="services")


def service_dict(service: Service) -> dict[str, Any]:
    """A service as JSON: the file's content plus where it came from."""
    from assay.display import mask_url

    repos = [
        {**repo, "url": mask_url(repo["url"])} if isinstance(repo.get("url"), str) else repo
        for repo in service.raw.get("repos", [])
    ]
    extra = {"repos": repos} if "repos" in service.raw else {}
    return {**service.raw, **extra, "source": service.source}


@services_app.command("list")
def list_services(output_format: FormatOption = "text", workspace: WorkspaceOption = None) -> None:
    """List the services in the workspace."""
    from assay.workspace import open_workspace

    check_format(output_format)
    ws = open_workspace(workspace)
    services = [ws_service for _, ws_service in sorted(ws.load_services().items())]
    if output_format == "json":
        echo_json([service_dict(s) for s in services])
        return
    rows = [
        [
            s.id,
            str(s.tier),
            s.owner,
            ", ".join(sorted(s.tags)) or "-",
            str(len(s.repos)),
            str(len(s.pipelines)),
            s.name,
        ]
        for s in services
    ]
    echo(table(rows, ["ID", "TIER", "OWNER", "TAGS", "REPOS", "PIPELINES", "NAME"]))
    echo(f"\n{len(services)} service{'s' if len(services) != 1 else ''}")


@services_app.command("show")
def show(
    service_id: Annotated[str, typer.Argument(metavar="ID", help="Service id, e.g. payments-api.")],
    output_format: FormatOption = "text",
    workspace: WorkspaceOption = None,
) -> None:
    """Show one service: owner, tier, tags, repositories, pipelines, SLOs and exclusions."""
    from assay.workspace import open_workspace

    check_format(output_format)
    ws = open_workspace(workspace)
    service = ws.service(service_id)
    if output_format == "json":
        echo_json(service_dict(service))
        return
    echo(render_service(service, ws))


def render_service(service: Service, ws: Workspace) -> str:
    from assay.display import mask_url

    lines = [
        f"{service.id}: {service.name}",
        f"owner:    {service.owner}",
        f"tier:     {service.tier}",
        f"tags:     {', '.join(sorted(service.tags)) or '-'}",
    ]
    if service.outcome:
        lines.append(f"outcome:  {service.outcome}")
    if service.description:
        lines.append(f"about:    {service.description}")
    lines.append("repos:" if service.repos else "repos:    none")
    for repo in service.repos:
        where = ws.display(repo.path) if repo.path else mask_url(repo.url or repo.name)
        branch = repo.branch or "default branch"
        tags = repo.tag_pattern or ws.tag_pattern
        lines.append(f"  {repo.name}: {where} ({branch}; release tags {tags})")
        lines.extend(f"    {key} at {path}" for key, path in sorted(repo.files.items()))
    lines.append("pipelines:" if service.pipelines else "pipelines: none")
    for pipeline in service.pipelines:
        parts = [pipeline.provider]
        if pipeline.definition:
            parts.append(
                f"{pipeline.definition}" + (f" in {pipeline.repo}" if pipeline.repo else "")
            )
        if pipeline.artefacts:
            parts.append(f"artefacts {ws.display(pipeline.artefacts)}")
        lines.append(f"  {pipeline.name}: {'; '.join(parts)}")
    if service.slos:
        lines.append("slos:")
        for slo in service.slos:
            lines.append(f"  {slo['name']}: {slo['objective']} over {slo['window']}")
    if service.exclusions:
        lines.append("exclusions:")
        lines.extend(f"  {control}: {why}" for control, why in sorted(service.exclusions.items()))
    lines.append(f"source:   {service.source}")
    return "\n".join(lines)


@services_app.command("validate")
def validate(workspace: WorkspaceOption = None) -> None:
    """Check every service file; list every problem as path:line:col: message (exit 2)."""
    from assay.service_checks import validate_services
    from assay.workspace import open_workspace

    ws = open_workspace(workspace)
    result = validate_services(ws)
    for note in result.notes:
        echo(f"note: {note}", err=True)
    count = len(result.services)
    echo(f"ok: {count} service{'s' if count != 1 else ''} valid")
