"""Where reports come from: the workspace, the store and its sealed assessments.

Reports never assess: they read the assessments ``assay check`` stored and sealed. For
each service in scope the newest stored assessment counts (with ``as_of``: the newest
whose assessment time is at or before it); earlier ones of the same service feed the
trend. The store also gives the evidence, the artefact bytes and the ledger head.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from assay.assess.model import Assessment
from assay.durations import isoformat
from assay.errors import IntegrityError, ReportError
from assay.evidence.model import Evidence
from assay.governance import Governance
from assay.reports.gather import DEFAULT_MAX_ATTACHMENT_BYTES, ReportSources
from assay.workspace import Service, Workspace

#: How many earlier assessments of a service the trend shows at most.
TREND_POINTS = 24


class ReportStore(Protocol):
    """The store operations reports use (:class:`assay.evidence.store.Store` has them)."""

    def latest(
        self, service: str, kinds: Sequence[str], *, as_of: datetime | None = None
    ) -> list[Evidence]: ...

    def get(self, evidence_id: str) -> Evidence | None: ...

    def blob(self, sha256: str) -> bytes: ...

    def head(self) -> tuple[int, str] | None: ...

    def assessments_as_of(
        self, service: str, as_of: datetime | None = None, limit: int = 100
    ) -> list[Any]: ...


@dataclass(frozen=True)
class ReportRequest:
    """What the user asked for: one service or all, a point in time, attachment size."""

    service: str | None = None
    as_of: datetime | None = None
    max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES


@dataclass
class Scope:
    """The services in scope, each with its sources (``None``: never assessed)."""

    governance: Governance
    services: list[tuple[Service, ReportSources | None]]
    notes: list[str] = field(default_factory=list)

    @property
    def assessed(self) -> list[ReportSources]:
        return [sources for _, sources in self.services if sources is not None]


def _records(
    store: ReportStore, service: str, as_of: datetime | None, *, trend: bool = True
) -> list[tuple[Any, Assessment]]:
    """The assessment a report shows (the latest as of ``as_of``) and the trend points
    before it, oldest first, each with its content checked against the seal.

    Chosen in the store by their stored times: only these are read and hash-checked.
    """
    found = []
    limit = TREND_POINTS + 1 if trend else 1
    for record in store.assessments_as_of(service, as_of, limit=limit):
        assessment = Assessment.from_dict(record.payload)
        if assessment.hash != record.hash:
            raise IntegrityError(
                f"stored assessment {record.id[:12]} of {service} does not match its sealed hash",
                hint="run 'assay verify --store'",
            )
        found.append((record, assessment))
    return found[::-1]


def load_scope(
    workspace: Workspace,
    governance: Governance,
    store: ReportStore,
    request: ReportRequest,
    *,
    trend: bool = True,
) -> Scope:
    """Every service in scope with the assessment its reports show; with ``trend=False``
    (a report that shows no trend) only that assessment is read and hash-checked."""
    if request.service is not None:
        services = [workspace.service(request.service)]
    else:
        services = [s for _, s in sorted(workspace.load_services().items())]
        if not services:
            raise ReportError(
                "this workspace has no services",
                hint="describe one in services/<id>.yaml ('assay init' writes an example)",
            )
    head = store.head()
    scope = Scope(governance, [])
    for service in services:
        records = _records(store, service.id, request.as_of, trend=trend)
        if not records:
            scope.services.append((service, None))
            when = f" as of {isoformat(request.as_of)} or earlier" if request.as_of else ""
            scope.notes.append(f"{service.id}: no stored assessment{when}")
            continue
        record, assessment = records[-1]
        if request.as_of is not None and assessment.as_of != request.as_of:
            scope.notes.append(
                f"{service.id}: using the assessment as of {isoformat(assessment.as_of)}, the "
                f"latest stored at or before {isoformat(request.as_of)}"
            )
        if assessment.library_digest != governance.library.digest:
            scope.notes.append(
                f"{service.id}: the control library changed since this assessment; control "
                "statements and tests are shown as they are now"
            )
        history = tuple(a for _, a in records[:-1])
        scope.services.append(
            (
                service,
                ReportSources(
                    governance=governance,
                    service=service,
                    assessment=assessment,
                    evidence=store,
                    ledger_head=head,
                    assessment_id=record.id,
                    history=history,
                    organisation=organisation(workspace),
                ),
            )
        )
    return scope


def organisation(workspace: Workspace) -> str:
    """The organisation ``[workspace]`` names in assay.toml (its name when it names none)."""
    section = workspace.config.get("workspace", {})
    if not isinstance(section, dict):
        return ""
    return str(section.get("organisation") or section.get("name") or "")


def require_assessed(scope: Scope) -> list[ReportSources]:
    """The assessed services; an error naming what to run when there are none."""
    assessed = scope.assessed
    if not assessed:
        which = scope.services[0][0].id if len(scope.services) == 1 else "any service"
        raise ReportError(
            f"no stored assessment for {which}",
            hint="run 'assay check' first (it stores and seals an assessment per service)",
        )
    return assessed
