"""Where evidence comes from decides what it may prove (docs/trust.md).

Most evidence is *tested*: Assay read it itself from git objects at a commit, or from a
report a tool wrote about the code it ran on. Some is *self-reported*: a claim about
something Assay could not look at, made by whoever could write the input. A kind says so
in its schema (``"x-trust": "self-reported"``): ``reviews`` (an export a CI job wrote of
approvals on the code host) and ``manual.attestation`` (a signed statement). A
``git.history`` record counts as self-reported when approvals from such an export were
used to count its reviewed change sets; the collection attaches those approvals to the
record as the artefact :data:`APPROVALS_ARTEFACT`, so the record itself carries what it
rests on.

Reviews are also checked before they count at all (:class:`ReviewerPolicy`): every
approval needs the change's author, an approver other than that author, and an approver
that is not an automation account unless the workspace allows that account to review.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assay.evidence.kinds import kind_trust
from assay.evidence.model import ArtefactDraft, Evidence

SELF_REPORTED = "self-reported"
TESTED = "tested"

REVIEWS_KIND = "reviews"

#: The artefact a ``git.history`` record carries when self-reported approvals counted.
APPROVALS_ARTEFACT = "self-reported-approvals.json"

#: The artefact a record made from a run pulled from the CI system's API carries (the run
#: and the archives' digests): such evidence was fetched by Assay, not written by a job.
PULLED_ARTEFACT = "ci-pull.json"

#: Name endings that mark an automation account (compared in lower case).
BOT_SUFFIXES: tuple[str, ...] = ("[bot]", "-bot", "bot")

#: Why an approval is refused, as the facts name it.
NO_AUTHOR = "no_author"
SELF_APPROVAL = "self_approval"
BOT = "bot"
REFUSALS: tuple[str, ...] = (NO_AUTHOR, SELF_APPROVAL, BOT)


def self_reported_source(record: Evidence) -> str | None:
    """The self-reported kind a stored record rests on, or ``None`` when it is tested.

    A record of a self-reported kind rests on itself; a ``git.history`` record that
    counted approvals from a review export rests on ``reviews``.
    """
    if kind_trust(record.kind) == SELF_REPORTED:
        return record.kind
    if any(artefact.name == APPROVALS_ARTEFACT for artefact in record.artefacts):
        return REVIEWS_KIND
    return None


@dataclass(frozen=True)
class ReviewerPolicy:
    """Who may count as a reviewer: ``[collect]`` in assay.toml.

    ``automation_accounts`` are more names that are bots whatever they end with;
    ``allowed_bot_reviewers`` are bots whose approvals the workspace accepts.
    """

    automation_accounts: frozenset[str] = frozenset()
    allowed_bot_reviewers: frozenset[str] = frozenset()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ReviewerPolicy:
        collect = config.get("collect", {})
        return cls(
            frozenset(n.lower() for n in collect.get("automation_accounts", ())),
            frozenset(n.lower() for n in collect.get("allowed_bot_reviewers", ())),
        )

    def is_bot(self, name: str) -> bool:
        lowered = name.strip().lower()
        return lowered in self.automation_accounts or lowered.endswith(BOT_SUFFIXES)

    def refusal(self, approver: object, author: object) -> str | None:
        """Why this approval is not one (a :data:`REFUSALS` entry), or ``None``."""
        if not isinstance(author, str) or not author.strip():
            return NO_AUTHOR
        if not isinstance(approver, str) or approver.strip().lower() == author.strip().lower():
            return SELF_APPROVAL
        lowered = approver.strip().lower()
        if self.is_bot(approver) and lowered not in self.allowed_bot_reviewers:
            return BOT
        return None


def approvals_artefact(
    approvals: Mapping[str, Sequence[str]], sources: Iterable[str] = ()
) -> ArtefactDraft:
    """The approvals a history record counted, as the artefact that marks it self-reported."""
    body = {
        "trust": SELF_REPORTED,
        "sources": sorted(set(sources)),
        "approvals": {sha: sorted(set(names)) for sha, names in sorted(approvals.items())},
    }
    data = json.dumps(body, indent=2, sort_keys=True).encode("utf-8") + b"\n"
    return ArtefactDraft(APPROVALS_ARTEFACT, data, "application/json")
