"""Graded findings: every result that did not pass, with a grade, an owner and a due date.

A result whose status is fail, gap, error, stale or unverifiable, or which is waived
over one of those, is a finding. Its grade follows the rules an ISO/IEC 27001 audit
uses, applied to what Assay knows of the control (see :func:`grade`):

* **major nonconformity**: the control was shown not to operate (``fail``), has no
  evidence (``gap``) or unreadable evidence (``error``), its severity is ``critical`` or
  ``high``, and it answers for a framework requirement on its own (a crosswalk link
  ``equal`` or ``superset``): the requirement is not met;
* **opportunity for improvement**: the control is ``low`` severity and answers for no
  requirement on its own, or its evidence exists but is old (``stale``) or sits where
  Assay could not look (``unverifiable``) and it is not both critical/high and a
  requirement's own control;
* **minor nonconformity**: every other finding.

Its owner is the person who holds the control's owner role: the service's owner for
"Service owner"; otherwise the person of people.yaml holding the role (matched by role
id, the role's description, or the owner role written as an id, e.g. ``Head of IT`` as
``head-of-it``), the first listed when several do; otherwise the role as written. A
corrective action's owner takes precedence.

Its due date follows the control's severity, counted from when the assessment was made:
:data:`DEADLINE_DAYS` (critical 14 days, high 30, medium 90, low 180), the same rule the
OSCAL plan of action uses for its deadlines (:func:`due_by`). A waived finding is due
when its waiver ends.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assay.assess.corrective import CorrectiveAction
    from assay.assess.model import Assessment, Result
    from assay.governance import Governance
    from assay.people import People
    from assay.workspace import Service

#: Days from the assessment to a finding's due date (a risk's deadline), by severity. A
#: severity the library does not know gets the medium figure.
DEADLINE_DAYS = {"critical": 14, "high": 30, "medium": 90, "low": 180}
DEFAULT_DEADLINE_DAYS = 90

MAJOR = "major nonconformity"
MINOR = "minor nonconformity"
OFI = "opportunity for improvement"
#: Grades, most serious first.
GRADES = (MAJOR, MINOR, OFI)

#: Statuses that show the control not in place, or no usable evidence of it.
NOT_IN_PLACE = ("fail", "gap", "error")
#: Statuses whose evidence exists but cannot stand: too old, or out of Assay's reach.
UNCONFIRMED = ("stale", "unverifiable")
#: Relationships by which one control answers for a requirement on its own.
OWN_RELATIONSHIPS = ("equal", "superset")
SERVICE_OWNER_ROLE = "service owner"


def due_by(severity: str, start: datetime) -> datetime:
    """``start`` plus the severity's days (:data:`DEADLINE_DAYS`)."""
    return start + timedelta(days=DEADLINE_DAYS.get(severity, DEFAULT_DEADLINE_DAYS))


def waiver_end(expires: date) -> datetime:
    """The last moment of a waiver's last day."""
    return datetime.combine(expires, time(23, 59, 59), tzinfo=UTC)


def finding_status(result: Result) -> str | None:
    """The status a finding is graded on (a waived result's underlying one), or ``None``
    when the result is not a finding."""
    status = result.underlying_status if result.status == "waived" else result.status
    return status if status in (*NOT_IN_PLACE, *UNCONFIRMED) else None


def grade(status: str, severity: str, requirement: bool) -> str:
    """The grade of a finding (module docstring): ``requirement`` says whether the control
    answers for a framework requirement on its own."""
    serious = severity in ("critical", "high") and requirement
    if status in NOT_IN_PLACE:
        if serious:
            return MAJOR
        return OFI if severity == "low" and not requirement else MINOR
    return MINOR if serious else OFI


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")


def resolve_owner(role: str, service: Service | None, people: People | None) -> str:
    """Who holds ``role`` for ``service`` (module docstring); the role itself when no one."""
    if service is not None and role.strip().casefold() == SERVICE_OWNER_ROLE and service.owner:
        return service.owner
    if people is None:
        return role
    wanted = role.strip().casefold()
    ids = {
        role_id
        for role_id, description in people.roles.items()
        if wanted in (role_id.casefold(), description.strip().casefold()) or _slug(role) == role_id
    }
    for person in people.people:
        if person.holds(ids):
            return person.label
    return role


@dataclass(frozen=True)
class AuditFinding:
    """A graded finding on one control of one service."""

    service: str
    control: str
    title: str
    status: str
    graded_status: str
    grade: str
    severity: str
    owner_role: str
    owner: str
    due: datetime
    reasons: tuple[str, ...]
    waived_until: date | None = None
    action: CorrectiveAction | None = None

    @property
    def due_date(self) -> date:
        return self.due.date()

    def overdue(self, day: date) -> bool:
        """Past its due date with no corrective action closing it."""
        closed = self.action is not None and self.action.status in ("done", "verified")
        return not closed and day > self.due_date

    def to_dict(self, day: date) -> dict[str, Any]:
        return {
            "control": self.control,
            "title": self.title,
            "status": self.status,
            "graded_status": self.graded_status,
            "grade": self.grade,
            "severity": self.severity,
            "owner_role": self.owner_role,
            "owner": self.owner,
            "due": self.due_date.isoformat(),
            "overdue": self.overdue(day),
            "reasons": list(self.reasons),
            "waived_until": None if self.waived_until is None else self.waived_until.isoformat(),
            "corrective_action": None if self.action is None else self.action.to_dict(day),
        }


def answers_alone(governance: Governance, control: str) -> bool:
    """Whether ``control`` answers for some framework requirement on its own."""
    return any(
        link.relationship in OWN_RELATIONSHIPS
        for link in governance.crosswalks.for_control(control)
    )


def findings_for(
    assessment: Assessment,
    governance: Governance,
    *,
    service: Service | None = None,
    people: People | None = None,
    actions: Iterable[CorrectiveAction] = (),
) -> tuple[AuditFinding, ...]:
    """Every finding of ``assessment``, most serious first (grade, then due date)."""
    by_control = {a.control: a for a in actions if a.service == assessment.service}
    found = [
        finding
        for result in assessment.results
        if (finding := _finding(result, assessment, governance, service, people, by_control))
    ]
    return tuple(sorted(found, key=lambda f: (GRADES.index(f.grade), f.due, f.control)))


def _finding(
    result: Result,
    assessment: Assessment,
    governance: Governance,
    service: Service | None,
    people: People | None,
    actions: dict[str, CorrectiveAction],
) -> AuditFinding | None:
    status = finding_status(result)
    if status is None:
        return None
    waiver = result.waiver if result.status == "waived" else None
    due = (
        waiver_end(waiver.expires)
        if waiver is not None
        else due_by(result.severity, assessment.created_at)
    )
    action = actions.get(result.control)
    owner = resolve_owner(result.owner_role, service, people)
    if action is not None:
        person = people.find(action.owner) if people is not None else None
        owner = person.label if person is not None else action.owner
    return AuditFinding(
        service=assessment.service,
        control=result.control,
        title=result.title,
        status=result.status,
        graded_status=status,
        grade=grade(status, result.severity, answers_alone(governance, result.control)),
        severity=result.severity,
        owner_role=result.owner_role,
        owner=owner,
        due=due,
        reasons=result.reasons,
        waived_until=None if waiver is None else waiver.expires,
        action=action,
    )


def grade_counts(findings: Sequence[AuditFinding]) -> dict[str, int]:
    """Findings by grade; every grade present."""
    counts = dict.fromkeys(GRADES, 0)
    for finding in findings:
        counts[finding.grade] += 1
    return counts
