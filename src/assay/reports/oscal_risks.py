"""Risks, their deadlines and their milestones: shared by the assessment results and POA&M.

Every result that is not a pass (fail, gap, unverifiable, stale, error, and waived) is a
risk: Assay could not show the control in place. Its ``deadline`` follows the control's
severity, counted from the time the assessment was made (:data:`DEADLINE_DAYS`); a waived
result's deadline is the end of the waiver's last day instead, since the deviation was
accepted until then. Each risk carries one planned remediation (the control's remediation
text) with two tasks: the remediation work (an action over the days up to the deadline)
and the milestone that closes it (the control passes on fresh evidence by the deadline),
each naming the control owner's role and the service owner as responsible.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from assay.durations import isoformat
from assay.reports.model import ControlView, ServiceReport
from assay.reports.oscal_actors import (
    SERVICE_OWNER,
    OscalSystem,
    control_owner_role,
    origins,
    owner_uuid,
)
from assay.reports.oscal_common import ASSAY_NS, line, oscal_uuid, prop, prose

#: Days from the assessment to a risk's deadline, by control severity. A severity the
#: library does not know gets the medium figure.
DEADLINE_DAYS = {"critical": 14, "high": 30, "medium": 90, "low": 180}
DEFAULT_DEADLINE_DAYS = 90

#: The statuses that open a risk: every result that is not a pass.
RISK_STATUSES = ("fail", "gap", "unverifiable", "stale", "error", "waived")


def is_risk(control: ControlView) -> bool:
    return control.status in RISK_STATUSES


def risk_uuid(report: ServiceReport, control_id: str) -> str:
    return oscal_uuid("risk", report.facts.service, control_id, report.facts.assessment_hash)


def deadline(report: ServiceReport, control: ControlView) -> datetime:
    """When the risk must be closed: the waiver's last moment for a waived result, else
    the assessment time plus the severity's days."""
    if control.waiver is not None:
        return datetime.combine(control.waiver.expires, time(23, 59, 59), tzinfo=UTC)
    days = DEADLINE_DAYS.get(control.severity, DEFAULT_DEADLINE_DAYS)
    return report.facts.created_at + timedelta(days=days)


def why(control: ControlView) -> str:
    """The reasons in words; an unverifiable result says that Assay could not look."""
    words = "; ".join(control.reasons) or control.status.replace("_", " ")
    if control.status == "unverifiable":
        return f"unverifiable — Assay could not look: {words}"
    return words


def responsible_roles(report: ServiceReport, control: ControlView) -> list[dict[str, Any]]:
    roles: list[dict[str, Any]] = [{"role-id": control_owner_role(control.owner_role)}]
    if report.facts.owner:
        roles.append({"role-id": SERVICE_OWNER, "party-uuids": [owner_uuid(report.facts.owner)]})
    return roles


def _tasks(report: ServiceReport, control: ControlView, uuid: str) -> list[dict[str, Any]]:
    start = isoformat(report.facts.created_at)
    end = isoformat(max(deadline(report, control), report.facts.created_at))
    roles = responsible_roles(report, control)
    service = report.facts.service
    return [
        {
            "uuid": oscal_uuid("remediation-task", uuid),
            "type": "action",
            "title": line(f"Put {control.id} in place for {service}"),
            "description": prose(control.remediation or "Remediation to be agreed."),
            "timing": {"within-date-range": {"start": start, "end": end}},
            "responsible-roles": roles,
        },
        {
            "uuid": oscal_uuid("milestone", uuid),
            "type": "milestone",
            "title": line(f"{control.id} passes for {service}"),
            "description": prose(
                f"An assessment of {service} on fresh evidence finds {control.id} satisfied"
                + (" (the waiver ends)." if control.waiver else ".")
            ),
            "timing": {"on-date": {"date": end}},
            "responsible-roles": roles,
        },
    ]


def risk(
    report: ServiceReport,
    control: ControlView,
    system: OscalSystem,
    observations: list[str],
) -> dict[str, Any]:
    """The risk of one non-passing result, linked to ``observations`` (UUIDs)."""
    uuid = risk_uuid(report, control.id)
    service = report.facts.service
    origin = origins(system)
    remediation: dict[str, Any] = {
        "uuid": oscal_uuid("remediation", uuid),
        "lifecycle": "planned",
        "title": line(f"Remediate {control.id} for {service}"),
        "description": prose(control.remediation or "Remediation to be agreed."),
        "origins": origin,
        "tasks": _tasks(report, control, uuid),
    }
    if control.waiver is not None:
        remediation["remarks"] = prose(
            f"Waived until {control.waiver.expires.isoformat()} by {control.waiver.approver}: "
            f"{control.waiver.reason}"
        )
    return {
        "uuid": uuid,
        "title": line(f"{service}: {control.id} {control.title} is {control.status}"),
        "description": prose(control.statement or control.title),
        "statement": prose(why(control)),
        "props": [
            prop("severity", control.severity),
            prop("service", service),
            prop("control", control.id),
            prop("status", control.status),
        ],
        "status": "deviation-approved" if control.status == "waived" else "open",
        "origins": origin,
        "characterizations": [
            {
                "origin": origin[0],
                "facets": [
                    {"name": "impact", "system": ASSAY_NS, "value": line(control.severity)},
                    {"name": "assay-status", "system": ASSAY_NS, "value": control.status},
                ],
            }
        ],
        "deadline": isoformat(deadline(report, control)),
        "remediations": [remediation],
        "related-observations": [{"observation-uuid": u} for u in observations],
    }
