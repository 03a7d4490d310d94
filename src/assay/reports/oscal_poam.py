"""The plan of action and milestones as OSCAL 1.2.1 JSON.

One ``poam-item`` per open gap (every result that is not a pass: fail, gap, unverifiable,
stale, error and waived), linked to the same risk, finding and observations the
assessment results hold (same UUIDs), so the two documents agree. The POA&M names its
system (``system-id``, the workspace) and imports the system security plan written
alongside (``ssp.json``). Each risk has a deadline, a planned remediation with its tasks
and milestone, and the control owner's role and the service owner as responsible
(:mod:`assay.reports.oscal_risks`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assay.governance import Governance
from assay.reports.model import ServiceReport
from assay.reports.oscal import finding, generated, observations_of
from assay.reports.oscal_actors import (
    SSP_FILE,
    OscalSystem,
    assessment_assets,
    document_metadata,
    origins,
)
from assay.reports.oscal_catalog import library_version
from assay.reports.oscal_common import drop_empty, line, oscal_uuid, prop, prose
from assay.reports.oscal_observations import (
    control_observation,
    evidence_observation,
    freshness,
    observation_uuid,
)
from assay.reports.oscal_risks import deadline, is_risk, risk, risk_uuid, why


def plan_of_action(
    governance: Governance,
    reports: Sequence[ServiceReport],
    system: OscalSystem | None = None,
) -> dict[str, Any]:
    """The OSCAL plan-of-action-and-milestones for every open gap in ``reports``."""
    system = system or OscalSystem()
    risks: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    observations: dict[str, dict[str, Any]] = {}
    for report in reports:
        shortest = freshness(governance, report)
        evidence = {row.id: row for row in report.evidence}
        service = report.facts.service
        for control in report.controls:
            if not is_risk(control):  # what the gap register leaves out
                continue
            uuid = risk_uuid(report, control.id)
            behind = control_observation(report, control, system)
            observations.setdefault(behind["uuid"], behind)
            for row in control.evidence:
                observations.setdefault(
                    observation_uuid(report, row.id),
                    evidence_observation(report, evidence[row.id], shortest, system),
                )
            related = [{"observation-uuid": u} for u in observations_of(report, control)]
            risks.append(risk(report, control, system, observations_of(report, control)))
            made = finding(report, control, system)
            findings.append(made)
            waiver = control.waiver
            items.append(
                {
                    "uuid": oscal_uuid("poam-item", uuid),
                    "title": line(f"{control.id} {control.title} ({service})"),
                    "description": prose(
                        f"{control.status.replace('_', ' ')} ({control.severity}): "
                        f"{why(control)}"
                        + (
                            f"\n\nWaived until {waiver.expires.isoformat()} by "
                            f"{waiver.approver}: {waiver.reason}"
                            if waiver
                            else ""
                        )
                    ),
                    "props": [
                        prop("service", service),
                        prop("control", control.id),
                        prop("severity", control.severity),
                        prop("status", control.status),
                        prop("owner-role", control.owner_role),
                        prop("deadline", deadline(report, control).date().isoformat()),
                    ],
                    "origins": origins(system),
                    "related-findings": [{"finding-uuid": made["uuid"]}],
                    "related-observations": related,
                    "related-risks": [{"risk-uuid": uuid}],
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
        "metadata": document_metadata(
            "Assay plan of action and milestones: "
            + ", ".join(report.facts.service for report in reports),
            generated(reports),
            library_version(governance),
            system,
            reports,
        ),
        "import-ssp": {"href": SSP_FILE},
        "system-id": system.system_id(),
        "local-definitions": {"assessment-assets": assessment_assets()},
        "observations": list(observations.values()),
        "risks": risks,
        "findings": findings,
        "poam-items": items,
    }
    return {"plan-of-action-and-milestones": drop_empty(document)}
