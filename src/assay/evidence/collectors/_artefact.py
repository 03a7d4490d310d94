"""The common shape of artefact parsers: recognise, parse each file, summarise into facts.

A parser reads one format family and produces evidence of one kind. Parsing is split in
two so several files can become one record:

- :meth:`ArtefactParser.parse` reads one file into a :class:`Part` (a parser-specific
  summary plus the time the file says it describes);
- :meth:`ArtefactParser.summarise` turns parts into facts.

Kinds whose facts add up (test results, coverage, static analysis, dependency scans) set
``mergeable``: every such file a pipeline run left becomes a single record carrying all
of them as artefacts. This matters because assessments read the latest record per kind
and pipeline: two separate SARIF records from one run would hide each other.

Evidence subject and time, the same for every parser:

- subject ``{"pipeline": <pipeline name or "artefacts">, "run_id": ..., "commit": ...}``,
  with the run id and commit of the CI run when one is known (``CollectContext.ci_run``),
  else those given with the artefact;
- ``observed_at``: the latest time stated inside the files (a JUnit timestamp, a SARIF
  invocation's end, an SBOM's creation time ...); else the CI run's start; else the
  file's modification time (or a zip member's stored date). Never the clock, so the same
  files give the same evidence id.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from assay.evidence.collectors._safe import Sniff, check_size, parse_time, refuse, sniff
from assay.evidence.collectors.interface import (
    ArtefactTarget,
    CollectContext,
    Collector,
    EnvironmentTarget,
    RepoTarget,
)
from assay.evidence.model import ArtefactDraft, EvidenceDraft

DEFAULT_PIPELINE = "artefacts"


@dataclass(frozen=True)
class ArtefactFile(ArtefactTarget):
    """An artefact target that also knows when the file was written (its fallback time)."""

    modified_at: datetime | None = None


@dataclass
class Part:
    """What one file contributed: a parser-specific ``value`` and the time it states."""

    name: str
    value: Any
    observed_at: datetime | None
    artefact: ArtefactDraft


def artefact_subject(target: ArtefactTarget, context: CollectContext) -> dict[str, Any]:
    """The evidence subject of an artefact: its pipeline, bound to the CI run when known."""
    run = context.ci_run or {}
    return {
        "pipeline": target.pipeline or DEFAULT_PIPELINE,
        "run_id": str(run["run_id"]) if run.get("run_id") else target.run_id,
        "commit": run.get("commit") or target.commit,
    }


def subject_commit(target: ArtefactTarget, context: CollectContext) -> str | None:
    commit = artefact_subject(target, context)["commit"]
    return commit if isinstance(commit, str) else None


def fallback_time(target: ArtefactTarget, context: CollectContext) -> datetime | None:
    """The CI run's start, else the file's own time; None when neither is known."""
    run = context.ci_run or {}
    started = parse_time(run.get("started_at"))
    if started is not None:
        return started
    modified = getattr(target, "modified_at", None)
    if isinstance(modified, datetime):
        return modified.astimezone(UTC)
    try:
        stat = target.path.stat()
    except OSError:
        return None
    return datetime.fromtimestamp(int(stat.st_mtime), UTC)


class ArtefactParser(Collector):
    """Base of the built-in artefact parsers."""

    target: ClassVar[str] = "artefact"
    #: The one kind this parser produces.
    kind: ClassVar[str]
    #: Several files of this kind from one pipeline run become one record.
    mergeable: ClassVar[bool] = False
    #: Short description of the formats, used in "not a ... file" messages.
    formats: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__:
            cls.kinds = (cls.kind,)

    def accepts(self, target: RepoTarget | ArtefactTarget | EnvironmentTarget) -> bool:
        if not isinstance(target, ArtefactTarget):
            return False
        return self.recognise(sniff(target.data, target.name))

    @abstractmethod
    def recognise(self, found: Sniff) -> bool:
        """Whether the content is in a format this parser reads (truncated files included)."""

    @abstractmethod
    def parse(self, target: ArtefactTarget, found: Sniff, context: CollectContext) -> Part:
        """Read one file; raise :class:`ArtefactError` when it cannot be read."""

    @abstractmethod
    def summarise(self, parts: Sequence[Part]) -> dict[str, Any]:
        """The facts of the kind, from one part (or several, for mergeable kinds)."""

    # ------------------------------------------------------------------ driving

    def read(self, target: ArtefactTarget, context: CollectContext) -> Part:
        check_size(target.name, len(target.data), context.max_artefact_bytes)
        found = sniff(target.data, target.name)
        try:
            if not self.recognise(found):
                raise refuse(target.name, f"not a {self.formats} file")
            return self.parse(target, found, context)
        except (TypeError, ValueError, AttributeError, KeyError, OverflowError) as exc:
            # A recognised file with a field of the wrong shape (a number where a list
            # belongs, a 400-digit score): refuse the file, by name, like any other.
            raise refuse(target.name, f"a field has the wrong type or value ({exc})") from None
        except RecursionError:
            raise refuse(target.name, "nested too deeply to read") from None

    def part(
        self, target: ArtefactTarget, value: Any, observed_at: datetime | None, media_type: str
    ) -> Part:
        """A :class:`Part` carrying the file's bytes as its artefact."""
        return Part(
            target.name, value, observed_at, ArtefactDraft(target.name, target.data, media_type)
        )

    def collect(self, target: Any, context: CollectContext) -> Iterable[EvidenceDraft]:
        return self.collect_all([target], context)

    def collect_all(
        self, targets: Sequence[ArtefactTarget], context: CollectContext
    ) -> list[EvidenceDraft]:
        """Drafts for files of one pipeline run: one merged draft, or one per file."""
        if not targets:
            return []
        parts = [self.read(target, context) for target in targets]
        pairs = list(zip(targets, parts, strict=True))
        groups = [pairs] if self.mergeable else [[pair] for pair in pairs]
        return [self._draft(group, context) for group in groups]

    def _draft(
        self, group: list[tuple[ArtefactTarget, Part]], context: CollectContext
    ) -> EvidenceDraft:
        first = group[0][0]
        stated = [part.observed_at for _, part in group if part.observed_at is not None]
        observed = max(stated) if stated else None
        if observed is None:
            fallbacks = [t for t in (fallback_time(target, context) for target, _ in group) if t]
            observed = max(fallbacks) if fallbacks else None
        if observed is None:
            raise refuse(
                first.name,
                "no time to date this evidence by: the file states none, there is no CI run, "
                "and the file has no modification time",
            )
        parts = [part for _, part in group]
        return EvidenceDraft(
            kind=self.kind,
            service=context.service,
            subject=self.subject(first, parts, context),
            observed_at=observed.replace(microsecond=0),
            collector=self.ident,
            facts=self.summarise(parts),
            artefacts=tuple(part.artefact for part in parts),
        )

    def subject(
        self, target: ArtefactTarget, parts: Sequence[Part], context: CollectContext
    ) -> dict[str, Any]:
        return artefact_subject(target, context)
