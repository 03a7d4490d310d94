"""What the CI analysers find in one definition file, and the checks both providers share.

:class:`Definition` is provider-neutral: the GitHub Actions and GitLab CI analysers fill
it, and :mod:`ci_workflows` rolls definitions up into the ``ci.workflows`` facts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assay.evidence.ci.scanning import LineFinder, finditer
from assay.evidence.ci.tables import CiTables
from assay.evidence.ci.wrappers import Follower, WrapperRead

PRE_MERGE = frozenset({"pull_request", "merge_request"})
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
_COMMIT_SHA = re.compile(r"^[0-9a-f]{40}$")
_COMMENT = re.compile(r"^\s*#")


@dataclass(frozen=True, order=True)
class Finding:
    """A dangerous pattern at a file and line."""

    file: str
    line: int
    rule: str
    message: str


@dataclass
class Definition:
    """One parsed definition file (a GitHub workflow or a GitLab pipeline file)."""

    path: str
    provider: str
    name: str | None = None
    triggers: set[str] = field(default_factory=set)
    jobs: int = 0
    steps: int = 0
    tools: set[tuple[str, str]] = field(default_factory=set)
    action_refs: int = 0
    unpinned_actions: list[tuple[int, str]] = field(default_factory=list)
    images: int = 0
    unpinned_images: list[tuple[int, str]] = field(default_factory=list)
    #: GitHub only: top-level permissions declared, and whether read-only.
    permissions_declared: bool = False
    permissions_read_only: bool = False
    write_all: int = 0
    write_scopes: set[str] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)
    #: (environment name, requires approval) per deploying job.
    environments: list[tuple[str, bool | None]] = field(default_factory=list)
    #: Categories of tools that run before merge; None means "every tool, if the
    #: definition runs on pull or merge requests" (GitHub, judged per file).
    pre_merge: set[str] | None = None
    #: Follows wrapper commands (``make ci``, ``tox``, ``npm test`` ...) into the files
    #: they run at the same commit; None classifies the script text alone.
    follower: Follower | None = field(default=None, repr=False, compare=False)
    #: (line, what was read) for every wrapper command met in a script.
    wrappers: list[tuple[int, WrapperRead]] = field(default_factory=list)

    @property
    def categories(self) -> set[str]:
        return {category for category, _ in self.tools}

    @property
    def pre_merge_categories(self) -> set[str]:
        if self.pre_merge is not None:
            return self.pre_merge
        return self.categories if self.triggers & PRE_MERGE else set()

    def finding(self, line: int, rule: str, message: str) -> None:
        self.findings.append(Finding(self.path, max(line, 1), rule, message))

    def image(self, line: int, image: str, tables: CiTables) -> None:
        """A container image: counted, checked for a digest, matched against the tool table."""
        self.images += 1
        if not image_pinned(image):
            self.unpinned_images.append((max(line, 1), image))
        self.tools |= tables.detect("image", image_name(image))

    def script(
        self, line: int, text: str, tables: CiTables, lines: list[str], *, tools: bool = True
    ) -> None:
        """A run:/script: text: tools used, and the script rules (e.g. curl | sh)."""
        cleaned = "\n".join(part for part in text.splitlines() if not _COMMENT.match(part))
        if tools:
            self.tools |= self.run_tools(line, cleaned, tables)
        for rule in tables.script_rules:
            finder = LineFinder(lines, line)
            for match in finditer(rule.pattern, cleaned):
                self.finding(finder.find(match.group(0)), rule.rule, rule.message)

    def run_tools(self, line: int, text: str, tables: CiTables) -> set[tuple[str, str]]:
        """The tools a script text runs: those it names, and through the follower those
        named in the files its wrapper commands run (one level deep)."""
        if self.follower is None:
            return set(tables.detect("run", text))
        found, reads = self.follower.classify(text)
        self.wrappers.extend((line, read) for read in reads)
        return set(found)


def image_pinned(image: str) -> bool:
    """Pinned means an immutable ``@sha256:`` digest; a tag (even a full version) can move."""
    return bool(_DIGEST.search(image.strip().lower()))


def image_name(image: str) -> str:
    """``registry/name:tag@sha256:...`` -> ``registry/name`` (for the tool table)."""
    name = image.strip().removeprefix("docker://").split("@", 1)[0]
    last = name.rsplit("/", 1)
    if ":" in last[-1]:
        last[-1] = last[-1].split(":", 1)[0]
    return "/".join(last).lower()


def action_pinned(ref: str) -> bool:
    """``owner/repo@<40 hex>`` is pinned; a branch, a tag or a short sha is not."""
    _, at, version = ref.partition("@")
    return bool(at) and bool(_COMMIT_SHA.match(version))


def normalise_trigger(name: str) -> str | None:
    """A trigger name in the facts' vocabulary, or None if it cannot be one."""
    mapped = {
        "workflow_dispatch": "manual",
        "repository_dispatch": "api",
        "web": "manual",
        "merge_request_event": "merge_request",
        "external_pull_request_event": "pull_request",
        "trigger": "api",
        "schedules": "schedule",
        "merge_requests": "merge_request",
        "branches": "push",
        "pushes": "push",
        "triggers": "api",
        "pipelines": "pipeline",
    }.get(name, name)
    return mapped if re.fullmatch(r"[a-z][a-z_]*", mapped) else None
