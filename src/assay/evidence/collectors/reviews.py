"""``reviews`` from Assay's documented review export JSON (``assay.reviews/v1``).

The export lists pull or merge requests, each with its author, the commit that landed it
(``merge_commit``, else the request's ``head_commit``) and its approvals. A CI job wrote
it, so it is self-reported (docs/trust.md), and an entry counts as an approval only when
the request names its author, the approver is someone else, and the approver is not an
automation account the workspace has not allowed to review
(:class:`assay.evidence.trust.ReviewerPolicy`). Accepted approvals become one fact row each
for that commit; refused ones are counted by reason and listed under ``refused``. The git
history collector reads the accepted rows (commit -> approvers) to count reviewed change
sets.

The evidence subject names the repository (``repo``) besides the pipeline run, so the
latest export is kept per repository. It is dated by the latest approval in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from assay.durations import isoformat
from assay.evidence.collectors.ai import _OwnFormatParser
from assay.evidence.collectors.interface import (
    ArtefactTarget,
    CollectContext,
    Part,
    artefact_subject,
)
from assay.evidence.parsing.recognition import Recognition
from assay.evidence.parsing.values import parse_time
from assay.evidence.trust import REFUSALS, SELF_APPROVAL, ReviewerPolicy

REVIEWS_FORMAT = "assay.reviews/v1"
MAX_APPROVALS = 500


def approval_rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Every distinct approval entry of the export, oldest first, accepted or not."""
    rows: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()
    for request in document["pull_requests"]:
        commit = request.get("merge_commit") or request.get("head_commit")
        author = request.get("author")
        for approval in request["approvals"]:
            stamp = parse_time(approval["approved_at"])
            assert stamp is not None  # the schema checked the format
            row = {
                "commit": commit,
                "approver": approval["approver"],
                "author": author,
                "approved_at": isoformat(stamp),
                "pr": request.get("number"),
            }
            key = tuple(row.values())
            if key not in seen:
                seen.add(key)
                rows.append(row)
    rows.sort(key=lambda row: (row["approved_at"], row["commit"], row["approver"]))
    return rows


def review_facts(document: dict[str, Any], policy: ReviewerPolicy | None = None) -> dict[str, Any]:
    """The ``reviews`` facts: counts over every entry, rows for accepted approvals only."""
    rows = approval_rows(document)
    rules = policy or ReviewerPolicy()
    accepted: list[dict[str, Any]] = []
    refused: list[dict[str, Any]] = []
    counts = dict.fromkeys(REFUSALS, 0)
    for row in rows:
        reason = rules.refusal(row["approver"], row["author"])
        if reason is None:
            accepted.append(row)
        else:
            counts[reason] += 1
            refused.append({**row, "reason": reason})
    return {
        "provider": document["provider"],
        "repo": document["repo"],
        "commits": len({row["commit"] for row in rows}),
        "pull_requests": len({(row["pr"], row["commit"]) for row in rows}),
        "approvals_total": len(rows),
        "approvers": len({row["approver"] for row in rows}),
        "self_approvals": counts[SELF_APPROVAL],
        "accepted_approvals": len(accepted),
        "refused_approvals": counts,
        "approvals": accepted[:MAX_APPROVALS],
        "refused": refused[:MAX_APPROVALS],
    }


class ReviewsParser(_OwnFormatParser):
    """``assay.reviews/v1`` -> ``reviews``."""

    name = "reviews-export"
    version = "1.0.0"
    kind = "reviews"
    formats = "assay.reviews/v1 JSON"
    marker = REVIEWS_FORMAT
    schema = "reviews-export"

    def parse(self, target: ArtefactTarget, found: Recognition, context: CollectContext) -> Part:
        document = self.document(target, found)
        stamps = [
            parse_time(approval["approved_at"])
            for request in document["pull_requests"]
            for approval in request["approvals"]
        ]
        latest = max((s for s in stamps if s is not None), default=None)
        facts = review_facts(document, context.reviewers)
        return self.part(target, facts, latest, "application/json")

    def subject(
        self, target: ArtefactTarget, parts: Sequence[Part], context: CollectContext
    ) -> dict[str, Any]:
        return {"repo": parts[0].value["repo"], **artefact_subject(target, context)}
