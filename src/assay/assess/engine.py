"""The assessment engine: one service, every applicable control, every test, one verdict each.

``Assessor(library, reader, waivers, attestations).assess(service, options)`` takes the
control library, an :class:`~assay.evidence.reader.EvidenceReader` (the store, or
:class:`~assay.evidence.reader.MemoryEvidence` in tests) and frozen options, and returns
an :class:`~assay.assess.model.Assessment`. It never writes anything: storing and sealing
the record is the caller's job (:mod:`assay.assess.run`, which also builds the assessor
from a workspace's inputs).

How a test is decided, for each subject (each of the service's repositories for kinds
collected per repository; each pipeline or the service otherwise):

1. no evidence of the test's kind visible at ``as_of`` -> ``gap``;
2. a record altered since it was collected (its content no longer hashes to its id), or
   whose facts no longer match the kind's schema -> ``error`` (fail closed);
3. facts that match the test's ``unverifiable_when`` -> ``unverifiable``, with the test's
   ``unverifiable_explain`` (what Assay was not allowed to look at, and how to let it):
   the expectation is not judged, since the facts it would judge are incomplete; but
   evidence that is also older than the control's freshness is ``stale`` (step 5), so a
   stage that lets unverifiable results through never lets old evidence through with them;
4. facts that miss the expectation -> ``fail``, with plain reasons;
5. evidence older than the control's freshness -> ``stale``: event evidence is as old as
   its ``observed_at``, state evidence as old as its latest ledger entry (the kind's
   ``"x-age"``, see :func:`evidence_age_from`);
6. otherwise ``pass``.

A manual test is decided by ``manual.attestation`` evidence for the control instead. The
control takes the worst of its tests' statuses (error > fail > stale > unverifiable > gap >
pass); then an active waiver turns fail, gap, unverifiable or stale into ``waived``,
keeping the underlying status, unless its approver may not approve it (a role
people.yaml does not give them, the service's owner, the person who requested it:
assess/duties.py): then it is not applied and the result says why.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from assay import __version__
from assay.assess.attestations import Attestation
from assay.assess.duties import waiver_refusal
from assay.assess.evaluate import Evaluator, anchored_findings, fill_template, kind_problems
from assay.assess.manual import ManualJudge
from assay.assess.model import (
    Assessment,
    Finding,
    Result,
    TestOutcome,
    WaiverInfo,
    badness,
    worst,
)
from assay.assess.waivers import ACTIVE, Waiver, WaiverBook
from assay.controls.loader import Library
from assay.controls.model import Control, ControlTest
from assay.durations import utc_now
from assay.evidence.model import Evidence, ensure_utc, evidence_id, stands_for_branch
from assay.evidence.reader import EvidenceReader
from assay.evidence.trust import self_reported_source
from assay.people import People
from assay.workspace import Service

#: Statuses a waiver can turn into ``waived``. ``error`` never is: evidence that cannot be
#: read is fixed, not excused.
WAIVABLE = ("fail", "gap", "unverifiable", "stale")

COLLECT_HINT = "run 'assay collect'"
#: Kinds that collection does not produce, and what does.
PRODUCED_BY = {"gate.decision": "run 'assay gate' in the service's pipeline"}


@dataclass(frozen=True)
class AssessOptions:
    """What to assess for. ``as_of=None`` means now; ``created_at=None`` means now."""

    as_of: datetime | None = None
    created_at: datetime | None = None
    tool_version: str = __version__


@cache
def per_repo_kind(kind: str) -> bool:
    """Kinds whose facts name a repository are collected, and so tested, per repository."""
    from assay.evidence.kinds import kind_names, required_facts

    return kind in kind_names() and "repo" in required_facts(kind)


class Assessor:
    """Assesses services against a library using evidence from a reader."""

    def __init__(
        self,
        library: Library,
        reader: EvidenceReader,
        waivers: WaiverBook | Iterable[Waiver] = (),
        attestations: Sequence[Attestation] = (),
        people: People | None = None,
    ) -> None:
        self.library = library
        self.reader = reader
        self.waivers = waivers if isinstance(waivers, WaiverBook) else WaiverBook(waivers)
        self.evaluator = Evaluator()
        self.people = people
        self.manual = ManualJudge(attestations, people)
        self._controls = library.sorted()
        self._kind_checks: dict[str, tuple[str, tuple[str, ...]] | None] = {}

    def applicable(self, service: Service) -> list[Control]:
        """Controls that apply to the service by tags and tier, plus those it excludes."""
        return [
            control
            for control in self._controls
            if control.id in service.exclusions
            or control.applicability.applies(service.tags, service.tier)
        ]

    def assess(self, service: Service, options: AssessOptions | None = None) -> Assessment:
        options = options or AssessOptions()
        now = utc_now()
        as_of = ensure_utc(options.as_of) if options.as_of is not None else now
        controls = self.applicable(service)
        kinds = sorted(
            {test.kind for control in controls for test in control.tests if not test.manual}
        )
        records: dict[str, dict[str, Evidence]] = {}
        for record in self.reader.latest(service.id, kinds, as_of=as_of) if kinds else ():
            if not stands_for_branch(record.subject):
                continue  # a commit off the branch, or a narrowed window: never the branch
            records.setdefault(record.kind, {})[record.subject_key] = record
        manual = self.manual.for_service(self.reader, service.id, as_of, controls)
        results = tuple(
            self._control_result(service, control, records, manual, as_of) for control in controls
        )
        return Assessment(
            service=service.id,
            as_of=as_of,
            created_at=ensure_utc(options.created_at) if options.created_at else now,
            tool_version=options.tool_version,
            library_digest=self.library.digest,
            results=results,
        )

    # ----------------------------------------------------------------------- one control

    def _control_result(
        self,
        service: Service,
        control: Control,
        records: dict[str, dict[str, Evidence]],
        manual: dict[str, list[Evidence]],
        as_of: datetime,
    ) -> Result:
        justification = service.exclusions.get(control.id)
        if justification is not None:
            return _result(
                control, "not_applicable", reasons=(justification,), justification=justification
            )
        outcomes: list[TestOutcome] = []
        for test in control.tests:
            if test.manual:
                outcomes.append(
                    self.manual.judge(
                        control,
                        test,
                        service.id,
                        manual.get(control.id, []),
                        as_of,
                        self.unreadable,
                    )
                )
            else:
                outcomes.extend(
                    self._run_test(service, control, test, records.get(test.kind, {}), as_of)
                )
        status = worst(outcome.status for outcome in outcomes)
        reasons = _reasons(outcomes)
        underlying: str | None = None
        waiver = self.waivers.find(service.id, control.id, as_of.date())
        refusal = None
        if waiver is not None and waiver.state == ACTIVE and status in WAIVABLE:
            source = self.waivers.by_source(waiver.source)
            if source is not None:
                refusal = waiver_refusal(source, control, service, self.people)
        if refusal is not None and waiver is not None:
            reasons.append(f"the waiver in {waiver.source} is refused: {refusal}")
            waiver = None
        elif waiver is not None and waiver.state == ACTIVE and status in WAIVABLE:
            underlying, status = status, "waived"
            ticket = f", ticket {waiver.ticket}" if waiver.ticket else ""
            reasons.insert(
                0,
                f"waived until {waiver.expires} by {waiver.approver} ({waiver.source}{ticket}): "
                f"{waiver.reason}",
            )
        elif waiver is not None and waiver.state == ACTIVE and status == "error":
            reasons.append(
                f"the waiver in {waiver.source} does not cover error: evidence that cannot "
                "be read must be fixed"
            )
        elif waiver is not None and waiver.state != ACTIVE and status != "pass":
            reasons.append(f"waiver expired on {waiver.expires} ({waiver.source}): not applied")
        return _result(
            control,
            status,
            underlying_status=underlying,
            reasons=tuple(reasons),
            tests=tuple(outcomes),
            waiver=waiver,
        )

    def _run_test(
        self,
        service: Service,
        control: Control,
        test: ControlTest,
        records: dict[str, Evidence],
        as_of: datetime,
    ) -> list[TestOutcome]:
        if per_repo_kind(test.kind) and service.repos:
            subjects = [f"repo:{repo.name}" for repo in service.repos]
        else:
            subjects = sorted(records) or ["service"]
        return [
            self._outcome(control, test, subject, records.get(subject), as_of)
            for subject in subjects
        ]

    def _outcome(
        self,
        control: Control,
        test: ControlTest,
        subject: str,
        record: Evidence | None,
        as_of: datetime,
    ) -> TestOutcome:
        def outcome(
            status: str,
            summary: str = "",
            reasons: tuple[str, ...] = (),
            findings: tuple[Finding, ...] = (),
        ) -> TestOutcome:
            return TestOutcome(
                test=test.id,
                kind=test.kind,
                subject=subject,
                status=status,
                summary=summary,
                reasons=reasons,
                evidence_id=record.id if record else None,
                observed_at=record.observed_at if record else None,
                collected_at=record.last_collected_at if record else None,
                findings=findings,
                self_reported=self_reported_source(record) if record else None,
            )

        if record is None:
            hint = PRODUCED_BY.get(test.kind, COLLECT_HINT)
            return outcome("gap", f"no {test.kind} evidence for {subject_text(subject)}; {hint}")
        unreadable = self.unreadable(record)
        if unreadable is not None:
            return outcome("error", *unreadable)
        unverifiable = self.evaluator.unverifiable(control.id, test, record.facts)
        if not unverifiable:
            verdict = self.evaluator.evaluate(control.id, test, record.facts)
            if not verdict.passed:
                repo = subject.removeprefix("repo:") if subject.startswith("repo:") else None
                findings = anchored_findings(test.kind, record.facts, verdict.failed_facts, repo)
                summary = fill_template(test.explain, record.facts)
                return outcome("fail", summary, verdict.reasons, findings)
        dated, what = evidence_age_from(record)
        if as_of - dated > control.freshness_delta:
            age = (as_of - dated).days
            return outcome(
                "stale",
                f"{test.kind} evidence for {subject_text(subject)} was {what} "
                f"{dated.date()}, {age} days before {as_of.date()}; {control.id} needs "
                f"evidence {what.removeprefix('last ')} within {control.freshness}; "
                f"{COLLECT_HINT}",
            )
        if unverifiable:
            return outcome("unverifiable", fill_template(test.unverifiable_explain, record.facts))
        return outcome("pass")

    def unreadable(self, record: Evidence) -> tuple[str, tuple[str, ...]] | None:
        """Why a record cannot be trusted, as (summary, reasons); ``None`` when it can.

        Its content must still hash to its id (else it was altered after collection) and
        its facts must match its kind's schema. Checked once per record and run.
        """
        if record.id not in self._kind_checks:
            found: tuple[str, tuple[str, ...]] | None = None
            problems = tuple(kind_problems(record.kind, record.facts))
            if evidence_id(record.identity()) != record.id:
                found = (
                    f"evidence {record.id[:12]} was altered after it was collected: its "
                    "content no longer matches its id; run 'assay verify --store'",
                    problems,
                )
            elif problems:
                found = (
                    f"evidence {record.id[:12]} no longer matches the {record.kind} schema",
                    problems,
                )
            self._kind_checks[record.id] = found
        return self._kind_checks[record.id]


def _result(
    control: Control,
    status: str,
    *,
    underlying_status: str | None = None,
    reasons: tuple[str, ...] = (),
    tests: tuple[TestOutcome, ...] = (),
    waiver: WaiverInfo | None = None,
    justification: str = "",
) -> Result:
    return Result(
        control=control.id,
        title=control.title,
        family=control.family,
        severity=control.severity,
        owner_role=control.owner_role,
        status=status,
        underlying_status=underlying_status,
        reasons=reasons,
        evidence_ids=tuple(sorted({t.evidence_id for t in tests if t.evidence_id})),
        tests=tests,
        waiver=waiver,
        remediation=control.remediation,
        justification=justification,
    )


def subject_text(subject: str) -> str:
    kind, _, name = subject.partition(":")
    return f"{kind} {name}" if name else "the service"


def _reasons(outcomes: Sequence[TestOutcome]) -> list[str]:
    """One line per test outcome that did not pass, worst first, without repeats.

    When a test ran for several subjects, failures, unverifiable results and errors name
    their subject (gap and stale messages already do).
    """
    subjects = {outcome.subject for outcome in outcomes}
    failing = sorted((o for o in outcomes if o.status != "pass"), key=lambda o: -badness(o.status))
    lines: list[str] = []
    for outcome in failing:
        named = len(subjects) > 1 and outcome.status in ("fail", "unverifiable", "error")
        prefix = f"{subject_text(outcome.subject)}: " if named else ""
        line = prefix + outcome.message
        if line not in lines:
            lines.append(line)
    return lines


def evidence_age_from(record: Evidence) -> tuple[datetime, str]:
    """The time a record's age runs from, and how to say it.

    Event evidence (a test run, a scan, an evaluation) is as old as the event: collecting an
    old report again never makes it fresh. State evidence of a branch head is as old as
    its latest ledger entry: each collection of the head confirms it again. The kind's
    schema declares which (``"x-age"``, :func:`assay.evidence.kinds.kind_age`).
    """
    from assay.evidence.kinds import kind_age

    if kind_age(record.kind) == "state":
        return ensure_utc(record.last_collected_at or record.observed_at), "last collected"
    return ensure_utc(record.observed_at), "observed"
