"""The organisation's Statement of Applicability decisions: ``soa.yaml`` beside ``assay.toml``.

ISO/IEC 27001:2022 clause 6.1.3 d) asks for a statement that holds the necessary
controls, the justification for including each, whether each is implemented, and the
justification for excluding any Annex A control. Whether a control is necessary is the
organisation's decision, not something evidence can show: this file records it, per
requirement (applicable or not, the basis and the words of the justification, the risks
treated, the owner), with the statement's version and approval. The workbook merges it
with what the services' assessments show (:mod:`assay.reports.soa_model`).

The file is validated against the ``soa`` schema and against the loaded catalogs: a
framework or requirement id that does not exist is a located problem (exit 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from assay.errors import Problem, raise_if_problems
from assay.mappings.catalog import Framework
from assay.schemas import check_mapping
from assay.yamlfile import YamlDocument, load_yaml

ANNEX_A_FRAMEWORK = "iso27001-2022"
ANNEX_A_GROUPS = ("A.5", "A.6", "A.7", "A.8")
#: The bases of a decision, as the file writes them and as the workbook words them.
BASES = {
    "risk-treatment": "Risk treatment",
    "legal": "Legal requirement",
    "regulatory": "Regulatory requirement",
    "contractual": "Contractual requirement",
    "business": "Business requirement",
    "best-practice": "Best practice",
}


@dataclass(frozen=True)
class Decision:
    """One requirement's decision."""

    applicable: bool
    basis: tuple[str, ...] = ()
    justification: str = ""
    risks: tuple[str, ...] = ()
    owner: str = ""

    @property
    def basis_words(self) -> str:
        return "; ".join(BASES[item] for item in self.basis)

    def missing(self) -> str:
        """What the decision still lacks ('' when complete)."""
        lacks = []
        if not self.justification.strip():
            lacks.append("justification")
        if self.applicable and not self.basis:
            lacks.append("basis for inclusion")
        return " and ".join(lacks)


@dataclass(frozen=True)
class Decisions:
    """The statement's decisions and its version and approval; empty when no file exists."""

    source: str = ""
    version: str = ""
    approved_by: str = ""
    approved_on: str = ""
    scope: str = ""
    by_framework: Mapping[str, Mapping[str, Decision]] = field(default_factory=dict)

    def get(self, framework: str, requirement: str) -> Decision | None:
        return self.by_framework.get(framework, {}).get(requirement)


def load_decisions(path: Path, frameworks: Mapping[str, Framework], display: str) -> Decisions:
    """The decisions in ``path`` (none when it does not exist), checked against the catalogs."""
    if not path.exists():
        return Decisions()
    document = load_yaml(path, display=display)
    data, problems = check_mapping(document, "soa")
    raise_if_problems(problems)
    assert data is not None
    found: dict[str, dict[str, Decision]] = {}
    for framework_id, entries in data["decisions"].items():
        framework = frameworks.get(framework_id)
        if framework is None:
            known = ", ".join(sorted(frameworks)) or "none"
            problems.append(
                document.problem(
                    ("decisions", framework_id),
                    f"unknown framework '{framework_id}' (loaded: {known})",
                    key=True,
                )
            )
            continue
        ids = {requirement.id for requirement in framework.assessable}
        decided: dict[str, Decision] = {}
        for requirement_id, raw in entries.items():
            if requirement_id not in ids:
                problems.append(_unknown(document, framework_id, requirement_id))
                continue
            decided[requirement_id] = Decision(
                applicable=raw["applicable"],
                basis=tuple(raw.get("basis", ())),
                justification=raw.get("justification", "").strip(),
                risks=tuple(raw.get("risks", ())),
                owner=raw.get("owner", ""),
            )
        found[framework_id] = decided
    raise_if_problems(problems)
    return Decisions(
        source=display,
        version=data["version"],
        approved_by=data.get("approved_by", ""),
        approved_on=data.get("approved_on", ""),
        scope=data.get("scope", ""),
        by_framework=found,
    )


def _unknown(document: YamlDocument, framework_id: str, requirement_id: str) -> Problem:
    return document.problem(
        ("decisions", framework_id, requirement_id),
        f"'{requirement_id}' is not an assessable requirement of {framework_id}",
        key=True,
    )


def annex_a(framework: Framework | None) -> list[str]:
    """The Annex A control ids of the ISO/IEC 27001:2022 catalog, in catalog order."""
    if framework is None:
        return []
    return [
        r.id
        for r in framework.assessable
        if any(r.group == g or (r.group or "").startswith(g + ".") for g in ANNEX_A_GROUPS)
    ]


def incomplete(decisions: Decisions, frameworks: Mapping[str, Framework]) -> list[str]:
    """One line per Annex A control whose decision or justification is missing."""
    framework = frameworks.get(ANNEX_A_FRAMEWORK)
    lines = []
    for requirement_id in annex_a(framework):
        decision = decisions.get(ANNEX_A_FRAMEWORK, requirement_id)
        assert framework is not None
        title = next(r.title for r in framework.requirements if r.id == requirement_id)
        if decision is None:
            lines.append(f"{requirement_id} {title}: no decision")
        elif lacks := decision.missing():
            lines.append(f"{requirement_id} {title}: no {lacks}")
    return lines
