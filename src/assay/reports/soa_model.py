"""The Statement of Applicability's rows, worked out from results across services.

A framework requirement is decided by the controls the crosswalks link to it and by
those controls' results in each service's latest assessment:

* applicable: ``No`` only when every linked control is not applicable to every service
  in scope (the services' justifications are quoted); a requirement no control is
  linked to stays applicable and says so, since Assay cannot decide it;
* implementation status: ``Implemented`` when every applicable result passes,
  ``Partially implemented`` when some pass (or are waived), ``Not implemented`` when
  none do, ``Not assessed`` when nothing was assessed;
* latest result: the worst result, with the count of each, how many rest on
  self-reported evidence (docs/trust.md) and of which kinds, and, when some rest on an
  attestation, what each rests on (tested, attested, both, ...); a requirement whose
  results are none of them tested says so in its justification;
* an unverifiable result (the evidence exists where Assay was not allowed to look) is
  quoted in the justification as ``unverifiable — Assay could not look: ...`` with what
  is missing and how to give it;
* met and rating, for a framework that assesses that way (the UK Service Standard):
  ``Met``/``Green`` when implemented, ``Not met`` and ``Amber`` or ``Red`` when
  partially or not implemented, ``Grey`` otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from assay.assess.model import Assessment, Result
from assay.governance import Governance
from assay.mappings.catalog import Framework, Requirement
from assay.reports.model import worst_result
from assay.workspace import Service

if TYPE_CHECKING:
    from assay.reports.exclusions import Exclusion
    from assay.reports.findings import AuditFinding

IMPLEMENTED = "Implemented"
PARTIAL = "Partially implemented"
NOT_IMPLEMENTED = "Not implemented"
NOT_ASSESSED = "Not assessed"
NOT_APPLICABLE = "Not applicable"
IMPLEMENTATION_STATUSES = (IMPLEMENTED, PARTIAL, NOT_IMPLEMENTED, NOT_ASSESSED, NOT_APPLICABLE)
RESULT_STATUSES = (
    "pass",
    "fail",
    "gap",
    "unverifiable",
    "stale",
    "waived",
    "error",
    "not_applicable",
    "not_assessed",
)
MET_VALUES = ("Met", "Not met", "Not applicable", "Not assessed")
RAG_VALUES = ("Red", "Amber", "Green", "Grey")
MAX_EVIDENCE_REFS = 12


@dataclass(frozen=True)
class ServiceAssessment:
    """A service in scope and its latest assessment (``None``: never assessed), with its
    graded findings and the controls that do not apply to it."""

    service: Service
    assessment: Assessment | None
    findings: tuple[AuditFinding, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()

    def finding(self, control: str) -> AuditFinding | None:
        return next((f for f in self.findings if f.control == control), None)


@dataclass(frozen=True)
class RequirementRow:
    framework: str
    id: str
    title: str
    group: str
    parent_group: str
    applicable: str
    justification: str
    implementation: str
    controls: str
    result: str
    result_counts: str
    evidence: str
    last_verified: datetime | None


class ResultIndex:
    """Every service's result for every control, indexed once."""

    def __init__(self, scope: Sequence[ServiceAssessment]) -> None:
        self.by_control: dict[str, list[tuple[Service, Assessment, Result]]] = {}
        for item in scope:
            if item.assessment is None:
                continue
            for result in item.assessment.results:
                self.by_control.setdefault(result.control, []).append(
                    (item.service, item.assessment, result)
                )

    def results(self, control: str) -> list[tuple[Service, Assessment, Result]]:
        return self.by_control.get(control, [])


def implementation(statuses: Sequence[str]) -> str:
    considered = [s for s in statuses if s != "not_applicable"]
    if not statuses:
        return NOT_ASSESSED
    if not considered:
        return NOT_APPLICABLE
    if all(s == "pass" for s in considered):
        return IMPLEMENTED
    if any(s in ("pass", "waived") for s in considered):
        return PARTIAL
    return NOT_IMPLEMENTED


UNVERIFIABLE_PREFIX = "unverifiable — Assay could not look: "


def unverifiable_wording(reason: str) -> str:
    """An unverifiable result's reason as the SoA words it."""
    return reason if reason.startswith(UNVERIFIABLE_PREFIX) else UNVERIFIABLE_PREFIX + reason


def _counts(statuses: Sequence[str]) -> str:
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return ", ".join(f"{s.replace('_', ' ')} {counts[s]}" for s in RESULT_STATUSES if s in counts)


def _self_reported_note(found: Sequence[tuple[str, ...]]) -> str:
    if not found:
        return ""
    kinds = ", ".join(sorted({kind for kinds in found for kind in kinds}))
    return f"; {len(found)} self-reported ({kinds})"


def _basis_note(bases: Sequence[str]) -> str:
    """What the applicable results rest on, when a statement is among it: ``; basis:
    tested 2, attested 1`` (self-reported results have a note of their own)."""
    from assay.assess.model import BASES

    if not {"attested", "both"} & set(bases):
        return ""
    counts = {basis: bases.count(basis) for basis in BASES if basis in bases}
    return "; basis: " + ", ".join(f"{basis} {n}" for basis, n in counts.items())


def requirement_rows(
    governance: Governance, framework_id: str, index: ResultIndex, *, groups: tuple[str, ...] = ()
) -> list[RequirementRow]:
    """One row per assessable requirement of ``framework_id`` (optionally only ``groups``)."""
    framework = governance.frameworks.get(framework_id)
    if framework is None:
        return []
    links: dict[str, list[tuple[str, str]]] = {}
    for link in governance.crosswalks.for_framework(framework_id):
        links.setdefault(link.requirement, []).append((link.control, link.relationship))
    unmapped = {
        u.requirement: u.reason
        for u in governance.crosswalks.unmapped
        if u.framework == framework_id
    }
    rows = []
    for requirement in framework.assessable:
        if groups and not any(_in_group(requirement, g) for g in groups):
            continue
        rows.append(
            _row(
                framework,
                requirement,
                sorted(links.get(requirement.id, [])),
                index,
                unmapped.get(requirement.id),
            )
        )
    return rows


def _in_group(requirement: Requirement, group: str) -> bool:
    return requirement.group == group or (requirement.group or "").startswith(group + ".")


def _row(
    framework: Framework,
    requirement: Requirement,
    linked: list[tuple[str, str]],
    index: ResultIndex,
    unmapped_reason: str | None,
) -> RequirementRow:
    group = next((g for g in framework.groups if g.id == requirement.group), None)
    parent = next((g for g in framework.groups if group and g.id == group.parent), None)
    statuses: list[str] = []
    self_reported: list[tuple[str, ...]] = []
    bases: list[str] = []
    justifications: list[str] = []
    unverifiable: list[str] = []
    evidence: dict[str, None] = {}
    last: datetime | None = None
    for control, _ in linked:
        for service, assessment, result in index.results(control):
            statuses.append(result.status)
            if result.self_reported:
                self_reported.append(result.self_reported)
            if result.status == "not_applicable":
                text = f"{service.id}: {result.justification or 'not applicable'}"
                if text not in justifications:
                    justifications.append(text)
                continue
            bases.append(result.basis)
            if result.status == "unverifiable" and result.reason:
                text = f"{service.id} {control}: {unverifiable_wording(result.reason)}"
                if text not in unverifiable:
                    unverifiable.append(text)
            evidence.update(dict.fromkeys(result.evidence_ids))
            if last is None or assessment.as_of > last:
                last = assessment.as_of
    controls = ", ".join(f"{control} ({relationship})" for control, relationship in linked)
    status = implementation(statuses)
    if not linked:
        applicable = "Yes"
        justification = unmapped_reason or (
            "No control of the library is linked; decide and evidence it outside Assay."
        )
    elif status == NOT_APPLICABLE:
        applicable = "No"
        justification = "Excluded: " + "; ".join(justifications)
    else:
        applicable = "Yes"
        justification = f"Implemented by {controls}."
        if status == NOT_ASSESSED:
            justification += " Not yet assessed."
        for text in unverifiable:
            justification += f" {text.rstrip('.')}."
        if bases and not {"tested", "both"} & set(bases):
            justification += " Not tested: the results rest on statements alone."
    shown = [eid[:12] for eid in list(evidence)[:MAX_EVIDENCE_REFS]]
    if len(evidence) > MAX_EVIDENCE_REFS:
        shown.append(f"(+{len(evidence) - MAX_EVIDENCE_REFS} more)")
    return RequirementRow(
        framework=framework.id,
        id=requirement.id,
        title=requirement.title,
        group=group.title if group else "",
        parent_group=parent.title if parent else "",
        applicable=applicable,
        justification=justification,
        implementation=status,
        controls=controls or "none",
        result=worst_result(statuses),
        result_counts=_counts(statuses) + _self_reported_note(self_reported) + _basis_note(bases),
        evidence=", ".join(shown),
        last_verified=last,
    )


def met_and_rating(row: RequirementRow) -> tuple[str, str]:
    """(met / not met, red / amber / green / grey) for a requirement, from its status."""
    if row.implementation == IMPLEMENTED:
        return "Met", "Green"
    if row.implementation == PARTIAL:
        return "Not met", "Amber"
    if row.implementation in (NOT_APPLICABLE,):
        return "Not applicable", "Grey"
    if row.implementation == NOT_ASSESSED:
        return "Not assessed", "Grey"
    return "Not met", "Red"
