"""The control library as OSCAL: a catalog and a component-definition.

The catalog holds Assay's own controls (grouped by family) with their statement,
guidance, remediation and one ``assessment-method`` part per test, which spells out
the evidence kind and the expectation an auditor can read. The component-definition
says how that library implements each framework: one control-implementation per
framework, one implemented-requirement per requirement the crosswalks link, naming
the implementing controls and their relationship.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from assay import __version__
from assay.controls.model import Control, ControlTest
from assay.errors import ReportError
from assay.governance import Governance
from assay.mappings.coverage import requirement_status
from assay.mappings.crosswalk import Link
from assay.reports.oscal_common import (
    drop_empty,
    line,
    metadata,
    objective_id,
    oscal_uuid,
    prop,
    prose,
    token,
)
from assay.reports.output import json_bytes, write_atomic

CATALOG_FILE = "catalog.json"
COMPONENT_FILE = "component-definition.json"


def library_version(governance: Governance) -> str:
    return f"{__version__}+library.{governance.library.digest[:12]}"


def catalog_document(governance: Governance, last_modified: datetime) -> dict[str, Any]:
    """The OSCAL catalog of the control library in force."""
    library = governance.library
    families: dict[str, list[Control]] = {}
    for control in library.sorted():
        families.setdefault(control.family, []).append(control)
    groups = [
        {
            "id": token(family),
            "class": "family",
            "title": line(family.replace("-", " ").capitalize()),
            "controls": [_control(control) for control in controls],
        }
        for family, controls in sorted(families.items())
    ]
    document = {
        "uuid": oscal_uuid("catalog", library.digest),
        "metadata": metadata(
            "Assay control library",
            last_modified,
            library_version(governance),
            remarks=(
                "Framework-neutral controls tested against evidence collected from git and "
                f"CI. Library digest (sha256): {library.digest}."
            ),
        ),
        "groups": groups,
    }
    return {"catalog": drop_empty(document)}


def _control(control: Control) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [
        {"id": f"{control.id}_smt", "name": "statement", "prose": prose(control.statement)}
    ]
    parts.append(
        {
            "id": objective_id(control.id),
            "name": "assessment-objective",
            "prose": prose(
                f"Determine that: {control.statement}\n\nMet when every test below passes "
                "for each subject of the service, on evidence within the control's freshness."
            ),
        }
    )
    if control.guidance:
        parts.append(
            {"id": f"{control.id}_gdn", "name": "guidance", "prose": prose(control.guidance)}
        )
    if control.remediation:
        parts.append(
            {
                "id": f"{control.id}_rem",
                "name": "remediation",
                "ns": "urn:assay:oscal",
                "prose": prose(control.remediation),
            }
        )
    for test in control.tests:
        parts.append(_test_part(control, test))
    props = [
        prop("label", control.id, assay=False),
        prop("severity", control.severity),
        prop("owner-role", control.owner_role),
        prop("freshness", control.freshness),
        prop("applies-to", control.applicability.describe()),
    ]
    props.extend(prop("reference", reference) for reference in control.references)
    return {
        "id": control.id,
        "class": "assay-control",
        "title": line(control.title),
        "props": props,
        "parts": parts,
    }


def describe_test(test: ControlTest) -> str:
    """A test in words: what evidence, what must hold (markdown)."""
    if test.manual:
        return (
            "Manual: satisfied by a signed, unexpired attestation whose supporting file "
            f"still matches its hash. The attestation must show: {test.attestation}"
        )
    expectation = json.dumps(test.expectation, indent=2, sort_keys=True, ensure_ascii=False)
    text = (
        f"Automated: the latest `{test.kind}` evidence for each subject of the service must "
        f"satisfy this JSON Schema.\n\n```json\n{expectation}\n```"
    )
    if test.description:
        text = f"{test.description}\n\n{text}"
    return text


def _test_part(control: Control, test: ControlTest) -> dict[str, Any]:
    method = "EXAMINE" if test.manual else "TEST"
    return {
        "id": f"{control.id}_test_{token(test.id, prefix='t-')}",
        "name": "assessment-method",
        "title": line(f"Test {test.id}"),
        "props": [
            prop("method", method, assay=False),
            prop("evidence-kind", test.kind),
        ],
        "prose": prose(describe_test(test)),
    }


@dataclass(frozen=True)
class _Implemented:
    requirement: str
    title: str
    links: tuple[Link, ...]


def component_document(
    governance: Governance, last_modified: datetime, *, catalog_href: str = CATALOG_FILE
) -> dict[str, Any]:
    """The OSCAL component-definition: how the library implements each framework."""
    library = governance.library
    own = {
        "uuid": oscal_uuid("control-implementation", "assay-library"),
        "source": catalog_href,
        "description": "Every Assay control, each tested against collected evidence.",
        "implemented-requirements": [
            {
                "uuid": oscal_uuid("implemented-requirement", "assay-library", control.id),
                "control-id": control.id,
                "description": prose(
                    f"{control.statement}\n\n"
                    + "\n\n".join(describe_test(test) for test in control.tests)
                ),
                "props": [prop("severity", control.severity)],
            }
            for control in library.sorted()
        ],
    }
    implementations = [own]
    for framework in sorted(governance.frameworks.values(), key=lambda f: f.id):
        links = governance.crosswalks.for_framework(framework.id)
        by_requirement: dict[str, list[Link]] = {}
        for link in links:
            by_requirement.setdefault(link.requirement, []).append(link)
        items = [
            _Implemented(r.id, r.title, tuple(by_requirement[r.id]))
            for r in framework.assessable
            if r.id in by_requirement
        ]
        if not items:
            continue
        implementations.append(
            {
                "uuid": oscal_uuid("control-implementation", framework.id),
                "source": f"urn:assay:framework:{framework.id}",
                "description": line(
                    f"{framework.title} ({framework.version}): requirements the Assay control "
                    "library implements, through the crosswalk links shown."
                ),
                "props": [
                    prop("framework", framework.id),
                    prop("framework-version", framework.version),
                ],
                "implemented-requirements": [_requirement(framework.id, item) for item in items],
            }
        )
    component = {
        "uuid": oscal_uuid("component", "assay-control-library"),
        "type": "software",
        "title": "Assay control library",
        "description": (
            "The controls Assay tests against evidence from git repositories and CI "
            "pipelines, and how they implement each framework's requirements."
        ),
        "props": [prop("library-digest", library.digest)],
        "control-implementations": implementations,
    }
    document = {
        "uuid": oscal_uuid("component-definition", library.digest),
        "metadata": metadata(
            "Assay control library: framework implementation",
            last_modified,
            library_version(governance),
        ),
        "components": [component],
    }
    return {"component-definition": drop_empty(document)}


def _requirement(framework_id: str, item: _Implemented) -> dict[str, Any]:
    relationships = [link.relationship for link in item.links]
    lines = [f"- {link.control} ({link.relationship}): {link.rationale}" for link in item.links]
    return {
        "uuid": oscal_uuid("implemented-requirement", framework_id, item.requirement),
        "control-id": token(item.requirement),
        "description": prose(f"{item.requirement} {item.title}\n\n" + "\n".join(lines)),
        "props": [
            prop("requirement-id", item.requirement),
            prop("coverage", requirement_status(relationships)),
            *(prop("implemented-by", link.control) for link in item.links),
        ],
    }


def export_time(now: datetime) -> datetime:
    """``SOURCE_DATE_EPOCH`` when set (reproducible builds), else ``now``."""
    import os
    from datetime import UTC

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return now


def export_library(governance: Governance, folder: Path, last_modified: datetime) -> list[Path]:
    """Write ``catalog.json`` and ``component-definition.json`` into ``folder``."""
    if not folder.exists():
        if not folder.parent.is_dir():
            raise ReportError(
                f"{folder}: folder {folder.parent} does not exist",
                hint="create it first or choose another folder",
            )
        try:
            folder.mkdir()
        except OSError as exc:
            raise ReportError(f"{folder}: cannot create folder: {exc.strerror}") from None
    elif not folder.is_dir():
        raise ReportError(f"{folder}: is a file, not a folder")
    written = []
    for name, document in (
        (CATALOG_FILE, catalog_document(governance, last_modified)),
        (COMPONENT_FILE, component_document(governance, last_modified)),
    ):
        path = folder / name
        write_atomic(path, json_bytes(document))
        written.append(path)
    return written
