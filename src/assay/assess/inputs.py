"""Everything an assessment reads from the workspace, loaded and cross-checked together.

The control library is built from its source files on every run, and nothing under
``.assay/`` takes part: anyone who can write there (another job of the same pipeline)
could also recompute whatever digest a cache recorded. The built-in controls ship with
assay and are parsed without the schema checks (``assay library validate`` runs them);
the workspace's own controls are checked in full every time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assay.assess.attestations import Attestation, Rules, load_attestations
from assay.assess.waivers import WaiverBook, load_waivers
from assay.controls.loader import Library, load_library
from assay.errors import InvalidInput, Problem, WorkspaceError, raise_if_problems
from assay.people import People
from assay.workspace import Service, Workspace, parse_service, unknown_service
from assay.yamlfile import load_yaml, yaml_names

#: Where the built-in controls say they come from.
BUILTIN_SOURCE = "assay/controls/library/"


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
    people: People | None = None

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


def load_inputs(workspace: Workspace, *, only: str | None = None) -> Inputs:
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
        library = load_workspace_library(workspace)
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
    people: People | None = None
    try:
        people = workspace.load_people()
    except InvalidInput as exc:
        problems.extend(exc.problems)
    problems.extend(role_problems(library, people, workspace))
    raise_if_problems(problems)
    return Inputs(workspace, library, services, ids, WaiverBook(waivers), attestations, people)


def role_problems(library: Library, people: People | None, workspace: Workspace) -> list[Problem]:
    """A workspace control naming a role that people.yaml does not define: a typo there
    would refuse every signer. (Built-in controls name roles a workspace may not use.)"""
    if people is None:
        return []
    problems = []
    for control in library.sorted():
        if control.source.startswith(BUILTIN_SOURCE) or not control.source:
            continue
        named = [*control.approved_by, *(r for t in control.tests for r in t.attested_by)]
        unknown = sorted({role for role in named if role not in people.roles})
        if unknown:
            problems.append(
                Problem(
                    control.source,
                    message=f"{control.id} names role(s) {', '.join(unknown)}, which "
                    f"{workspace.display(workspace.people_path)} does not define",
                )
            )
    return problems


def load_workspace_library(workspace: Workspace) -> Library:
    """The workspace's library, built from its source files: the built-in controls parsed,
    the workspace's own checked in full against the control schema."""
    return load_library(
        workspace.control_paths,
        builtin=workspace.use_builtin_library,
        display_root=workspace.root,
        strict=False,
    )
