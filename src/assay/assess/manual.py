"""Manual tests: decided by recorded attestations, not by facts from git or CI.

A ``manual: true`` test passes when ``manual.attestation`` evidence for the control
covers the service, has not expired at ``as_of``, and its supporting document matched
the attested hash when it was recorded. An attestation covering every service is
recorded under the service ``*``, so both are read.

The store alone is not enough: an attestation is self-reported, and the reviewed
workspace decides whether it still stands. A record counts only while a file in
``attestations/`` states the same control, signer, dates, document and hash, covers the
service and is not revoked at ``as_of``; a record whose file was deleted or changed is a
gap. Every outcome resting on an attestation is marked ``self_reported``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any

from assay.assess.attestations import KIND, Attestation
from assay.assess.model import TestOutcome, badness
from assay.controls.model import Control, ControlTest
from assay.evidence.model import Evidence
from assay.evidence.reader import EvidenceReader

#: Why a record cannot be trusted, as (summary, reasons), or ``None`` when it can.
KindCheck = Callable[[Evidence], tuple[str, tuple[str, ...]] | None]


class ManualJudge:
    """Decides manual tests; knows the workspace's attestation files for helpful hints."""

    def __init__(self, attestations: Sequence[Attestation] = ()) -> None:
        self._files: dict[str, list[Attestation]] = {}
        for attestation in attestations:
            self._files.setdefault(attestation.control, []).append(attestation)

    def for_service(
        self, reader: EvidenceReader, service: str, as_of: datetime, controls: Iterable[Control]
    ) -> dict[str, list[Evidence]]:
        """Attestation evidence visible at ``as_of`` for the service, by control id."""
        if not any(test.manual for control in controls for test in control.tests):
            return {}
        found: dict[str, list[Evidence]] = {}
        for owner in (service, "*"):
            for record in reader.latest(owner, [KIND], as_of=as_of):
                control = record.subject.get("control") or record.facts.get("control")
                if isinstance(control, str):
                    found.setdefault(control, []).append(record)
        return found

    def judge(
        self,
        control: Control,
        test: ControlTest,
        service: str,
        records: Sequence[Evidence],
        as_of: datetime,
        check: KindCheck,
    ) -> TestOutcome:
        """The best outcome among the attestations for this control, or a gap."""
        outcomes = [
            outcome
            for record in records
            if (outcome := self._one(control, test, service, record, as_of.date(), check))
        ]
        if outcomes:
            return min(outcomes, key=lambda o: badness(o.status))
        return TestOutcome(
            test=test.id,
            kind=KIND,
            subject=f"control:{control.id}",
            status="gap",
            summary=self._gap_summary(control, test, service),
        )

    def _gap_summary(self, control: Control, test: ControlTest, service: str) -> str:
        files = [a for a in self._files.get(control.id, ()) if a.covers(service)]
        if files:
            return (
                f"{files[0].source} attests {control.id} but is not recorded; "
                f"run 'assay attest {files[0].source}'"
            )
        return (
            f"no attestation recorded for {control.id}; write one in attestations/ (what it "
            f"must show: 'assay library show {control.id}') and run 'assay attest FILE'"
        )

    def _one(
        self,
        control: Control,
        test: ControlTest,
        service: str,
        record: Evidence,
        day: date,
        check: KindCheck,
    ) -> TestOutcome | None:
        def outcome(status: str, summary: str, reasons: tuple[str, ...] = ()) -> TestOutcome:
            return TestOutcome(
                test=test.id,
                kind=KIND,
                subject=f"control:{control.id}",
                status=status,
                summary=summary,
                reasons=reasons,
                evidence_id=record.id,
                observed_at=record.observed_at,
                collected_at=record.last_collected_at,
                self_reported=KIND,
            )

        unreadable = check(record)
        if unreadable is not None:
            return outcome("error", *unreadable)
        facts: dict[str, Any] = record.facts
        covered = facts["services"]
        if facts["control"] != control.id or not ("*" in covered or service in covered):
            return None
        signer, signed, expires = facts["signer"], facts["signed_at"], facts["expires"]
        document = facts["file"]
        if day < date.fromisoformat(signed):
            return None
        source = self._source(record, service)
        if source is None:
            return outcome(
                "gap",
                f"the attestation of {control.id} signed by {signer} on {signed} (evidence "
                f"{record.id[:12]}) is no longer in attestations/, or its file changed: a "
                "recorded attestation counts only while the reviewed workspace holds it",
            )
        revoked = source.revoked_by(day)
        if revoked is not None:
            return outcome(
                "gap",
                f"the attestation in {source.source} was revoked on {revoked.on} by "
                f"{revoked.by}: {revoked.reason}",
            )
        if document["matches_attested"] is not True:
            return outcome(
                "fail",
                f"the document {document['name']} did not match its attested sha256 when "
                "recorded: it changed after it was signed",
            )
        if day > date.fromisoformat(expires):
            return outcome(
                "stale",
                f"the attestation signed by {signer} on {signed} expired on {expires}; "
                "have it signed again and run 'assay attest FILE'",
            )
        return outcome(
            "pass", f"attested by {signer} on {signed}, valid until {expires} ({source.source})"
        )

    def _source(self, record: Evidence, service: str) -> Attestation | None:
        """The workspace file that still states what ``record`` recorded, if any."""
        facts = record.facts
        document = facts["file"]
        for attestation in self._files.get(facts["control"], ()):
            if (
                attestation.covers(service)
                and attestation.signer == facts["signer"]
                and attestation.signed_at.isoformat() == facts["signed_at"]
                and attestation.expires.isoformat() == facts["expires"]
                and attestation.file == document["name"]
                and attestation.sha256 in (None, document["attested_sha256"])
            ):
                return attestation
        return None
