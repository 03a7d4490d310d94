"""``ci.workflows``: the CI definitions of a repository at one commit, read from git objects.

Reads GitHub Actions workflows (``.github/workflows/*.yml`` and ``*.yaml``, the folder's
own files, as GitHub does), the action definitions (``action.yml``/``action.yaml``) they
reach through ``uses: ./path`` and the repository's root action (see
:mod:`assay.evidence.ci.github_actions`), and GitLab CI (``.gitlab-ci.yml``, or the path
the service's repo names under ``files: {gitlab_ci: ...}``, with its local includes).
Every file comes from ``git ls-tree``/``git cat-file`` at the commit through the hardened
git runner, never from the working tree: a symbolic link is not followed, a path with ``..`` is not
read, and nothing outside the repository can be reached.

Definition files are untrusted YAML: the located, size-capped, alias-bomb-refusing
loader reads them. A file that cannot be read (bad YAML, an alias bomb, a list instead
of a mapping, too large) does not stop collection: it becomes an ``invalid_definition``
finding with its file and line, so a control that wants no dangerous findings fails
rather than passing on what could not be checked.

The detection tables (tools, untrusted inputs, script rules) are data files; a workspace
adds its own via ``CollectContext.ci_tables`` (paths; ``assay collect``
passes the workspace's ``ci-tables/*.yaml``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from assay.errors import CollectorError, InvalidInput
from assay.evidence.ci.definitions import Definition, Finding
from assay.evidence.ci.github import GithubDefinition, analyse_workflow
from assay.evidence.ci.github_actions import (
    ACTION_FILES,
    MAX_ACTIONS,
    MAX_DEPTH,
    analyse_action,
    link,
)
from assay.evidence.ci.gitlab import GitlabPipeline
from assay.evidence.ci.gitlab_config import LoadedFile
from assay.evidence.ci.tables import CATEGORIES, CiTables, load_tables
from assay.evidence.ci.treefiles import TreeFiles
from assay.evidence.ci.wrapper_facts import wrapper_facts
from assay.evidence.ci.wrappers import Follower, WrapperFollower
from assay.evidence.collectors.interface import CollectContext, Collector, RepoTarget
from assay.evidence.git.policy import Git, ObjectReader, records
from assay.evidence.model import EvidenceDraft
from assay.evidence.parsing.values import COMMIT_ID
from assay.yamlfile import parse_yaml

WORKFLOWS_DIR = ".github/workflows"
GITLAB_FILE = ".gitlab-ci.yml"
MAX_DEFINITION_BYTES = 4 * 1024 * 1024
MAX_DEFINITION_NODES = 500_000
MAX_WORKFLOWS = 500
_REGULAR = ("100644", "100755")


@dataclass(frozen=True)
class _Entry:
    path: str
    mode: str
    oid: str
    size: int


class GitTree:
    """Files of one commit, listed and read through git objects only."""

    def __init__(self, target: RepoTarget) -> None:
        if not COMMIT_ID.match(target.commit):
            raise CollectorError(f"{target.name}: {target.commit!r} is not a full commit id")
        self.git = Git(target.path, target.name)
        self.commit = target.commit
        self._all: list[str] | None = None

    def entries(self, *paths: str) -> list[_Entry]:
        """Each path itself, or the entries directly in it when it ends with ``/``."""
        found: list[_Entry] = []
        if not paths:
            return found
        with self.git.stream("ls-tree", "-z", "--long", self.commit, "--", *paths) as out:
            for record in records(out):
                meta, _, raw = record.partition(b"\t")
                fields = meta.decode("ascii", "replace").split()
                if len(fields) == 4:
                    size = int(fields[3]) if fields[3].isdigit() else 0
                    found.append(_Entry(raw.decode("utf-8", "replace"), fields[0], fields[2], size))
        return found

    def all_paths(self) -> list[str]:
        """Every regular file path at the commit (for GitLab wildcard includes)."""
        if self._all is None:
            paths: list[str] = []
            with self.git.stream("ls-tree", "-r", "-z", "--full-tree", self.commit, "--") as out:
                for record in records(out):
                    meta, _, raw = record.partition(b"\t")
                    if meta.split()[:1] in ([b"100644"], [b"100755"]):
                        paths.append(raw.decode("utf-8", "replace"))
            self._all = paths
        return self._all

    def read(self, entries: Sequence[_Entry]) -> dict[str, bytes]:
        """Blob content by object id (each entry already checked against the size cap)."""
        wanted = sorted({entry.oid for entry in entries})
        reader = ObjectReader(self.git)
        return {
            oid: head
            for oid, kind, _, head in reader.read(wanted, MAX_DEFINITION_BYTES)
            if kind == "blob"
        }


def _invalid(path: str, exc: InvalidInput) -> list[Finding]:
    return [
        Finding(path, problem.line or 1, "invalid_definition", f"cannot be read: {problem.message}")
        for problem in exc.problems
    ] or [Finding(path, 1, "invalid_definition", "cannot be read")]


def _parse(path: str, raw: bytes, *, lenient_tags: bool) -> LoadedFile:
    try:
        document = parse_yaml(
            raw,
            path,
            max_bytes=MAX_DEFINITION_BYTES,
            max_nodes=MAX_DEFINITION_NODES,
            lenient_tags=lenient_tags,
        )
    except InvalidInput as exc:
        return LoadedFile(path, None, "", _invalid(path, exc)[0])
    return LoadedFile(path, document, raw.decode("utf-8", "replace"))


def _too_large(entry: _Entry) -> Finding | None:
    if entry.size <= MAX_DEFINITION_BYTES:
        return None
    return Finding(
        entry.path,
        1,
        "invalid_definition",
        f"cannot be read: {entry.size:,} bytes, over the {MAX_DEFINITION_BYTES:,} byte limit",
    )


def _github_file(
    entry: _Entry, raw: bytes, what: str, tables: CiTables, follower: Follower | None
) -> GithubDefinition | Finding | None:
    loaded = _parse(entry.path, raw, lenient_tags=False)
    if loaded.document is None:
        return loaded.error
    data = loaded.document.data
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else type(data).__name__
        message = f"a {what} must be a mapping, not {kind}"
        return Finding(entry.path, 1, "invalid_definition", message)
    analyse = analyse_workflow if what == "workflow" else analyse_action
    return analyse(loaded.document, tables, loaded.text, follower)


def _read_github(
    tree: GitTree,
    entries: Sequence[_Entry],
    what: str,
    tables: CiTables,
    follower: Follower | None = None,
) -> tuple[list[GithubDefinition], list[Finding]]:
    errors = [f for f in (_too_large(e) for e in entries) if f is not None]
    readable = [e for e in entries if e.size <= MAX_DEFINITION_BYTES]
    blobs = tree.read(readable)
    definitions: list[GithubDefinition] = []
    for entry in readable:
        found = _github_file(entry, blobs.get(entry.oid, b""), what, tables, follower)
        if isinstance(found, GithubDefinition):
            definitions.append(found)
        elif found is not None:
            errors.append(found)
    return definitions, errors


def _action_entries(tree: GitTree, folders: Iterable[str]) -> list[_Entry]:
    """The action file of each folder (``action.yml`` before ``action.yaml``), if any."""
    wanted = [f"{folder}/{name}" if folder else name for folder in folders for name in ACTION_FILES]
    listed = {e.path: e for e in tree.entries(*wanted) if e.mode in _REGULAR}
    found: dict[str, _Entry] = {}
    for path in wanted:  # action.yml comes first in each folder
        folder = path.rpartition("/")[0]
        if path in listed and folder not in found:
            found[folder] = listed[path]
    return list(found.values())


def github_definitions(
    tree: GitTree, tables: CiTables, follower: Follower | None = None
) -> tuple[list[Definition], list[Finding]]:
    """Workflows, then the action files they reach through ``uses: ./path`` (and the
    repository's own root action), level by level up to ``MAX_DEPTH``, each read once."""
    entries = [
        e
        for e in tree.entries(WORKFLOWS_DIR + "/")
        if e.mode in _REGULAR and e.path.endswith((".yml", ".yaml"))
    ][:MAX_WORKFLOWS]
    definitions, errors = _read_github(tree, entries, "workflow", tables, follower)
    seen: set[str] = set()
    level = {""}  # the root action.yml: the action the repository publishes, if any
    for _ in range(MAX_DEPTH + 1):
        level |= {folder for d in definitions for _, folder in d.local_actions}
        todo = sorted(level - seen)[: max(MAX_ACTIONS - len(seen), 0)]
        if not todo:
            break
        seen.update(todo)
        more, more_errors = _read_github(
            tree, _action_entries(tree, todo), "action", tables, follower
        )
        definitions += more
        errors += more_errors
        level = {folder for d in more for _, folder in d.local_actions}
    link(definitions)
    return list(definitions), errors


def _safe_path(path: str) -> bool:
    parts = path.split("/")
    return bool(path) and ".." not in parts and not path.startswith("/") and "\\" not in path


def gitlab_definitions(
    tree: GitTree, tables: CiTables, root: str, follower: Follower | None = None
) -> tuple[list[Definition], list[Finding]]:
    includes: list[Finding] = []

    def load(path: str) -> LoadedFile | None:
        if not _safe_path(path):
            includes.append(
                Finding(
                    root, 1, "invalid_definition", f"include {path!r} is outside the repository"
                )
            )
            return None
        entries = [e for e in tree.entries(path) if e.path == path]
        if not entries:
            if path != root:
                includes.append(
                    Finding(root, 1, "invalid_definition", f"included file {path} does not exist")
                )
            return None
        entry = entries[0]
        if entry.mode not in _REGULAR:
            return LoadedFile(
                path,
                None,
                "",
                Finding(path, 1, "invalid_definition", "not a regular file (a link?)"),
            )
        large = _too_large(entry)
        if large is not None:
            return LoadedFile(path, None, "", large)
        raw = tree.read([entry]).get(entry.oid, b"")
        return _parse(path, raw, lenient_tags=True)

    pipeline = GitlabPipeline(root, load, tree.all_paths, tables, follower)
    definitions, errors = pipeline.analyse()
    return definitions, [*errors, *includes]


# --------------------------------------------------------------------------- facts


def _refs(items: Iterable[tuple[str, int, str]], key: str) -> list[dict[str, Any]]:
    return [{"file": f, "line": line, key: value} for f, line, value in sorted(items)[:100]]


def rollup(
    repo: str, commit: str, definitions: Sequence[Definition], errors: Sequence[Finding]
) -> dict[str, Any]:
    """The ``ci.workflows`` facts from every definition and every unreadable file.

    Action files count for tools, pinning, images and findings, not as workflows.
    """
    everything = sorted(definitions, key=lambda d: d.path)
    actions = [d for d in everything if isinstance(d, GithubDefinition) and d.role == "action"]
    definitions = [d for d in everything if d not in actions]
    github = [d for d in definitions if d.provider == "github"]
    tools: dict[str, set[str]] = {category: set() for category in CATEGORIES}
    for definition in everything:
        for category, name in definition.tools:
            tools[category].add(name)
    findings = sorted(
        {*errors, *(f for d in everything for f in d.findings)},
        key=lambda f: (f.file, f.line, f.rule, f.message),
    )
    environments: dict[str, list[bool | None]] = defaultdict(list)
    for definition in definitions:
        for name, approval in definition.environments:
            environments[name].append(approval)
    unpinned_actions = [(d.path, line, ref) for d in everything for line, ref in d.unpinned_actions]
    unpinned_images = [(d.path, line, ref) for d in everything for line, ref in d.unpinned_images]
    local_refs = sum(d.local_refs for d in everything if isinstance(d, GithubDefinition))
    return {
        "repo": repo,
        "commit": commit,
        "providers": sorted({d.provider for d in definitions}),
        "workflow_count": len(definitions),
        "workflows": [
            {
                "path": d.path,
                "provider": d.provider,
                "name": d.name,
                "triggers": sorted(d.triggers)[:50],
                "jobs": d.jobs,
                "steps": d.steps,
                "tool_categories": sorted(d.categories),
            }
            for d in definitions[:100]
        ],
        "triggers": sorted({t for d in definitions for t in d.triggers})[:50],
        "jobs": sum(d.jobs for d in definitions),
        "steps": sum(d.steps for d in definitions),
        "tools": {category: sorted(names)[:50] for category, names in tools.items()},
        "tool_categories": sorted(c for c, names in tools.items() if names),
        "pre_merge_tool_categories": sorted(
            {c for d in definitions for c in d.pre_merge_categories}
        ),
        "action_refs": sum(d.action_refs for d in everything),
        "local_action_refs": local_refs,
        "action_files": [d.path for d in actions][:100],
        "unpinned_actions": len(unpinned_actions),
        "unpinned_action_refs": _refs(unpinned_actions, "uses"),
        "unpinned_images": len(unpinned_images),
        "unpinned_image_refs": _refs(unpinned_images, "image"),
        "permissions": {
            "top_level_read_only": all(
                d.permissions_declared and d.permissions_read_only for d in github
            ),
            "undeclared": sum(1 for d in github if not d.permissions_declared),
            "write_all": sum(d.write_all for d in everything),
            "write_scopes": sorted({s for d in everything for s in d.write_scopes})[:30],
        },
        "dangerous_patterns": len(findings),
        "findings": [
            {"rule": f.rule, "file": f.file, "line": f.line, "message": f.message}
            for f in findings[:200]
        ],
        "deploy_environments": [
            {
                "name": name,
                "jobs": len(approvals),
                "requires_approval": None if None in approvals else all(approvals),
            }
            for name, approvals in sorted(environments.items())[:50]
        ],
        **wrapper_facts(definitions),
    }


class CiWorkflowsCollector(Collector):
    """GitHub Actions and GitLab CI definitions at a commit -> ``ci.workflows``."""

    name = "ci.workflows"
    version = "1.1.0"
    kinds = ("ci.workflows",)
    target = "repo"

    def accepts(self, target: Any) -> bool:
        return isinstance(target, RepoTarget)

    def collect(self, target: RepoTarget, context: CollectContext) -> Iterable[EvidenceDraft]:
        tables = load_tables(context.ci_tables)
        tree = GitTree(target)
        follower = WrapperFollower(TreeFiles(tree), tables)
        definitions, errors = github_definitions(tree, tables, follower)
        gitlab_root = target.files.get("gitlab_ci", GITLAB_FILE).strip().lstrip("/")
        more, more_errors = gitlab_definitions(tree, tables, gitlab_root, follower)
        facts = rollup(target.name, target.commit, [*definitions, *more], [*errors, *more_errors])
        yield EvidenceDraft(
            kind="ci.workflows",
            service=context.service,
            subject={"repo": target.name, "commit": target.commit},
            observed_at=target.commit_time.replace(microsecond=0),
            collector=self.ident,
            facts=facts,
        )
