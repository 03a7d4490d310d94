"""Crosswalks: control → requirement links with set relationships and rationales."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from assay.controls.loader import Library
from assay.errors import InvalidInput, Problem, raise_if_problems
from assay.mappings.catalog import Framework
from assay.schemas import check_document
from assay.yamlfile import load_yaml, yaml_files

FULL = frozenset({"equal", "superset"})
PARTIAL = frozenset({"subset", "intersect"})


@dataclass(frozen=True)
class Link:
    control: str
    framework: str
    requirement: str
    relationship: str
    rationale: str
    source: str = ""


@dataclass(frozen=True)
class Unmapped:
    framework: str
    requirement: str
    reason: str


@dataclass
class Crosswalks:
    links: list[Link]
    unmapped: list[Unmapped]

    def for_control(self, control_id: str) -> list[Link]:
        return [link for link in self.links if link.control == control_id]

    def for_framework(self, framework_id: str) -> list[Link]:
        return [link for link in self.links if link.framework == framework_id]


def builtin_crosswalks_dir() -> Path:
    return Path(str(resources.files("assay.mappings").joinpath("crosswalks")))


def load_crosswalks(
    library: Library,
    frameworks: dict[str, Framework],
    extra_dirs: Sequence[Path] = (),
    *,
    builtin: bool = True,
    label: Callable[[Path], str] = str,
) -> Crosswalks:
    """Load every crosswalk and check each link against the library and the catalogs.

    The built-in crosswalks link built-in controls, so they are loaded only with
    the built-in library (``builtin``).
    """
    problems: list[Problem] = []
    links: list[Link] = []
    unmapped: list[Unmapped] = []
    sources = [
        (path, f"assay/mappings/crosswalks/{path.name}")
        for path in (yaml_files(builtin_crosswalks_dir()) if builtin else ())
    ]
    for folder in extra_dirs:
        sources.extend((path, label(path)) for path in yaml_files(folder))
    seen: dict[tuple[str, str, str], str] = {}
    for path, display in sources:
        try:
            document = load_yaml(path, display=display, max_bytes=4 * 1024 * 1024)
        except InvalidInput as exc:
            problems.extend(exc.problems)
            continue
        found = check_document(document, "crosswalk")
        if found:
            problems.extend(found)
            continue
        data = document.data
        framework = frameworks.get(data["framework"])
        if framework is None:
            problems.append(
                document.problem(("framework",), f"unknown framework '{data['framework']}'")
            )
            continue
        for index, raw in enumerate(data["links"]):
            where = ("links", index)
            ok = True
            if raw["control"] not in library.controls:
                problems.append(
                    document.problem((*where, "control"), f"unknown control '{raw['control']}'")
                )
                ok = False
            requirement = framework.requirement(raw["requirement"])
            if requirement is None:
                problems.append(
                    document.problem(
                        (*where, "requirement"),
                        f"unknown requirement '{raw['requirement']}' in {framework.id}",
                    )
                )
                ok = False
            elif not requirement.assessable:
                problems.append(
                    document.problem(
                        (*where, "requirement"),
                        f"requirement '{raw['requirement']}' is a heading, not assessable; "
                        "link its sub-requirements",
                    )
                )
                ok = False
            key = (raw["control"], framework.id, raw["requirement"])
            if key in seen:
                problems.append(
                    document.problem(
                        where, f"{raw['control']} → {raw['requirement']} is linked twice"
                    )
                )
                ok = False
            seen[key] = display
            if ok:
                links.append(
                    Link(
                        control=raw["control"],
                        framework=framework.id,
                        requirement=raw["requirement"],
                        relationship=raw["relationship"],
                        rationale=raw["rationale"],
                        source=display,
                    )
                )
        linked_here = {raw["requirement"] for raw in data["links"]}
        for index, raw in enumerate(data.get("unmapped", [])):
            requirement = framework.requirement(raw["requirement"])
            at = ("unmapped", index, "requirement")
            if requirement is None:
                problems.append(
                    document.problem(
                        at, f"unknown requirement '{raw['requirement']}' in {framework.id}"
                    )
                )
                continue
            # A file that both links and excuses a requirement contradicts itself.
            if raw["requirement"] in linked_here:
                problems.append(
                    document.problem(
                        at,
                        f"requirement '{raw['requirement']}' is listed as unmapped but this "
                        "crosswalk links it",
                    )
                )
                continue
            if not requirement.assessable:
                problems.append(
                    document.problem(
                        at,
                        f"requirement '{raw['requirement']}' is a heading, not assessable; "
                        "it needs no unmapped entry",
                    )
                )
                continue
            unmapped.append(Unmapped(framework.id, raw["requirement"], raw["reason"]))
    raise_if_problems(problems)
    return Crosswalks(links, unmapped)
