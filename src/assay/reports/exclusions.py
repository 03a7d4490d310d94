"""Controls that do not apply to a service, each with why: nothing is left out silently.

A control of the library is left out of a service's assessment in one of two ways:

* the service constitution excludes it (``exclusions:`` with a justification): the
  assessment records it as ``not_applicable`` with that justification;
* its applicability rule (tags, tiers) does not match the service: the assessment has no
  result for it, and the rule, with the service's tags and tier, is the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assay.assess.model import Assessment
    from assay.controls.loader import Library
    from assay.workspace import Service

BY_RULE = "applicability rule"
BY_CONSTITUTION = "service constitution"
NOT_ASSESSED = "not assessed"


@dataclass(frozen=True)
class Exclusion:
    """A control that does not apply to a service, and why."""

    control: str
    title: str
    by: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"control": self.control, "title": self.title, "by": self.by, "reason": self.reason}


def _service_terms(service: Service | None) -> str:
    if service is None:
        return ""
    tags = ", ".join(sorted(service.tags)) or "none"
    return f"; {service.id} is tier {service.tier} with tags {tags}"


def exclusions_for(
    assessment: Assessment, library: Library, service: Service | None = None
) -> tuple[Exclusion, ...]:
    """Every control of ``library`` not assessed as applicable to the service, by id."""
    assessed = {result.control: result for result in assessment.results}
    found: list[Exclusion] = []
    for result in assessment.results:
        if result.status == "not_applicable":
            reason = result.justification or result.reason or "excluded without a justification"
            found.append(Exclusion(result.control, result.title, BY_CONSTITUTION, reason))
    for control in library.sorted():
        if control.id in assessed:
            continue
        if service is not None and control.applicability.applies(service.tags, service.tier):
            reason = "not in this assessment: the control library changed since it was made"
            found.append(Exclusion(control.id, control.title, NOT_ASSESSED, reason))
            continue
        rule = control.applicability.describe()
        reason = f"applies to {rule}{_service_terms(service)}"
        found.append(Exclusion(control.id, control.title, BY_RULE, reason))
    return tuple(sorted(found, key=lambda e: e.control))
