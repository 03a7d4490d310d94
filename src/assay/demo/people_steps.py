"""The demo's people: ``people.yaml`` with a role for every attestation and a key each.

Every role the built-in library names is held by someone, so each attestation can be
signed by the right person; the private keys are made with ``ssh-keygen`` in
``DIR/keys/`` (outside the workspace, as a person's key would be). ``ctx.state["keys"]``
maps each email to its private key, ``ctx.state["people"]`` each role to the email of the
person holding it. Without ssh-keygen the people are listed with no keys, and every
attestation stays unsigned (self-reported).
"""

from __future__ import annotations

import yaml

from assay.demo.gitbuild import make_ssh_key
from assay.demo.steps import DemoContext
from assay.people import LIBRARY_ROLES

#: name, email, roles.
PEOPLE: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Morgan Lee", "morgan.lee@example.org", ("top-management",)),
    ("Priya Shah", "priya.shah@example.org", ("ciso", "isms-owner")),
    ("Sam Okafor", "sam.okafor@example.org", ("risk-compliance-lead",)),
    ("Jo Byrne", "jo.byrne@example.org", ("internal-audit-lead",)),
    ("Alex Chen", "alex.chen@example.org", ("head-of-platform", "incident-process-owner")),
    ("Dana Patel", "dana.patel@example.org", ("head-of-it",)),
    ("Lee Ward", "lee.ward@example.org", ("facilities-manager",)),
    ("Kim Rossi", "kim.rossi@example.org", ("head-of-people",)),
    ("Ravi Kumar", "ravi.kumar@example.org", ("data-protection-officer",)),
    ("Eli Novak", "eli.novak@example.org", ("service-owner",)),
    ("Nia Roberts", "nia.roberts@example.org", ("model-owner", "ai-accountable-executive")),
    ("Tom Silva", "tom.silva@example.org", ("independent-validator",)),
)
#: Roles that may approve a waiver of any built-in control.
WAIVER_APPROVERS = ("top-management", "risk-compliance-lead")


def write_people(ctx: DemoContext) -> None:
    """people.yaml in the workspace; private keys in DIR/keys/."""
    keys = {}
    people = []
    holders: dict[str, str] = {}
    for name, email, roles in PEOPLE:
        signer = make_ssh_key(ctx.out / "keys" / email.split("@")[0].replace(".", "-"), email)
        entry: dict[str, object] = {"name": name, "email": email, "roles": list(roles)}
        if signer is not None:
            keys[email] = signer.key
            entry["keys"] = [signer.key.with_suffix(".pub").read_text(encoding="ascii").strip()]
        people.append(entry)
        for role in roles:
            holders.setdefault(role, email)
    document = {
        "roles": dict(LIBRARY_ROLES),
        "people": people,
        "waivers": {"approved_by": list(WAIVER_APPROVERS)},
    }
    (ctx.root / "people.yaml").write_text(
        yaml.safe_dump(document, sort_keys=False, width=200), encoding="utf-8"
    )
    ctx.state["keys"] = keys
    ctx.state["people"] = holders
    if not keys:
        ctx.notes.append("ssh-keygen not found: the demo's attestations are unsigned")
