"""Everything an assessment reads from the workspace, loaded and cross-checked together.

The control library is the slow part to load (YAML parsing, then every control and every
expectation checked against JSON Schema). It is built from its source files on every run:
``.assay/`` is never trusted to hold the library. ``assay gate`` runs in every pipeline, so
``.assay/cache/`` remembers only which workspace control files (by the sha256 of their
bytes) passed the schema checks, the part that is safe to skip for the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from assay import __version__
from assay.assess.attestations import Attestation, Rules, load_attestations
from assay.assess.waivers import WaiverBook, load_waivers
from assay.controls.loader import Library, builtin_library_dir, load_library
from assay.errors import InvalidInput, Problem, WorkspaceError, raise_if_problems
from assay.workspace import Service, Workspace, parse_service, unknown_service
from assay.yamlfile import load_yaml, yaml_files, yaml_names

CACHE_FORMAT = 2
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
            rules=Rules.for_workspace(workspace),
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


def cache_key(workspace: Workspace) -> str:
    """Names the cache file: one per cache format, assay version and workspace folder."""
    text = f"{CACHE_FORMAT}|{__version__}|{workspace.root.resolve()}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_workspace_library(workspace: Workspace, *, cache: bool = True) -> Library:
    """The workspace's library, built from its source files on every run.

    Nothing read from ``.assay/`` is taken as the library: anyone who can write there
    can also recompute whatever digest a cache records. The cache holds only the sha256
    of workspace control files that passed their schema checks; a file whose bytes hash
    to one of those is parsed but not checked again. The built-in controls ship with
    assay and are parsed without the checks (``assay library validate`` runs them all).
    """
    folder = workspace.root / CACHE_DIR
    path = folder / f"library-{cache_key(workspace)}.json"
    checked = _read_cache(path) if cache else frozenset()
    library = load_library(
        workspace.control_paths,
        builtin=workspace.use_builtin_library,
        display_root=workspace.root,
        strict=False,
        checked=checked,
    )
    if cache and library.checked != checked:
        _write_cache(folder, path, library)
    return library


def _read_cache(path: Path) -> frozenset[str]:
    """The digests of files checked before; empty when the cache is missing or off."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != CACHE_FORMAT or data.get("assay") != __version__:
            return frozenset()
        digests = data["checked"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return frozenset()
    if not isinstance(digests, list) or not all(_is_sha256(d) for d in digests):
        return frozenset()
    return frozenset(digests)


def _is_sha256(value: object) -> bool:
    return (
        isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value)
    )


def _write_cache(folder: Path, path: Path, library: Library) -> None:
    payload = {"format": CACHE_FORMAT, "assay": __version__, "checked": sorted(library.checked)}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("library-*.json"):
            if old != path:
                old.unlink(missing_ok=True)
        temporary = folder / f".{path.name}.{os.getpid()}.tmp"
        temporary.write_text(json.dumps(payload, sort_keys=True), encoding="utf-8")
        temporary.replace(path)
    except OSError:
        return  # a read-only workspace still works, just without the cache
