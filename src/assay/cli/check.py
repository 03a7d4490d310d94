"""``assay check``: assess services, store and seal each assessment, print the results."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from assay.cli.common import (
    AsOfOption,
    FormatOption,
    StoreUrlOption,
    WorkspaceOption,
    check_format,
    parse_as_of,
)
from assay.cli.output import echo, echo_json, table

if TYPE_CHECKING:
    from assay.assess.model import Assessment

MAX_REASON = 110


def register(app: typer.Typer) -> None:
    app.command("check")(check)


def check(
    service: Annotated[
        str | None, typer.Option("--service", "-s", help="Only this service (default: all).")
    ] = None,
    as_of: AsOfOption = None,
    no_fail: Annotated[
        bool, typer.Option("--no-fail", help="Exit 0 even when controls fail.")
    ] = False,
    output_format: FormatOption = "text",
    store_url: StoreUrlOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Assess services against the library, store each assessment and seal it.

    Exit 1 when any control is fail, gap, unverifiable, stale or error (unless --no-fail).
    """
    from assay.assess.run import CheckOptions
    from assay.assess.run import check as run_check

    check_format(output_format)
    options = CheckOptions(
        service=service, as_of=parse_as_of(as_of), workspace=workspace, store_url=store_url
    )
    run = run_check(options)
    if output_format == "json":
        echo_json([assessment.document() for assessment in run.assessments])
    else:
        echo(render_check([(s.record_id, s.assessment) for s in run.sealed]))
    if run.failing and not no_fail:
        raise typer.Exit(1)


def clip(text: str, width: int = MAX_REASON) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def status_text(status: str, underlying: str | None) -> str:
    return f"{status} ({underlying})" if underlying else status


def render_assessment(record_id: str, assessment: Assessment) -> str:
    from assay.assess.duties import signer_concentration
    from assay.durations import isoformat
    from assay.reports.formats.text import self_reported_lines

    lines = [
        f"{assessment.service}: assessment {record_id[:12]} as of {isoformat(assessment.as_of)} "
        f"(hash {assessment.hash[:12]})",
    ]
    rows = [
        [
            r.control,
            status_text(r.status, r.underlying_status),
            r.severity,
            clip(r.reason or r.title),
        ]
        for r in assessment.results
    ]
    lines.append(table(rows, ["CONTROL", "STATUS", "SEVERITY", "REASON"]))
    lines.extend(self_reported_lines(assessment.results))
    concentrated = signer_concentration(assessment)
    if concentrated is not None:
        lines.append(f"segregation of duties: {concentrated.message}")
    lines.extend(unverifiable_lines(assessment))
    for result in assessment.results:
        waiver = result.waiver
        if waiver is not None and waiver.state == "expired":
            lines.append(
                f"expired waiver: {result.control} (expired {waiver.expires}, {waiver.source}) "
                "is no longer applied"
            )
    counts = "  ".join(f"{status} {count}" for status, count in assessment.counts.items())
    lines.append(counts)
    return "\n".join(lines)


def unverifiable_lines(assessment: Assessment) -> list[str]:
    """The whole explanation of each unverifiable result: what Assay could not look at and
    what it needs (the table clips reasons)."""
    return [
        f"unverifiable: {r.control}: Assay could not look: {reason}"
        for r in assessment.results
        if r.status == "unverifiable"
        for reason in r.reasons
    ]


def render_check(assessments: list[tuple[str, Assessment]]) -> str:
    blocks = [render_assessment(record_id, a) for record_id, a in assessments]
    failing = sum(1 for _, a in assessments if a.problems)
    noun = "service" if len(assessments) == 1 else "services"
    tail = (
        f"{len(assessments)} {noun} assessed; {failing} with fail, gap, unverifiable, stale "
        "or error"
    )
    return "\n\n".join([*blocks, tail])
