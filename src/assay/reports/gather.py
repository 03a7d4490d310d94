"""Gathering a :class:`~assay.reports.model.ServiceReport` from its sources, once.

The sources are plain values and read-only interfaces: the governance (library,
frameworks, crosswalks), the service, the assessment, an
:class:`~assay.evidence.reader.EvidenceReader` (the store, or ``MemoryEvidence`` in
tests), the ledger head and earlier assessments for the trend. Nothing here renders or
writes; nothing here reads the clock.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from assay import __version__
from assay.assess.duties import signer_concentration
from assay.assess.model import Assessment, Result
from assay.controls.model import Control, ControlTest, severity_rank
from assay.display import mask_url
from assay.evidence.model import Evidence
from assay.evidence.reader import EvidenceReader
from assay.evidence.trust import PULLED_ARTEFACT
from assay.governance import Governance
from assay.mappings.coverage import requirement_status
from assay.reports.exclusions import exclusions_for
from assay.reports.expectation import describe
from assay.reports.findings import findings_for
from assay.reports.model import (
    ArtefactRow,
    AttestationRow,
    ControlView,
    EvidenceRow,
    FindingRow,
    FrameworkView,
    GapRow,
    LinkRow,
    OutcomeRow,
    PackFacts,
    RequirementRow,
    ServiceReport,
    TestView,
    TrendPoint,
    is_gap,
    pass_ratio,
    status_order,
    worst_result,
)
from assay.reports.reasons import outcome_words, people_reasons
from assay.workspace import Service

if TYPE_CHECKING:
    from assay.assess.corrective import CorrectiveAction
    from assay.people import People
    from assay.reports.ledger_proof import LedgerProof

#: Artefacts larger than this are listed with their hash but not embedded in the pack.
DEFAULT_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class ReportOptions:
    max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES


@dataclass
class ReportSources:
    """What one service's report is made from."""

    governance: Governance
    service: Service
    assessment: Assessment
    evidence: EvidenceReader
    ledger_head: tuple[int, str] | None = None
    assessment_id: str | None = None
    history: Sequence[Assessment] = field(default_factory=tuple)
    #: The workspace's people (owners of findings are resolved through it).
    people: People | None = None
    #: The workspace's corrective actions (those for this service are used).
    actions: Sequence[CorrectiveAction] = field(default_factory=tuple)
    #: The organisation the workspace names, for the cover.
    organisation: str = ""
    #: The ledger entries and anchor a pack carries (:mod:`assay.reports.ledger_proof`).
    ledger: LedgerProof | None = None


def gather(sources: ReportSources, options: ReportOptions | None = None) -> ServiceReport:
    """Build the view model; evidence is read once per id."""
    options = options or ReportOptions()
    assessment = sources.assessment
    governance = sources.governance
    evidence = _evidence_rows(assessment, sources.evidence, options)
    by_id = {row.id: row for row in evidence}
    controls = tuple(_control_view(result, governance, by_id) for result in assessment.results)
    gaps = tuple(
        sorted(
            (_gap_row(result) for result in assessment.results if is_gap(result)),
            key=lambda g: (status_order(g.status), severity_rank(g.severity), g.control),
        )
    )
    statuses = {result.control: result.status for result in assessment.results}
    frameworks = tuple(
        _framework_view(governance, framework_id, statuses)
        for framework_id in sorted(governance.frameworks)
    )
    waivers = tuple(r.waiver for r in assessment.results if r.waiver is not None)
    attestations = tuple(
        _attestation(row) for row in evidence if row.kind == "manual.attestation" and row.found
    )
    artefacts = tuple(artefact for row in evidence for artefact in row.artefacts)
    return ServiceReport(
        facts=_facts(sources, evidence),
        assessment=assessment,
        controls=controls,
        gaps=gaps,
        frameworks=frameworks,
        waivers=waivers,
        attestations=attestations,
        evidence=evidence,
        artefacts=artefacts,
        trend=_trend(assessment, sources.history),
        findings=findings_for(
            assessment,
            governance,
            service=sources.service,
            people=sources.people,
            actions=sources.actions,
        ),
        exclusions=exclusions_for(assessment, governance.library, sources.service),
        concentration=signer_concentration(assessment),
        ledger=sources.ledger,
    )


def _period(
    assessment: Assessment, evidence: Sequence[EvidenceRow]
) -> tuple[tuple[datetime, datetime] | None, str]:
    """The period the pack covers: from the earliest observation of the evidence used to
    the assessment's as-of time (the workspace sets no audit period)."""
    seen = [row.observed_at for row in evidence if row.observed_at is not None]
    if not seen:
        return None, ""
    start = min(min(seen), assessment.as_of)
    return (start, assessment.as_of), "from the earliest evidence used to the assessment date"


def _facts(sources: ReportSources, evidence: Sequence[EvidenceRow]) -> PackFacts:
    service = sources.service
    assessment = sources.assessment
    period, basis = _period(assessment, evidence)
    return PackFacts(
        service=service.id,
        service_name=service.name,
        owner=service.owner,
        tier=service.tier,
        tags=tuple(sorted(service.tags)),
        outcome=service.outcome,
        description=service.description,
        repos=tuple(
            f"{repo.name}: {mask_url(repo.url or repo.name)}"
            + (f" ({repo.branch})" if repo.branch else "")
            for repo in service.repos
        ),
        pipelines=tuple(
            f"{p.name}: {p.provider}" + (f" {p.definition}" if p.definition else "")
            for p in service.pipelines
        ),
        frameworks=tuple(
            (f.id, f.title, f.version)
            for f in sorted(sources.governance.frameworks.values(), key=lambda f: f.id)
        ),
        as_of=assessment.as_of,
        created_at=assessment.created_at,
        assessment_tool_version=assessment.tool_version,
        tool_version=__version__,
        library_digest=assessment.library_digest,
        assessment_hash=assessment.hash,
        assessment_id=sources.assessment_id,
        ledger_head=sources.ledger_head,
        organisation=sources.organisation,
        period=period,
        period_basis=basis,
    )


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def attachment_name(sha256: str, name: str) -> str:
    """The PDF attachment name for an artefact: content hash first, so names never clash."""
    base = _SAFE_NAME.sub("_", name.rsplit("/", 1)[-1]).strip("._") or "artefact"
    return f"artefact-{sha256[:16]}-{base[:60]}"


def subject_text(subject: dict[str, Any]) -> str:
    """``repo api @ 1a95462…`` / ``pipeline ci run 42`` / ``control BCP-02`` / ``service``."""
    if subject.get("repo"):
        text = f"repo {subject['repo']}"
        commit = subject.get("commit") or subject.get("sha")
        return f"{text} @ {commit}" if commit else text
    if subject.get("pipeline"):
        text = f"pipeline {subject['pipeline']}"
        run = subject.get("run_id") or subject.get("run")
        return f"{text} run {run}" if run else text
    if subject.get("control"):
        return f"control {subject['control']}"
    return "service"


def ci_origin(record: Evidence) -> str:
    """How pipeline evidence reached Assay: pulled from the CI system's API, or written by
    the CI job itself (its environment, or a folder of reports); empty for other evidence."""
    if not record.subject.get("pipeline"):
        return ""
    pulled = record.facts.get("source") == "api" or any(
        artefact.name == PULLED_ARTEFACT for artefact in record.artefacts
    )
    return " (pulled from the CI API)" if pulled else " (written by the CI job)"


def _evidence_rows(
    assessment: Assessment, reader: EvidenceReader, options: ReportOptions
) -> tuple[EvidenceRow, ...]:
    rows = []
    for evidence_id in assessment.evidence_ids:
        record = reader.get(evidence_id)
        if record is None:
            rows.append(
                EvidenceRow(
                    evidence_id,
                    "unknown",
                    {},
                    "not in the store",
                    None,
                    None,
                    "",
                    None,
                    None,
                    found=False,
                )
            )
            continue
        rows.append(_evidence_row(record, options))
    return tuple(rows)


def _evidence_row(record: Evidence, options: ReportOptions) -> EvidenceRow:
    source = subject_text(record.subject) + ci_origin(record)
    artefacts = []
    for artefact in record.artefacts:
        embedded = artefact.size <= options.max_attachment_bytes
        artefacts.append(
            ArtefactRow(
                name=artefact.name,
                kind=record.kind,
                source=source,
                evidence_id=record.id,
                sha256=artefact.sha256,
                size=artefact.size,
                media_type=artefact.media_type,
                attachment=attachment_name(artefact.sha256, artefact.name) if embedded else None,
                omitted=""
                if embedded
                else (f"larger than the {options.max_attachment_bytes:,}-byte attachment limit"),
            )
        )
    subject = record.subject
    return EvidenceRow(
        id=record.id,
        kind=record.kind,
        subject=subject,
        source=source,
        commit=subject.get("commit") or subject.get("sha"),
        run=(str(subject["run_id"]) if subject.get("run_id") is not None else None),
        collector=record.collector,
        observed_at=record.observed_at,
        collected_at=record.last_collected_at,
        artefacts=tuple(artefacts),
        facts=record.facts,
        service=record.service,
        identity=record.identity(),
    )


def _control_view(
    result: Result, governance: Governance, evidence: dict[str, EvidenceRow]
) -> ControlView:
    control = governance.library.get(result.control)
    tests = _tests(control, result) if control else _tests_without_control(result)
    links = tuple(
        LinkRow(
            framework=link.framework,
            framework_title=(
                governance.frameworks[link.framework].title
                if link.framework in governance.frameworks
                else link.framework
            ),
            requirement=link.requirement,
            relationship=link.relationship,
            rationale=link.rationale,
        )
        for link in governance.crosswalks.for_control(result.control)
    )
    return ControlView(
        id=result.control,
        title=result.title,
        statement=control.statement if control else "",
        family=result.family,
        severity=result.severity,
        owner_role=result.owner_role,
        freshness=control.freshness if control else "",
        guidance=control.guidance if control else "",
        remediation=result.remediation or (control.remediation if control else ""),
        status=result.status,
        underlying_status=result.underlying_status,
        reasons=result.reasons,
        justification=result.justification,
        waiver=result.waiver,
        tests=tests,
        evidence=tuple(evidence[eid] for eid in result.evidence_ids if eid in evidence),
        links=links,
        self_reported=result.self_reported,
        basis=result.basis,
        summary=people_reasons(result),
    )


def _outcomes(result: Result, test_id: str) -> tuple[OutcomeRow, ...]:
    return tuple(
        OutcomeRow(
            o.test,
            o.subject,
            o.status,
            o.message,
            o.evidence_id,
            o.self_reported,
            summary="" if o.status == "pass" else outcome_words(o),
            findings=tuple(FindingRow(f.file, f.line, f.message, f.repo) for f in o.findings),
        )
        for o in result.tests
        if o.test == test_id
    )


def _tests(control: Control, result: Result) -> tuple[TestView, ...]:
    return tuple(_test_view(test, _outcomes(result, test.id)) for test in control.tests)


def _test_view(test: ControlTest, outcomes: tuple[OutcomeRow, ...]) -> TestView:
    return TestView(
        id=test.id,
        kind=test.kind,
        manual=test.manual,
        description=test.description,
        expectation_lines=tuple(describe(test.expectation)) if not test.manual else (),
        expectation=None if test.manual else test.expectation,
        explain=test.explain,
        attestation=test.attestation,
        outcomes=outcomes,
        unverifiable_when=test.unverifiable_when,
    )


def _tests_without_control(result: Result) -> tuple[TestView, ...]:
    """The library no longer holds the control: show what the assessment recorded."""
    seen: dict[str, str] = {}
    for outcome in result.tests:
        seen.setdefault(outcome.test, outcome.kind)
    return tuple(
        TestView(
            test_id,
            kind,
            kind == "manual.attestation",
            "",
            (),
            None,
            "",
            "",
            _outcomes(result, test_id),
        )
        for test_id, kind in seen.items()
    )


def _gap_row(result: Result) -> GapRow:
    return GapRow(
        control=result.control,
        title=result.title,
        status=result.status,
        underlying_status=result.underlying_status,
        severity=result.severity,
        owner=result.owner_role,
        reasons=result.reasons,
        remediation=result.remediation,
        waiver=result.waiver,
        self_reported=result.self_reported,
        basis=result.basis,
        summary=people_reasons(result),
    )


def _framework_view(
    governance: Governance, framework_id: str, statuses: dict[str, str]
) -> FrameworkView:
    framework = governance.frameworks[framework_id]
    by_requirement: dict[str, list[tuple[str, str]]] = {}
    for link in governance.crosswalks.for_framework(framework_id):
        by_requirement.setdefault(link.requirement, []).append((link.control, link.relationship))
    rows = []
    coverage = {"covered": 0, "partial": 0, "uncovered": 0}
    status_counts: dict[str, int] = {}
    for requirement in framework.assessable:
        linked = sorted(by_requirement.get(requirement.id, []))
        cov = requirement_status([rel for _, rel in linked])
        coverage[cov] += 1
        controls = tuple(
            (control, relationship, statuses.get(control, "not_assessed"))
            for control, relationship in linked
        )
        status = requirement_result(tuple(status for _, _, status in controls))
        status_counts[status] = status_counts.get(status, 0) + 1
        rows.append(
            RequirementRow(
                requirement.id, requirement.title, requirement.group, cov, controls, status
            )
        )
    return FrameworkView(
        id=framework.id,
        title=framework.title,
        version=framework.version,
        requirements=tuple(rows),
        coverage=coverage,
        statuses=status_counts,
    )


def requirement_result(statuses: tuple[str, ...]) -> str:
    """A requirement's status from its linked controls' results: the worst one;
    ``uncovered`` with no linked control."""
    return worst_result(statuses) if statuses else "uncovered"


def _attestation(row: EvidenceRow) -> AttestationRow:
    facts = row.facts
    file = facts.get("file", {}) if isinstance(facts.get("file"), dict) else {}
    return AttestationRow(
        control=str(facts.get("control", "")),
        signer=str(facts.get("signer", "")),
        statement=str(facts.get("statement", "")),
        signed_at=str(facts.get("signed_at", "")),
        expires=str(facts.get("expires", "")),
        file_name=str(file.get("name", "")),
        file_sha256=str(file.get("sha256", "")),
        matches=file.get("matches_attested"),
        evidence_id=row.id,
    )


def _trend(current: Assessment, history: Sequence[Assessment]) -> tuple[TrendPoint, ...]:
    seen: dict[str, Assessment] = {}
    for item in (*history, current):
        if item.service == current.service and item.as_of <= current.as_of:
            seen[item.hash] = item
    ordered = sorted(seen.values(), key=lambda a: (a.as_of, a.created_at))
    return tuple(TrendPoint(a.as_of, pass_ratio(a.counts), a.counts) for a in ordered)
