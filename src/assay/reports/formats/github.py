"""GitHub Actions: workflow-command annotations plus a Markdown job summary.

GitHub shows at most 10 error and 10 warning annotations per step, so when there are
more, the first nine of each kind are shown and the tenth says how many more there are.
Values are escaped as the runner expects: ``%``, CR and LF in messages, and also ``:``
and ``,`` in properties. The Markdown summary is appended to ``$GITHUB_STEP_SUMMARY``
when it is set; it escapes table cells and HTML and stays well under GitHub's 1 MiB cap.
The text output that follows the annotations is fenced by ``::stop-commands::`` with a
random token, so nothing it quotes can act as a workflow command.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from assay.reports.formats.interface import FormatContext, GateFormat
from assay.reports.formats.text import render_text

if TYPE_CHECKING:
    from assay.assess.gate import GateDecision
    from assay.assess.model import Result

#: GitHub's per-step limit for each of error and warning annotations.
MAX_PER_LEVEL = 10
MAX_MESSAGE = 4000
#: The job summary is capped well under GitHub's 1 MiB per step.
MAX_SUMMARY = 256 * 1024
MAX_ROWS = 200
EXPIRING_SOON = timedelta(days=30)


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


@dataclass(frozen=True)
class Annotation:
    level: str
    title: str
    message: str
    file: str | None = None
    line: int | None = None

    def command(self) -> str:
        props = []
        if self.file:
            props.append(f"file={escape_property(self.file)}")
            if self.line:
                props.append(f"line={self.line}")
        props.append(f"title={escape_property(self.title)}")
        message = self.message
        if len(message) > MAX_MESSAGE:
            message = message[: MAX_MESSAGE - 1] + "…"
        return f"::{self.level} {','.join(props)}::{escape_data(message)}"


def _annotations(level: str, result: Result) -> list[Annotation]:
    title = f"{result.control} {result.title} ({result.status})"
    fix = f"\nfix: {result.remediation}" if result.remediation else ""
    if result.findings:
        return [
            Annotation(level, title, f"{f.message}{fix}", f.file, f.line) for f in result.findings
        ]
    reasons = "\n".join(result.reasons) or result.status
    return [Annotation(level, title, f"{reasons}{fix}")]


def _limit(level: str, items: list[Annotation], noun: str) -> list[Annotation]:
    if len(items) <= MAX_PER_LEVEL:
        return items
    hidden = len(items) - (MAX_PER_LEVEL - 1)
    more = Annotation(
        level,
        f"{hidden} more {noun}",
        f"{hidden} more {noun} are not annotated: see the job summary or the log",
    )
    return [*items[: MAX_PER_LEVEL - 1], more]


def gate_annotations(decision: GateDecision) -> list[Annotation]:
    """Error annotations for what blocks, warnings for the rest, within GitHub's limits."""
    errors = [a for r in decision.blocking for a in _annotations("error", r)]
    warnings = [a for r in decision.warnings for a in _annotations("warning", r)]
    day = decision.assessment.as_of.date()
    for result in decision.expired_waivers:
        if result.waiver is not None:
            warnings.append(
                Annotation(
                    "warning",
                    f"{result.control} waiver expired",
                    f"the waiver in {result.waiver.source} expired on {result.waiver.expires} "
                    "and no longer applies",
                )
            )
    for result in decision.waived:
        waiver = result.waiver
        if waiver is not None and waiver.expires - day <= EXPIRING_SOON:
            warnings.append(
                Annotation(
                    "warning",
                    f"{result.control} waiver expires {waiver.expires}",
                    f"the waiver in {waiver.source} expires in {(waiver.expires - day).days} "
                    f"days; the control is still {result.underlying_status}",
                )
            )
    return [
        *_limit("error", errors, "blocking problems"),
        *_limit("warning", warnings, "warnings"),
    ]


def _cell(text: str) -> str:
    text = " ".join(text.split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|")


def _rows(results: tuple[Result, ...], *, fix: bool) -> list[str]:
    header = "| Control | Severity | Status | Reason |" + (" Fix |" if fix else "")
    lines = [header, "|---|---|---|---|" + ("---|" if fix else "")]
    for result in results[:MAX_ROWS]:
        status = result.status
        if result.underlying_status:
            status += f" ({result.underlying_status})"
        row = (
            f"| {_cell(result.control)} {_cell(result.title)} | {result.severity} | {status} "
            f"| {_cell(result.reason)} |"
        )
        if fix:
            row += f" {_cell(result.remediation)} |"
        lines.append(row)
    if len(results) > MAX_ROWS:
        lines.append(f"\n…and {len(results) - MAX_ROWS} more")
    return lines


def step_summary(decision: GateDecision) -> str:
    """The Markdown job summary."""
    verdict = "allowed" if decision.allowed else "**blocked**"
    lines = [
        f"## assay gate `{_cell(decision.stage)}`: {_cell(decision.service)} {verdict}",
        "",
        f"Policy: {_cell(decision.policy.describe())}.",
        "",
    ]
    if decision.blocking:
        lines += ["### Blocking", "", *_rows(decision.blocking, fix=True), ""]
    if decision.warnings:
        lines += ["### Not blocking at this stage", "", *_rows(decision.warnings, fix=True), ""]
    if decision.waived:
        lines += ["### Waived", "", *_rows(decision.waived, fix=False), ""]
    if decision.expired_waivers:
        lines += ["### Expired waivers", ""]
        for result in decision.expired_waivers:
            if result.waiver is not None:
                lines.append(
                    f"- {_cell(result.control)}: expired {result.waiver.expires} "
                    f"({_cell(result.waiver.source)})"
                )
        lines.append("")
    trusted = [r for r in decision.in_scope if r.self_reported]
    if trusted:
        lines += ["### Self-reported evidence", ""]
        lines += [
            f"- {_cell(r.control)} rests on {_cell(', '.join(r.self_reported))}" for r in trusted
        ]
        lines.append("")
    counts = " · ".join(f"{k} {v}" for k, v in decision.assessment.counts.items())
    lines += [f"Controls: {counts}", ""]
    lines += [f"> {_cell(line)}" for line in decision.warning_lines()]
    lines += [f"> {_cell(hint)}" for hint in decision.hints()]
    text = "\n".join(lines) + "\n"
    if len(text.encode("utf-8")) > MAX_SUMMARY:
        text = text.encode("utf-8")[: MAX_SUMMARY - 64].decode("utf-8", "ignore")
        text += "\n\n…summary truncated; see the job log\n"
    return text


class GithubFormat(GateFormat):
    name = "github"

    def render(self, decision: GateDecision, context: FormatContext) -> str:
        commands = [a.command() for a in gate_annotations(decision)]
        # The text output quotes evidence (reasons, file names): between stop-commands
        # and its unguessable token, the runner runs none of it as a workflow command.
        token = secrets.token_hex(16)
        fenced = [f"::stop-commands::{token}", render_text(decision), f"::{token}::"]
        return "\n".join([*commands, *fenced])

    def side_outputs(
        self, decision: GateDecision, context: FormatContext
    ) -> list[tuple[Path, str]]:
        target = context.environ.get("GITHUB_STEP_SUMMARY")
        if not target:
            return []
        return [(Path(target), step_summary(decision))]


FORMAT = GithubFormat()
