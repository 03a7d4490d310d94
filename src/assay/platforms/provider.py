"""The provider contract: what every platform module offers.

A provider reads one project through a :class:`~assay.platforms.transport.Transport`.
Refusals are values: a :class:`~assay.platforms.model.Reviews` or
:class:`~assay.platforms.model.Protection` whose ``access`` is not ``read`` says what was
refused and what would give access. Only an unreachable platform raises
(:class:`~assay.platforms.transport.PlatformError`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from assay.platforms.ci_model import CiArtefact, CiRun, Download, RunList
from assay.platforms.identity import Platform
from assay.platforms.model import Access, Protection, Reviews
from assay.platforms.transport import Transport


class PlatformProvider(Protocol):
    """Reads one project on one platform."""

    platform: Platform
    transport: Transport

    def reviews(self, branch: str, since: datetime, until: datetime) -> Reviews:
        """The requests merged into ``branch`` in ``[since, until]``, with their approvals."""
        ...

    def protection(self, branch: str) -> Protection:
        """How ``branch`` is protected, and the project's deployment environments."""
        ...

    def ci_runs(self, branch: str | None, commit: str) -> RunList:
        """The CI runs of ``commit`` on ``branch``, newest first (without details)."""
        ...

    def ci_details(self, run: CiRun) -> CiRun | Access:
        """``run`` with its jobs, deployments and artefacts."""
        ...

    def ci_download(self, artefact: CiArtefact, max_bytes: int) -> Download:
        """An artefact archive's bytes, or why not."""
        ...
