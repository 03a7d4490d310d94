"""``check`` and ``gate``: from a workspace to assessments stored, sealed and decided.

Each function takes a frozen options object and returns what it did as a value; the
command line only parses options into it and prints the result. Both

1. open the workspace (named, or found by walking up from the working directory) and
   load its library, services, waivers and attestations together;
2. open the store (:func:`assay.workspace.resolve_store_url`); only ``gate --collect``,
   which writes evidence first, may create it: an assessment of a store that is not there
   (a mistyped URL, say) cannot be decided;
3. assess with the one :class:`~assay.assess.engine.Assessor` :func:`build_assessor`
   makes from those inputs;
4. store each assessment and seal it into the ledger. The gate also decides, and records
   its decision as ``gate.decision`` evidence in the same transaction.

Problems are :class:`~assay.errors.AssayError` subclasses, raised before anything is
stored where they can be: an unknown service or stage, an invalid workspace, a library
with no controls, a stage whose scope names what the library does not have or that
selects none of the service's controls, a store that does not exist, an ``as_of`` in the
future (a recorded decision dated later than now would stay the latest one).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay.assess.engine import AssessOptions, Assessor
from assay.assess.gate import GateDecision, check_scope, decide, stage_policy
from assay.assess.inputs import Inputs, load_inputs
from assay.assess.model import Assessment
from assay.assess.sealing import seal, seal_decision
from assay.durations import CLOCK_SKEW, isoformat, not_after_now, utc_now
from assay.errors import AssessmentError, GateError, LibraryError
from assay.evidence.store import collection_context, open_store
from assay.workspace import Service, Workspace, open_workspace, resolve_store_url

if TYPE_CHECKING:
    from assay.evidence.collect_results import CollectReport
    from assay.evidence.reader import EvidenceReader
    from assay.evidence.store import Store


@dataclass(frozen=True)
class CheckOptions:
    """What to check.

    ``service=None`` checks every service of the workspace. ``as_of=None`` means now:
    one moment for every service. ``workspace=None`` finds the workspace from the working
    directory; ``store_url=None`` uses the workspace's store. ``context`` is stored with
    each seal; ``None`` is this run's collection context (the CI variables).
    """

    service: str | None = None
    as_of: datetime | None = None
    workspace: Path | None = None
    store_url: str | None = None
    context: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Sealed:
    """An assessment as stored: ``record_id`` is its record in the store."""

    record_id: str
    assessment: Assessment


@dataclass(frozen=True)
class CheckRun:
    """Every assessment a check stored, in service id order."""

    sealed: tuple[Sealed, ...]

    @property
    def assessments(self) -> tuple[Assessment, ...]:
        return tuple(item.assessment for item in self.sealed)

    @property
    def failing(self) -> tuple[Assessment, ...]:
        """Assessments with a control that is fail, gap, unverifiable, stale or error."""
        return tuple(a for a in self.assessments if a.problems)


@dataclass(frozen=True)
class GateOptions:
    """Whether ``service`` may pass ``stage``.

    ``collect`` collects the service's evidence into the store first. ``as_of=None``
    means now. ``workspace``, ``store_url`` and ``context`` as for :class:`CheckOptions`.
    """

    service: str
    stage: str
    as_of: datetime | None = None
    collect: bool = False
    workspace: Path | None = None
    store_url: str | None = None
    context: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class GateRun:
    """The decision, recorded. ``collected`` is the collection ``collect`` ran, if any."""

    service: Service
    decision: GateDecision
    record_id: str
    collected: CollectReport | None = None


def build_assessor(inputs: Inputs, reader: EvidenceReader) -> Assessor:
    """The assessor for a workspace's inputs: its library, waivers and attestations."""
    return Assessor(inputs.library, reader, inputs.waivers, inputs.attestations, inputs.people)


def check(options: CheckOptions) -> CheckRun:
    """Assess the selected services, store each assessment and seal it."""
    moment = _recordable(options.as_of) or utc_now()
    ws = open_workspace(options.workspace)
    inputs = _load_inputs(ws)
    services = inputs.selected(options.service)
    context = _context(options.context)
    sealed: list[Sealed] = []
    with _open_store(ws, options.store_url, create=False) as store:
        assessor = build_assessor(inputs, store)
        for service in services:
            assessment = assessor.assess(service, AssessOptions(as_of=moment))
            record = seal(store, assessment, context)
            sealed.append(Sealed(record.id, assessment))
    return CheckRun(tuple(sealed))


def gate(
    options: GateOptions, *, on_collected: Callable[[CollectReport], None] | None = None
) -> GateRun:
    """Decide whether the service may pass the stage, and record the decision.

    Fails closed: an unknown stage or service, an invalid workspace, a stage scope naming
    unknown controls, or a failed ``collect`` raise before any decision is recorded.
    ``on_collected`` hears of the collection as soon as it is stored.
    """
    _recordable(options.as_of)
    ws = open_workspace(options.workspace)
    policy = stage_policy(ws.config, options.stage)
    inputs = _load_inputs(ws, only=options.service)
    check_scope(policy, inputs.library.controls)
    target = inputs.service(options.service)
    context = _context(options.context)
    collected = None
    with _open_store(ws, options.store_url, create=options.collect) as store:
        if options.collect:
            collected = _collect(ws, store, target.id)
            if on_collected is not None:
                on_collected(collected)
        assessment = build_assessor(inputs, store).assess(
            target, AssessOptions(as_of=options.as_of)
        )
        decision = decide(assessment, policy)
        if not any(policy.selects(result) for result in assessment.results):
            raise GateError(
                f"stage '{policy.name}' selects none of the controls that apply to "
                f"{target.id}: there is nothing to decide on",
                hint=f"check [gate.stages.{policy.name}] in assay.toml and the service's "
                "tier and tags",
            )
        record = seal_decision(store, decision, context)
    return GateRun(target, decision, record.id, collected)


def _recordable(as_of: datetime | None) -> datetime | None:
    """``as_of``, if a command that records may use it: never in the future.

    A stored assessment or decision dated later than now would stay the latest one until
    that date; reports, which record nothing, may read as of any time.
    """
    if as_of is not None and not not_after_now(as_of):
        skew = int(CLOCK_SKEW.total_seconds() // 60)
        raise AssessmentError(
            f"--as-of {isoformat(as_of)} is in the future: check and gate record what "
            "they decide, and may not date it after now",
            hint=f"omit --as-of, or give a time no later than {skew} minutes from now; "
            "'assay report' reads as of any past time",
        )
    return as_of


def _context(given: Mapping[str, Any] | None) -> dict[str, Any]:
    return dict(given) if given is not None else collection_context()


def _load_inputs(ws: Workspace, only: str | None = None) -> Inputs:
    """The workspace's inputs; a library with no controls cannot decide anything (exit 2)."""
    inputs = load_inputs(ws, only=only)
    if not inputs.library.controls:
        raise LibraryError(
            "the control library is empty: nothing can be assessed or gated",
            hint="set library.builtin = true in assay.toml, or add controls under library.paths",
        )
    return inputs


def _open_store(ws: Workspace, store_url: str | None, *, create: bool) -> Store:
    return open_store(resolve_store_url(store_url, ws), create=create)


def _collect(ws: Workspace, store: Store, service: str) -> CollectReport:
    """Collect the service's evidence; a failed collection means no decision (exit 2)."""
    from assay.errors import CollectorError
    from assay.evidence.collect import CollectOptions, collect

    report = collect(ws, store, CollectOptions(services=(service,)))
    if report.failures:
        lines = [line for failure in report.failures for line in failure.lines]
        raise CollectorError(
            f"--collect: {service} could not be collected: " + "; ".join(lines),
            hint="fix the collection problem, or run the gate without --collect",
        )
    return report
