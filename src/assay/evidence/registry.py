"""Finding collectors: every one, built-in or not, comes from the ``assay.collectors``
entry-point group.

The built-ins are listed in Assay's own ``pyproject.toml`` like any third-party
plugin, so there is one discovery path and no hand-kept dictionary. A plugin that
cannot be loaded, or that is not a :class:`Collector`, stops collection with a
:class:`CollectorError` naming it: evidence must not silently lose a source.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import EntryPoint, entry_points

from assay.errors import CollectorError
from assay.evidence.collectors.interface import ENTRY_POINT_GROUP, Collector
from assay.evidence.kinds import kind_names

TARGETS = ("repo", "artefact", "environment")


def load_plugin(entry: EntryPoint) -> Collector:
    """The collector an entry point names, created and checked against its entry."""
    where = f"collector plugin '{entry.name}' ({entry.value})"
    try:
        loaded = entry.load()
    except Exception as exc:  # noqa: BLE001 - any import failure of a plugin is reported
        raise CollectorError(f"{where} cannot be loaded: {type(exc).__name__}: {exc}") from None
    if not (isinstance(loaded, type) and issubclass(loaded, Collector)):
        raise CollectorError(f"{where} is not a Collector class")
    try:
        collector = loaded()
    except Exception as exc:  # noqa: BLE001 - a plugin's constructor is third-party code
        raise CollectorError(f"{where} cannot be created: {type(exc).__name__}: {exc}") from None
    problems = []
    if getattr(collector, "name", None) != entry.name:
        problems.append(
            f"its name {getattr(collector, 'name', None)!r} differs from the entry point"
        )
    if getattr(collector, "target", None) not in TARGETS:
        problems.append(f"its target must be one of {', '.join(TARGETS)}")
    unknown = [k for k in getattr(collector, "kinds", ()) if k not in kind_names()]
    if unknown:
        problems.append(f"it declares unknown evidence kinds {', '.join(unknown)}")
    if not getattr(collector, "version", None):
        problems.append("it has no version")
    if problems:
        raise CollectorError(f"{where} is invalid: " + "; ".join(problems))
    return collector


@cache
def load_collectors() -> dict[str, Collector]:
    """Every registered collector by name, loaded once per process."""
    found: dict[str, Collector] = {}
    for entry in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if entry.name in found:
            raise CollectorError(f"collector plugin '{entry.name}' is registered twice")
        found[entry.name] = load_plugin(entry)
    return found


def collectors_for(target: str) -> list[Collector]:
    """The registered collectors that take ``target`` ("repo", "artefact", "environment")."""
    return [c for c in load_collectors().values() if c.target == target]
