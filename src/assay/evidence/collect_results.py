"""What a collection produced, and the checks drafts pass before they are stored."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assay.errors import InvalidInput, Problem
from assay.evidence.collectors.interface import Collector, RepoTarget
from assay.evidence.model import EvidenceDraft
from assay.evidence.trust import ReviewerPolicy


@dataclass(frozen=True)
class Collected:
    service: str
    kind: str
    subject: dict[str, Any]
    evidence_id: str
    new: bool
    collector: str
    facts: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "kind": self.kind,
            "subject": self.subject,
            "id": self.evidence_id,
            "new": self.new,
            "collector": self.collector,
            "facts": self.facts,
        }


@dataclass(frozen=True)
class Skipped:
    service: str
    path: str
    reason: str


@dataclass(frozen=True)
class Failure:
    service: str
    lines: tuple[str, ...]


@dataclass
class CollectReport:
    collected: list[Collected] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "evidence": [c.to_dict() for c in self.collected],
            "skipped": [
                {"service": s.service, "path": s.path, "reason": s.reason} for s in self.skipped
            ],
            "failures": [{"service": f.service, "errors": list(f.lines)} for f in self.failures],
        }


def check_drafts(
    drafts: Sequence[EvidenceDraft], service: str, collectors: Mapping[str, Collector]
) -> None:
    """Every draft is of a kind its collector declares, and for this service.

    Facts and fields are checked once, by the store, when the drafts are recorded.
    """
    declared = {c.ident: c.kinds for c in collectors.values()}
    problems: list[Problem] = []
    for draft in drafts:
        where = f"{draft.collector} ({draft.kind})"
        if draft.kind not in declared.get(draft.collector, ()):
            problems.append(
                Problem(where, message=f"the collector does not declare kind {draft.kind}")
            )
        elif draft.service != service:
            problems.append(
                Problem(where, message=f"draft is for service {draft.service!r}, not {service!r}")
            )
    if problems:
        raise InvalidInput(problems, hint="this is a bug in the collector named")


def approvals_from(
    drafts: Sequence[EvidenceDraft],
    targets: Sequence[RepoTarget],
    policy: ReviewerPolicy | None = None,
) -> dict[str, dict[str, list[str]]]:
    """Approvals in ``reviews`` drafts, per repository name: commit id -> approvers.

    A reviews record applies to the repository it names; when the service has a single
    repository it applies to that one whatever name it uses. Reviews are self-reported,
    so the rules are applied again here, whoever made the draft: a row without the
    request's author, approved by that author, or by an automation account the
    workspace does not allow to review, is not an approval.
    """
    rules = policy or ReviewerPolicy()
    names = [t.name for t in targets]
    found: dict[str, dict[str, list[str]]] = {}
    for draft in drafts:
        if draft.kind != "reviews":
            continue
        repo = str(draft.facts.get("repo", ""))
        name = repo if repo in names else (names[0] if len(names) == 1 else None)
        if name is None:
            continue
        table = found.setdefault(name, {})
        for approval in draft.facts.get("approvals", []):
            approver, author = approval.get("approver"), approval.get("author")
            if rules.refusal(approver, author) is None and approval.get("commit"):
                table.setdefault(approval["commit"], []).append(str(approver))
    return found
