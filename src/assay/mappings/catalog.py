"""Framework catalogs: the built-in ones and those a workspace adds."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from assay.errors import FrameworkError, InvalidInput, Problem, raise_if_problems
from assay.mappings.soa_layout import SoaSheet, parse_soa
from assay.schemas import check_document
from assay.yamlfile import load_yaml, yaml_files

MAX_CATALOG_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Requirement:
    """One requirement of a framework, under the framework's own id."""

    id: str
    title: str
    group: str | None = None
    text: str | None = None
    parent: str | None = None
    assessable: bool = True


@dataclass(frozen=True)
class Group:
    id: str
    title: str
    parent: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class Framework:
    """An external catalog of requirements."""

    id: str
    title: str
    version: str
    publisher: str = ""
    description: str = ""
    groups: tuple[Group, ...] = ()
    requirements: tuple[Requirement, ...] = ()
    source: str = ""
    short_title: str = ""
    soa: tuple[SoaSheet, ...] = ()
    by_id: dict[str, Requirement] = field(default_factory=dict, compare=False, hash=False)

    def requirement(self, requirement_id: str) -> Requirement | None:
        return self.by_id.get(requirement_id)

    @property
    def assessable(self) -> tuple[Requirement, ...]:
        return tuple(r for r in self.requirements if r.assessable)


def builtin_frameworks_dir() -> Path:
    return Path(str(resources.files("assay.mappings").joinpath("frameworks")))


def load_framework_file(
    path: Path, display: str | None = None, *, validate: bool = True
) -> Framework:
    """Load and validate one catalog file; raise :class:`InvalidInput` on problems.

    ``validate=False`` skips the JSON Schema check (not the id checks): only for the
    built-in catalogs, which the test suite validates and which cost more to check
    than to use.
    """
    document = load_yaml(path, display=display, max_bytes=MAX_CATALOG_BYTES, max_nodes=2_000_000)
    problems = check_document(document, "framework") if validate else []
    raise_if_problems(problems)
    data = document.data
    groups = tuple(
        Group(g["id"], g["title"], g.get("parent"), g.get("text")) for g in data.get("groups", [])
    )
    requirements = tuple(
        Requirement(
            id=r["id"],
            title=r["title"],
            group=r.get("group"),
            text=r.get("text"),
            parent=r.get("parent"),
            assessable=r.get("assessable", True),
        )
        for r in data["requirements"]
    )
    by_id: dict[str, Requirement] = {}
    for index, requirement in enumerate(requirements):
        if requirement.id in by_id:
            problems.append(
                document.problem(
                    ("requirements", index, "id"), f"duplicate requirement id '{requirement.id}'"
                )
            )
        by_id[requirement.id] = requirement
    soa, soa_problems = parse_soa(data.get("soa"), document, groups)
    problems.extend(soa_problems)
    raise_if_problems(problems)
    return Framework(
        id=data["id"],
        title=data["title"],
        version=str(data["version"]),
        publisher=data.get("publisher", ""),
        description=data.get("description", ""),
        groups=groups,
        requirements=requirements,
        source=document.path,
        short_title=data.get("short_title", ""),
        soa=soa,
        by_id=by_id,
    )


def load_frameworks(
    extra_dirs: Sequence[Path] = (),
    label: Callable[[Path], str] = str,
    *,
    strict: bool = False,
) -> dict[str, Framework]:
    """Built-in catalogs plus every catalog in ``extra_dirs``, by framework id.

    Workspace catalogs are always schema-checked; built-in ones only when ``strict``.
    """
    problems: list[Problem] = []
    frameworks: dict[str, Framework] = {}
    sources = [
        (p, f"assay/mappings/frameworks/{p.name}", strict)
        for p in yaml_files(builtin_frameworks_dir())
    ]
    for folder in extra_dirs:
        sources.extend((p, label(p), True) for p in yaml_files(folder))
    for path, display, validate in sources:
        try:
            framework = load_framework_file(path, display, validate=validate)
        except InvalidInput as exc:
            problems.extend(exc.problems)
            continue
        if framework.id in frameworks:
            problems.append(
                Problem(
                    display,
                    None,
                    None,
                    f"framework id '{framework.id}' is already defined "
                    f"by {frameworks[framework.id].source}",
                )
            )
            continue
        frameworks[framework.id] = framework
    raise_if_problems(problems)
    return frameworks


def get_framework(frameworks: dict[str, Framework], framework_id: str) -> Framework:
    try:
        return frameworks[framework_id]
    except KeyError:
        known = ", ".join(sorted(frameworks))
        raise FrameworkError(
            f"unknown framework '{framework_id}'", hint=f"known frameworks: {known}"
        ) from None
