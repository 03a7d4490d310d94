"""Assessment results as OSCAL 1.2.1 JSON.

One OSCAL result per service assessment, importing the assessment plan written alongside
(``assessment-plan.json``, see :mod:`assay.reports.oscal_plan`). Each result holds:

* ``observations``: one per evidence record used and one per control result
  (:mod:`assay.reports.oscal_observations`), so every finding, gaps included, has an
  observation behind it;
* ``risks``: one per result that is not a pass (:mod:`assay.reports.oscal_risks`);
* ``findings``: one per applicable control, targeting the control's objective in the
  exported catalog (``<control>_obj``) with state ``satisfied`` (pass) or
  ``not-satisfied`` (anything else; the Assay status is kept as a property), linked to
  its observations and its risk. Not-applicable controls are excluded from the reviewed
  controls.

Observations, findings and risks name Assay as the tool and the organisation as the
assessor (``origins``). Everything is derived from the reports' view model,
deterministically: UUIDs are version 5 from assessment hashes and control ids, times
are the assessments' own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from assay.durations import isoformat
from assay.governance import Governance
from assay.reports.model import ControlView, ServiceReport
from assay.reports.oscal_actors import PLAN_FILE, OscalSystem, document_metadata, origins
from assay.reports.oscal_catalog import library_version
from assay.reports.oscal_common import drop_empty, line, objective_id, oscal_uuid, prop, prose
from assay.reports.oscal_observations import (
    control_observation,
    control_observation_uuid,
    evidence_observation,
    freshness,
    observation_uuid,
)
from assay.reports.oscal_plan import plan_uuid
from assay.reports.oscal_risks import is_risk, risk, risk_uuid


def generated(reports: Sequence[ServiceReport]) -> datetime:
    if not reports:
        return datetime(1970, 1, 1, tzinfo=UTC)
    return max(report.facts.created_at for report in reports)


def finding_uuid(report: ServiceReport, control_id: str) -> str:
    return oscal_uuid("finding", report.facts.assessment_hash, control_id)


def observations_of(report: ServiceReport, control: ControlView) -> list[str]:
    """The observation UUIDs behind a control's finding: its own, then its evidence's."""
    return [
        control_observation_uuid(report, control.id),
        *(observation_uuid(report, row.id) for row in control.evidence),
    ]


def finding(report: ServiceReport, control: ControlView, system: OscalSystem) -> dict[str, Any]:
    satisfied = control.status == "pass"
    reason = "pass" if satisfied else ("fail" if control.status == "fail" else "other")
    words = "; ".join(control.reasons) if control.reasons else "All tests passed."
    props = [
        prop("status", control.status),
        prop("severity", control.severity),
        prop("service", report.facts.service),
        prop("control", control.id),
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
        "origins": origins(system),
        "target": {
            "type": "objective-id",
            "target-id": objective_id(control.id),
            "title": line(f"Objective of {control.id}"),
            "status": status,
        },
        "related-observations": [
            {"observation-uuid": uuid} for uuid in observations_of(report, control)
        ],
        "related-risks": [{"risk-uuid": risk_uuid(report, control.id)}] if is_risk(control) else [],
    }


def _result(governance: Governance, report: ServiceReport, system: OscalSystem) -> dict[str, Any]:
    facts = report.facts
    shortest = freshness(governance, report)
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
        "observations": [
            *(evidence_observation(report, row, shortest, system) for row in report.evidence),
            *(control_observation(report, control, system) for control in applicable),
        ],
        "risks": [
            risk(report, control, system, observations_of(report, control))
            for control in applicable
            if is_risk(control)
        ],
        "findings": [finding(report, control, system) for control in applicable],
    }


def assessment_results(
    governance: Governance,
    reports: Sequence[ServiceReport],
    system: OscalSystem | None = None,
) -> dict[str, Any]:
    """The OSCAL assessment-results document for ``reports`` (at least one)."""
    system = system or OscalSystem()
    hashes = sorted(report.facts.assessment_hash for report in reports)
    services = ", ".join(report.facts.service for report in reports)
    document = {
        "uuid": oscal_uuid("assessment-results", *hashes),
        "metadata": document_metadata(
            f"Assay assessment results: {services}",
            generated(reports),
            library_version(governance),
            system,
            reports,
        ),
        "import-ap": {
            "href": PLAN_FILE,
            "remarks": f"The assessment plan {plan_uuid(governance, reports)}, in the same "
            "folder as these results.",
        },
        "results": [_result(governance, report, system) for report in reports],
    }
    return {"assessment-results": drop_empty(document)}
