"""The report view model: everything a report shows, gathered once.

Every report format (HTML, PDF, SoA, OSCAL, JSON) reads a :class:`ServiceReport`
built by :func:`assay.reports.gather.gather`, never the store or the workspace directly.
So the same facts appear everywhere, a report is testable from an ``Assessment`` built
in a test plus :class:`~assay.evidence.reader.MemoryEvidence`, and rendering stays
free of I/O (which is also what makes the PDF byte-identical for the same inputs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from assay.assess.model import STATUSES, Assessment, Result, WaiverInfo

if TYPE_CHECKING:
    from assay.assess.duties import Concentration
    from assay.reports.exclusions import Exclusion
    from assay.reports.findings import AuditFinding
    from assay.reports.ledger_proof import LedgerProof


@dataclass(frozen=True)
class ArtefactRow:
    """One artefact behind one evidence record, and where it sits in the pack."""

    name: str
    kind: str
    source: str
    evidence_id: str
    sha256: str
    size: int
    media_type: str
    #: Name of the PDF attachment holding its bytes; ``None`` when not embedded.
    attachment: str | None = None
    #: Why it is not embedded (over the size limit, not in the store), if so.
    omitted: str = ""


@dataclass(frozen=True)
class EvidenceRow:
    """An evidence record a result used, as the pack cites it."""

    id: str
    kind: str
    subject: dict[str, Any]
    source: str
    commit: str | None
    run: str | None
    collector: str
    observed_at: datetime | None
    collected_at: datetime | None
    artefacts: tuple[ArtefactRow, ...] = ()
    facts: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    #: False when the assessment names an id the store does not hold.
    found: bool = True
    #: The service the record was collected for (``*`` for organisation-wide evidence).
    service: str = ""
    #: What the record's id is computed from (:meth:`Evidence.identity`): the pack carries
    #: it so the id can be recomputed offline.
    identity: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class OutcomeRow:
    """One test run against one subject, with the evidence it read."""

    test: str
    subject: str
    status: str
    message: str
    evidence_id: str | None
    #: The self-reported kind the evidence rests on, or ``None`` when tested.
    self_reported: str | None = None
    #: What was wrong, in words for people (:mod:`assay.reports.reasons`); empty on a pass.
    summary: str = ""
    #: Each finding behind a failure: ``(file, line, what)``, with the repository if known.
    findings: tuple[FindingRow, ...] = ()


@dataclass(frozen=True)
class FindingRow:
    """A problem at a line of a file, as the control's section prints it."""

    file: str
    line: int
    message: str
    repo: str | None = None

    @property
    def where(self) -> str:
        """``repo:path:line`` (``path:line`` without a repository)."""
        return f"{self.repo + ':' if self.repo else ''}{self.file}:{self.line}"


@dataclass(frozen=True)
class TestView:
    """A control's test: what it checks, in words and as the exact schema."""

    __test__ = False

    id: str
    kind: str
    manual: bool
    description: str
    expectation_lines: tuple[str, ...]
    #: The expectation as a JSON Schema (``None`` for manual tests and unknown controls).
    expectation: dict[str, Any] | None
    explain: str
    attestation: str
    outcomes: tuple[OutcomeRow, ...]
    #: Facts that make the test unverifiable (``None`` when it has no such trigger).
    unverifiable_when: dict[str, Any] | None = None

    @property
    def expectation_json(self) -> str:
        """The expectation, pretty-printed for the pack."""
        from assay.reports.expectation import pretty

        return pretty(self.expectation) if self.expectation is not None else ""

    @property
    def unverifiable_lines(self) -> tuple[str, ...]:
        """The unverifiable trigger in plain sentences (empty without one)."""
        from assay.reports.expectation import describe

        return () if self.unverifiable_when is None else tuple(describe(self.unverifiable_when))


@dataclass(frozen=True)
class LinkRow:
    framework: str
    framework_title: str
    requirement: str
    relationship: str
    rationale: str


@dataclass(frozen=True)
class ControlView:
    """One control's section of the pack."""

    id: str
    title: str
    statement: str
    family: str
    severity: str
    owner_role: str
    freshness: str
    guidance: str
    remediation: str
    status: str
    underlying_status: str | None
    reasons: tuple[str, ...]
    justification: str
    waiver: WaiverInfo | None
    tests: tuple[TestView, ...]
    evidence: tuple[EvidenceRow, ...]
    links: tuple[LinkRow, ...]
    #: The self-reported kinds the result rests on (docs/trust.md); empty when tested.
    self_reported: tuple[str, ...] = ()
    #: What the result rests on: tested, attested, both, self-reported or none.
    basis: str = "none"
    #: Why it did not pass, in words for people (the reasons above are the technical lines).
    summary: tuple[str, ...] = ()

    @property
    def anchor(self) -> str:
        return anchor("control", self.id)

    @property
    def findings(self) -> tuple[FindingRow, ...]:
        """Every finding of every test, in test order."""
        return tuple(f for test in self.tests for o in test.outcomes for f in o.findings)


@dataclass(frozen=True)
class GapRow:
    """A result that is not a pass, for the gap register."""

    control: str
    title: str
    status: str
    underlying_status: str | None
    severity: str
    owner: str
    reasons: tuple[str, ...]
    remediation: str
    waiver: WaiverInfo | None
    self_reported: tuple[str, ...] = ()
    basis: str = "none"
    #: Why it did not pass, in words for people.
    summary: tuple[str, ...] = ()


@dataclass(frozen=True)
class RequirementRow:
    """A framework requirement, the controls linked to it and how they fared."""

    id: str
    title: str
    group: str | None
    coverage: str
    controls: tuple[tuple[str, str, str], ...]  # (control id, relationship, status)
    status: str

    @property
    def anchor(self) -> str:
        return anchor("req", self.id)


@dataclass(frozen=True)
class FrameworkView:
    id: str
    title: str
    version: str
    requirements: tuple[RequirementRow, ...]
    coverage: dict[str, int]
    statuses: dict[str, int]

    @property
    def anchor(self) -> str:
        return anchor("framework", self.id)


@dataclass(frozen=True)
class AttestationRow:
    control: str
    signer: str
    statement: str
    signed_at: str
    expires: str
    file_name: str
    file_sha256: str
    matches: bool | None
    evidence_id: str


@dataclass(frozen=True)
class TrendPoint:
    as_of: datetime
    pass_ratio: float
    counts: dict[str, int]


@dataclass(frozen=True)
class PackFacts:
    """The cover of the pack: what was assessed, when, by what, against which chain."""

    service: str
    service_name: str
    owner: str
    tier: int
    tags: tuple[str, ...]
    outcome: str
    description: str
    repos: tuple[str, ...]
    pipelines: tuple[str, ...]
    frameworks: tuple[tuple[str, str, str], ...]  # (id, title, version)
    as_of: datetime
    created_at: datetime
    assessment_tool_version: str
    tool_version: str
    library_digest: str
    assessment_hash: str
    assessment_id: str | None
    ledger_head: tuple[int, str] | None
    #: The organisation the workspace names (``[workspace] organisation`` in assay.toml).
    organisation: str = ""
    #: The period the pack covers: first and last day, and how it was decided.
    period: tuple[datetime, datetime] | None = None
    period_basis: str = ""


@dataclass(frozen=True)
class ServiceReport:
    """Everything one service's reports show."""

    facts: PackFacts
    assessment: Assessment
    controls: tuple[ControlView, ...]
    gaps: tuple[GapRow, ...]
    frameworks: tuple[FrameworkView, ...]
    waivers: tuple[WaiverInfo, ...]
    attestations: tuple[AttestationRow, ...]
    evidence: tuple[EvidenceRow, ...]
    artefacts: tuple[ArtefactRow, ...]
    trend: tuple[TrendPoint, ...]
    #: Every result that did not pass, graded, with its owner, due date and action.
    findings: tuple[AuditFinding, ...] = ()
    #: Every control of the library that does not apply to the service, with why.
    exclusions: tuple[Exclusion, ...] = ()
    #: One person signing most of the attestations, when that is so.
    concentration: Concentration | None = None
    #: The ledger entries of the evidence and the anchor over them (packs only).
    ledger: LedgerProof | None = None

    @property
    def counts(self) -> dict[str, int]:
        return self.assessment.counts

    @property
    def basis_counts(self) -> dict[str, int]:
        """Applicable results by what they rest on (:data:`assay.assess.model.BASES`)."""
        from assay.assess.model import BASES

        counts = dict.fromkeys(BASES, 0)
        for result in self.assessment.results:
            if result.status != "not_applicable":
                counts[result.basis] += 1
        return counts

    @property
    def grade_counts(self) -> dict[str, int]:
        from assay.reports.findings import grade_counts

        return grade_counts(self.findings)


def anchor(prefix: str, text: str) -> str:
    """An HTML id for ``text`` that survives any characters it holds."""
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in text)
    return f"{prefix}-{safe}"


def pass_ratio(counts: dict[str, int]) -> float:
    """Passing share of the results that count (not-applicable ones do not)."""
    considered = sum(n for status, n in counts.items() if status != "not_applicable")
    return counts.get("pass", 0) / considered if considered else 0.0


def is_gap(result: Result) -> bool:
    """Every non-pass result goes into the gap register, except the not-applicable."""
    return result.status not in ("pass", "not_applicable")


#: Result statuses from worst to best, as registers list them and rollups judge them.
WORST_FIRST = (
    "error",
    "fail",
    "stale",
    "unverifiable",
    "gap",
    "waived",
    "pass",
    "not_applicable",
)


def status_order(status: str) -> int:
    """Sort key: worst first in registers (error, fail, stale, unverifiable, gap, waived,
    pass)."""
    return WORST_FIRST.index(status) if status in WORST_FIRST else len(WORST_FIRST)


def worst_result(statuses: Sequence[str]) -> str:
    """The worst of several controls' results (for a requirement, or across services):
    ``not_applicable`` when every one was, ``not_assessed`` when none was assessed."""
    judged = [s for s in statuses if s in WORST_FIRST[:-1]]
    if judged:
        return min(judged, key=WORST_FIRST.index)
    return "not_applicable" if "not_applicable" in statuses else "not_assessed"


__all__ = [
    "STATUSES",
    "ArtefactRow",
    "AttestationRow",
    "ControlView",
    "EvidenceRow",
    "FindingRow",
    "FrameworkView",
    "GapRow",
    "LinkRow",
    "OutcomeRow",
    "PackFacts",
    "RequirementRow",
    "ServiceReport",
    "TestView",
    "TrendPoint",
    "anchor",
    "is_gap",
    "pass_ratio",
    "status_order",
    "worst_result",
]
