"""The gate's text output: what blocks, why, and the fix, most severe first."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from assay.reports.formats.interface import FormatContext, GateFormat

if TYPE_CHECKING:
    from assay.assess.gate import GateDecision
    from assay.assess.model import Result

#: Blocking controls listed in full; the rest are counted.
MAX_LISTED = 50
MAX_REASONS = 5


def _status(result: Result) -> str:
    if result.status == "pass" and result.self_reported:  # refused by the stage
        return "pass (self-reported)"
    if result.underlying_status:
        return f"{result.status} ({result.underlying_status})"
    return result.status


def _block(result: Result, *, fix: bool) -> list[str]:
    lines = [f"  {result.control}  {result.severity:<8} {_status(result):<6}  {result.title}"]
    reasons = list(result.reasons)
    for reason in reasons[:MAX_REASONS]:
        lines.append(f"      why: {reason}")
    if len(reasons) > MAX_REASONS:
        lines.append(f"      ... and {len(reasons) - MAX_REASONS} more reasons")
    for finding in result.findings[:MAX_REASONS]:
        where = f"{finding.repo}:" if finding.repo else ""
        lines.append(f"      at:  {where}{finding.file}:{finding.line}: {finding.message}")
    if fix and result.remediation:
        lines.append(f"      fix: {result.remediation}")
    return lines


def self_reported_lines(results: Iterable[Result]) -> list[str]:
    """One line per result that rests on self-reported evidence (docs/trust.md)."""
    return [
        f"self-reported: {r.control} rests on {', '.join(r.self_reported)} (docs/trust.md)"
        for r in results
        if r.self_reported
    ]


def _section(title: str, results: tuple[Result, ...], *, fix: bool) -> list[str]:
    if not results:
        return []
    lines = ["", title]
    for result in results[:MAX_LISTED]:
        lines.extend(_block(result, fix=fix))
    if len(results) > MAX_LISTED:
        lines.append(f"  ... and {len(results) - MAX_LISTED} more")
    return lines


def render_text(decision: GateDecision) -> str:
    assessment = decision.assessment
    lines = [
        f"assay gate: {decision.summary()}",
        f"stage {decision.stage}: {decision.policy.describe()}",
        f"as of {assessment.as_of.strftime('%Y-%m-%dT%H:%M:%SZ')}, "
        f"assessment {assessment.hash[:12]}, library {assessment.library_digest[:12]}",
    ]
    lines += decision.warning_lines()
    lines += [f"hint: {hint}" for hint in decision.hints()]
    lines += _section("blocking (most severe first):", decision.blocking, fix=True)
    lines += _section("not blocking at this stage:", decision.warnings, fix=True)
    lines += _section("waived (not blocking):", decision.waived, fix=False)
    expired = [
        f"  {r.control}  expired {r.waiver.expires} ({r.waiver.source}), status {r.status}"
        for r in decision.expired_waivers
        if r.waiver is not None
    ]
    if expired:
        lines += ["", "expired waivers (no longer applied):", *expired]
    trusted = self_reported_lines(r for r in assessment.results if decision.policy.in_scope(r))
    if trusted:
        lines += ["", *trusted]
    counts = ", ".join(f"{status} {count}" for status, count in assessment.counts.items())
    lines += ["", f"controls: {counts}"]
    return "\n".join(lines)


class TextFormat(GateFormat):
    name = "text"

    def render(self, decision: GateDecision, context: FormatContext) -> str:
        return render_text(decision)


FORMAT = TextFormat()
