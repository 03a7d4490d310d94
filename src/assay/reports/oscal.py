"""Assessment results and a plan of action and milestones, as OSCAL 1.2.1 JSON.

``assessment-results``: one OSCAL result per service assessment. Each evidence record
the assessment used is an observation (method TEST, or EXAMINE for attestations) with
``collected`` (its latest collection), ``expires`` (when the shortest freshness of the
controls reading it runs out) and its sha256 id and artefact hashes as properties.
Each control's result is a finding whose target state is ``satisfied`` (pass) or
``not-satisfied`` (anything else; the Assay status is kept as a property), linked to
its observations. Not-applicable controls are excluded from the reviewed controls.

``plan-of-action-and-milestones``: one item per open gap (fail, gap, unverifiable,
stale, error and waived results) with a risk carrying the remediation and, for waivers,
the deadline.

Everything is derived from the reports' view model, deterministically: UUIDs are
version 5 from assessment hashes and control ids, times are the assessments' own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from assay.durations import isoformat
from assay.governance import Governance
from assay.reports.model import ControlView, EvidenceRow, ServiceReport
from assay.reports.oscal_catalog import library_version
from assay.reports.oscal_common import (
    drop_empty,
    line,
    metadata,
    oscal_uuid,
    prop,
    prose,
)


def _generated(reports: Sequence[ServiceReport]) -> datetime:
    if not reports:
        return datetime(1970, 1, 1, tzinfo=UTC)
    return max(report.facts.created_at for report in reports)


def _freshness(governance: Governance, report: ServiceReport) -> dict[str, timedelta]:
    """For each evidence id: the shortest freshness among controls that read it."""
    shortest: dict[str, timedelta] = {}
    for control in report.controls:
        defined = governance.library.get(control.id)
        if defined is None:
            continue
        for row in control.evidence:
            current = shortest.get(row.id)
            if current is None or defined.freshness_delta < current:
                shortest[row.id] = defined.freshness_delta
    return shortest


def _observation(
    report: ServiceReport, row: EvidenceRow, freshness: dict[str, timedelta]
) -> dict[str, Any]:
    collected = row.collected_at or row.observed_at or report.facts.as_of
    observation: dict[str, Any] = {
        "uuid": observation_uuid(report, row.id),
        "title": line(f"{row.kind} evidence: {row.source}"),
        "description": prose(
            f"Evidence of kind {row.kind} about {row.source}, collected by {row.collector}."
            + ("" if row.found else " The store does not hold this record.")
        ),
        "props": [
            prop("evidence-sha256", row.id),
            prop("evidence-kind", row.kind),
            *([prop("commit", row.commit)] if row.commit else []),
            *([prop("ci-run", row.run)] if row.run else []),
            *([prop("observed", isoformat(row.observed_at))] if row.observed_at else []),
        ],
        "methods": ["EXAMINE" if row.kind == "manual.attestation" else "TEST"],
        "types": ["control-objective"],
        "relevant-evidence": [
            {
                "href": f"urn:assay:evidence:{row.id}",
                "description": line(f"Evidence record {row.id}"),
                "props": [prop("sha256", row.id)],
            },
            *(
                {
                    "href": f"urn:assay:blob:{artefact.sha256}",
                    "description": line(f"Artefact {artefact.name} ({artefact.size} bytes)"),
                    "props": [
                        prop("sha256", artefact.sha256),
                        prop("media-type", artefact.media_type),
                    ],
                }
                for artefact in row.artefacts
            ),
        ],
        "collected": isoformat(collected),
    }
    if row.id in freshness:
        observation["expires"] = isoformat(collected + freshness[row.id])
    return observation


def observation_uuid(report: ServiceReport, evidence_id: str) -> str:
    return oscal_uuid("observation", report.facts.service, evidence_id)


def finding_uuid(report: ServiceReport, control_id: str) -> str:
    return oscal_uuid("finding", report.facts.assessment_hash, control_id)


def _finding(report: ServiceReport, control: ControlView) -> dict[str, Any]:
    satisfied = control.status == "pass"
    reason = "pass" if satisfied else ("fail" if control.status == "fail" else "other")
    words = "; ".join(control.reasons) if control.reasons else "All tests passed."
    props = [
        prop("status", control.status),
        prop("severity", control.severity),
        prop("service", report.facts.service),
    ]
    if control.underlying_status:
        props.append(prop("underlying-status", control.underlying_status))
    if control.waiver is not None:
        props.append(prop("waiver-expires", control.waiver.expires.isoformat()))
    props.extend(
        prop(
            "self-reported",
            kind,
            remarks="The result rests on evidence its writer reports about itself; Assay "
            "could not check it (docs/trust.md).",
        )
        for kind in control.self_reported
    )
    status: dict[str, Any] = {
        "state": "satisfied" if satisfied else "not-satisfied",
        "reason": reason,
    }
    described = f"{control.status.replace('_', ' ')}: {words}"
    if control.status == "unverifiable":
        # Not satisfied: Assay could not look, so nothing shows the control in place.
        described = f"unverifiable — Assay could not look: {words}"
        status["remarks"] = prose(
            "The evidence exists where Assay was not allowed to look, so the control was not "
            f"judged: {words}"
        )
    return {
        "uuid": finding_uuid(report, control.id),
        "title": line(f"{control.id} {control.title}"),
        "description": prose(described),
        "props": props,
        "target": {
            "type": "objective-id",
            "target-id": control.id,
            "status": status,
        },
        "related-observations": [
            {"observation-uuid": observation_uuid(report, row.id)} for row in control.evidence
        ],
    }


def _result(governance: Governance, report: ServiceReport) -> dict[str, Any]:
    facts = report.facts
    freshness = _freshness(governance, report)
    applicable = [c for c in report.controls if c.status != "not_applicable"]
    excluded = [c for c in report.controls if c.status == "not_applicable"]
    selection: dict[str, Any] = {
        "description": "The controls of the Assay library that apply to the service.",
        "include-controls": [{"control-id": c.id} for c in applicable],
        "exclude-controls": [{"control-id": c.id} for c in excluded],
    }
    if not applicable:
        selection = {
            "include-all": {"__keep__": True},
            "exclude-controls": [{"control-id": c.id} for c in excluded],
        }
    return {
        "uuid": oscal_uuid("result", facts.assessment_hash),
        "title": line(f"Assessment of {facts.service_name} ({facts.service})"),
        "description": prose(
            f"Every applicable control of the Assay library tested against the evidence of "
            f"{facts.service} recorded at or before {isoformat(facts.as_of)}."
        ),
        "start": isoformat(facts.as_of),
        "end": isoformat(max(facts.created_at, facts.as_of)),
        "props": [
            prop("service", facts.service),
            prop("assessment-sha256", facts.assessment_hash),
            prop("library-digest", facts.library_digest),
            *(
                [prop("ledger-head", f"{facts.ledger_head[0]}:{facts.ledger_head[1]}")]
                if facts.ledger_head
                else []
            ),
        ],
        "reviewed-controls": {"control-selections": [selection]},
        "observations": [_observation(report, row, freshness) for row in report.evidence],
        "findings": [_finding(report, control) for control in applicable],
    }


def assessment_results(governance: Governance, reports: Sequence[ServiceReport]) -> dict[str, Any]:
    """The OSCAL assessment-results document for ``reports`` (at least one)."""
    hashes = sorted(report.facts.assessment_hash for report in reports)
    services = ", ".join(report.facts.service for report in reports)
    document = {
        "uuid": oscal_uuid("assessment-results", *hashes),
        "metadata": metadata(
            f"Assay assessment results: {services}",
            _generated(reports),
            library_version(governance),
        ),
        "import-ap": {
            "href": f"urn:assay:assessment-plan:{governance.library.digest}",
            "remarks": "The assessment plan is the Assay control library in force, identified "
            "by its digest, applied to each service's constitution.",
        },
        "results": [_result(governance, report) for report in reports],
    }
    return {"assessment-results": drop_empty(document)}


def _deadline(control: ControlView) -> str | None:
    if control.waiver is None:
        return None
    end = datetime.combine(control.waiver.expires, time(23, 59, 59), tzinfo=UTC)
    return isoformat(end)


def plan_of_action(governance: Governance, reports: Sequence[ServiceReport]) -> dict[str, Any]:
    """The OSCAL plan-of-action-and-milestones for every open gap in ``reports``."""
    risks: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    observations: dict[str, dict[str, Any]] = {}
    for report in reports:
        freshness = _freshness(governance, report)
        evidence = {row.id: row for row in report.evidence}
        for control in report.controls:
            if control.status in ("pass", "not_applicable"):  # what the gap register leaves out
                continue
            service = report.facts.service
            risk_uuid = oscal_uuid("risk", service, control.id, report.facts.assessment_hash)
            related = [
                {"observation-uuid": observation_uuid(report, row.id)} for row in control.evidence
            ]
            for row in control.evidence:
                observations.setdefault(
                    observation_uuid(report, row.id),
                    _observation(report, evidence[row.id], freshness),
                )
            why = "; ".join(control.reasons) or control.status
            if control.status == "unverifiable":
                why = f"unverifiable — Assay could not look: {why}"
            risk: dict[str, Any] = {
                "uuid": risk_uuid,
                "title": line(f"{service}: {control.id} {control.title} is {control.status}"),
                "description": prose(control.statement or control.title),
                "statement": prose(why),
                "status": "deviation-approved" if control.status == "waived" else "open",
                "props": [
                    prop("severity", control.severity),
                    prop("service", service),
                    prop("control", control.id),
                ],
                "remediations": [
                    {
                        "uuid": oscal_uuid("remediation", risk_uuid),
                        "lifecycle": "planned",
                        "title": line(f"Remediate {control.id}"),
                        "description": prose(control.remediation or "Remediation to be agreed."),
                    }
                ],
                "related-observations": related,
            }
            deadline = _deadline(control)
            if deadline:
                risk["deadline"] = deadline
            risks.append(risk)
            items.append(
                {
                    "uuid": oscal_uuid("poam-item", risk_uuid),
                    "title": line(f"{control.id} {control.title} ({service})"),
                    "description": prose(
                        f"{control.status.replace('_', ' ')} ({control.severity}): {why}"
                        + (
                            f"\n\nWaived until {control.waiver.expires.isoformat()} by "
                            f"{control.waiver.approver}: {control.waiver.reason}"
                            if control.waiver
                            else ""
                        )
                    ),
                    "props": [
                        prop("service", service),
                        prop("control", control.id),
                        prop("severity", control.severity),
                        prop("status", control.status),
                        prop("owner-role", control.owner_role),
                    ],
                    "related-observations": related,
                    "related-risks": [{"risk-uuid": risk_uuid}],
                }
            )
    hashes = sorted(report.facts.assessment_hash for report in reports)
    if not items:
        items.append(
            {
                "uuid": oscal_uuid("poam-item", "none", *hashes),
                "title": "No open gaps",
                "description": "Every applicable control passed in the assessments covered; "
                "nothing needs a plan of action.",
            }
        )
    document = {
        "uuid": oscal_uuid("poam", *hashes),
        "metadata": metadata(
            "Assay plan of action and milestones: "
            + ", ".join(report.facts.service for report in reports),
            _generated(reports),
            library_version(governance),
        ),
        "observations": list(observations.values()),
        "risks": risks,
        "poam-items": items,
    }
    return {"plan-of-action-and-milestones": drop_empty(document)}
