"""Everything the rules consist of, loaded together: library, frameworks, crosswalks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assay.controls.loader import Library, load_library
from assay.errors import InvalidInput, Problem
from assay.mappings.catalog import Framework, load_frameworks
from assay.mappings.crosswalk import Crosswalks, load_crosswalks
from assay.workspace import Workspace


@dataclass
class Governance:
    library: Library
    frameworks: dict[str, Framework]
    crosswalks: Crosswalks


def load_governance(
    workspace: Workspace | None,
    extra_control_paths: Sequence[Path] = (),
    *,
    strict: bool = False,
) -> Governance:
    """Load and cross-check library, catalogs and crosswalks, reporting every problem.

    ``strict`` also schema-checks the built-in catalogs (``assay library validate``).
    """
    problems: list[Problem] = []
    control_paths = list(extra_control_paths)
    builtin = True
    framework_dirs: list[Path] = []
    crosswalk_dirs: list[Path] = []
    if workspace is not None:
        control_paths = [*workspace.control_paths, *control_paths]
        builtin = workspace.use_builtin_library
        framework_dirs.append(workspace.frameworks_dir)
        crosswalk_dirs.append(workspace.crosswalks_dir)
    display = workspace.display if workspace is not None else str
    library: Library | None = None
    frameworks: dict[str, Framework] | None = None
    try:
        library = load_library(
            control_paths,
            builtin=builtin,
            display_root=workspace.root if workspace else None,
            strict=strict,
        )
    except InvalidInput as exc:
        problems.extend(exc.problems)
    try:
        frameworks = load_frameworks(framework_dirs, display, strict=strict)
    except InvalidInput as exc:
        problems.extend(exc.problems)
    if library is None or frameworks is None:
        raise InvalidInput(problems)
    crosswalks = load_crosswalks(
        library, frameworks, crosswalk_dirs, builtin=builtin, label=display
    )
    return Governance(library, frameworks, crosswalks)
