"""GitLab code quality report: a JSON array of issues for the merge request widget.

Each non-passing control that matters at this stage is an issue; a control with
file-anchored findings gives one issue per finding, at that file and line, and one
without points at the service constitution. Severities follow the control's severity for
blocking issues (critical -> blocker, high -> critical, medium -> major, low -> minor);
issues that do not block are ``info``.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from assay.reports.formats.interface import FormatContext, GateFormat, finding_fingerprint

if TYPE_CHECKING:
    from assay.assess.gate import GateDecision
    from assay.assess.model import Result

SEVERITY = {"critical": "blocker", "high": "critical", "medium": "major", "low": "minor"}


def _fingerprint(*parts: str) -> str:
    """A control's own issue (no file of its own): the service, control and status."""
    return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()


class GitlabFormat(GateFormat):
    name = "gitlab"

    def render(self, decision: GateDecision, context: FormatContext) -> str:
        issues: list[dict[str, Any]] = []
        blocking = {r.control for r in decision.blocking}
        for result in (*decision.blocking, *decision.warnings):
            severity = SEVERITY[result.severity] if result.control in blocking else "info"
            issues.extend(_issues(decision, result, severity, context))
        return json.dumps(issues, indent=2, ensure_ascii=False)


def _issues(
    decision: GateDecision, result: Result, severity: str, context: FormatContext
) -> list[dict[str, Any]]:
    check = f"assay/{result.control}"
    head = f"{result.control} {result.title} ({result.status})"
    if result.findings:
        return [
            {
                "description": f"{head}: {finding.message}",
                "check_name": check,
                "fingerprint": finding_fingerprint(decision.service, result, finding),
                "severity": severity,
                "location": {"path": finding.file, "lines": {"begin": finding.line}},
            }
            for finding in result.findings
        ]
    reason = f": {result.reason}" if result.reason else ""
    fix = f" Fix: {result.remediation}" if result.remediation else ""
    return [
        {
            "description": f"{head}{reason}{fix}",
            "check_name": check,
            "fingerprint": _fingerprint(decision.service, result.control, result.status),
            "severity": severity,
            "location": {
                "path": context.service_file or f"services/{decision.service}.yaml",
                "lines": {"begin": 1},
            },
        }
    ]


FORMAT = GitlabFormat()
