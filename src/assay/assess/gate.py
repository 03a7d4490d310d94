"""The release gate: a stage policy applied to an assessment gives allow or block.

A stage policy says which result statuses block (``fail``, ``gap``, ``stale``,
``error``), from which control severity up, and optionally for which controls or
families only. ``assay.toml`` may define stages under ``[gate.stages.NAME]``; the
built-in ``merge``, ``release`` and ``deploy`` stages apply otherwise, and a workspace
may override them. ``error`` always blocks for every control in the stage's scope,
whatever the severity: evidence that cannot be read never lets a release through.

A stage may refuse self-reported evidence (``refuse_self_reported``: true, or a list of
the self-reported kinds it refuses, see docs/trust.md): a passing result that rests on
it counts as ``gap`` at that stage, so it blocks wherever a gap blocks. The built-in
``release`` stage refuses unsigned attestations (``manual.attestation``) unless the
workspace sets ``refuse_self_reported`` for it; a workspace stage that overrides a
built-in one keeps the built-in's refusals unless it names its own.

An ``unverifiable`` result (the evidence exists where Assay was not allowed to look)
counts as ``gap`` by default (``unverifiable = "block"``): it blocks wherever a gap
blocks, never less. A stage may set ``unverifiable = "allow"``: such a result then does
not block, and the decision names it on a warning line. A control is let through that
way only when every test of it that did not pass is unverifiable: a gap in another of its
tests, which the control's worst status does not show, still counts as a gap.

Exit codes: 0 allow, 1 block, 2 cannot decide (raised as errors before any decision).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from assay.assess.model import Assessment, Result, worst
from assay.controls.model import Control, severity_rank
from assay.errors import EXIT_FINDINGS, EXIT_OK, GateError

#: The self-reported kind of an unsigned attestation.
ATTESTATION_KIND = "manual.attestation"

#: Statuses a stage's ``block`` list may name.
BLOCKABLE = ("fail", "gap", "stale", "error")


@dataclass(frozen=True)
class StagePolicy:
    """What blocks at one stage."""

    name: str
    block: tuple[str, ...]
    min_severity: str = "low"
    controls: tuple[str, ...] = ()
    families: tuple[str, ...] = ()
    builtin: bool = False
    #: Self-reported kinds refused at this stage; ``("*",)`` refuses every one.
    refuse_self_reported: tuple[str, ...] = ()
    #: ``block``: an unverifiable result counts as gap; ``allow``: it passes with a warning.
    unverifiable: str = "block"

    def refused(self, result: Result) -> tuple[str, ...]:
        """The self-reported kinds a passing result rests on that this stage refuses."""
        if result.status != "pass" or not self.refuse_self_reported:
            return ()
        every = "*" in self.refuse_self_reported
        return tuple(k for k in result.self_reported if every or k in self.refuse_self_reported)

    def status_here(self, result: Result) -> str:
        """The result's status as this stage counts it: refused evidence counts as gap, and
        so does an unverifiable result unless the stage allows those (then it stays
        ``unverifiable``, which no ``block`` list names, unless another test of the control
        has a gap)."""
        if self.refused(result):
            return "gap"
        if result.status != "unverifiable":
            return result.status
        if self.unverifiable != "allow":
            return "gap"
        beside = worst(t.status for t in result.tests if t.status != "unverifiable")
        return "unverifiable" if beside == "pass" else beside

    def allows_unverifiable(self, result: Result) -> bool:
        """Whether this stage lets an unverifiable result through (with a warning)."""
        return self.in_scope(result) and self.status_here(result) == "unverifiable"

    def in_scope(self, result: Result) -> bool:
        if self.controls and result.control not in self.controls:
            return False
        return not (self.families and result.family not in self.families)

    def selects(self, result: Result) -> bool:
        """Whether this stage judges the result at all: in scope and severe enough."""
        return self.in_scope(result) and (
            severity_rank(result.severity) <= severity_rank(self.min_severity)
        )

    def blocks(self, result: Result) -> bool:
        """Whether this result stops the stage."""
        if not self.in_scope(result):
            return False
        if result.status == "error":
            return True
        if self.status_here(result) not in self.block:
            return False
        return severity_rank(result.severity) <= severity_rank(self.min_severity)

    def describe(self) -> str:
        scope = ""
        if self.controls:
            scope += f"; controls {', '.join(self.controls)}"
        if self.families:
            scope += f"; families {', '.join(self.families)}"
        if self.refuse_self_reported:
            kinds = (
                "any" if "*" in self.refuse_self_reported else ", ".join(self.refuse_self_reported)
            )
            scope += f"; refuses self-reported evidence ({kinds}) as gap"
        if self.unverifiable == "allow":
            scope += "; allows unverifiable with a warning"
        else:
            scope += "; unverifiable counts as gap"
        return (
            f"blocks on {', '.join(self.block)} for severity {self.min_severity} and above"
            f"{scope}; error always blocks"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "block": list(self.block),
            "min_severity": self.min_severity,
            "controls": list(self.controls),
            "families": list(self.families),
            "builtin": self.builtin,
            "refuse_self_reported": list(self.refuse_self_reported),
            "unverifiable": self.unverifiable,
        }


#: The stages every workspace has unless ``assay.toml`` overrides them.
DEFAULT_STAGES: dict[str, StagePolicy] = {
    "merge": StagePolicy("merge", ("fail", "error"), "high", builtin=True),
    "release": StagePolicy(
        "release", BLOCKABLE, "medium", builtin=True, refuse_self_reported=(ATTESTATION_KIND,)
    ),
    "deploy": StagePolicy("deploy", BLOCKABLE, "high", builtin=True),
}


def stage_policies(config: Mapping[str, Any]) -> dict[str, StagePolicy]:
    """Built-in stages overlaid with ``[gate.stages.*]`` from ``assay.toml`` (already valid)."""
    stages = dict(DEFAULT_STAGES)
    configured: Mapping[str, Any] = config.get("gate", {}).get("stages", {})
    for name, raw in configured.items():
        base = DEFAULT_STAGES.get(name)
        block = tuple(raw.get("block", base.block if base else BLOCKABLE))
        stages[name] = StagePolicy(
            name=name,
            block=tuple(status for status in BLOCKABLE if status in block),
            min_severity=raw.get("min_severity", base.min_severity if base else "low"),
            controls=tuple(raw.get("controls", ())),
            families=tuple(raw.get("families", ())),
            refuse_self_reported=(
                _refusals(raw["refuse_self_reported"])
                if "refuse_self_reported" in raw
                else (base.refuse_self_reported if base else ())
            ),
            unverifiable=raw.get("unverifiable", base.unverifiable if base else "block"),
        )
    return stages


def _refusals(value: bool | list[str]) -> tuple[str, ...]:
    if value is True:
        return ("*",)
    return tuple(value) if isinstance(value, list) else ()


def stage_policy(config: Mapping[str, Any], stage: str) -> StagePolicy:
    """The policy for ``stage``; :class:`GateError` (exit 2) for an unknown stage."""
    stages = stage_policies(config)
    try:
        return stages[stage]
    except KeyError:
        raise GateError(
            f"unknown stage '{stage}'",
            hint=f"stages: {', '.join(sorted(stages))} (define more under [gate.stages] "
            "in assay.toml)",
        ) from None


def check_scope(policy: StagePolicy, controls: Mapping[str, Control]) -> None:
    """:class:`GateError` when the stage's scope names a control or family the library
    does not have: a typo there would put nothing in scope and let every release through.
    """
    families = {control.family for control in controls.values()}
    unknown = [f"control '{c}'" for c in policy.controls if c not in controls]
    unknown += [f"family '{f}'" for f in policy.families if f not in families]
    if unknown:
        raise GateError(
            f"stage '{policy.name}' names unknown {', '.join(unknown)}",
            hint=f"fix [gate.stages.{policy.name}] in assay.toml ('assay library list' shows "
            f"the controls); families: {', '.join(sorted(families))}",
        )


def result_order(result: Result) -> tuple[int, int, str]:
    """Most severe first, then error before fail before stale before unverifiable before
    gap, then by id."""
    ranks = {"error": 0, "fail": 1, "stale": 2, "unverifiable": 3, "gap": 4}
    status_rank = ranks.get(result.status, 5)
    return (severity_rank(result.severity), status_rank, result.control)


@dataclass(frozen=True)
class GateDecision:
    """What the gate decided for one service at one stage, and why."""

    assessment: Assessment
    policy: StagePolicy
    blocking: tuple[Result, ...]
    #: Non-passing results that do not block here (below the severity, not in scope).
    warnings: tuple[Result, ...]
    #: Waivers in force, and waivers that expired (reported, not applied).
    waived: tuple[Result, ...]
    expired_waivers: tuple[Result, ...]

    @property
    def service(self) -> str:
        return self.assessment.service

    @property
    def stage(self) -> str:
        return self.policy.name

    @property
    def allowed(self) -> bool:
        """Nothing blocks, and the decision rests on evidence: a store holding none for the
        service (a mistyped store URL, a collection that never ran) never allows."""
        return not self.blocking and not self.unfounded

    @property
    def unfounded(self) -> bool:
        """True when the assessment read no stored evidence at all."""
        return not self.assessment.evidence_ids

    @property
    def decision(self) -> str:
        return "allow" if self.allowed else "block"

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.allowed else EXIT_FINDINGS

    @property
    def no_evidence(self) -> bool:
        """True when the assessment read no evidence at all: nothing was collected."""
        return not self.assessment.evidence_ids and any(
            r.status == "gap" for r in self.assessment.results
        )

    @property
    def unverifiable_allowed(self) -> tuple[Result, ...]:
        """Unverifiable results this stage let through: each is named on a warning line."""
        return tuple(r for r in self.warnings if self.policy.allows_unverifiable(r))

    @property
    def in_scope(self) -> tuple[Result, ...]:
        return tuple(r for r in self.assessment.results if self.policy.in_scope(r))

    def summary(self) -> str:
        """One line: the decision and the counts that matter."""
        count = len(self.blocking)
        if self.allowed:
            line = f"allow: {self.service} may pass {self.stage}"
        elif not self.blocking:
            line = (
                f"block: {self.service} may not pass {self.stage}: no evidence is stored "
                f"for {self.service}"
            )
        else:
            noun = "control blocks" if count == 1 else "controls block"
            line = f"block: {self.service} may not pass {self.stage}: {count} {noun}"
        return line

    def hints(self) -> list[str]:
        """What to do next, in order of usefulness."""
        hints: list[str] = []
        if self.no_evidence or self.unfounded:
            hints.append(
                f"no evidence is stored for {self.service}: run 'assay collect --service "
                f"{self.service}' before the gate (or pass --collect)"
            )
        return hints

    def warning_lines(self) -> list[str]:
        """Lines an allowed decision must still carry: unverifiable controls let through."""
        allowed = self.unverifiable_allowed
        return [unverifiable_warning(self.stage, allowed)] if allowed else []

    def facts(self) -> dict[str, Any]:
        """The ``gate.decision`` evidence facts."""
        ids = sorted(r.control for r in self.blocking)
        return {
            "service": self.service,
            "stage": self.stage,
            "decision": self.decision,
            "as_of": _seconds(self.assessment),
            "controls": len(self.in_scope),
            "blocking": len(self.blocking),
            "blocking_controls": ids[:100],
            "by_status": self.assessment.recorded_counts,
            "assessment_hash": self.assessment.hash,
            "library_hash": self.assessment.library_digest,
        }

    def to_dict(self) -> dict[str, Any]:
        """The gate's JSON output."""
        return {
            "service": self.service,
            "stage": self.stage,
            "decision": self.decision,
            "exit_code": self.exit_code,
            "policy": self.policy.to_dict(),
            "as_of": _seconds(self.assessment),
            "assessment_hash": self.assessment.hash,
            "library_digest": self.assessment.library_digest,
            "counts": self.assessment.counts,
            "blocking": [_entry(r) for r in self.blocking],
            "warnings": [_entry(r) for r in self.warnings],
            "waived": [_entry(r) for r in self.waived],
            "expired_waivers": [_entry(r) for r in self.expired_waivers],
            "unverifiable_allowed": [r.control for r in self.unverifiable_allowed],
            "hints": self.hints(),
        }


def unverifiable_warning(stage: str, results: tuple[Result, ...]) -> str:
    """The warning line naming the unverifiable controls a stage let through."""
    ids = ", ".join(r.control for r in results)
    noun = "control is" if len(results) == 1 else "controls are"
    return (
        f"warning: {len(results)} {noun} unverifiable and allowed at stage {stage}: {ids}; "
        "Assay could not look at their evidence (each says what it needs)"
    )


def _seconds(assessment: Assessment) -> str:
    from assay.durations import isoformat

    return isoformat(assessment.as_of)


def _entry(result: Result) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "control": result.control,
        "title": result.title,
        "severity": result.severity,
        "status": result.status,
        "reason": result.reason,
        "reasons": list(result.reasons),
        "fix": result.remediation,
        "evidence_ids": list(result.evidence_ids),
        "findings": [finding.to_dict() for finding in result.findings],
    }
    entry["self_reported"] = list(result.self_reported)
    if result.underlying_status:
        entry["underlying_status"] = result.underlying_status
    if result.waiver is not None:
        entry["waiver"] = result.waiver.to_dict()
    return entry


def _refusal_shown(result: Result, policy: StagePolicy) -> Result:
    """A refused result, with the reason it counts as gap at this stage first."""
    kinds = ", ".join(policy.refused(result))
    why = f"rests on self-reported {kinds}, which stage {policy.name} refuses: counted as gap"
    return replace(result, reasons=(why, *result.reasons))


def _unverifiable_shown(result: Result, policy: StagePolicy) -> Result:
    """An unverifiable result that blocks, with how this stage counted it last."""
    if policy.unverifiable == "allow":
        why = f"another test has a gap, so stage {policy.name} counts it as gap"
    else:
        why = (
            f"stage {policy.name} counts unverifiable as gap: give Assay what it needs to "
            "look, or record a waiver"
        )
    return replace(result, reasons=(*result.reasons, why))


def _shown(result: Result, policy: StagePolicy) -> Result:
    if not policy.in_scope(result):
        return result
    if policy.refused(result):
        return _refusal_shown(result, policy)
    if result.status == "unverifiable" and policy.blocks(result):
        return _unverifiable_shown(result, policy)
    return result


def decide(assessment: Assessment, policy: StagePolicy) -> GateDecision:
    """Apply a stage policy to an assessment."""
    shown = [_shown(r, policy) for r in assessment.results]
    blocking = sorted((r for r in shown if policy.blocks(r)), key=result_order)
    warnings = sorted(
        (
            r
            for r in shown
            if policy.status_here(r) in (*BLOCKABLE, "unverifiable")
            and not policy.blocks(r)
            and policy.in_scope(r)
        ),
        key=result_order,
    )
    waived = sorted((r for r in assessment.results if r.status == "waived"), key=result_order)
    expired = sorted(
        (
            r
            for r in assessment.results
            if r.waiver is not None and r.waiver.state == "expired" and policy.in_scope(r)
        ),
        key=result_order,
    )
    return GateDecision(
        assessment=assessment,
        policy=policy,
        blocking=tuple(blocking),
        warnings=tuple(warnings),
        waived=tuple(waived),
        expired_waivers=tuple(expired),
    )
