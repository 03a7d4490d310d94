"""The control model: a control, its applicability and its tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

SEVERITIES = ("critical", "high", "medium", "low")


def severity_rank(severity: str) -> int:
    """0 for critical up to 3 for low; 4 for a severity this assay does not know."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


@dataclass(frozen=True)
class Applicability:
    """Which services a control applies to (all, when every field is empty)."""

    tags_any: tuple[str, ...] = ()
    tags_all: tuple[str, ...] = ()
    tiers: tuple[int, ...] = ()

    def applies(self, tags: frozenset[str] | set[str], tier: int) -> bool:
        if self.tags_any and not tags.intersection(self.tags_any):
            return False
        if self.tags_all and not set(self.tags_all) <= tags:
            return False
        return not (self.tiers and tier not in self.tiers)

    def describe(self) -> str:
        parts: list[str] = []
        if self.tags_any:
            parts.append("services tagged " + " or ".join(self.tags_any))
        if self.tags_all:
            parts.append("services tagged " + " and ".join(self.tags_all))
        if self.tiers:
            parts.append("tiers " + ", ".join(str(t) for t in self.tiers))
        return "; ".join(parts) if parts else "all services"


@dataclass(frozen=True)
class ControlTest:
    """One test: an evidence kind and the JSON Schema its facts must satisfy, or manual."""

    id: str
    kind: str
    expectation: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    explain: str = ""
    manual: bool = False
    attestation: str = ""
    #: Manual tests: role ids that may sign the attestation (empty: any signer).
    attested_by: tuple[str, ...] = ()
    #: Manual tests: what the supporting document must show, as (``heading`` or
    #: ``field``, text) pairs.
    must_show: tuple[tuple[str, str], ...] = ()
    description: str = ""
    #: A JSON Schema over the facts: when they match, the test is ``unverifiable``.
    unverifiable_when: dict[str, Any] | None = field(default=None, hash=False, compare=False)
    unverifiable_explain: str = ""

    @classmethod
    def from_dict(cls, raw: dict[str, Any], index: int) -> ControlTest:
        """A test from its (schema-valid) YAML shape; ``index`` names it when it has no id."""
        test_id = raw.get("id", f"test-{index + 1}")
        if raw.get("manual"):
            return cls(
                id=test_id,
                kind="manual.attestation",
                manual=True,
                attestation=raw["attestation"],
                description=raw.get("description", ""),
                attested_by=tuple(raw.get("attested_by", ())),
                must_show=tuple(
                    (what, text) for item in raw.get("must_show", ()) for what, text in item.items()
                ),
            )
        return cls(
            id=test_id,
            kind=raw["kind"],
            expectation=raw["expectation"],
            explain=raw["explain"],
            description=raw.get("description", ""),
            unverifiable_when=raw.get("unverifiable_when"),
            unverifiable_explain=raw.get("unverifiable_explain", ""),
        )


@dataclass(frozen=True)
class Control:
    """A control of the library."""

    id: str
    title: str
    statement: str
    family: str
    owner_role: str
    severity: str
    freshness: str
    freshness_delta: timedelta
    tests: tuple[ControlTest, ...]
    applicability: Applicability = Applicability()
    guidance: str = ""
    remediation: str = ""
    references: tuple[str, ...] = ()
    source: str = ""
    #: Role ids that may approve a waiver of this control (empty: the workspace's default).
    approved_by: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "") -> Control:
        """A control from data already valid against the control schema (its YAML shape)."""
        from assay.durations import parse_duration

        applicability = data.get("applicability", {})
        return cls(
            id=data["id"],
            title=data["title"],
            statement=data["statement"],
            family=data["family"],
            owner_role=data["owner_role"],
            severity=data["severity"],
            freshness=data["freshness"],
            freshness_delta=parse_duration(data["freshness"]),
            tests=tuple(
                ControlTest.from_dict(raw, index) for index, raw in enumerate(data["tests"])
            ),
            applicability=Applicability(
                tags_any=tuple(applicability.get("tags_any", ())),
                tags_all=tuple(applicability.get("tags_all", ())),
                tiers=tuple(applicability.get("tiers", ())),
            ),
            guidance=data.get("guidance", ""),
            remediation=data.get("remediation", ""),
            references=tuple(data.get("references", ())),
            source=source,
            approved_by=tuple(data.get("approved_by", ())),
        )

    @property
    def manual_only(self) -> bool:
        return all(test.manual for test in self.tests)

    def to_dict(self) -> dict[str, Any]:
        """The control as plain data, in the shape of its YAML file."""
        data: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "statement": self.statement,
            "family": self.family,
            "owner_role": self.owner_role,
            "severity": self.severity,
            "freshness": self.freshness,
        }
        applicability = {
            key: list(value)
            for key, value in (
                ("tags_any", self.applicability.tags_any),
                ("tags_all", self.applicability.tags_all),
                ("tiers", self.applicability.tiers),
            )
            if value
        }
        if applicability:
            data["applicability"] = applicability
        if self.guidance:
            data["guidance"] = self.guidance
        if self.remediation:
            data["remediation"] = self.remediation
        if self.references:
            data["references"] = list(self.references)
        if self.approved_by:
            data["approved_by"] = list(self.approved_by)
        tests: list[dict[str, Any]] = []
        for test in self.tests:
            item: dict[str, Any] = {"id": test.id}
            if test.description:
                item["description"] = test.description
            if test.manual:
                item.update(manual=True, attestation=test.attestation)
                if test.attested_by:
                    item["attested_by"] = list(test.attested_by)
                if test.must_show:
                    item["must_show"] = [{what: text} for what, text in test.must_show]
            else:
                item.update(kind=test.kind, expectation=test.expectation, explain=test.explain)
                if test.unverifiable_when is not None:
                    item.update(
                        unverifiable_when=test.unverifiable_when,
                        unverifiable_explain=test.unverifiable_explain,
                    )
            tests.append(item)
        data["tests"] = tests
        return data
