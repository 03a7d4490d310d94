"""Who may sign and approve: roles, segregation of duties, concentration of signatures.

- An attestation for a manual test that names ``attested_by`` roles counts only when its
  signer is a person of ``people.yaml`` holding one of them (:func:`signer_refusal`).
- A waiver counts only when its approver is a person holding a role that may approve it
  (the control's ``approved_by``, else ``waivers.approved_by`` in people.yaml), and is
  neither the service's owner nor the author of what is waived (the waiver's
  ``requested_by``) (:func:`waiver_refusal`). The independence checks apply even without
  people.yaml, comparing the names as written.
- When one signer signed more than half of a service's attestations (at least
  :data:`MIN_ATTESTATIONS` of them), :func:`signer_concentration` says so, for reports.

Each check returns the reason for a refusal, or ``None``: a refusal is a value the
engine puts in the result, never an exception.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assay.assess.model import Assessment
    from assay.assess.waivers import Waiver
    from assay.controls.model import Control, ControlTest
    from assay.people import People, Person
    from assay.workspace import Service

#: Fewer attestations than this are never flagged as concentrated.
MIN_ATTESTATIONS = 3
ATTESTATION_KIND = "manual.attestation"


def _held(person: Person) -> str:
    return ", ".join(sorted(person.roles)) or "no role"


def signer_refusal(
    test: ControlTest, signer: str, people: People | None
) -> tuple[Person | None, str | None]:
    """The person ``signer`` names, and why they may not sign for ``test`` (or ``None``)."""
    person = people.find(signer) if people is not None else None
    if not test.attested_by or people is None:
        return person, None
    needed = people.describe_roles(test.attested_by)
    undefined = [role for role in test.attested_by if role not in people.roles]
    if len(undefined) == len(test.attested_by):
        return person, (
            f"test {test.id} needs a signature by {needed}, a role people.yaml does not define"
        )
    if person is None:
        return None, (
            f"test {test.id} needs a signature by {needed}; the signer '{signer}' is not "
            "listed in people.yaml"
        )
    if not person.holds(test.attested_by):
        return person, (
            f"test {test.id} needs a signature by {needed}; signed by {person.label}, who "
            f"holds {_held(person)}"
        )
    return person, None


def waiver_refusal(
    waiver: Waiver, control: Control | None, service: Service | None, people: People | None
) -> str | None:
    """Why ``waiver`` may not waive ``control`` for ``service``, or ``None`` when it may."""
    approver = waiver.approver.strip()
    person = people.find(approver) if people is not None else None
    who = person.label if person is not None else approver

    def same(other: str) -> bool:
        if person is not None:
            return person.matches(other)
        return other.strip().casefold() == approver.casefold()

    if people is not None:
        if person is None:
            return f"the approver '{approver}' is not listed in people.yaml"
        roles = (control.approved_by if control is not None else ()) or people.waiver_roles
        if roles and not person.holds(roles):
            return (
                f"approving a waiver of {waiver.control} needs {people.describe_roles(roles)}; "
                f"approved by {who}, who holds {_held(person)}"
            )
    if service is not None and same(service.owner):
        return (
            f"the approver {who} is the owner of {service.id}: a waiver needs approval "
            "independent of the service"
        )
    if waiver.requested_by and same(waiver.requested_by):
        return (
            f"the approver {who} also requested the waiver (requested_by): nobody approves "
            "their own exception"
        )
    return None


@dataclass(frozen=True)
class Concentration:
    """One signer signed ``count`` of a service's ``total`` attestations."""

    service: str
    signer: str
    count: int
    total: int

    @property
    def message(self) -> str:
        return (
            f"{self.signer} signed {self.count} of the {self.total} attestations "
            f"{self.service}'s results rest on: segregation of duties asks for more than "
            "one signer"
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "service": self.service,
            "signer": self.signer,
            "count": self.count,
            "total": self.total,
            "message": self.message,
        }


def signer_concentration(assessment: Assessment) -> Concentration | None:
    """The signer of more than half of the assessment's attestations, if there is one."""
    return concentration(
        assessment.service,
        (
            test.signed_by
            for result in assessment.results
            for test in result.tests
            if test.kind == ATTESTATION_KIND and test.signed_by
        ),
    )


def concentration(service: str, signers: Iterable[str]) -> Concentration | None:
    counts = Counter(signer.strip() for signer in signers)
    total = sum(counts.values())
    if total < MIN_ATTESTATIONS:
        return None
    signer, count = max(counts.items(), key=lambda item: (item[1], item[0]))
    if count * 2 <= total:
        return None
    return Concentration(service, signer, count, total)
