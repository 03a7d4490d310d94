"""The assessment model: what the engine decides, what the store keeps, what reports read.

An :class:`Assessment` is a record. It names the service, the point in time it was made
for (``as_of``), when it was made, the tool version and the control library digest, and
one :class:`Result` per applicable control. Each result keeps the outcome of every test
it ran (per repository, per pipeline) and the evidence ids those tests read, so an
auditor can retrace any verdict to stored evidence.

Everything here is a frozen dataclass of plain values. ``to_dict()`` gives the JSON shape
published as ``assay/schemas/assessment.schema.json``; ``from_dict()`` reads it back and
refuses a record whose hash does not match its content. :attr:`Assessment.hash` is the
sha256 of the canonical JSON of ``to_dict()``, which is what the ledger seals.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cached_property, lru_cache
from typing import Any

from assay.errors import IntegrityError
from assay.evidence.model import canonical_json as canonical

#: Every result status, in the order reports list them.
STATUSES: tuple[str, ...] = (
    "pass",
    "fail",
    "gap",
    "unverifiable",
    "stale",
    "waived",
    "not_applicable",
    "error",
)

#: Statuses a test can have. A control's status before waivers is the worst of its tests'.
TEST_STATUSES: tuple[str, ...] = ("pass", "gap", "unverifiable", "stale", "fail", "error")

#: What a result can rest on (:attr:`Result.basis`), strongest first.
BASES: tuple[str, ...] = ("both", "tested", "attested", "self-reported", "none")

#: Statuses that mean "not shown to be in place": ``assay check`` exits 1 on any of them.
PROBLEM_STATUSES: tuple[str, ...] = ("fail", "gap", "unverifiable", "stale", "error")

#: How bad a test status is: error > fail > stale > unverifiable > gap > pass.
#:
#: ``unverifiable`` (the evidence exists where Assay was not allowed to look) ranks above
#: ``gap``: it is a gap whose cause is known, and it must never read better than one. It
#: ranks below ``stale`` and ``fail``, which rest on evidence Assay did read: one of those
#: beside it is the more urgent news, and a stage that lets unverifiable results through
#: still blocks on them (:mod:`assay.assess.gate` looks past the worst status for a gap).
_BADNESS: dict[str, int] = {
    "pass": 0,
    "gap": 1,
    "unverifiable": 2,
    "stale": 3,
    "fail": 4,
    "error": 5,
}

#: Statuses added after version 1 of the record: a record's ``counts`` names them only
#: when some result has them, so a record made before they existed keeps its hash.
_LATER_STATUSES: tuple[str, ...] = ("unverifiable",)

#: Version of the record's JSON shape; bumped when a field changes meaning.
SCHEMA_VERSION = 1


def worst(statuses: Iterable[str]) -> str:
    """The worst of test statuses (``pass`` for none): error > fail > stale > unverifiable >
    gap > pass."""
    found = "pass"
    for status in statuses:
        if _BADNESS[status] > _BADNESS[found]:
            found = status
    return found


def badness(status: str) -> int:
    """Rank of a test status, 0 for pass up to 5 for error."""
    return _BADNESS[status]


@lru_cache(maxsize=8192)
def format_instant(moment: datetime) -> str:
    """A UTC instant to the microsecond, ``2026-01-31T23:59:59.999999Z``, lossless.

    Cached: an assessment's outcomes repeat the same few observation times, and reports
    read hundreds of assessments."""
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@lru_cache(maxsize=8192)
def parse_instant_text(text: str) -> datetime:
    """The inverse of :func:`format_instant` (also reads seconds-only forms); cached."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _opt_instant(moment: datetime | None) -> str | None:
    return None if moment is None else format_instant(moment)


def _opt_parse(text: str | None) -> datetime | None:
    return None if text is None else parse_instant_text(text)


@dataclass(frozen=True)
class Finding:
    """A problem anchored to a line of a file in a repository, e.g. an unpinned action.

    SARIF, GitHub annotations and GitLab code quality point at these.
    """

    file: str
    line: int
    message: str
    rule: str
    repo: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "message": self.message,
            "rule": self.rule,
            "repo": self.repo,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        return cls(data["file"], data["line"], data["message"], data["rule"], data.get("repo"))


@dataclass(frozen=True)
class TestOutcome:
    """One test of a control run against one subject (a repository, a pipeline, the service).

    ``summary`` is the test's ``explain`` template filled with the evidence's facts (its
    ``unverifiable_explain`` for unverifiable; for gap, stale and error, a sentence saying
    so); ``reasons`` are the plain sentences that
    say what in the facts did not meet the expectation.
    """

    __test__ = False  # not a pytest test class, whatever its name says

    test: str
    kind: str
    subject: str
    status: str
    summary: str = ""
    reasons: tuple[str, ...] = ()
    evidence_id: str | None = None
    observed_at: datetime | None = None
    collected_at: datetime | None = None
    findings: tuple[Finding, ...] = ()
    #: The self-reported kind the evidence rests on (``reviews``, ``manual.attestation``),
    #: or ``None`` when Assay tested it (docs/trust.md).
    self_reported: str | None = None
    #: For an attestation: who signed it (the person's label from people.yaml, or the
    #: signer as written); ``None`` for other evidence.
    signed_by: str | None = None

    @property
    def message(self) -> str:
        """The summary and its reasons as one line."""
        if not self.reasons:
            return self.summary
        joined = "; ".join(self.reasons)
        if not self.summary:
            return joined
        return f"{self.summary.rstrip(' .')}: {joined}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "kind": self.kind,
            "subject": self.subject,
            "status": self.status,
            "summary": self.summary,
            "reasons": list(self.reasons),
            "evidence_id": self.evidence_id,
            "observed_at": _opt_instant(self.observed_at),
            "collected_at": _opt_instant(self.collected_at),
            "findings": [finding.to_dict() for finding in self.findings],
            "self_reported": self.self_reported,
            **({"signed_by": self.signed_by} if self.signed_by else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TestOutcome:
        return cls(
            test=data["test"],
            kind=data["kind"],
            subject=data["subject"],
            status=data["status"],
            summary=data.get("summary", ""),
            reasons=tuple(data.get("reasons", ())),
            evidence_id=data.get("evidence_id"),
            observed_at=_opt_parse(data.get("observed_at")),
            collected_at=_opt_parse(data.get("collected_at")),
            findings=tuple(Finding.from_dict(f) for f in data.get("findings", ())),
            self_reported=data.get("self_reported"),
            signed_by=data.get("signed_by"),
        )


@dataclass(frozen=True)
class WaiverInfo:
    """The waiver found for a result: ``state`` is ``active`` (applied) or ``expired``."""

    service: str
    control: str
    reason: str
    approver: str
    created: date
    expires: date
    state: str
    source: str = ""
    ticket: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "control": self.control,
            "reason": self.reason,
            "approver": self.approver,
            "created": self.created.isoformat(),
            "expires": self.expires.isoformat(),
            "state": self.state,
            "source": self.source,
            "ticket": self.ticket,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WaiverInfo:
        return cls(
            service=data["service"],
            control=data["control"],
            reason=data["reason"],
            approver=data["approver"],
            created=date.fromisoformat(data["created"]),
            expires=date.fromisoformat(data["expires"]),
            state=data["state"],
            source=data.get("source", ""),
            ticket=data.get("ticket"),
        )


@dataclass(frozen=True)
class Result:
    """The verdict on one control for one service.

    ``status`` is what counts; when it is ``waived``, ``underlying_status`` keeps what the
    evidence said. ``reasons`` are one line per test that did not pass (or the SoA
    justification for ``not_applicable``); ``evidence_ids`` every record the tests read.
    """

    control: str
    title: str
    family: str
    severity: str
    owner_role: str
    status: str
    underlying_status: str | None = None
    reasons: tuple[str, ...] = ()
    evidence_ids: tuple[str, ...] = ()
    tests: tuple[TestOutcome, ...] = ()
    waiver: WaiverInfo | None = None
    remediation: str = ""
    justification: str = ""

    @property
    def reason(self) -> str:
        """The first reason, for one-line tables."""
        return self.reasons[0] if self.reasons else ""

    @property
    def self_reported(self) -> tuple[str, ...]:
        """The self-reported kinds this result rests on, sorted; empty when all was tested."""
        return tuple(sorted({t.self_reported for t in self.tests if t.self_reported}))

    @property
    def basis(self) -> str:
        """What the result rests on: ``tested`` (facts Assay read from git, CI or a
        platform), ``attested`` (a statement signed by someone allowed to make it),
        ``both``, ``self-reported`` (only inputs nobody independent vouches for: an
        unsigned attestation, a reviews file a job wrote) or ``none`` (no evidence read).
        Self-reported evidence never makes a result tested or attested."""
        tested = attested = reported = False
        for outcome in self.tests:
            if outcome.evidence_id is None:
                continue
            if outcome.self_reported:
                reported = True
            elif outcome.kind == "manual.attestation":
                attested = True
            else:
                tested = True
        if tested and attested:
            return "both"
        if tested or attested:
            return "tested" if tested else "attested"
        return "self-reported" if reported else "none"

    @property
    def findings(self) -> tuple[Finding, ...]:
        """File-anchored findings of every test that did not pass."""
        return tuple(
            finding
            for outcome in self.tests
            if outcome.status != "pass"
            for finding in outcome.findings
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "control": self.control,
            "title": self.title,
            "family": self.family,
            "severity": self.severity,
            "owner_role": self.owner_role,
            "status": self.status,
            "underlying_status": self.underlying_status,
            "reasons": list(self.reasons),
            "evidence_ids": list(self.evidence_ids),
            "tests": [outcome.to_dict() for outcome in self.tests],
            "waiver": None if self.waiver is None else self.waiver.to_dict(),
            "remediation": self.remediation,
            "justification": self.justification,
            "self_reported": list(self.self_reported),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Result:
        waiver = data.get("waiver")
        return cls(
            control=data["control"],
            title=data["title"],
            family=data["family"],
            severity=data["severity"],
            owner_role=data["owner_role"],
            status=data["status"],
            underlying_status=data.get("underlying_status"),
            reasons=tuple(data.get("reasons", ())),
            evidence_ids=tuple(data.get("evidence_ids", ())),
            tests=tuple(TestOutcome.from_dict(t) for t in data.get("tests", ())),
            waiver=None if waiver is None else WaiverInfo.from_dict(waiver),
            remediation=data.get("remediation", ""),
            justification=data.get("justification", ""),
        )


@dataclass(frozen=True)
class Assessment:
    """Every applicable control's result for one service at one point in time."""

    service: str
    as_of: datetime
    created_at: datetime
    tool_version: str
    library_digest: str
    results: tuple[Result, ...]

    @property
    def counts(self) -> dict[str, int]:
        """Results by status; every status is present, zero when none."""
        counts = dict.fromkeys(STATUSES, 0)
        for result in self.results:
            counts[result.status] += 1
        return counts

    @property
    def recorded_counts(self) -> dict[str, int]:
        """:attr:`counts` as the record keeps them: a status added after version 1 of the
        record (``unverifiable``) only when some result has it, so that a record made
        before it existed reads back with the same hash."""
        return {
            status: count
            for status, count in self.counts.items()
            if count or status not in _LATER_STATUSES
        }

    @property
    def evidence_ids(self) -> tuple[str, ...]:
        """Every evidence id any result used, sorted and unique."""
        return tuple(sorted({eid for result in self.results for eid in result.evidence_ids}))

    @property
    def problems(self) -> tuple[Result, ...]:
        """Results whose status is fail, gap, unverifiable, stale or error."""
        return tuple(r for r in self.results if r.status in PROBLEM_STATUSES)

    def result(self, control_id: str) -> Result | None:
        for result in self.results:
            if result.control == control_id:
                return result
        return None

    def to_dict(self) -> dict[str, Any]:
        """The record as plain JSON data, without its hash (see :attr:`hash`)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "service": self.service,
            "as_of": format_instant(self.as_of),
            "created_at": format_instant(self.created_at),
            "tool_version": self.tool_version,
            "library_digest": self.library_digest,
            "counts": self.recorded_counts,
            "evidence_ids": list(self.evidence_ids),
            "results": [result.to_dict() for result in self.results],
        }

    def canonical_json(self) -> str:
        """Sorted keys, no insignificant white space: the bytes :attr:`hash` covers."""
        return canonical(self.to_dict())

    @cached_property
    def hash(self) -> str:
        """sha256 (hex) of :meth:`canonical_json`: the value sealed into the ledger.

        Computed once: the record is frozen.
        """
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()

    def document(self) -> dict[str, Any]:
        """:meth:`to_dict` plus its ``hash``: what ``--format json`` prints."""
        return {"hash": self.hash, **self.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Assessment:
        """Read a record (with or without ``hash``); raise if the hash or counts disagree."""
        version = data.get("schema_version", SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            raise IntegrityError(
                f"assessment record has schema version {version}; this assay reads "
                f"version {SCHEMA_VERSION}"
            )
        assessment = cls(
            service=data["service"],
            as_of=parse_instant_text(data["as_of"]),
            created_at=parse_instant_text(data["created_at"]),
            tool_version=data["tool_version"],
            library_digest=data["library_digest"],
            results=tuple(Result.from_dict(r) for r in data["results"]),
        )
        expected = data.get("hash")
        if expected is not None and expected != assessment.hash:
            raise IntegrityError(
                f"assessment of {assessment.service} does not match its hash "
                f"(recorded {expected[:12]}, content {assessment.hash[:12]})",
                hint="the stored record was altered; run 'assay verify --store'",
            )
        if "counts" in data and dict(data["counts"]) != assessment.recorded_counts:
            raise IntegrityError(
                f"assessment of {assessment.service}: counts do not match its results"
            )
        return assessment

    @classmethod
    def from_json(cls, text: str) -> Assessment:
        return cls.from_dict(json.loads(text))
