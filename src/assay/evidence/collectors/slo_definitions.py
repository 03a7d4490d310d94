"""``slo.definitions``: the service level objectives a repository defines at one commit.

Which files: those ``repo.files`` lists as ``slo_definitions`` (``*.slo.yaml``,
``*.openslo.yaml``, ``slo.yaml``, ``slos.yaml``, YAML under ``slo/``, ``slos/``,
``openslo/`` ...), or the path the service's repo entry names under ``files:
{slo_definitions: ...}``. They are listed with ``git ls-tree`` and read with ``git
cat-file`` at the commit, never from the working tree. A symbolic link is a blob holding
its target's name: it is never followed or parsed. The formats and the rules for error
budget policies and alerting are in :mod:`assay.evidence.repofiles.slo_formats`.

One record per repository, always, with the repository at the commit as its subject:

- the repository has SLO files: the objectives they define (``source: repository``);
- it has none, and the service file declares ``slos``: those objectives, with their
  policy and alerting references checked against this commit (``source: service``);
- neither: ``objectives: 0`` (``source: none``), so a control that needs SLOs fails with
  its own explanation instead of reporting missing evidence.

Emitting a record even when nothing is defined keeps one current record per repository:
a repository whose SLO files were deleted does not go on being judged by the record of
an older commit, and the service file's SLOs are never counted twice.

A file that cannot be read (bad YAML, an alias bomb, over 1 MiB, a link, not a known SLO
format, a document without a target ...) does not stop collection. It is listed under
``unreadable_files`` with its line and counted in ``unreadable``, its objectives are not
counted, and OPS-01 requires ``unreadable`` to be 0: what could not be checked never
passes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assay.errors import InvalidInput
from assay.evidence.collectors.interface import CollectContext, Collector, RepoTarget
from assay.evidence.collectors.repo_files import Entry, read_tree
from assay.evidence.git.policy import Git, ObjectReader
from assay.evidence.model import EvidenceDraft
from assay.evidence.repofiles.governance import RULES, match_rule
from assay.evidence.repofiles.slo_formats import (
    BadDefinition,
    Exists,
    Objective,
    format_of,
    read_document,
    simple_form,
)
from assay.yamlfile import decode_text, parse_yaml

MAX_FILE_BYTES = 1024 * 1024
MAX_FILES = 200
LISTED = 100
UNREADABLE_LISTED = 50

_RULE = next(rule for rule in RULES if rule.key == "slo_definitions")
# A line that is only a document separator (optionally with a comment).
_SEPARATOR = re.compile(r"(?m)^---[ \t]*(?:#[^\n]*)?$")


@dataclass(frozen=True, slots=True)
class Unreadable:
    """An SLO definition that could not be read, and why."""

    file: str
    line: int
    message: str

    def fact(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "message": self.message}


@dataclass
class Findings:
    """What the SLO files of one commit define."""

    objectives: list[Objective]
    unreadable: list[Unreadable]
    files: list[str]
    source: str


def split_documents(text: str) -> list[tuple[int, str]]:
    """The documents of a multi-document YAML text, each with the lines before it."""
    parts: list[tuple[int, str]] = []
    start = 0
    for separator in _SEPARATOR.finditer(text):
        parts.append((text.count("\n", 0, start), text[start : separator.start()]))
        start = separator.end()
    parts.append((text.count("\n", 0, start), text[start:]))
    return parts


def _is_rule_file(data: Any) -> bool:
    """Prometheus rule files (``groups:``), e.g. what Sloth generates next to its specs."""
    return isinstance(data, dict) and isinstance(data.get("groups"), list) and "slos" not in data


def read_file(path: str, raw: bytes, exists: Exists) -> tuple[list[Objective], list[Unreadable]]:
    """Objectives of every document in one file, and what could not be read.

    A document that cannot be read is reported and skipped; the file's other documents
    still count.
    """
    try:
        text = decode_text(raw, path)
    except InvalidInput as exc:
        return [], [_from_problem(path, 0, exc)]
    objectives: list[Objective] = []
    problems: list[Unreadable] = []
    for offset, part in split_documents(text):
        try:
            document = parse_yaml(
                part, path, max_bytes=MAX_FILE_BYTES, lenient_tags=True, allow_empty=True
            )
        except InvalidInput as exc:
            problems.append(_from_problem(path, offset, exc))
            continue
        if document.data is None or _is_rule_file(document.data):
            continue
        if format_of(document.data) is None:
            line = offset + document.locate(())[0]
            message = "not an OpenSLO, Sloth or simple-form SLO definition"
            problems.append(Unreadable(path, line, message))
            continue
        try:
            objectives.extend(read_document(document.data, exists))
        except BadDefinition as exc:
            line = offset + document.locate(exc.path)[0]
            problems.append(Unreadable(path, line, exc.message))
    return objectives, problems


def _from_problem(path: str, offset: int, exc: InvalidInput) -> Unreadable:
    first = exc.problems[0] if exc.problems else None
    line = (first.line or 1) if first else 1
    message = first.message if first else "cannot be read"
    return Unreadable(path, offset + line, f"cannot be read: {message}")


def find_definitions(
    git: Git, target: RepoTarget, service_slos: Sequence[Mapping[str, Any]], service: str
) -> Findings:
    """The SLO files of the commit (or the service file's SLOs), read; see the module doc."""
    entries = read_tree(git, target.commit)
    blobs = sorted(path for path, entry in entries.items() if entry.kind == "blob")
    regular = frozenset(path for path in blobs if not entries[path].symlink)
    trees = frozenset(path for path, entry in entries.items() if entry.kind == "tree")
    match = match_rule(_RULE, blobs, trees, target.files.get(_RULE.key))
    paths = match.paths

    def exists(path: str) -> bool:
        return path in regular

    if not paths:
        if not service_slos:
            return Findings([], [], [], "none")
        try:
            declared = simple_form(list(service_slos), exists)
        except BadDefinition as exc:
            where = f"services/{service}.yaml"
            return Findings([], [Unreadable(where, 1, exc.message)], [], "service")
        return Findings(declared, [], [], "service")
    problems: list[Unreadable] = []
    readable: list[tuple[str, Entry]] = []
    for path in paths[:MAX_FILES]:
        entry = entries[path]
        if entry.symlink:
            problems.append(Unreadable(path, 1, "a symbolic link: not followed"))
        elif entry.size is not None and entry.size > MAX_FILE_BYTES:
            message = f"file is {entry.size:,} bytes, over the {MAX_FILE_BYTES:,} byte limit"
            problems.append(Unreadable(path, 1, message))
        else:
            readable.append((path, entry))
    if len(paths) > MAX_FILES:
        message = f"{len(paths) - MAX_FILES} more SLO files after the first {MAX_FILES} not read"
        problems.append(Unreadable(paths[MAX_FILES], 1, message))
    contents = _read_blobs(git, [entry.oid for _, entry in readable])
    objectives: list[Objective] = []
    for path, entry in readable:
        found, bad = read_file(path, contents.get(entry.oid, b""), exists)
        objectives.extend(found)
        problems.extend(bad)
    return Findings(objectives, problems, list(paths), "repository")


def _read_blobs(git: Git, oids: Sequence[str]) -> dict[str, bytes]:
    wanted = sorted(set(oids))
    reader = ObjectReader(git)
    return {
        oid: head for oid, kind, _, head in reader.read(wanted, MAX_FILE_BYTES) if kind == "blob"
    }


def definitions_facts(findings: Findings) -> dict[str, Any]:
    """The ``slo.definitions`` facts."""
    ordered = sorted(
        findings.objectives, key=lambda o: (o.name, o.target, o.window, o.sli, o.alerting)
    )
    problems = sorted(findings.unreadable, key=lambda u: (u.file, u.line, u.message))
    return {
        "source": findings.source,
        "files": sorted(findings.files)[:LISTED],
        "objectives": len(ordered),
        "slos": [objective.fact() for objective in ordered[:LISTED]],
        "with_error_budget_policy": sum(1 for o in ordered if o.error_budget_policy),
        "with_alerting": sum(1 for o in ordered if o.alerting),
        "min_target": min((o.target for o in ordered), default=1.0),
        "unreadable": len(problems),
        "unreadable_files": [problem.fact() for problem in problems[:UNREADABLE_LISTED]],
    }


class SloDefinitionsCollector(Collector):
    """OpenSLO, Sloth and simple-form SLO files at a commit -> ``slo.definitions``."""

    name = "slo.definitions"
    version = "1.0.0"
    kinds = ("slo.definitions",)
    target = "repo"

    def accepts(self, target: Any) -> bool:
        return isinstance(target, RepoTarget)

    def collect(self, target: RepoTarget, context: CollectContext) -> Iterable[EvidenceDraft]:
        findings = find_definitions(
            Git(target.path, target.name), target, context.service_slos, context.service
        )
        yield EvidenceDraft(
            kind="slo.definitions",
            service=context.service,
            subject=target.subject,
            observed_at=target.commit_time,
            collector=self.ident,
            facts=definitions_facts(findings),
        )
