"""A small real workspace and SQLite store for CLI tests of check, gate, waivers, attest."""

from __future__ import annotations

import copy
import subprocess
import textwrap
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from assay.durations import utc_now
from assay.evidence.model import EvidenceDraft
from assay.evidence.store import open_store
from tests.unit.assess.helpers import (
    CODEOWNERS_CONTROL,
    RESTORE_CONTROL,
    REVIEW_CONTROL,
    example,
)

WORKFLOW_CONTROL = """
id: SDL-03
title: Pinned actions
statement: CI actions and images are pinned to immutable digests.
family: secure-development
owner_role: Platform lead
severity: medium
freshness: P30D
remediation: Pin each action to a full commit id.
tests:
  - id: pinned
    kind: ci.workflows
    expectation:
      properties:
        unpinned_actions: {maximum: 0}
        dangerous_patterns: {maximum: 0}
    explain: "{unpinned_actions} unpinned actions and {dangerous_patterns} dangerous patterns."
"""

TICKET_CONTROL = """
id: CHG-04
title: Ticket references
statement: Changes reference a ticket.
family: change-management
owner_role: Engineering lead
severity: low
freshness: P30D
remediation: Reference a ticket in each change.
tests:
  - id: tickets
    kind: git.history
    expectation:
      properties:
        ticket_ref_ratio: {minimum: 0.9}
    explain: "{ticket_ref_ratio} of changes reference a ticket."
"""

CONTROLS = {
    "chg-01.yaml": REVIEW_CONTROL,
    "chg-04.yaml": TICKET_CONTROL,
    "sec-02.yaml": CODEOWNERS_CONTROL,
    "sdl-03.yaml": WORKFLOW_CONTROL,
    "bcp-02.yaml": RESTORE_CONTROL,
}

SERVICE = """\
id: {id}
name: {id} service
owner: team@example.org
tier: 2
repos:
  - name: api
    url: https://example.org/{id}/api.git
"""

ATTESTATION = """\
control: BCP-02
services: ["*"]
statement: A full restore was rehearsed within the four-hour objective.
signer: Priya Raman, Head of Platform Operations
signed_at: "{signed}"
expires: "{expires}"
file: evidence/restore.txt
"""


@dataclass
class Sample:
    root: Path

    @property
    def url(self) -> str:
        return f"sqlite:///{self.root / '.assay' / 'assay.db'}"

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def waiver(self, created_days_ago: int, expires_in_days: int) -> Path:
        """A CHG-01 waiver for payments, dated relative to today (negative: in the past)."""
        today = utc_now().date()
        return self.write(
            "waivers/chg-01.yaml",
            f"""\
            service: payments
            control: CHG-01
            reason: Pairing replaces review during the migration.
            approver: Ada Lovelace
            created: "{today - timedelta(days=created_days_ago)}"
            expires: "{today + timedelta(days=expires_in_days)}"
            """,
        )

    def people(self, roles: str = "[platform-lead]") -> Path:
        """people.yaml naming Priya Raman (the sample attestation's signer) with a fresh
        ed25519 key; returns the private key, kept outside the workspace."""
        key = self.root.parent / "keys" / "priya"
        if not key.exists():
            key.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "priya", "-f", str(key)],
                check=True,
                capture_output=True,
            )
        public = key.with_suffix(".pub").read_text(encoding="ascii").strip()
        self.write(
            "people.yaml",
            f"""\
            roles:
              platform-lead: Head of platform operations
              risk-lead: Risk and compliance lead
            people:
              - name: Priya Raman
                email: priya@example.org
                roles: {roles}
                keys: ["{public}"]
              - name: Ada Lovelace
                email: ada@example.org
                roles: [risk-lead]
            """,
        )
        return key

    def empty_store(self) -> None:
        """Create the workspace's store with nothing in it (as a first collection would)."""
        with open_store(self.url):
            pass

    def record(self, *drafts: EvidenceDraft, collected_at: datetime | None = None) -> list[str]:
        with open_store(self.url) as store:
            results = store.record(list(drafts), context={"test": True}, collected_at=collected_at)
        return [r.evidence_id for r in results]

    def good_evidence(self, service: str = "payments", **changes: Any) -> list[str]:
        """Evidence that passes every automated control."""
        return self.record(*good_drafts(service, **changes))

    def attestation(self, expires: str | None = None) -> Path:
        today = utc_now().date()
        self.write("attestations/evidence/restore.txt", "restore log\n")
        return self.write(
            "attestations/restore.yaml",
            ATTESTATION.format(
                signed=today.isoformat(),
                expires=expires or today.replace(year=today.year + 1).isoformat(),
            ),
        )


def good_drafts(service: str = "payments", **changes: Any) -> list[EvidenceDraft]:
    subject = {"repo": "api", "commit": "1" * 40}
    history = copy.deepcopy(example("git.history"))
    history.update(review_ratio=1.0, shallow=False, ticket_ref_ratio=1.0)
    files = copy.deepcopy(example("repo.files"))
    workflows = copy.deepcopy(example("ci.workflows"))
    workflows.update(unpinned_actions=0, dangerous_patterns=0)
    facts = {"git.history": history, "repo.files": files, "ci.workflows": workflows}
    for key, value in changes.items():
        kind, _, fact = key.partition("__")
        facts[kind.replace("_", ".")][fact] = value
    now = utc_now().replace(microsecond=0)
    return [
        EvidenceDraft(kind, service, subject, now, "test@1", data) for kind, data in facts.items()
    ]


def make_sample(root: Path, services: tuple[str, ...] = ("payments", "search")) -> Sample:
    sample = Sample(root)
    sample.write("assay.toml", '[library]\nbuiltin = false\npaths = ["controls"]\n')
    for name, text in CONTROLS.items():
        sample.write(f"controls/{name}", text)
    for service in services:
        sample.write(f"services/{service}.yaml", SERVICE.format(id=service))
    return sample
