"""Who and what the OSCAL documents speak of: the system, the parties, the tool, the subjects.

Every OSCAL document Assay writes for a workspace names the same things with the same
UUIDs, so one document's references resolve in another:

* the **system**: the workspace (its ``[workspace]`` name and organisation), identified by
  a version 5 UUID in ``system-ids`` (type RFC 4122);
* the **parties**: the organisation running Assay (role ``assessor``) and each service's
  owner (role ``service-owner``); each control's owner role is an OSCAL role of its own,
  ``control-owner-<role>``, filled by the organisation;
* the **tool**: Assay itself, a software component used as the assessment platform and
  named as the ``tool`` actor of every observation, finding and risk;
* the **subjects**: one ``service`` component per service and one inventory item per
  repository and pipeline, defined in the system security plan and referenced elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from assay import __version__
from assay.reports.model import PackFacts, ServiceReport
from assay.reports.oscal_common import line, metadata, oscal_uuid, prop, prose, token

if TYPE_CHECKING:
    from assay.workspace import Workspace

#: The file names the documents use to reference each other (relative hrefs): write them
#: into one folder under these names.
SSP_FILE = "ssp.json"
PLAN_FILE = "assessment-plan.json"
RESULTS_FILE = "assessment-results.json"
POAM_FILE = "poam.json"

RFC4122 = "https://ietf.org/rfc/rfc4122"
ASSESSOR = "assessor"
SERVICE_OWNER = "service-owner"


@dataclass(frozen=True)
class OscalSystem:
    """The system the documents describe: the workspace, by name and organisation."""

    name: str = "Assay workspace"
    organisation: str = ""

    @classmethod
    def from_workspace(cls, workspace: Workspace | None) -> OscalSystem:
        if workspace is None:
            return cls()
        section = workspace.config.get("workspace", {})
        name = str(section.get("name") or workspace.root.name or cls.name)
        return cls(name=name, organisation=str(section.get("organisation") or ""))

    @property
    def uuid(self) -> str:
        return oscal_uuid("system", self.organisation, self.name)

    @property
    def party_name(self) -> str:
        return self.organisation or self.name

    def system_id(self) -> dict[str, Any]:
        return {"identifier-type": RFC4122, "id": self.uuid}


def organisation_uuid(system: OscalSystem) -> str:
    return oscal_uuid("party", "organisation", system.party_name)


def owner_uuid(owner: str) -> str:
    return oscal_uuid("party", "service-owner", owner)


def control_owner_role(owner_role: str) -> str:
    """The OSCAL role id for a control's owner role (``Engineering lead`` ->
    ``control-owner-engineering-lead``)."""
    return token(f"control-owner-{owner_role}")


TOOL_UUID = oscal_uuid("component", "assay-tool")
PLATFORM_UUID = oscal_uuid("assessment-platform", "assay")


def tool_component() -> dict[str, Any]:
    return {
        "uuid": TOOL_UUID,
        "type": "software",
        "title": "Assay",
        "description": "Assay collects evidence from git repositories and CI pipelines into a "
        "tamper-evident store and tests every control of its library against it.",
        "props": [prop("version", __version__, assay=False)],
        "status": {"state": "operational"},
    }


def assessment_assets() -> dict[str, Any]:
    return {
        "components": [tool_component()],
        "assessment-platforms": [
            {
                "uuid": PLATFORM_UUID,
                "title": "Assay",
                "uses-components": [{"component-uuid": TOOL_UUID}],
            }
        ],
    }


def origins(system: OscalSystem) -> list[dict[str, Any]]:
    """Assay as the tool, run by the organisation as assessor."""
    return [
        {
            "actors": [
                {"type": "tool", "actor-uuid": TOOL_UUID},
                {
                    "type": "party",
                    "actor-uuid": organisation_uuid(system),
                    "role-id": ASSESSOR,
                },
            ]
        }
    ]


def document_metadata(
    title: str,
    last_modified: datetime,
    version: str,
    system: OscalSystem,
    reports: Sequence[ServiceReport],
) -> dict[str, Any]:
    """Metadata with the roles and parties every reference in the documents resolves to."""
    owners = sorted({report.facts.owner for report in reports if report.facts.owner})
    owner_roles = sorted({control.owner_role for report in reports for control in report.controls})
    roles = [
        {
            "id": ASSESSOR,
            "title": "Assessor",
            "description": "Runs Assay and stands behind the assessments it stores.",
        },
        {
            "id": SERVICE_OWNER,
            "title": "Service owner",
            "description": "Owns a service and "
            "its plan of action, as its service constitution names.",
        },
        *(
            {
                "id": control_owner_role(role),
                "title": line(f"Control owner: {role}"),
                "description": prose(
                    f"The '{role}' role the control library makes accountable for its controls."
                ),
            }
            for role in owner_roles
        ),
    ]
    organisation = organisation_uuid(system)
    parties = [
        {"uuid": organisation, "type": "organization", "name": line(system.party_name)},
        *(
            {
                "uuid": owner_uuid(owner),
                "type": "organization",
                "name": line(owner),
                "remarks": "Service owner named in a service constitution.",
            }
            for owner in owners
        ),
    ]
    responsible = [
        {"role-id": ASSESSOR, "party-uuids": [organisation]},
        *(
            [{"role-id": SERVICE_OWNER, "party-uuids": [owner_uuid(o) for o in owners]}]
            if owners
            else []
        ),
        *(
            {"role-id": control_owner_role(role), "party-uuids": [organisation]}
            for role in owner_roles
        ),
    ]
    return metadata(
        title,
        last_modified,
        version,
        roles=roles,
        parties=parties,
        **{"responsible-parties": responsible},
    )


# ---- subjects -----------------------------------------------------------------------------


def service_uuid(service: str) -> str:
    return oscal_uuid("component", "service", service)


def repo_uuid(service: str, repo: str) -> str:
    return oscal_uuid("inventory-item", "repository", service, repo)


def pipeline_uuid(service: str, pipeline: str) -> str:
    return oscal_uuid("inventory-item", "pipeline", service, pipeline)


def service_component(facts: PackFacts) -> dict[str, Any]:
    return {
        "uuid": service_uuid(facts.service),
        "type": "service",
        "title": line(f"{facts.service_name} ({facts.service})"),
        "description": prose(facts.description or facts.outcome or facts.service_name),
        "props": [prop("service", facts.service), prop("tier", str(facts.tier))],
        "status": {"state": "operational"},
        "responsible-roles": [{"role-id": SERVICE_OWNER, "party-uuids": [owner_uuid(facts.owner)]}]
        if facts.owner
        else [],
    }


def _named(entries: Sequence[str]) -> list[tuple[str, str]]:
    """``(name, shown)`` for the cover's ``name: where`` entries of repositories and pipelines."""
    return [(entry.split(": ", 1)[0], entry) for entry in entries]


def inventory_items(facts: PackFacts) -> list[dict[str, Any]]:
    """One item per repository and pipeline of the service, implementing its component."""
    items = []
    for kind, entries, make in (
        ("repository", facts.repos, repo_uuid),
        ("pipeline", facts.pipelines, pipeline_uuid),
    ):
        for name, shown in _named(entries):
            items.append(
                {
                    "uuid": make(facts.service, name),
                    "description": line(f"{kind.capitalize()} {shown} of {facts.service}"),
                    "props": [prop("asset-type", kind, assay=False), prop(kind, name)],
                    "implemented-components": [{"component-uuid": service_uuid(facts.service)}],
                }
            )
    return items


def subject_references(facts: PackFacts, subject: dict[str, Any]) -> list[dict[str, Any]]:
    """The service, and the repository or pipeline an evidence subject names, if known."""
    refs = [{"subject-uuid": service_uuid(facts.service), "type": "component"}]
    repo, pipeline = subject.get("repo"), subject.get("pipeline")
    if isinstance(repo, str) and repo in dict(_named(facts.repos)):
        refs.append({"subject-uuid": repo_uuid(facts.service, repo), "type": "inventory-item"})
    if isinstance(pipeline, str) and pipeline in dict(_named(facts.pipelines)):
        refs.append(
            {"subject-uuid": pipeline_uuid(facts.service, pipeline), "type": "inventory-item"}
        )
    return refs


def subject_selections(reports: Iterable[ServiceReport]) -> list[dict[str, Any]]:
    """``assessment-subjects``: the services (components), then their repositories and
    pipelines (inventory items)."""
    reports = list(reports)
    components = [
        {"subject-uuid": service_uuid(r.facts.service), "type": "component"} for r in reports
    ]
    items = [
        {"subject-uuid": item["uuid"], "type": "inventory-item"}
        for r in reports
        for item in inventory_items(r.facts)
    ]
    selections: list[dict[str, Any]] = [
        {
            "type": "component",
            "description": "The services in scope.",
            "include-subjects": components,
        }
    ]
    if items:
        selections.append(
            {
                "type": "inventory-item",
                "description": "Their repositories and pipelines, where evidence is collected.",
                "include-subjects": items,
            }
        )
    return selections
