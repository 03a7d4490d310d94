"""The interface every gate output format implements."""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assay.assess.gate import GateDecision
    from assay.assess.model import Finding, Result


@dataclass(frozen=True)
class FormatContext:
    """What a format may need beyond the decision.

    ``service_file`` is the service constitution relative to the workspace, the place a
    finding without a file of its own points at. ``environ`` is the process environment
    (GitHub's step summary path comes from it).
    """

    tool_version: str
    service_file: str = ""
    environ: Mapping[str, str] = field(default_factory=dict)


class GateFormat(ABC):
    """Renders a gate decision for one consumer (a person, JUnit, SARIF, a CI system)."""

    name: str = ""

    @abstractmethod
    def render(self, decision: GateDecision, context: FormatContext) -> str:
        """The text printed on standard output."""

    def side_outputs(
        self, decision: GateDecision, context: FormatContext
    ) -> list[tuple[Path, str]]:
        """Files to append to (path, text); most formats have none."""
        del decision, context
        return []


def finding_fingerprint(service: str, result: Result, finding: Finding) -> str:
    """A finding's stable identity across runs (SARIF, GitLab): the same problem in two
    repositories, at the same path and line, is two findings."""
    key = "|".join(
        (service, result.control, finding.repo or "", finding.file, str(finding.line), finding.rule)
    )
    return hashlib.sha256(key.encode("utf-8")).hexdigest()
