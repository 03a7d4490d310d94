"""The collector plugin interface.

A collector turns one *target* into evidence drafts of the kinds it declares.
Collectors register through the ``assay.collectors`` entry-point group; the
built-ins register there too, so third-party collectors are first-class.

Targets:

- :class:`RepoTarget`: a git repository at a resolved commit (read from git
  objects, never from the working tree);
- :class:`ArtefactTarget`: one artefact file a pipeline left (parsers);
- :class:`EnvironmentTarget`: the CI run context (environment variables).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from assay.evidence.model import EvidenceDraft

ENTRY_POINT_GROUP = "assay.collectors"


@dataclass(frozen=True)
class CollectContext:
    """What every collector may know about the collection run."""

    service: str
    since: timedelta = timedelta(days=90)
    max_artefact_bytes: int = 100 * 1024 * 1024
    tag_pattern: str = "v*"
    ci_run: Mapping[str, Any] | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RepoTarget:
    """A repository at one commit. ``path`` is a local clone (bare or not)."""

    name: str
    path: Path
    commit: str
    branch: str | None
    commit_time: datetime
    files: Mapping[str, str] = field(default_factory=dict)
    #: An SSH allowed-signers file: when set, signatures are also verified against it.
    allowed_signers: Path | None = None
    #: Glob for release tags, when the repository sets its own.
    tag_pattern: str | None = None

    @property
    def branch_label(self) -> str:
        """The branch as evidence names it: ``HEAD`` for a detached head."""
        return self.branch or "HEAD"

    @property
    def subject(self) -> dict[str, Any]:
        """The subject of commit-bound evidence: this repository at this commit."""
        return {"repo": self.name, "branch": self.branch_label, "commit": self.commit}


@dataclass(frozen=True)
class ArtefactTarget:
    """One file a pipeline produced. ``pipeline`` names the service's pipeline, if any."""

    path: Path
    name: str
    data: bytes = field(repr=False)
    pipeline: str | None = None
    commit: str | None = None
    run_id: str | None = None


@dataclass(frozen=True)
class EnvironmentTarget:
    """The process environment of a CI job."""

    environ: Mapping[str, str]


class Collector(ABC):
    """Base of every collector. Subclasses set the class attributes and ``collect``."""

    #: Unique plugin name, also the entry-point name.
    name: ClassVar[str]
    #: Version written into every draft as ``name@version``.
    version: ClassVar[str]
    #: Evidence kinds this collector can produce.
    kinds: ClassVar[tuple[str, ...]]
    #: Which target type it takes: "repo", "artefact" or "environment".
    target: ClassVar[str]

    @property
    def ident(self) -> str:
        return f"{self.name}@{self.version}"

    def accepts(self, target: RepoTarget | ArtefactTarget | EnvironmentTarget) -> bool:
        """For artefact parsers: whether this file is in a format it reads (by content)."""
        return True

    @abstractmethod
    def collect(self, target: Any, context: CollectContext) -> Iterable[EvidenceDraft]:
        """Produce drafts; raise :class:`assay.errors.CollectorError` on unreadable input."""
