"""What a provider reads of a CI system: runs, their jobs, approvals and artefacts.

The same shapes for GitHub Actions (workflow runs) and GitLab CI (pipelines). Plain frozen
values; ``to_facts()`` gives the JSON the ``ci.run`` evidence keeps. Times are aware UTC
datetimes, or None when the CI system does not say.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from assay.durations import isoformat
from assay.platforms.model import Access


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else isoformat(moment)


@dataclass(frozen=True)
class CiJob:
    """One job of a run, with its result (``conclusion``: success, failure, skipped...)."""

    name: str
    status: str
    conclusion: str | None
    started_at: datetime | None = None
    finished_at: datetime | None = None

    def to_facts(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "conclusion": self.conclusion,
            "started_at": _time(self.started_at),
            "finished_at": _time(self.finished_at),
        }


@dataclass(frozen=True)
class CiApproval:
    """Someone's decision on a deployment (``state``: approved, rejected...)."""

    user: str
    state: str
    at: datetime | None = None

    def to_facts(self) -> dict[str, Any]:
        return {"user": self.user, "state": self.state, "at": _time(self.at)}


#: Deployment reviews kept per environment (the ``ci.run`` kind's cap).
MAX_APPROVALS = 200


@dataclass(frozen=True)
class CiDeployment:
    """A deployment environment the run touched, and who approved going there."""

    environment: str
    status: str | None = None
    approvals: tuple[CiApproval, ...] = ()

    def to_facts(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "status": self.status,
            # The newest reviews, as many as the kind keeps (a hostile answer may list more).
            "approvals": [a.to_facts() for a in self.approvals[-MAX_APPROVALS:]],
        }


@dataclass(frozen=True)
class CiArtefact:
    """An artefact archive of a run: GitHub's artifact, GitLab's job artifacts archive.

    ``download`` is the API path that serves it; ``digest`` is the platform's own
    ``sha256:...`` when it gives one (checked against what was downloaded).
    """

    id: str
    name: str
    download: str
    size: int | None = None
    expired: bool = False
    expires_at: datetime | None = None
    digest: str | None = None


#: What came of asking for an artefact: ``read``; ``expired`` (the CI system no longer
#: keeps it: expired, or answered 410); ``missing`` (404); ``refused`` (401/403);
#: ``too_large`` (over the size cap; not read further).
DownloadStatus = Literal["read", "expired", "missing", "refused", "too_large"]


@dataclass(frozen=True)
class Download:
    status: DownloadStatus
    data: bytes | None = None
    reason: str | None = None


@dataclass(frozen=True)
class CiRun:
    """One run (GitHub workflow run, GitLab pipeline) of a commit on a branch."""

    provider: str
    repository: str
    run_id: str
    attempt: int
    workflow: str | None
    #: The definition file (GitHub ``.github/workflows/x.yml``); None on GitLab.
    path: str | None
    commit: str
    branch: str | None
    event: str
    status: str
    conclusion: str | None
    url: str | None
    actor: str | None
    started_at: datetime | None
    finished_at: datetime | None
    #: Whatever changes when the run does (attempt, status, last update): a kept pull
    #: with the same fingerprint is the same run, unchanged.
    fingerprint: str
    jobs: tuple[CiJob, ...] = ()
    #: None when the CI system's deployments could not be read.
    deployments: tuple[CiDeployment, ...] | None = ()
    artefacts: tuple[CiArtefact, ...] = ()

    @property
    def completed(self) -> bool:
        return self.status == "completed"


@dataclass(frozen=True)
class RunList:
    """The runs of one commit on one branch, newest first; ``access`` says whether the
    list could be read at all."""

    access: Access
    runs: tuple[CiRun, ...] = ()
