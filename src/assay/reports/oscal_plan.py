"""The OSCAL assessment plan the assessment results import.

What Assay plans to assess, and how: the library controls that apply to the services in
scope (``reviewed-controls``, with each control's objective), the services and their
repositories and pipelines (``assessment-subjects``), one activity per control test
(``local-definitions.activities``: the evidence kind read and what must hold, method
TEST, or EXAMINE for attestations), Assay as the assessment platform, and one task per
service over the assessment period (from the earliest evidence cut-off to the latest
assessment). Its UUID is derived from the library digest, the services and the period,
so the same inputs give the same plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assay.durations import isoformat
from assay.governance import Governance
from assay.reports.model import ServiceReport
from assay.reports.oscal_actors import (
    ASSESSOR,
    SSP_FILE,
    OscalSystem,
    assessment_assets,
    control_owner_role,
    document_metadata,
    service_uuid,
    subject_selections,
)
from assay.reports.oscal_catalog import describe_test, library_version
from assay.reports.oscal_common import (
    drop_empty,
    line,
    objective_id,
    oscal_uuid,
    prop,
    prose,
)
from assay.reports.oscal_ssp import generated


def activity_uuid(control_id: str, test_id: str) -> str:
    return oscal_uuid("activity", control_id, test_id)


def plan_uuid(governance: Governance, reports: Sequence[ServiceReport]) -> str:
    start, end = _period(reports)
    services = sorted(report.facts.service for report in reports)
    return oscal_uuid("assessment-plan", governance.library.digest, start, end, *services)


def _period(reports: Sequence[ServiceReport]) -> tuple[str, str]:
    start = min(report.facts.as_of for report in reports)
    end = max(max(report.facts.created_at, report.facts.as_of) for report in reports)
    return isoformat(start), isoformat(end)


def _applicable(reports: Sequence[ServiceReport]) -> list[str]:
    return sorted(
        {c.id for report in reports for c in report.controls if c.status != "not_applicable"}
    )


def _activities(governance: Governance, control_ids: Sequence[str]) -> list[dict[str, Any]]:
    activities = []
    for control_id in control_ids:
        control = governance.library.get(control_id)
        if control is None:  # an assessment names a control the library no longer holds
            continue
        for test in control.tests:
            activities.append(
                {
                    "uuid": activity_uuid(control.id, test.id),
                    "title": line(f"{control.id} test {test.id}: {test.kind}"),
                    "description": prose(describe_test(test)),
                    "props": [
                        prop("method", "EXAMINE" if test.manual else "TEST", assay=False),
                        prop("evidence-kind", test.kind),
                        prop("control", control.id),
                    ],
                    "related-controls": {
                        "control-selections": [{"include-controls": [{"control-id": control.id}]}]
                    },
                    "responsible-roles": [
                        {"role-id": ASSESSOR},
                        {"role-id": control_owner_role(control.owner_role)},
                    ],
                }
            )
    return activities


def _tasks(
    reports: Sequence[ServiceReport], activities: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    start, end = _period(reports)
    tasks = []
    for report in reports:
        facts = report.facts
        tested = {c.id for c in report.controls if c.status != "not_applicable"}
        associated = [
            {
                "activity-uuid": activity["uuid"],
                "subjects": [
                    {
                        "type": "component",
                        "include-subjects": [
                            {"subject-uuid": service_uuid(facts.service), "type": "component"}
                        ],
                    }
                ],
            }
            for activity in activities
            if _prop(activity, "control") in tested
        ]
        tasks.append(
            {
                "uuid": oscal_uuid("task", "assess", facts.service, start, end),
                "type": "action",
                "title": line(f"Assess {facts.service_name} ({facts.service})"),
                "description": prose(
                    f"Collect the evidence of {facts.service} into the store and test every "
                    "applicable control against the latest evidence at the cut-off."
                ),
                "timing": {"within-date-range": {"start": start, "end": end}},
                "associated-activities": associated,
                "responsible-roles": [{"role-id": ASSESSOR}],
            }
        )
    return tasks


def _prop(item: dict[str, Any], name: str) -> str | None:
    return next((p["value"] for p in item.get("props", []) if p["name"] == name), None)


def assessment_plan(
    governance: Governance, reports: Sequence[ServiceReport], system: OscalSystem
) -> dict[str, Any]:
    """The OSCAL assessment-plan for the services of ``reports`` (at least one)."""
    control_ids = _applicable(reports)
    activities = _activities(governance, control_ids)
    services = ", ".join(report.facts.service for report in reports)
    start, end = _period(reports)
    selection: dict[str, Any] = {
        "description": "The library controls that apply to at least one service in scope.",
        "include-controls": [{"control-id": c} for c in control_ids],
    }
    if not control_ids:
        selection = {"include-all": {"__keep__": True}}
    document = {
        "uuid": plan_uuid(governance, reports),
        "metadata": document_metadata(
            f"Assay assessment plan: {services}",
            generated(reports),
            library_version(governance),
            system,
            reports,
        ),
        "import-ssp": {"href": SSP_FILE},
        "local-definitions": {
            "activities": activities,
            "remarks": "Each activity is one test of a library control: the evidence kind it "
            "reads and what must hold (the catalog's assessment-method parts say the same).",
        },
        "reviewed-controls": {
            "description": prose(
                f"Assessment period: evidence recorded up to {start}; assessed by {end}."
            ),
            "props": [prop("library-digest", governance.library.digest)],
            "control-selections": [selection],
            "control-objective-selections": [
                {"include-objectives": [{"objective-id": objective_id(c)} for c in control_ids]}
            ]
            if control_ids
            else [],
        },
        "assessment-subjects": subject_selections(reports),
        "assessment-assets": assessment_assets(),
        "tasks": _tasks(reports, activities),
    }
    return {"assessment-plan": drop_empty(document)}
