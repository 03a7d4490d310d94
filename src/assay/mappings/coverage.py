"""Coverage: which framework requirements the library covers, partly covers, or not at all.

A requirement is *covered* when at least one linked control's scope equals or
contains it (``equal``/``superset``), *partial* when linked controls only
overlap it (``subset``/``intersect``), and *uncovered* otherwise. Heading-only
requirements are not assessable and are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assay.controls.loader import Library, control_sort_key
from assay.mappings.catalog import Framework
from assay.mappings.crosswalk import FULL, Crosswalks

STATUSES = ("covered", "partial", "uncovered")


def requirement_status(relationships: Sequence[str]) -> str:
    if any(rel in FULL for rel in relationships):
        return "covered"
    if relationships:
        return "partial"
    return "uncovered"


def compute_coverage(
    frameworks: Sequence[Framework], library: Library, crosswalks: Crosswalks
) -> dict[str, Any]:
    """The coverage document (see ``coverage.schema.json``)."""
    unmapped = {(u.framework, u.requirement): u.reason for u in crosswalks.unmapped}
    result: list[dict[str, Any]] = []
    for framework in frameworks:
        by_requirement: dict[str, list[tuple[str, str]]] = {}
        for link in crosswalks.for_framework(framework.id):
            by_requirement.setdefault(link.requirement, []).append(
                (link.control, link.relationship)
            )
        counts = dict.fromkeys(STATUSES, 0)
        requirements = []
        for requirement in framework.assessable:
            linked = sorted(
                by_requirement.get(requirement.id, []), key=lambda item: control_sort_key(item[0])
            )
            status = requirement_status([rel for _, rel in linked])
            counts[status] += 1
            entry: dict[str, Any] = {
                "id": requirement.id,
                "title": requirement.title,
                "status": status,
                "controls": [{"id": cid, "relationship": rel} for cid, rel in linked],
            }
            reason = unmapped.get((framework.id, requirement.id))
            if reason is not None and status == "uncovered":
                entry["unmapped_reason"] = reason
            requirements.append(entry)
        result.append(
            {
                "id": framework.id,
                "title": framework.title,
                "version": framework.version,
                "counts": counts,
                "requirements": requirements,
            }
        )
    framework_ids = {f.id for f in frameworks}
    controls = []
    for control in library.sorted():
        links = [
            {
                "framework": link.framework,
                "requirement": link.requirement,
                "relationship": link.relationship,
            }
            for link in crosswalks.for_control(control.id)
            if link.framework in framework_ids
        ]
        controls.append({"id": control.id, "title": control.title, "requirements": links})
    return {"frameworks": result, "controls": controls}
