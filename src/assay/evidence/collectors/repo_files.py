"""``repo.files``: the governance files in a repository's tree at one commit.

Everything is read from git objects, never the working tree: ``git ls-tree`` lists
the tree, ``git cat-file --batch`` reads blobs, and one path-limited ``git log``
finds when each kind of file last changed (stopped as soon as every kind is
dated). A symbolic link is a blob whose content is the link target: it is reported
as a link and never followed or parsed, so ``CODEOWNERS -> /etc/passwd`` reads
nothing outside the repository. Submodules are listed by git as commits and skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from assay.durations import isoformat
from assay.errors import CollectorError
from assay.evidence.collectors.interface import CollectContext, Collector, RepoTarget
from assay.evidence.git.policy import Git, ObjectReader, records
from assay.evidence.model import EvidenceDraft
from assay.evidence.repofiles import file_facts
from assay.evidence.repofiles.governance import (
    DOCUMENT,
    NOT_A_DOCUMENT,
    RULE_KEYS,
    RULES,
    Match,
    match_rule,
    unknown_keys,
)

#: Bytes of a governance file that are parsed; the rest is ignored.
MAX_PARSE_BYTES = 1024 * 1024
#: Bytes git itself looks at to decide whether a file is binary.
SNIFF_BYTES = 8000
PATHS_LISTED = 100
BINARIES_LISTED = 50
MAX_PATHSPECS = 1000

SYMLINK = "120000"

# Binary content that is not code: images and fonts, recognised by their magic numbers.
_MEDIA_MAGIC = (
    b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"\x00\x00\x01\x00",
    b"wOFF", b"wOF2", b"OTTO", b"\x00\x01\x00\x00\x00",
)  # fmt: skip
_ALLOWED_BINARY_SUFFIXES = ("gradle/wrapper/gradle-wrapper.jar",)


@dataclass(frozen=True, slots=True)
class Entry:
    mode: str
    kind: str  # blob, tree or commit
    oid: str
    size: int | None

    @property
    def symlink(self) -> bool:
        return self.mode == SYMLINK


def read_tree(git: Git, commit: str) -> dict[str, Entry]:
    """Every entry of the commit's tree, recursively, by repository-relative path."""
    entries: dict[str, Entry] = {}
    with git.stream("ls-tree", "-r", "-t", "-z", "--full-tree", "--long", commit, "--") as out:
        for record in records(out):
            meta, _, raw_path = record.partition(b"\t")
            fields = meta.split()
            if len(fields) != 4:
                continue
            mode, kind, oid, size = (f.decode("ascii", "replace") for f in fields)
            path = raw_path.decode("utf-8", "replace")
            entries[path] = Entry(mode, kind, oid, int(size) if size.isdigit() else None)
    return entries


def _is_media(head: bytes) -> bool:
    return head.startswith(_MEDIA_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def _parse_targets(matches: Mapping[str, Match], entries: Mapping[str, Entry]) -> set[str]:
    """Paths whose content a fact needs (regular files only)."""
    wanted: set[str] = set()
    for key in ("codeowners", "security_policy", "license", "model_card"):
        first = _first_regular(matches[key], entries)
        if first:
            wanted.add(first)
    wanted.update(p for p in matches["lockfiles"].paths if file_facts.is_requirements(p))
    wanted.update(matches["slo_definitions"].paths)
    return {p for p in wanted if p in entries and not entries[p].symlink}


def _first_regular(match: Match, entries: Mapping[str, Entry]) -> str | None:
    return next((p for p in match.paths if not entries[p].symlink), None)


def read_contents(
    git: Git, entries: Mapping[str, Entry], parse: set[str]
) -> tuple[dict[str, str], list[str]]:
    """(text of the files to parse, binary file paths) from one pass over the blobs."""
    by_oid: dict[str, list[str]] = {}
    for path, entry in entries.items():
        if entry.kind == "blob" and not entry.symlink:
            by_oid.setdefault(entry.oid, []).append(path)
    keep = {oid for oid, paths in by_oid.items() if any(p in parse for p in paths)}
    texts: dict[str, str] = {}
    binaries: list[str] = []
    reader = ObjectReader(git)
    for oid, kind, _, head in reader.read(
        sorted(by_oid), keep=SNIFF_BYTES, wide=keep, wide_keep=MAX_PARSE_BYTES
    ):
        if kind != "blob":
            continue
        paths = by_oid[oid]
        binary = b"\0" in head[:SNIFF_BYTES]
        if binary and not _is_media(head):
            binaries.extend(p for p in paths if not p.endswith(_ALLOWED_BINARY_SUFFIXES))
        if oid in keep and not binary:
            text = head.decode("utf-8", "replace")
            texts.update((p, text) for p in paths if p in parse)
    return texts, sorted(binaries)


def last_changed(git: Git, commit: str, matches: Mapping[str, Match]) -> dict[str, int]:
    """Newest committer time touching each present kind, from one path-limited log walk."""
    owner: dict[str, set[str]] = {}
    folders: list[tuple[str, str]] = []
    for key, match in matches.items():
        if match.folder and match.path:
            folders.append((match.path + "/", key))
        for path in match.paths[:PATHS_LISTED]:
            owner.setdefault(path, set()).add(key)
    pathspecs = sorted({*owner, *(f.rstrip("/") for f, _ in folders)})[:MAX_PATHSPECS]
    pending = {key for key, match in matches.items() if match.paths}
    found: dict[str, int] = {}
    if not pending:
        return found
    args = ["log", "-z", "--format=%x01%ct", "--name-only", "--no-renames", commit, "--"]
    with git.stream(*args, *pathspecs) as out:
        when = 0
        for token in records(out):
            if token.startswith(b"\x01"):
                when = int(token[1:] or b"0")
                continue
            path = token.lstrip(b"\n").decode("utf-8", "replace")
            keys = set(owner.get(path, ()))
            keys.update(key for prefix, key in folders if path.startswith(prefix))
            for key in keys & pending:
                found[key] = when
                pending.discard(key)
            if not pending:
                break
    return found


def _entry_facts(
    match: Match, entries: Mapping[str, Entry], changed: int | None, now: int
) -> dict[str, Any]:
    entry = entries.get(match.path) if match.path else None
    present = any(not entries[p].symlink for p in match.paths)
    return {
        "present": present,
        "path": match.path,
        "paths": match.paths[:PATHS_LISTED],
        "count": len(match.paths),
        "blob_sha": entry.oid if entry else None,
        "size": entry.size if entry and entry.kind == "blob" else None,
        "is_symlink": bool(entry and entry.symlink),
        "last_changed": isoformat(datetime.fromtimestamp(changed, UTC)) if changed else None,
        "age_days": max(0, (now - changed) // 86400) if changed else None,
    }


def files_facts(git: Git, target: RepoTarget) -> dict[str, Any]:
    bad = unknown_keys(target.files)
    if bad:
        raise CollectorError(
            f"{target.name}: unknown governance file key(s) {', '.join(bad)} under files",
            hint="known keys: " + ", ".join(RULE_KEYS),
        )
    entries = read_tree(git, target.commit)
    files = sorted(p for p, e in entries.items() if e.kind == "blob")
    trees = frozenset(p for p, e in entries.items() if e.kind == "tree")
    matches = {
        rule.key: match_rule(rule, files, trees, target.files.get(rule.key)) for rule in RULES
    }
    texts, binaries = read_contents(git, entries, _parse_targets(matches, entries))
    lock = matches["lockfiles"]
    lock.paths = [
        p for p in lock.paths
        if not file_facts.is_requirements(p) or file_facts.hashed_requirements(texts.get(p, ""))
    ]  # fmt: skip
    if lock.path not in lock.paths:
        lock.path = lock.paths[0] if lock.paths else None
    now = int(target.commit_time.timestamp())
    changed = last_changed(git, target.commit, matches)
    facts: dict[str, Any] = {
        "repo": target.name,
        "commit": target.commit,
        "committed_at": isoformat(target.commit_time),
        "files": {
            key: _entry_facts(match, entries, changed.get(key), now)
            for key, match in matches.items()
        },
    }
    facts.update(_parsed_facts(matches, entries, texts))
    facts["binaries"] = {"count": len(binaries), "paths": binaries[:BINARIES_LISTED]}
    return facts


def _parsed_facts(
    matches: Mapping[str, Match], entries: Mapping[str, Entry], texts: Mapping[str, str]
) -> dict[str, Any]:
    def text_of(key: str) -> tuple[str, str] | None:
        first = _first_regular(matches[key], entries)
        return (first, texts[first]) if first and first in texts else None

    codeowners = text_of("codeowners")
    security = text_of("security_policy")
    licence = text_of("license")
    card = text_of("model_card")
    tools = []
    for path in matches["dependency_updates"].paths:
        tools.append("dependabot" if "dependabot" in path.lower() else "renovate")
    ecosystems = {file_facts.lockfile_ecosystem(p) for p in matches["lockfiles"].paths}

    def documents(key: str) -> int:
        return sum(
            1
            for p in matches[key].paths
            if DOCUMENT.search(p) and not NOT_A_DOCUMENT.search(p) and not entries[p].symlink
        )

    return {
        "codeowners": (
            file_facts.parse_codeowners(codeowners[1])
            if codeowners
            else dict(file_facts.EMPTY_CODEOWNERS, patterns=[])
        ),
        "security_contact": bool(security and file_facts.has_security_contact(security[1])),
        "license_id": file_facts.license_id(licence[1]) if licence else None,
        "dependency_update_tools": sorted(set(tools)),
        "lockfile_ecosystems": sorted(e for e in ecosystems if e),
        "model_card_sections": file_facts.model_card_sections(card[1], card[0]) if card else [],
        "slo_objectives": _slo_objectives(
            {p: texts[p] for p in matches["slo_definitions"].paths if p in texts}
        ),
        "runbook_count": documents("runbooks"),
        "postmortem_count": documents("postmortems"),
        "adr_count": documents("adrs"),
    }


class RepoFilesCollector(Collector):
    """Finds and reads the governance files in the tree at the commit."""

    name = "repo.files"
    version = "1"
    kinds = ("repo.files",)
    target = "repo"

    def collect(self, target: RepoTarget, context: CollectContext) -> Iterable[EvidenceDraft]:
        facts = files_facts(Git(target.path, target.name), target)
        yield EvidenceDraft(
            kind="repo.files",
            service=context.service,
            subject=target.subject,
            observed_at=target.commit_time,
            collector=self.ident,
            facts=facts,
        )


def _slo_objectives(texts: Mapping[str, str]) -> int:
    """Objectives in the SLO definition files, counted as ``slo.definitions`` reads them."""
    from assay.evidence.collectors.slo_definitions import read_file  # it imports this module

    return sum(
        len(read_file(path, text.encode("utf-8"), lambda _: False)[0])
        for path, text in texts.items()
    )
