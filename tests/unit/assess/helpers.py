"""Builders for engine tests: small control libraries, services and evidence records."""

from __future__ import annotations

import copy
import json
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assay.controls.loader import Library, load_library
from assay.evidence.model import Evidence, EvidenceDraft, evidence_id
from assay.workspace import RepoRef, Service
from tests.support.paths import DATA

EXAMPLES = DATA / "kind-examples"

#: A fixed "now" for tests: evidence dates below are relative to it.
NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)

REVIEW_CONTROL = """
id: CHG-01
title: Reviewed changes
statement: Every change to the main branch is reviewed by a second person.
family: change-management
owner_role: Engineering lead
severity: high
freshness: P30D
remediation: Require an approving review in branch protection.
tests:
  - id: reviewed
    kind: git.history
    expectation:
      properties:
        review_ratio: {minimum: 0.95}
        shallow: {const: false}
      required: [review_ratio, shallow]
    explain: "Only {review_ratio} of change sets on {branch} were reviewed."
"""

CODEOWNERS_CONTROL = """
id: SEC-02
title: Code owners
statement: Every repository names the owners who must review its changes.
family: secure-development
owner_role: Security lead
severity: medium
freshness: P90D
tests:
  - id: codeowners
    kind: repo.files
    expectation:
      properties:
        files:
          properties:
            codeowners:
              properties:
                present: {const: true}
    explain: "No CODEOWNERS file in {repo}."
"""

RESTORE_CONTROL = """
id: BCP-02
title: Restore rehearsal
statement: A restore from backup is rehearsed and attested every six months.
family: operations
owner_role: Head of operations
severity: medium
freshness: P180D
tests:
  - id: rehearsal
    manual: true
    attestation: A signed record of a restore rehearsal within six months.
"""

AI_CONTROL = """
id: AI-01
title: Model cards
statement: Every model in production has a model card that names its owner.
family: ai
owner_role: ML lead
severity: low
freshness: P180D
applicability:
  tags_any: [ai]
tests:
  - id: card
    kind: ai.model_card
    expectation: {required: [owner]}
    explain: "The model card has no owner."
"""


def library(tmp_path: Path, *controls: str) -> Library:
    """A library of just these control documents (no built-in controls)."""
    folder = tmp_path / "controls"
    folder.mkdir(exist_ok=True)
    for index, text in enumerate(controls):
        (folder / f"c{index}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return load_library([folder], builtin=False)


def service(
    service_id: str = "payments",
    repos: tuple[str, ...] = ("api",),
    *,
    tags: tuple[str, ...] = (),
    tier: int = 2,
    exclusions: dict[str, str] | None = None,
) -> Service:
    return Service(
        id=service_id,
        name=service_id.title(),
        owner="team@example.org",
        tier=tier,
        tags=frozenset(tags),
        repos=tuple(RepoRef(name, url=f"https://example.org/{name}.git") for name in repos),
        exclusions=dict(exclusions or {}),
    )


def example(kind: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{kind}.json").read_text(encoding="utf-8"))
    return data


def facts(kind: str, **changes: Any) -> dict[str, Any]:
    """The kind's example facts with top-level changes."""
    data = copy.deepcopy(example(kind))
    data.update(changes)
    return data


def draft(
    kind: str,
    service_id: str,
    facts_: dict[str, Any],
    *,
    subject: dict[str, Any] | None = None,
    observed_at: datetime = NOW,
) -> EvidenceDraft:
    return EvidenceDraft(
        kind=kind,
        service=service_id,
        subject=subject if subject is not None else {},
        observed_at=observed_at,
        collector="test@1",
        facts=facts_,
    )


def evidence(
    kind: str,
    service_id: str,
    facts_: dict[str, Any],
    *,
    subject: dict[str, Any] | None = None,
    observed_at: datetime = NOW,
) -> Evidence:
    made = draft(kind, service_id, facts_, subject=subject, observed_at=observed_at)
    return Evidence(
        id=made.id,
        kind=made.kind,
        service=made.service,
        subject=made.subject,
        observed_at=made.observed_at,
        collector=made.collector,
        facts=made.facts,
    )


def repo_evidence(
    kind: str, service_id: str, repo: str, observed_at: datetime = NOW, **changes: Any
) -> Evidence:
    return evidence(
        kind,
        service_id,
        facts(kind, **changes),
        subject={"repo": repo, "commit": "1" * 40},
        observed_at=observed_at,
    )


def with_facts(record: Evidence, facts_: dict[str, Any]) -> Evidence:
    """The record with other facts and the id those facts hash to: as if a collector had
    recorded them (for facts a newer kind schema no longer accepts, say)."""
    changed = record.model_copy(update={"facts": facts_})
    return changed.model_copy(update={"id": evidence_id(changed.identity())})
