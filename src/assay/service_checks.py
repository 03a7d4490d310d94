"""Checks on service constitutions beyond their schema, for ``assay services validate``.

The schema and the workspace loader already check each file's shape, ids against file
names, repo names and pipeline references. This adds what needs other knowledge:
governance file keys the repo.files collector knows, trusted-signer files that exist,
and exclusions that name controls of the library in force. Repository folders that
are not there are *notes*, not problems: a workspace is often validated where the
repositories are not cloned (in its own pull request pipeline, say).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assay.errors import InvalidInput, Problem, raise_if_problems
from assay.workspace import Service, Workspace
from assay.yamlfile import load_yaml


@dataclass
class ServiceCheck:
    services: dict[str, Service]
    notes: list[str] = field(default_factory=list)


def validate_services(workspace: Workspace, *, check_controls: bool = True) -> ServiceCheck:
    """Every service, checked; raises :class:`InvalidInput` listing every problem."""
    from assay.evidence.repofiles.governance import RULE_KEYS

    services = workspace.load_services()
    known_controls = _control_ids(workspace) if check_controls else None
    problems: list[Problem] = []
    notes: list[str] = []
    for service in services.values():
        path = workspace.services_dir / f"{service.id}.yaml"
        if not path.exists():
            path = workspace.services_dir / f"{service.id}.yml"
        document = load_yaml(path, display=workspace.display(path))
        for index, repo in enumerate(service.repos):
            for key in repo.files:
                if key not in RULE_KEYS:
                    problems.append(
                        document.problem(
                            ("repos", index, "files", key),
                            f"unknown governance file key '{key}' (known: {', '.join(RULE_KEYS)})",
                            key=True,
                        )
                    )
            if repo.allowed_signers is not None and not repo.allowed_signers.is_file():
                problems.append(
                    document.problem(
                        ("repos", index, "allowed_signers"),
                        f"no such file {workspace.display(repo.allowed_signers)}",
                    )
                )
            if repo.path is not None and not repo.path.is_dir():
                notes.append(
                    f"{document.path}: repo '{repo.name}' is not cloned here "
                    f"({workspace.display(repo.path)}); collection will fail until it is"
                )
        if known_controls is None:
            continue
        for index, item in enumerate(service.raw.get("exclusions", [])):
            if item["control"] not in known_controls:
                problems.append(
                    document.problem(
                        ("exclusions", index, "control"),
                        f"exclusion names unknown control '{item['control']}'",
                    )
                )
    raise_if_problems(problems)
    return ServiceCheck(services, notes)


def _control_ids(workspace: Workspace) -> frozenset[str] | None:
    """Ids of the controls in force, or None when the library is empty (nothing to check)."""
    from assay.governance import load_governance

    try:
        library = load_governance(workspace).library
    except InvalidInput:
        raise
    ids = frozenset(control.id for control in library.sorted())
    return ids or None
