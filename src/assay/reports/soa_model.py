"""The Statement of Applicability's rows: the organisation's decisions merged with results.

Whether a requirement applies, and why, is the organisation's decision
(:mod:`assay.reports.soa_decisions`); whether it is implemented is what the services'
latest assessments show, through the controls the crosswalks link to it.

Each service in scope is first placed, for the requirement, in one state:

* implemented: every linked control that applies to it passed;
* not implemented: a linked control failed, had no evidence, had evidence out of date,
  errored, or was waived (a waiver accepts the risk; it does not implement the control);
* unverifiable: nothing failed, but Assay was not allowed to look at some evidence;
* not assessed: never assessed, or a linked control was not assessed;
* not applicable: no linked control applies to it (its justification is quoted).

Across the scope the status is then ``Implemented in all services`` (every service it
applies to), ``Implemented in some services`` (the services are named), ``Not
implemented`` (in none), ``Unverifiable``, ``Not assessed`` (nothing to go on, or no
control is linked), ``Not applicable to any service``; or ``Excluded`` when the
organisation decided it does not apply, whatever the services show (and a note flags
services whose linked controls do apply). "Last verified" is the observation time of
the oldest evidence the status rests on, never the time the report ran.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from assay.assess.model import Assessment, Result
from assay.governance import Governance
from assay.mappings.catalog import Framework, Requirement
from assay.reports.soa_decisions import Decision, Decisions
from assay.workspace import Service

if TYPE_CHECKING:
    from assay.reports.exclusions import Exclusion
    from assay.reports.findings import AuditFinding

ALL = "Implemented in all services"
SOME = "Implemented in some services"
NONE = "Not implemented"
UNVERIFIABLE = "Unverifiable"
NOT_ASSESSED = "Not assessed"
NOT_APPLICABLE = "Not applicable to any service"
EXCLUDED = "Excluded"
IMPLEMENTATION_STATUSES = (ALL, SOME, NONE, UNVERIFIABLE, NOT_ASSESSED, NOT_APPLICABLE, EXCLUDED)
APPLICABLE_VALUES = ("Yes", "No", "Not decided")
#: A result status in people's words (the workbook never shows the raw token).
RESULT_WORDS = {
    "pass": "Passed",
    "fail": "Failed",
    "gap": "No evidence",
    "unverifiable": "Unverifiable",
    "stale": "Evidence out of date",
    "waived": "Waived",
    "error": "Error",
    "not_applicable": "Not applicable",
    "not_assessed": "Not assessed",
}
RESULT_STATUSES = tuple(RESULT_WORDS.values())
MET_VALUES = ("Met", "Not met", "Unverifiable", "Not applicable", "Not assessed")
RAG_VALUES = ("Red", "Amber", "Green", "Grey")
MAX_EVIDENCE_REFS = 12
MAX_NAMED = 15
_NOT_DONE = ("fail", "gap", "stale", "error", "waived")


def words(status: str) -> str:
    """A result status as people say it."""
    return RESULT_WORDS.get(status, status.replace("_", " ").capitalize())


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
    basis: str
    justification: str
    risks: str
    owner: str
    implementation: str
    where: str
    controls: str
    result_counts: str
    evidence: str
    last_verified: datetime | None
    notes: str


_Indexed = tuple[Result, "datetime | None", tuple[str, ...]]


class ResultIndex:
    """Every service's result for every control, and its evidence time, indexed once."""

    def __init__(self, scope: Sequence[ServiceAssessment]) -> None:
        self.scope = list(scope)
        self.by_service: dict[str, dict[str, _Indexed]] = {}
        for item in scope:
            if item.assessment is not None:
                self.by_service[item.service.id] = {
                    r.control: (r, evidence_time(r), r.self_reported)
                    for r in item.assessment.results
                }

        self.tallies: dict[tuple[str, ...], _Tally] = {}

    def tally(self, linked: Sequence[str]) -> _Tally:
        """The services by state for these linked controls; requirements linked to the
        same controls share it (it is only read)."""
        key = tuple(sorted(set(linked)))
        if key not in self.tallies:
            self.tallies[key] = _tally(key, self)
        return self.tallies[key]

    def result(self, service: str, control: str) -> Result | None:
        found = self.by_service.get(service, {}).get(control)
        return found[0] if found else None

    def assessed(self, service: str) -> bool:
        return service in self.by_service


UNVERIFIABLE_PREFIX = "unverifiable — Assay could not look: "


def unverifiable_wording(reason: str) -> str:
    """An unverifiable result's reason as the SoA words it."""
    return reason if reason.startswith(UNVERIFIABLE_PREFIX) else UNVERIFIABLE_PREFIX + reason


def evidence_time(result: Result) -> datetime | None:
    """When the oldest evidence a result rests on was observed (else collected)."""
    times = [t.observed_at or t.collected_at for t in result.tests]
    known = [t for t in times if t is not None]
    return min(known) if known else None


@dataclass
class _Tally:
    """Services by state for one requirement, and what the row quotes."""

    implemented: list[str]
    not_implemented: list[str]
    unverifiable: list[str]
    not_assessed: list[str]
    not_applicable: list[str]
    statuses: list[str]
    justifications: list[str]
    unverifiable_reasons: list[str]
    self_reported: set[str]
    evidence: dict[str, None]
    oldest: datetime | None = None
    self_reported_results: int = 0
    #: What each applicable result rests on (:attr:`Result.basis`).
    bases: list[str] = field(default_factory=list)
    #: The justifications already quoted, for a membership test that stays cheap with many
    #: services.
    quoted: set[str] = field(default_factory=set)

    @property
    def applies(self) -> list[str]:
        return [*self.implemented, *self.not_implemented, *self.unverifiable]


def _tally(linked: Sequence[str], index: ResultIndex) -> _Tally:
    tally = _Tally([], [], [], [], [], [], [], [], set(), {})
    for item in index.scope:
        service = item.service.id
        results = index.by_service.get(service)
        if results is None:
            tally.not_assessed.append(service)
            continue
        states: list[str] = []
        for control in linked:
            found = results.get(control)
            if found is None:
                states.append("not_assessed")
                continue
            result, when, self_reported = found
            status = result.status
            states.append(status)
            if self_reported:
                tally.self_reported.update(self_reported)
                tally.self_reported_results += 1
            if status == "not_applicable":
                text = f"{service}: {result.justification or 'not applicable'}"
                if text not in tally.quoted:
                    tally.quoted.add(text)
                    tally.justifications.append(text)
                continue
            tally.bases.append(result.basis)
            if status == "unverifiable" and result.reason:
                tally.unverifiable_reasons.append(
                    f"{service} {control}: {unverifiable_wording(result.reason)}"
                )
            tally.evidence.update(dict.fromkeys(result.evidence_ids))
            if when is not None and (tally.oldest is None or when < tally.oldest):
                tally.oldest = when
        tally.statuses.extend(states)
        _place(tally, service, states)
    return tally


def _place(tally: _Tally, service: str, states: Sequence[str]) -> None:
    considered = [s for s in states if s != "not_applicable"]
    if not considered:
        tally.not_applicable.append(service)
        return
    failing = [s for s in considered if s in _NOT_DONE]
    if failing:
        how = ", ".join(dict.fromkeys(words(s).lower() for s in failing))
        tally.not_implemented.append(f"{service} ({how})")
    elif "unverifiable" in considered:
        tally.unverifiable.append(service)
    elif "not_assessed" in considered:
        tally.not_assessed.append(service)
    else:
        tally.implemented.append(service)


def _status(tally: _Tally) -> str:
    if tally.implemented and not (
        tally.not_implemented or tally.unverifiable or tally.not_assessed
    ):
        return ALL
    if tally.implemented:
        return SOME
    if tally.not_implemented:
        return NONE
    if tally.unverifiable:
        return UNVERIFIABLE
    if tally.not_assessed:
        return NOT_ASSESSED
    return NOT_APPLICABLE if tally.not_applicable else NOT_ASSESSED


def _named(services: Sequence[str]) -> str:
    shown = ", ".join(services[:MAX_NAMED])
    if len(services) > MAX_NAMED:
        shown += f" and {len(services) - MAX_NAMED:,} more"
    return shown


def _where(tally: _Tally, status: str) -> str:
    if status == ALL:
        count = len(tally.implemented)
        return (
            f"Implemented in {tally.implemented[0]}"
            if count == 1
            else f"Implemented in all {count:,} services it applies to"
        )
    parts = []
    for label, services in (
        ("Implemented in", tally.implemented),
        ("Not implemented in", tally.not_implemented),
        ("Unverifiable in", tally.unverifiable),
        ("Not assessed in", tally.not_assessed),
        ("Not applicable to", tally.not_applicable),
    ):
        if services:
            parts.append(f"{label} {len(services):,}: {_named(services)}.")
    return " ".join(parts)


def _counts(tally: _Tally) -> str:
    counts: dict[str, int] = {}
    for status in tally.statuses:
        counts[status] = counts.get(status, 0) + 1
    text = ", ".join(f"{words(s)} {counts[s]:,}" for s in RESULT_WORDS if s in counts)
    if tally.self_reported_results:
        verb = "rests" if tally.self_reported_results == 1 else "rest"
        kinds = ", ".join(sorted(tally.self_reported))
        text += f"; {tally.self_reported_results:,} {verb} on self-reported evidence ({kinds})"
    if {"attested", "both"} & set(tally.bases):
        from assay.assess.model import BASES

        counts = {basis: tally.bases.count(basis) for basis in BASES if basis in tally.bases}
        text += "; basis: " + ", ".join(f"{basis} {n:,}" for basis, n in counts.items())
    return text


def requirement_rows(
    governance: Governance,
    framework_id: str,
    index: ResultIndex,
    *,
    groups: tuple[str, ...] = (),
    decisions: Decisions | None = None,
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
    decided = decisions or Decisions()
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
                decided.get(framework_id, requirement.id),
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
    decision: Decision | None,
) -> RequirementRow:
    group = next((g for g in framework.groups if g.id == requirement.group), None)
    parent = next((g for g in framework.groups if group and g.id == group.parent), None)
    tally = index.tally([control for control, _ in linked])
    notes: list[str] = []
    if not linked:
        status, where = NOT_ASSESSED, "No control of the library is linked: Assay cannot assess it."
        if unmapped_reason:
            notes.append(unmapped_reason)
    else:
        status = _status(tally)
        where = _where(tally, status)
    if decision is not None and not decision.applicable:
        if tally.applies:
            notes.append(
                "Check the exclusion: linked controls apply to "
                f"{len(tally.applies):,} service(s): {_named(tally.applies)}."
            )
        status = EXCLUDED
    elif decision is not None and status == NOT_APPLICABLE:
        notes.append("Decided applicable, but no service's linked controls apply.")
    if tally.justifications:
        notes.append("Not applicable to " + "; ".join(tally.justifications))
    notes.extend(f"{text.rstrip('.')}." for text in tally.unverifiable_reasons)
    stated = {"attested", "self-reported"} & set(tally.bases)
    if status != EXCLUDED and stated and not {"tested", "both"} & set(tally.bases):
        notes.append("Not tested: the results rest on statements alone.")
    shown = [eid[:12] for eid in list(tally.evidence)[:MAX_EVIDENCE_REFS]]
    if len(tally.evidence) > MAX_EVIDENCE_REFS:
        shown.append(f"(+{len(tally.evidence) - MAX_EVIDENCE_REFS} more)")
    return RequirementRow(
        framework=framework.id,
        id=requirement.id,
        title=requirement.title,
        group=group.title if group else "",
        parent_group=parent.title if parent else "",
        applicable=_applicable(decision),
        basis=decision.basis_words if decision else "",
        justification=_justification(decision),
        risks=", ".join(decision.risks) if decision else "",
        owner=decision.owner if decision else "",
        implementation=status,
        where=where,
        controls=", ".join(f"{control} ({relation})" for control, relation in linked) or "none",
        result_counts=_counts(tally),
        evidence=", ".join(shown),
        last_verified=None if status == EXCLUDED else tally.oldest,
        notes=" ".join(notes),
    )


def _justification(decision: Decision | None) -> str:
    if decision is None:
        return "No decision recorded."
    return decision.justification or "No justification recorded."


def _applicable(decision: Decision | None) -> str:
    if decision is None:
        return "Not decided"
    return "Yes" if decision.applicable else "No"


def met_and_rating(row: RequirementRow) -> tuple[str, str]:
    """(met / not met, red / amber / green / grey) for a requirement, from its status."""
    return {
        ALL: ("Met", "Green"),
        SOME: ("Not met", "Amber"),
        NONE: ("Not met", "Red"),
        UNVERIFIABLE: ("Unverifiable", "Grey"),
        NOT_APPLICABLE: ("Not applicable", "Grey"),
        EXCLUDED: ("Not applicable", "Grey"),
    }.get(row.implementation, ("Not assessed", "Grey"))
