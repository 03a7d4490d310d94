"""Corrective actions: what is being done about a finding, by whom, by when.

A corrective action file (``corrective-actions/*.yaml``) names a service and a control
(the finding it answers), the root cause, the action, its owner, its due date, how its
effect will be verified, and its status (``open``, ``in-progress``, ``done``,
``verified``). Loading checks every file against the published schema and against the
workspace: an action for a control or service that does not exist is refused (exit 2,
located), and so is one whose owner people.yaml does not list, when the workspace has
people.yaml. Two actions for the same service and control are refused too: a finding
has one plan.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay.errors import Problem, raise_if_problems
from assay.schemas import check_mapping
from assay.yamlfile import YamlDocument, parse_folder

if TYPE_CHECKING:
    from assay.people import People

FOLDER = "corrective-actions"
#: Statuses that close an action: its work is finished.
CLOSED = ("done", "verified")


@dataclass(frozen=True)
class CorrectiveAction:
    """One corrective action file, validated."""

    service: str
    control: str
    root_cause: str
    action: str
    owner: str
    due: date
    verification: str
    status: str
    ticket: str | None = None
    source: str = ""

    def overdue(self, day: date) -> bool:
        """Whether the action is still open after its due date."""
        return self.status not in CLOSED and day > self.due

    def to_dict(self, day: date | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "service": self.service,
            "control": self.control,
            "root_cause": self.root_cause,
            "action": self.action,
            "owner": self.owner,
            "due": self.due.isoformat(),
            "verification": self.verification,
            "status": self.status,
            "ticket": self.ticket,
            "source": self.source,
        }
        if day is not None:
            data["overdue"] = self.overdue(day)
        return data


def parse_action(
    document: YamlDocument,
    *,
    controls: Collection[str] | None = None,
    services: Collection[str] | None = None,
    people: People | None = None,
) -> tuple[CorrectiveAction | None, list[Problem]]:
    """Validate one corrective action; unknown controls, services and owners are problems."""
    data, problems = check_mapping(document, "corrective-action")
    if data is None:
        return None, problems
    if controls is not None and data["control"] not in controls:
        problems.append(
            document.problem(
                ("control",), f"corrective action names unknown control '{data['control']}'"
            )
        )
    if services is not None and data["service"] not in services:
        known = ", ".join(sorted(services)) or "none"
        problems.append(
            document.problem(
                ("service",),
                f"corrective action names unknown service '{data['service']}' (services: {known})",
            )
        )
    if people is not None and people.find(data["owner"]) is None:
        problems.append(
            document.problem(
                ("owner",), f"the owner '{data['owner']}' is not listed in people.yaml"
            )
        )
    action = CorrectiveAction(
        service=data["service"],
        control=data["control"],
        root_cause=data["root_cause"],
        action=data["action"],
        owner=data["owner"],
        due=date.fromisoformat(data["due"]),
        verification=data["verification"],
        status=data["status"],
        ticket=data.get("ticket"),
        source=document.path,
    )
    return (None if problems else action), problems


def load_actions(
    folder: Path,
    *,
    display: Callable[[Path], str] | None = None,
    controls: Collection[str] | None = None,
    services: Collection[str] | None = None,
    people: People | None = None,
) -> list[CorrectiveAction]:
    """Every corrective action in ``folder`` (none when it does not exist); raises
    :class:`~assay.errors.InvalidInput` listing every problem (exit 2)."""
    seen: dict[tuple[str, str], str] = {}

    def parse(document: YamlDocument, _path: Path) -> tuple[CorrectiveAction | None, list[Problem]]:
        action, problems = parse_action(
            document, controls=controls, services=services, people=people
        )
        if action is not None:
            key = (action.service, action.control)
            if key in seen:
                problems.append(
                    document.problem(
                        ("control",),
                        f"{action.service} {action.control} already has a corrective action "
                        f"in {seen[key]}",
                    )
                )
                return None, problems
            seen[key] = action.source
        return action, problems

    actions, problems = parse_folder(folder, parse, display=display or str)
    raise_if_problems(problems, hint="fix the corrective action files listed")
    return actions
