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

from assay.platforms.identity import Platform
from assay.platforms.model import Protection, Reviews
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
