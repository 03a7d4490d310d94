"""The user's governance workspace: ``assay.toml``, services, people, controls, waivers.

A workspace is found by walking up from the working directory to the first
folder holding ``assay.toml``; ``--workspace DIR`` names one directly. Loading
validates every file and reports every problem at once.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from assay.display import mask_url
from assay.errors import (
    InvalidInput,
    Problem,
    StoreError,
    WorkspaceError,
    raise_if_problems,
)
from assay.schemas import check_document, check_mapping
from assay.yamlfile import YamlDocument, parse_folder

if TYPE_CHECKING:
    from assay.people import People

CONFIG_NAME = "assay.toml"
MAX_CONFIG_BYTES = 256 * 1024
DEFAULT_SINCE = "P90D"
DEFAULT_MAX_ARTEFACT_BYTES = 100 * 1024 * 1024
DEFAULT_TAG_PATTERN = "v*"


@dataclass(frozen=True)
class RepoRef:
    """A repository a service is built from."""

    name: str
    path: Path | None = None
    url: str | None = None
    branch: str | None = None
    tag_pattern: str | None = None
    files: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    allowed_signers: Path | None = None
    #: The ``platform:`` entry (provider, project, api_url), when the repository has one.
    platform: dict[str, str] | None = field(default=None, hash=False, compare=False)


@dataclass(frozen=True)
class PipelineRef:
    name: str
    provider: str
    repo: str | None = None
    definition: str | None = None
    artefacts: Path | None = None
    #: ``api``: runs and artefacts are pulled from the CI system's API (docs/ci-evidence.md).
    source: str | None = None
    #: Which runs to pull: a GitHub workflow's name or file name, a GitLab pipeline's name.
    workflow: str | None = None


@dataclass(frozen=True)
class Service:
    """A service constitution."""

    id: str
    name: str
    owner: str
    tier: int
    outcome: str = ""
    description: str = ""
    tags: frozenset[str] = frozenset()
    repos: tuple[RepoRef, ...] = ()
    pipelines: tuple[PipelineRef, ...] = ()
    slos: tuple[dict[str, Any], ...] = ()
    exclusions: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    source: str = ""
    raw: dict[str, Any] = field(default_factory=dict, hash=False, compare=False, repr=False)


@dataclass
class Workspace:
    """A loaded workspace. ``root`` is the folder holding ``assay.toml``."""

    root: Path
    config: dict[str, Any]

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def store_url(self) -> str:
        """The store this workspace uses when no URL is named (see :func:`resolve_store_url`)."""
        return resolve_store_url(None, self)

    @property
    def control_paths(self) -> list[Path]:
        """The folders (or files) of the workspace's own controls.

        The default ``controls`` folder may be absent; a path that ``library.paths`` names
        must exist, or a typo would silently drop every control it holds (exit 2).
        """
        library = self.config.get("library", {})
        if "paths" not in library:
            default = self.root / "controls"
            return [default] if default.exists() else []
        missing = [p for p in library["paths"] if not (self.root / p).exists()]
        if missing:
            raise WorkspaceError(
                f"{self.config_path}: library.paths names {', '.join(map(repr, missing))}, "
                "which does not exist",
                hint="create the folder, or remove it from library.paths",
            )
        return [self.root / p for p in library["paths"]]

    @property
    def use_builtin_library(self) -> bool:
        return bool(self.config.get("library", {}).get("builtin", True))

    @property
    def frameworks_dir(self) -> Path:
        return self.root / "frameworks"

    @property
    def crosswalks_dir(self) -> Path:
        return self.root / "crosswalks"

    @property
    def services_dir(self) -> Path:
        return self.root / "services"

    @property
    def waivers_dir(self) -> Path:
        return self.root / "waivers"

    @property
    def attestations_dir(self) -> Path:
        return self.root / "attestations"

    @property
    def people_path(self) -> Path:
        return self.root / "people.yaml"

    def load_people(self) -> People | None:
        """``people.yaml``, validated; ``None`` when the workspace has none."""
        from assay.people import load_people

        return load_people(self.people_path, display=self.display(self.people_path))

    @property
    def soa_path(self) -> Path:
        """The Statement of Applicability decisions (``[report] soa``, default ``soa.yaml``).

        The default may be absent (no decisions yet); a file that ``report.soa`` names must
        exist, or a typo would silently leave every control undecided (exit 2).
        """
        named = self.config.get("report", {}).get("soa")
        path = self.root / str(named or "soa.yaml")
        if named and not path.is_file():
            raise WorkspaceError(
                f"{self.config_path}: report.soa names {named!r}, which does not exist",
                hint="create the file, or remove report.soa to use soa.yaml",
            )
        return path

    @property
    def organisation(self) -> str:
        """Whom the reports are for: ``[workspace] organisation``, else its ``name``."""
        about = self.config.get("workspace", {})
        return str(about.get("organisation") or about.get("name") or "")

    @property
    def since(self) -> str:
        return str(self.config.get("collect", {}).get("since", DEFAULT_SINCE))

    @property
    def max_artefact_bytes(self) -> int:
        value = self.config.get("collect", {}).get("max_artefact_bytes")
        return int(value) if value else DEFAULT_MAX_ARTEFACT_BYTES

    @property
    def tag_pattern(self) -> str:
        return str(self.config.get("collect", {}).get("tag_pattern", DEFAULT_TAG_PATTERN))

    def display(self, path: Path) -> str:
        """``path`` relative to the workspace root where possible, for messages."""
        try:
            return str(path.resolve().relative_to(self.root.resolve()))
        except ValueError:
            return str(path)

    def load_services(self) -> dict[str, Service]:
        """Every service constitution, validated; raises with every problem found."""
        services: dict[str, Service] = {}

        def parse(document: YamlDocument, path: Path) -> tuple[Service | None, list[Problem]]:
            service, problems = parse_service(document, self.root, path.stem)
            if service is not None and service.id in services:  # a.yaml and a.yml
                problems.append(document.problem(("id",), f"duplicate service id {service.id}"))
                return None, problems
            if service is not None:
                services[service.id] = service
            return service, problems

        _, problems = parse_folder(self.services_dir, parse, display=self.display)
        raise_if_problems(problems)
        return services

    def service(self, service_id: str) -> Service:
        services = self.load_services()
        if service_id not in services:
            raise unknown_service(service_id, services)
        return services[service_id]


def unknown_service(service_id: str, known: Iterable[str]) -> WorkspaceError:
    """The error for a service id the workspace does not describe, naming those it does."""
    names = ", ".join(sorted(known)) or "none"
    return WorkspaceError(
        f"unknown service '{service_id}'", hint=f"services in this workspace: {names}"
    )


def parse_service(
    document: YamlDocument, root: Path, expected_id: str
) -> tuple[Service | None, list[Problem]]:
    data, problems = check_mapping(document, "service")
    if data is None:
        return None, problems
    if data["id"] != expected_id:
        problems.append(
            document.problem(
                ("id",), f"service id '{data['id']}' must match the file name '{expected_id}'"
            )
        )
    repos = []
    names: set[str] = set()
    for index, raw in enumerate(data.get("repos", [])):
        if raw["name"] in names:
            problems.append(
                document.problem(("repos", index, "name"), f"duplicate repo name '{raw['name']}'")
            )
        names.add(raw["name"])
        for key in ("url", "branch"):
            value = raw.get(key)
            if isinstance(value, str) and (value.startswith("-") or "::" in value.split("/")[0]):
                problems.append(
                    document.problem(
                        ("repos", index, key),
                        f"{key} {mask_url(value)!r} is refused: it could be read by git as an "
                        "option or a remote helper",
                    )
                )
        path = raw.get("path")
        repos.append(
            RepoRef(
                name=raw["name"],
                path=(root / path) if path else None,
                url=raw.get("url"),
                branch=raw.get("branch"),
                tag_pattern=raw.get("tag_pattern"),
                files=dict(raw.get("files", {})),
                allowed_signers=(
                    root / raw["allowed_signers"] if raw.get("allowed_signers") else None
                ),
                platform=dict(raw["platform"]) if raw.get("platform") else None,
            )
        )
    pipelines = []
    for index, raw in enumerate(data.get("pipelines", [])):
        if raw.get("repo") and raw["repo"] not in names:
            problems.append(
                document.problem(
                    ("pipelines", index, "repo"), f"pipeline names unknown repo '{raw['repo']}'"
                )
            )
        artefacts = raw.get("artefacts")
        if raw.get("source") == "api" and raw.get("provider") not in ("github", "gitlab"):
            problems.append(
                document.problem(
                    ("pipelines", index, "source"),
                    "source: api needs provider github or gitlab",
                )
            )
        pipelines.append(
            PipelineRef(
                name=raw["name"],
                provider=raw["provider"],
                repo=raw.get("repo"),
                definition=raw.get("definition"),
                artefacts=(root / artefacts) if artefacts else None,
                source=raw.get("source"),
                workflow=raw.get("workflow"),
            )
        )
    exclusions = {item["control"]: item["justification"] for item in data.get("exclusions", [])}
    service = Service(
        id=data["id"],
        name=data["name"],
        owner=data["owner"],
        tier=data["tier"],
        outcome=data.get("outcome", ""),
        description=data.get("description", ""),
        tags=frozenset(data.get("tags", [])),
        repos=tuple(repos),
        pipelines=tuple(pipelines),
        slos=tuple(data.get("slos", [])),
        exclusions=exclusions,
        source=document.path,
        raw=data,
    )
    return (service if not problems else None), problems


def find_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that holds ``assay.toml``."""
    current = start.resolve()
    for folder in (current, *current.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    return None


@overload
def open_workspace(
    explicit: Path | None = None, *, cwd: Path | None = None, required: Literal[True] = True
) -> Workspace: ...


@overload
def open_workspace(
    explicit: Path | None = None, *, cwd: Path | None = None, required: bool
) -> Workspace | None: ...


def open_workspace(
    explicit: Path | None = None, *, cwd: Path | None = None, required: bool = True
) -> Workspace | None:
    """Find and load the workspace, validating ``assay.toml``.

    ``explicit`` names the folder; otherwise the nearest folder at or above ``cwd`` (the
    working directory) holding ``assay.toml`` is used. When none is named or found, this
    is :class:`WorkspaceError`, or ``None`` with ``required=False`` (commands that also
    work outside a workspace). A named folder without ``assay.toml`` is always an error.
    """
    if explicit is not None:
        root = explicit.resolve()
        if not (root / CONFIG_NAME).is_file():
            raise WorkspaceError(
                f"{explicit}: no {CONFIG_NAME} here", hint="run 'assay init' to create a workspace"
            )
    else:
        found = find_root(cwd or Path.cwd())
        if found is None:
            if not required:
                return None
            raise WorkspaceError(
                f"no {CONFIG_NAME} in this folder or any parent",
                hint="run 'assay init' to create a workspace, or pass --workspace DIR",
            )
        root = found
    return Workspace(root=root, config=load_config(root / CONFIG_NAME))


def resolve_store_url(explicit: str | None, workspace: Workspace | None) -> str:
    """The store every command uses: ``explicit`` (``--store-url``), else ``ASSAY_STORE_URL``,
    else the workspace's ``[store] url``, else ``.assay/assay.db`` beside ``assay.toml``.

    Without a workspace, only a named URL or the environment can say where the store is:
    :class:`StoreError` otherwise.
    """
    if explicit:
        return explicit
    env = os.environ.get("ASSAY_STORE_URL")
    if env:
        return env
    if workspace is None:
        raise StoreError(
            "no store to use: not inside a workspace",
            hint="pass --store-url URL, set ASSAY_STORE_URL, or run inside a folder with "
            "assay.toml (assay init)",
        )
    url = workspace.config.get("store", {}).get("url")
    if url:
        return str(url)
    return f"sqlite:///{workspace.root / '.assay' / 'assay.db'}"


def load_config(path: Path) -> dict[str, Any]:
    """Parse and validate ``assay.toml``; problems point at lines."""
    display = path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInput([Problem(display, None, None, f"cannot read: {exc.strerror}")]) from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise InvalidInput(
            [Problem(display, None, None, f"file is over the {MAX_CONFIG_BYTES:,} byte limit")]
        )
    from assay.yamlfile import decode_text

    text = decode_text(raw, display)
    try:
        data = tomllib.loads(text)
    except RecursionError:
        raise InvalidInput([Problem(display, None, None, "nested too deeply")]) from None
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        line, col = (int(match.group(1)), int(match.group(2))) if match else (1, 1)
        message = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", message)
        raise InvalidInput([Problem(display, line, col, message)]) from None
    document = YamlDocument(display, data, _toml_positions(text))
    raise_if_problems(check_document(document, "workspace"))
    return data


def _toml_positions(text: str) -> dict[tuple[str | int, ...], tuple[int, int]]:
    """Approximate positions of TOML tables and keys (tomllib keeps none)."""
    positions: dict[tuple[str | int, ...], tuple[int, int]] = {(): (1, 1)}
    table: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.match(r"^\[\[?\s*([^\]]+?)\s*\]\]?", stripped)
        if header:
            table = tuple(part.strip().strip('"') for part in header.group(1).split("."))
            positions.setdefault(table, (number, 1))
            continue
        key = re.match(r"^([A-Za-z0-9_\-\".]+)\s*=", stripped)
        if key:
            parts = tuple(part.strip().strip('"') for part in key.group(1).split("."))
            col = len(line) - len(line.lstrip()) + 1
            positions.setdefault((*table, *parts), (number, col))
    return positions
