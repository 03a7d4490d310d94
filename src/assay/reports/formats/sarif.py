"""SARIF 2.1.0: only findings anchored to a file (e.g. workflow problems), for code scanning.

A control that fails without a file to point at has no place in SARIF's results; the
other formats report it. Blocking findings are errors, the rest warnings; a waived
control's findings are notes carrying an external suppression with the waiver's
justification. An unverifiable control (evidence Assay was not allowed to look at) is a
tool execution notification of the run: an error when it blocks, a warning otherwise,
saying what Assay could not look at and what it needs.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from assay.reports.formats.interface import FormatContext, GateFormat, finding_fingerprint

if TYPE_CHECKING:
    from assay.assess.gate import GateDecision
    from assay.assess.model import Finding, Result

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)


class SarifFormat(GateFormat):
    name = "sarif"

    def render(self, decision: GateDecision, context: FormatContext) -> str:
        blocking = {r.control for r in decision.blocking}
        chosen = [*decision.blocking, *decision.warnings, *decision.waived]
        rules: list[dict[str, Any]] = []
        index: dict[str, int] = {}
        results: list[dict[str, Any]] = []
        for result in chosen:
            for finding in result.findings:
                if result.control not in index:
                    index[result.control] = len(rules)
                    rules.append(_rule(result))
                results.append(_result(decision, result, finding, index, blocking))
        document: dict[str, Any] = {
            "$schema": SARIF_SCHEMA,
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {
                        "driver": {
                            "name": "assay",
                            "version": context.tool_version,
                            "rules": rules,
                        }
                    },
                    "automationDetails": {"id": f"assay/gate/{decision.stage}/{decision.service}/"},
                    "results": results,
                }
            ],
        }
        notes = _notifications(chosen, blocking)
        if notes:
            document["runs"][0]["invocations"] = [
                {"executionSuccessful": True, "toolExecutionNotifications": notes}
            ]
        return json.dumps(document, indent=2, ensure_ascii=False)


def _notifications(chosen: list[Result], blocking: set[str]) -> list[dict[str, Any]]:
    """One notification per unverifiable control: where Assay could not look, and why."""
    notes: list[dict[str, Any]] = []
    for result in chosen:
        if result.status != "unverifiable":
            continue
        why = "; ".join(result.reasons) or "the evidence could not be looked at"
        notes.append(
            {
                "level": "error" if result.control in blocking else "warning",
                "message": {"text": f"{result.control} {result.title}: unverifiable: {why}"},
                "descriptor": {"id": "assay/unverifiable"},
                "properties": {"control": result.control, "status": result.status},
            }
        )
    return notes


def _rule(result: Result) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": result.control,
        "name": result.title,
        "shortDescription": {"text": result.title},
        "properties": {"severity": result.severity, "family": result.family},
    }
    if result.remediation:
        rule["help"] = {"text": result.remediation}
    return rule


def _result(
    decision: GateDecision,
    result: Result,
    finding: Finding,
    index: dict[str, int],
    blocking: set[str],
) -> dict[str, Any]:
    if result.control in blocking:
        level = "error"
    elif result.status == "waived":
        level = "note"
    else:
        level = "warning"
    text = f"{result.control} {result.title}: {finding.message}"
    if result.remediation:
        text += f" Fix: {result.remediation}"
    entry: dict[str, Any] = {
        "ruleId": result.control,
        "ruleIndex": index[result.control],
        "level": level,
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": finding.file},
                    "region": {"startLine": finding.line},
                }
            }
        ],
        "partialFingerprints": {"assay/v1": finding_fingerprint(decision.service, result, finding)},
        "properties": {"status": result.status, "rule": finding.rule, "repo": finding.repo},
    }
    if result.status == "waived" and result.waiver is not None:
        entry["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": f"{result.waiver.reason} (approved by "
                f"{result.waiver.approver}, until {result.waiver.expires})",
            }
        ]
    return entry


FORMAT = SarifFormat()
