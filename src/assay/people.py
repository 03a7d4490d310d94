"""People and roles: ``people.yaml`` beside ``assay.toml``.

The file defines the workspace's role vocabulary (role id to what it is), the people who
hold those roles, and the SSH public keys each signs attestations with. Controls name
the roles that may attest a manual test (``attested_by``) or approve a waiver of the
control (``approved_by``); ``waivers.approved_by`` names the roles that may approve a
waiver of a control that names none.

A person is named in an attestation's ``signer`` or a waiver's ``approver`` by their
email or their full name (matched without regard to case), as ``Name <email>``, or as
``Name, title``. Their keys become an
allowed-signers file (one line per key, the email as principal, restricted to one
namespace) that ``ssh-keygen -Y verify`` reads. The email pattern admits none of the
characters that file gives a meaning to (``*``, ``?``, ``!``, ``,``, quotes, spaces), so
one person's principal can never match another's.

Without ``people.yaml`` no role can be checked: attestations and waivers are taken as
written and every attestation is self-reported (docs/trust.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from assay.errors import Problem, raise_if_problems
from assay.schemas import check_mapping
from assay.yamlfile import YamlDocument, load_yaml

PEOPLE_NAME = "people.yaml"


@dataclass(frozen=True)
class Person:
    """Someone who may sign attestations or approve waivers."""

    name: str
    email: str
    roles: frozenset[str]
    keys: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.name} <{self.email}>"

    def holds(self, roles: Iterable[str]) -> bool:
        """Whether the person holds any of ``roles``."""
        return not self.roles.isdisjoint(roles)

    def matches(self, who: str) -> bool:
        """Whether ``who`` names this person: their email, their full name, ``Name
        <email>`` (the email decides), or ``Name, title`` (the name decides)."""
        wanted = who.strip()
        if wanted.endswith(">") and "<" in wanted:
            wanted = wanted[wanted.rindex("<") + 1 : -1]
        elif "," in wanted and "@" not in wanted:
            wanted = wanted.split(",", 1)[0]
        folded = wanted.strip().casefold()
        return folded in (self.email.casefold(), self.name.strip().casefold())


@dataclass(frozen=True)
class People:
    """The workspace's roles and people."""

    roles: dict[str, str]
    people: tuple[Person, ...]
    waiver_roles: tuple[str, ...] = ()
    source: str = PEOPLE_NAME

    def find(self, who: str) -> Person | None:
        """The person ``who`` names (email or full name), or ``None``."""
        for person in self.people:
            if person.matches(who):
                return person
        return None

    def describe_roles(self, roles: Iterable[str]) -> str:
        """``a or b`` with each role's description, for messages."""
        named = [f"{role} ({self.roles[role]})" if role in self.roles else role for role in roles]
        return " or ".join(named)

    def allowed_signers(self, namespace: str) -> str:
        """The allowed-signers text for every person's keys, limited to ``namespace``."""
        lines = [
            f'{person.email} namespaces="{namespace}" {key}'
            for person in self.people
            for key in person.keys
        ]
        return "".join(f"{line}\n" for line in lines)


def parse_people(document: YamlDocument) -> tuple[People | None, list[Problem]]:
    """Validate ``people.yaml``: the schema, then every role declared, no one listed twice."""
    data, problems = check_mapping(document, "people")
    if data is None:
        return None, problems
    roles: dict[str, str] = dict(data["roles"])
    people: list[Person] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(data["people"]):
        # A pattern's $ also matches before a final newline: refuse every control
        # character, so no value can start another line of the allowed-signers file.
        for key, value in (
            ("email", raw["email"]),
            *((("keys", slot), text) for slot, text in enumerate(raw.get("keys", ()))),
        ):
            if any(ord(char) < 32 or ord(char) == 127 for char in value):
                where = ("people", index, *(key if isinstance(key, tuple) else (key,)))
                problems.append(document.problem(where, "a line break or control character"))
        for slot, role in enumerate(raw["roles"]):
            if role not in roles:
                problems.append(
                    document.problem(
                        ("people", index, "roles", slot),
                        f"role '{role}' is not defined under roles",
                    )
                )
        for key in ("email", "name"):
            folded = raw[key].strip().casefold()
            if folded in seen:
                problems.append(
                    document.problem(
                        ("people", index, key),
                        f"{key} '{raw[key]}' is already used by people[{seen[folded]}]",
                    )
                )
            seen[folded] = index
        people.append(
            Person(
                name=raw["name"].strip(),
                email=raw["email"],
                roles=frozenset(raw["roles"]),
                keys=tuple(" ".join(key.split(" ")[:2]) for key in raw.get("keys", ())),
            )
        )
    waiver_roles = tuple(data.get("waivers", {}).get("approved_by", ()))
    for slot, role in enumerate(waiver_roles):
        if role not in roles:
            problems.append(
                document.problem(
                    ("waivers", "approved_by", slot), f"role '{role}' is not defined under roles"
                )
            )
    found = People(roles, tuple(people), waiver_roles, document.path)
    return (None if problems else found), problems


def load_people(path: Path, *, display: str | None = None) -> People | None:
    """``people.yaml`` at ``path``, validated; ``None`` when there is no such file.

    Raises :class:`~assay.errors.InvalidInput` listing every problem (exit 2).
    """
    if not path.exists():
        return None
    document = load_yaml(path, display=display)
    people, problems = parse_people(document)
    raise_if_problems(problems, hint="fix people.yaml; every role must be defined under roles")
    return people


def unknown_roles(people: People, roles: Iterable[str]) -> list[str]:
    """The roles in ``roles`` that the workspace does not define."""
    return [role for role in roles if role not in people.roles]


#: The roles the built-in control library names (``attested_by``), with what each is. A
#: workspace that uses the built-in library defines the ones it needs in people.yaml.
LIBRARY_ROLES: dict[str, str] = {
    "ai-accountable-executive": "The executive accountable for AI systems",
    "ciso": "Chief information security officer",
    "data-protection-officer": "Data protection officer",
    "facilities-manager": "Facilities manager",
    "head-of-it": "Head of IT",
    "head-of-people": "Head of people",
    "head-of-platform": "Head of platform",
    "incident-process-owner": "Owner of the incident management process",
    "independent-validator": "Validator independent of the model's developers",
    "internal-audit-lead": "Internal audit lead",
    "isms-owner": "Owner of the information security management system",
    "model-owner": "Owner of an AI model in production",
    "risk-compliance-lead": "Risk and compliance lead",
    "service-owner": "Owner of a service",
    "top-management": "A member of top management (CEO, CTO or equivalent)",
}
