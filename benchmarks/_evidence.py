"""Synthetic evidence for the engine and gate benchmarks: every kind the library reads.

Facts are the kinds' documented examples with a few numbers varied per service, so
some controls pass and some fail, as in a real estate of services.
"""

from __future__ import annotations

import copy
import json
import random
from datetime import datetime
from pathlib import Path
from typing import Any

from assay.controls.loader import Library
from assay.evidence.model import EvidenceDraft
from assay.workspace import RepoRef, Service

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "tests" / "data" / "kind-examples"
PER_REPO = {"git.history", "git.tags", "repo.files", "ci.workflows", "reviews"}
RATIOS = ("review_ratio", "signed_ratio", "ticket_ref_ratio", "line_rate", "pass_rate")


def example(kind: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{kind}.json").read_text(encoding="utf-8"))
    return data


def library_kinds(library: Library) -> list[str]:
    return sorted(
        {test.kind for c in library.controls.values() for test in c.tests if not test.manual}
    )


def services(count: int) -> list[Service]:
    """Services of varied tiers and tags, one or two repositories each."""
    tag_sets = [(), ("pii",), ("ai",), ("public-sector", "pii"), ("ai", "internet-facing")]
    found = []
    for number in range(count):
        repos = ("api",) if number % 3 else ("api", "web")
        found.append(
            Service(
                id=f"svc-{number:04d}",
                name=f"Service {number}",
                owner="team@example.org",
                tier=number % 4 + 1,
                tags=frozenset(tag_sets[number % len(tag_sets)]),
                repos=tuple(RepoRef(r, url=f"https://example.org/{number}/{r}.git") for r in repos),
            )
        )
    return found


def drafts(
    service: Service, kinds: list[str], observed: datetime, rng: random.Random
) -> list[EvidenceDraft]:
    made = []
    for kind in kinds:
        subjects: list[dict[str, Any]]
        if kind in PER_REPO:
            subjects = [
                {"repo": r.name, "commit": f"{rng.getrandbits(160):040x}"} for r in service.repos
            ]
        else:
            subjects = [{"pipeline": "ci", "run_id": str(rng.randint(1, 10**6))}]
        for subject in subjects:
            facts = copy.deepcopy(example(kind))
            for name in RATIOS:
                if isinstance(facts.get(name), float):
                    facts[name] = round(rng.uniform(0.7, 1.0), 4)
            made.append(EvidenceDraft(kind, service.id, subject, observed, "bench@1", facts))
    return made
