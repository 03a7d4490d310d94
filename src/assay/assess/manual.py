"""Manual tests: decided by recorded attestations, not by facts from git or CI.

A ``manual: true`` test passes when ``manual.attestation`` evidence for the control
covers the service, has not expired at ``as_of``, and its supporting document matched
the attested hash when it was recorded. An attestation covering every service is
recorded under the service ``*``, so both are read.

The store alone is not enough: the reviewed workspace decides whether an attestation
still stands. A record counts only while a file in ``attestations/`` states the same
control, signer, dates, document and hash, covers the service and is not revoked at
``as_of``; a record whose file was deleted or changed is a gap.

Then it must be made by the right person and show what it must (assess/duties.py,
assess/documents.py): a signer without a role the test's ``attested_by`` names, a
supporting document missing a ``must_show`` item or dated after the signing, or a
signature beside the file that does not verify against people.yaml fails the test,
naming each reason. An attestation whose signature verifies is signed; one without a
signature (or in a workspace without people.yaml, where no key can be checked) is
*self-reported*: the outcome says so and is marked ``self_reported``, which a stage can
refuse (the built-in release stage does).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from typing import Any

from assay.assess.attestations import KIND, Attestation
from assay.assess.documents import missing_items
from assay.assess.duties import signer_refusal
from assay.assess.model import TestOutcome, badness
from assay.assess.signing import (
    SigningError,
    Verdict,
    Verifier,
    canonical_content,
    read_signature,
    signature_path,
)
from assay.controls.model import Control, ControlTest
from assay.evidence.model import Evidence
from assay.evidence.reader import EvidenceReader
from assay.people import People

#: Why a record cannot be trusted, as (summary, reasons), or ``None`` when it can.
KindCheck = Callable[[Evidence], tuple[str, tuple[str, ...]] | None]


class ManualJudge:
    """Decides manual tests; knows the workspace's attestation files for helpful hints."""

    def __init__(
        self, attestations: Sequence[Attestation] = (), people: People | None = None
    ) -> None:
        self._files: dict[str, list[Attestation]] = {}
        for attestation in attestations:
            self._files.setdefault(attestation.control, []).append(attestation)
        self.people = people
        self._verifier = Verifier(people) if people is not None else None
        self._verdicts: dict[tuple[str, str], Verdict | str | None] = {}

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
        self._verify_ahead([r for records in found.values() for r in records], service)
        return found

    def _verify_ahead(self, records: Sequence[Evidence], service: str) -> None:
        """Check the signatures the service's attestations will need, several at once:
        ``ssh-keygen -Y verify`` takes one signature a process, and a service has dozens.
        A record too malformed to name its signature is left for :meth:`judge`, which says
        what is wrong with it."""
        if self._verifier is None:
            return
        pending: dict[tuple[str, str], tuple[Attestation, str, str]] = {}
        for record in records:
            facts = record.facts
            document = facts.get("file")
            digest = document.get("attested_sha256") if isinstance(document, dict) else None
            signer = facts.get("signer")
            if not isinstance(digest, str) or not isinstance(signer, str):
                continue
            try:
                source = self._source(record, service)
            except (KeyError, TypeError):
                continue
            if source is not None and (str(source.path), digest) not in self._verdicts:
                pending.setdefault((str(source.path), digest), (source, digest, signer))
        if len(pending) < 2:
            return
        workers = min(len(pending), 2 * (os.cpu_count() or 1), 8)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            verdicts = list(pool.map(lambda item: self._check_signature(*item), pending.values()))
        self._verdicts.update(zip(pending, verdicts, strict=True))

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
        def outcome(
            status: str,
            summary: str,
            reasons: tuple[str, ...] = (),
            *,
            self_reported: str | None = KIND,
            signed_by: str | None = None,
        ) -> TestOutcome:
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
                self_reported=self_reported,
                signed_by=signed_by,
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
        person, refusal = signer_refusal(test, signer, self.people)
        signed_by = person.label if person is not None else signer
        problems = [refusal] if refusal else []
        content = facts.get("content")
        missing = missing_items(test.must_show, content)
        if missing:
            problems.append(
                f"the supporting document {document['name']} does not show {', '.join(missing)}"
            )
        dated = content.get("dated") if isinstance(content, dict) else None
        if isinstance(dated, str) and dated > signed:
            problems.append(
                f"the supporting document {document['name']} is dated {dated}, after the "
                f"attestation was signed on {signed}"
            )
        verdict = self._signature(source, document["attested_sha256"], signer)
        if isinstance(verdict, Verdict) and not verdict.valid:
            problems.append(verdict.detail)
        signed = isinstance(verdict, Verdict) and verdict.valid
        if problems:
            return outcome(
                "fail",
                f"the attestation of {control.id} in {source.source} is refused",
                tuple(problems),
                self_reported=None if signed else KIND,
                signed_by=signed_by,
            )
        said = f"attested by {signed_by} on {signed}, valid until {expires} ({source.source})"
        if test.attested_by and self.people is None:
            said += "; roles not checked: the workspace has no people.yaml"
        if isinstance(verdict, Verdict):
            return outcome(
                "pass",
                f"{said}; signature verified, {verdict.detail}",
                self_reported=None,
                signed_by=signed_by,
            )
        why = verdict if isinstance(verdict, str) else "unsigned"
        return outcome("pass", f"{said}; self-reported: {why}", signed_by=signed_by)

    def _signature(self, source: Attestation, digest: str, signer: str) -> Verdict | str | None:
        """The verdict on the signature beside ``source``; a string when it is present but
        cannot be checked (no people.yaml), ``None`` when there is none."""
        key = (str(source.path), digest)
        if key not in self._verdicts:
            self._verdicts[key] = self._check_signature(source, digest, signer)
        return self._verdicts[key]

    def _check_signature(
        self, source: Attestation, digest: str, signer: str
    ) -> Verdict | str | None:
        path = signature_path(source.path)
        try:
            signature = read_signature(path)
            if signature is None:
                return None
            if self._verifier is None:
                return f"{path.name} not verified: the workspace has no people.yaml"
            return self._verifier.verify(canonical_content(source, digest), signature, signer)
        except (SigningError, OSError) as exc:
            message = exc.message if isinstance(exc, SigningError) else str(exc)
            return Verdict(False, signer, f"the signature {path.name} cannot be checked: {message}")

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
