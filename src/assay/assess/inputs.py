"""Everything an assessment reads from the workspace, loaded and cross-checked together.

The control library is the slow part to load (YAML parsing, then every control and every
expectation checked against JSON Schema). ``assay gate`` runs in every pipeline, so the
validated library is cached under ``.assay/cache/`` as plain JSON, keyed by the sha256 of
every library file and the assay version: any edit to any control file, or a new assay,
misses the cache and the library is validated again. The cache is checked against the
library digest it records and ignored when anything about it is off.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assay import __version__
from assay.assess.attestations import Attestation, load_attestations
from assay.assess.waivers import WaiverBook, load_waivers
from assay.controls.loader import Library, builtin_library_dir, load_library
from assay.controls.model import Control
from assay.errors import InvalidInput, Problem, WorkspaceError, raise_if_problems
from assay.workspace import Service, Workspace, parse_service, unknown_service
from assay.yamlfile import load_yaml, yaml_files, yaml_names

CACHE_FORMAT = 1
CACHE_DIR = Path(".assay") / "cache"


@dataclass
class Inputs:
    """The library, services, waivers and attestations of one workspace.

    ``services`` holds the parsed services (every one, or only the one a gate asked
    for); ``service_ids`` names every service of the workspace.
    """

    workspace: Workspace
    library: Library
    services: dict[str, Service]
    service_ids: frozenset[str]
    waivers: WaiverBook
    attestations: list[Attestation]

    def service(self, service_id: str) -> Service:
        if service_id not in self.services:
            raise unknown_service(service_id, self.service_ids)
        return self.services[service_id]

    def selected(self, service_id: str | None) -> list[Service]:
        """One service by id, or every service sorted by id."""
        if service_id is not None:
            return [self.service(service_id)]
        if not self.services:
            raise WorkspaceError(
                "this workspace has no services",
                hint="describe one in services/<id>.yaml ('assay init' writes an example)",
            )
        return [self.services[key] for key in sorted(self.services)]


def service_files(workspace: Workspace) -> dict[str, list[str]]:
    """Service id (the file name without .yaml or .yml) -> the names of its files.

    More than one name (``a.yaml`` and ``a.yml``) is a duplicate service id.
    """
    files: dict[str, list[str]] = {}
    for name in yaml_names(workspace.services_dir):
        files.setdefault(name.rpartition(".")[0], []).append(name)
    return files


def load_one_service(workspace: Workspace, service_id: str, path: Path) -> Service:
    document = load_yaml(path, display=workspace.display(path))
    service, problems = parse_service(document, workspace.root, service_id)
    raise_if_problems(problems)
    assert service is not None  # no problems means a value
    return service


def load_inputs(workspace: Workspace, *, only: str | None = None, cache: bool = True) -> Inputs:
    """Load and cross-check; raises :class:`InvalidInput` listing every problem found.

    With ``only``, just that service's constitution is parsed (a gate decides one service;
    a mistake in another team's file does not stop it); an unknown id is an error.
    """
    problems: list[Problem] = []
    library: Library | None = None
    services: dict[str, Service] | None = None
    files = service_files(workspace)
    if only is not None and only not in files:
        raise unknown_service(only, files)
    try:
        library = load_workspace_library(workspace, cache=cache)
    except InvalidInput as exc:
        problems.extend(exc.problems)
    try:
        if only is not None:
            first, *others = files[only]
            if others:
                # The same check load_services makes, without parsing every service.
                second = workspace.display(workspace.services_dir / others[0])
                raise InvalidInput([Problem(second, message=f"duplicate service id {only}")])
            services = {only: load_one_service(workspace, only, workspace.services_dir / first)}
        else:
            services = workspace.load_services()
    except InvalidInput as exc:
        problems.extend(exc.problems)
    if library is None or services is None:
        raise_if_problems(problems)
    assert library is not None  # for the type checker
    assert services is not None
    controls = set(library.controls)
    ids = frozenset(files)
    try:
        waivers = load_waivers(
            workspace.waivers_dir, display=workspace.display, controls=controls, services=ids
        )
    except InvalidInput as exc:
        problems.extend(exc.problems)
    try:
        attestations = load_attestations(
            workspace.attestations_dir,
            display=workspace.display,
            controls=controls,
            services=ids,
            root=workspace.root,
        )
    except InvalidInput as exc:
        problems.extend(exc.problems)
    raise_if_problems(problems)
    return Inputs(workspace, library, services, ids, WaiverBook(waivers), attestations)


# --------------------------------------------------------------------------- library cache


def library_files(workspace: Workspace) -> list[Path]:
    """The library's files in the order the loader reads them."""
    files: list[Path] = []
    if workspace.use_builtin_library:
        files.extend(yaml_files(builtin_library_dir()))
    for path in workspace.control_paths:
        files.extend(yaml_files(path) if path.is_dir() else [path])
    return files


def cache_key(workspace: Workspace, files: list[Path]) -> str:
    digest = hashlib.sha256(f"{CACHE_FORMAT}|{__version__}|".encode())
    for path in files:
        # Absolute, not resolved: resolving costs a system call per path component, and
        # the worst a symlinked alias can do is miss the cache.
        digest.update(str(path.absolute()).encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    digest.update(str(workspace.root.resolve()).encode("utf-8"))
    return digest.hexdigest()


def load_workspace_library(workspace: Workspace, *, cache: bool = True) -> Library:
    """The workspace's library, from the cache when every file is unchanged."""

    def load() -> Library:
        return load_library(
            workspace.control_paths,
            builtin=workspace.use_builtin_library,
            display_root=workspace.root,
        )

    if not cache:
        return load()
    try:
        key = cache_key(workspace, library_files(workspace))
    except OSError:
        return load()
    folder = workspace.root / CACHE_DIR
    path = folder / f"library-{key}.json"
    cached = _read_cache(path)
    if cached is not None:
        return cached
    library = load()
    _write_cache(folder, path, library)
    return library


def _read_cache(path: Path) -> Library | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != CACHE_FORMAT:
            return None
        library = Library(
            controls={item["id"]: _control(item) for item in data["controls"]},
            overridden=dict(data["overridden"]),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return library if library.digest == data.get("digest") else None


def _write_cache(folder: Path, path: Path, library: Library) -> None:
    payload = {
        "format": CACHE_FORMAT,
        "digest": library.digest,
        "overridden": library.overridden,
        "controls": [{**c.to_dict(), "source": c.source} for c in library.sorted()],
    }
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("library-*.json"):
            old.unlink(missing_ok=True)
        temporary = folder / f".{path.name}.{os.getpid()}.tmp"
        temporary.write_text(json.dumps(payload, sort_keys=True), encoding="utf-8")
        temporary.replace(path)
    except OSError:
        return  # a read-only workspace still works, just without the cache


def _control(data: dict[str, Any]) -> Control:
    return Control.from_dict(data, source=data.get("source", ""))
