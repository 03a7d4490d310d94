"""A minimal OSCAL system security plan: the system the plan, results and POA&M speak of.

Assay does not author security plans; this one exists so that the other documents'
references resolve. It holds the system's id (the workspace), the services as
components with their repositories and pipelines as inventory items, and one
implemented requirement per library control that applies to at least one service,
saying for each service what the latest assessment found. Its profile is the exported
catalog (``catalog.json``): every library control is the baseline, and the services'
constitutions select which apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assay.governance import Governance
from assay.reports.model import ServiceReport
from assay.reports.oscal_actors import (
    SERVICE_OWNER,
    OscalSystem,
    control_owner_role,
    document_metadata,
    inventory_items,
    owner_uuid,
    service_component,
    service_uuid,
)
from assay.reports.oscal_catalog import CATALOG_FILE, library_version
from assay.reports.oscal_common import drop_empty, line, oscal_uuid, prop, prose

#: OSCAL implementation states for Assay statuses (``partial`` where Assay saw a gap).
_STATE = {"pass": "implemented", "waived": "partial"}


def generated(reports: Sequence[ServiceReport]) -> Any:
    return max(report.facts.created_at for report in reports)


def system_security_plan(
    governance: Governance, reports: Sequence[ServiceReport], system: OscalSystem
) -> dict[str, Any]:
    """The SSP for the services of ``reports`` (at least one)."""
    services = ", ".join(report.facts.service for report in reports)
    controls: dict[str, list[tuple[ServiceReport, str, str]]] = {}
    for report in reports:
        for control in report.controls:
            if control.status == "not_applicable":
                continue
            controls.setdefault(control.id, []).append((report, control.status, control.owner_role))
    requirements = [
        {
            "uuid": oscal_uuid("ssp-requirement", system.uuid, control_id),
            "control-id": control_id,
            "props": [prop("control", control_id)],
            "responsible-roles": [{"role-id": control_owner_role(rows[0][2])}],
            "by-components": [
                {
                    "component-uuid": service_uuid(report.facts.service),
                    "uuid": oscal_uuid(
                        "by-component", system.uuid, control_id, report.facts.service
                    ),
                    "description": prose(
                        f"Tested by Assay against the evidence of {report.facts.service}: "
                        f"{status.replace('_', ' ')} at {report.facts.as_of.date().isoformat()}."
                    ),
                    "implementation-status": {"state": _STATE.get(status, "planned")},
                }
                for report, status, _role in rows
            ],
        }
        for control_id, rows in sorted(controls.items())
    ]
    owners = sorted({r.facts.owner for r in reports if r.facts.owner})
    document = {
        "uuid": oscal_uuid("ssp", system.uuid, *sorted(r.facts.assessment_hash for r in reports)),
        "metadata": document_metadata(
            f"Assay system security plan: {system.name}",
            generated(reports),
            library_version(governance),
            system,
            reports,
        ),
        "import-profile": {
            "href": CATALOG_FILE,
            "remarks": "The Assay control library's catalog (assay library export --oscal) is "
            "the baseline; each service's constitution selects the controls that apply.",
        },
        "system-characteristics": {
            "system-ids": [system.system_id()],
            "system-name": line(system.name),
            "description": prose(
                f"The services of the {system.name} workspace"
                + (f" of {system.organisation}" if system.organisation else "")
                + f": {services}."
            ),
            "system-information": {
                "information-types": [
                    {
                        "uuid": oscal_uuid("information-type", system.uuid),
                        "title": "Service data",
                        "description": "The information the services in scope process, as "
                        "their constitutions describe; Assay does not classify it.",
                    }
                ]
            },
            "status": {"state": "operational"},
            "authorization-boundary": {
                "description": prose(
                    "The services in scope, their git repositories and their CI pipelines: "
                    f"{services}."
                )
            },
            "responsible-parties": [
                {"role-id": SERVICE_OWNER, "party-uuids": [owner_uuid(o) for o in owners]}
            ]
            if owners
            else [],
        },
        "system-implementation": {
            "components": [service_component(report.facts) for report in reports],
            "inventory-items": [item for r in reports for item in inventory_items(r.facts)],
        },
        "control-implementation": {
            "description": "Each library control that applies to a service, with what the "
            "latest stored assessment of each service found.",
            "implemented-requirements": requirements
            or [
                {
                    "uuid": oscal_uuid("ssp-requirement", system.uuid, "none"),
                    "control-id": "none",
                    "remarks": "No library control applies to the services in scope.",
                }
            ],
        },
    }
    return {"system-security-plan": drop_empty(document)}
