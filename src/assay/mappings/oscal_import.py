"""Import an OSCAL catalog (JSON) as a framework catalog of the workspace.

OSCAL groups become groups; controls and their enhancements become requirements
under the control's label (``AC-2``, ``AC-2(1)``), enhancements with their base
control as ``parent``; statement prose (parameters shown as ``[label]``) is the
text; withdrawn controls are kept but not assessable. The result is validated
against the framework schema before it is written, atomically.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from assay.errors import FrameworkError, InvalidInput, Problem
from assay.schemas import validator_for

MAX_CATALOG_BYTES = 64 * 1024 * 1024
_INSERT = re.compile(r"\{\{\s*insert:\s*param,\s*([A-Za-z0-9_.\-]+)\s*\}\}")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class ImportResult:
    framework_id: str
    path: Path
    groups: int
    requirements: int
    withdrawn: int


def read_oscal_catalog(path: Path, display: str) -> dict[str, Any]:
    """Read and minimally check an OSCAL catalog document."""
    if path.is_dir():
        raise InvalidInput([Problem(display, None, None, "is a directory, expected a JSON file")])
    try:
        size = path.stat().st_size
        if size > MAX_CATALOG_BYTES:
            raise InvalidInput(
                [
                    Problem(
                        display,
                        None,
                        None,
                        f"file is {size:,} bytes, over the {MAX_CATALOG_BYTES:,} byte limit",
                    )
                ]
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput([Problem(display, None, None, "no such file")]) from None
    except OSError as exc:
        raise InvalidInput([Problem(display, None, None, f"cannot read: {exc.strerror}")]) from None
    try:
        data = json.loads(raw)
    except UnicodeDecodeError:
        raise InvalidInput([Problem(display, None, None, "not UTF-8 JSON")]) from None
    except json.JSONDecodeError as exc:
        raise InvalidInput([Problem(display, exc.lineno, exc.colno, exc.msg)]) from None
    except (RecursionError, ValueError):  # nesting, or an integer of thousands of digits
        raise InvalidInput(
            [Problem(display, None, None, "JSON nested too deeply or a number too large")]
        ) from None
    catalog = data.get("catalog") if isinstance(data, dict) else None
    if not isinstance(catalog, dict):
        raise InvalidInput(
            [Problem(display, 1, 1, "not an OSCAL catalog: no top-level 'catalog' object")]
        )
    metadata = catalog.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("title"), str):
        raise InvalidInput([Problem(display, None, None, "catalog.metadata.title is missing")])
    return catalog


def _items(value: Any) -> list[Any]:
    """``value`` when it is a list, else nothing: a catalog is not trusted to be well formed."""
    return value if isinstance(value, list) else []


def _label(control: dict[str, Any]) -> str:
    props = control.get("props", [])
    for prop in props if isinstance(props, list) else []:
        if isinstance(prop, dict) and prop.get("name") == "label" and "class" not in prop:
            return str(prop.get("value", "")).strip()
    for prop in props if isinstance(props, list) else []:
        if isinstance(prop, dict) and prop.get("name") == "label":
            return str(prop.get("value", "")).strip()
    return str(control.get("id", "")).upper()


def _withdrawn(control: dict[str, Any]) -> bool:
    props = control.get("props", [])
    return any(
        isinstance(p, dict) and p.get("name") == "status" and p.get("value") == "withdrawn"
        for p in (props if isinstance(props, list) else [])
    )


def _prose(parts: Any, params: dict[str, str]) -> Iterator[str]:
    for part in parts if isinstance(parts, list) else []:
        if not isinstance(part, dict):
            continue
        prose = part.get("prose")
        if isinstance(prose, str):
            label = _label(part)
            text = _INSERT.sub(lambda m: f"[{params.get(m.group(1), m.group(1))}]", prose)
            has_label = label and label != str(part.get("id", "")).upper()
            yield f"{label} {text}" if has_label else text
        yield from _prose(part.get("parts"), params)


def _statement(control: dict[str, Any], params: dict[str, str]) -> str | None:
    parts = [p for p in _items(control.get("parts")) if isinstance(p, dict)]
    statements = [p for p in parts if p.get("name") == "statement"]
    text = " ".join(_prose(statements, params))
    text = _SPACE.sub(" ", text).strip()
    return text or None


def _params(control: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for param in _items(control.get("params")):
        if not isinstance(param, dict) or "id" not in param:
            continue
        label = param.get("label")
        if not label and isinstance(param.get("select"), dict):
            choices = _items(param["select"].get("choice"))
            label = "Selection: " + "; ".join(str(c) for c in choices if isinstance(c, str))
        found[str(param["id"])] = _SPACE.sub(" ", str(label or param["id"])).strip()
    return found


def _line(text: Any, fallback: str) -> str:
    value = _SPACE.sub(" ", str(text or "")).strip()
    return value or fallback


def catalog_to_framework(catalog: dict[str, Any], framework_id: str) -> dict[str, Any]:
    """The framework document (plain data in the catalog YAML format)."""
    metadata = catalog["metadata"]
    groups: list[dict[str, Any]] = []
    requirements: list[dict[str, Any]] = []

    def add_control(
        control: Any, group: str | None, parent: str | None, inherited: dict[str, str]
    ) -> None:
        if not isinstance(control, dict):
            return
        params = {**inherited, **_params(control)}
        label = _label(control)
        title = _line(control.get("title"), label)
        entry: dict[str, Any] = {"id": label, "title": title[:200]}
        if group:
            entry["group"] = group
        text = _statement(control, params)
        if text:
            entry["text"] = text
        if parent:
            entry["parent"] = parent
        if _withdrawn(control):
            entry["assessable"] = False
        requirements.append(entry)
        for child in _items(control.get("controls")):
            add_control(child, group, label, params)

    def add_group(group: Any, parent: str | None) -> None:
        if not isinstance(group, dict):
            return
        group_id = _line(group.get("id") or _label(group), "group").upper()
        entry: dict[str, Any] = {"id": group_id, "title": _line(group.get("title"), group_id)}
        if parent:
            entry["parent"] = parent
        groups.append(entry)
        for control in _items(group.get("controls")):
            add_control(control, group_id, None, {})
        for sub in _items(group.get("groups")):
            add_group(sub, group_id)

    for group in _items(catalog.get("groups")):
        add_group(group, None)
    for control in _items(catalog.get("controls")):
        add_control(control, None, None, {})
    version = _line(metadata.get("version"), "unversioned")
    title = _line(metadata.get("title"), framework_id)
    document: dict[str, Any] = {
        "id": framework_id,
        "title": title,
        "version": version,
        "publisher": _publisher(metadata),
        "description": (
            f"Imported from the OSCAL catalog '{title}' (version {version}, OSCAL "
            f"{_line(metadata.get('oscal-version'), 'unknown')}). Controls and enhancements "
            "are requirements under their labels; withdrawn controls are not assessable."
        ),
        "groups": groups,
        "requirements": requirements,
    }
    if not groups:
        del document["groups"]
    return document


def _publisher(metadata: dict[str, Any]) -> str:
    parties = {
        p.get("uuid"): p.get("name") for p in _items(metadata.get("parties")) if isinstance(p, dict)
    }
    for responsible in _items(metadata.get("responsible-parties")):
        if isinstance(responsible, dict) and responsible.get("role-id") == "creator":
            for uuid in _items(responsible.get("party-uuids")):
                if parties.get(uuid):
                    return _line(parties[uuid], "unknown")
    return "unknown"


def slugify(text: str, limit: int = 48) -> str:
    """A lowercase slug of ``text``, cut at a word boundary to at most ``limit`` characters."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(slug) > limit:
        cut = slug[: limit + 1]
        slug = cut[: cut.rfind("-")] if "-" in cut else slug[:limit]
    return slug.strip("-") or "imported"


def import_oscal_catalog(
    source: Path,
    frameworks_dir: Path,
    *,
    framework_id: str | None,
    existing: set[str],
    force: bool = False,
    display: str | None = None,
) -> ImportResult:
    """Convert ``source`` and write ``frameworks_dir/<id>.yaml``; nothing is written on error."""
    name = display or str(source)
    catalog = read_oscal_catalog(source, name)
    chosen = framework_id or slugify(str(catalog["metadata"]["title"]))
    if not re.fullmatch(r"[a-z0-9]+(?:[-.][a-z0-9]+)*", chosen) or len(chosen) > 64:
        raise FrameworkError(
            f"framework id '{chosen}' is not a lowercase slug (letters, digits, - and .)"
        )
    target = frameworks_dir / f"{chosen}.yaml"
    if chosen in existing and not (force and target.exists()):
        raise FrameworkError(
            f"framework id '{chosen}' is already in use", hint="choose another with --id"
        )
    if target.exists() and not force:
        raise FrameworkError(f"{target} already exists", hint="pass --force to replace it")
    document = catalog_to_framework(catalog, chosen)
    problems = _check(document, name)
    if problems:
        raise InvalidInput(problems)
    frameworks_dir.mkdir(parents=True, exist_ok=True)
    text = "# Imported by 'assay frameworks import'; edit with care.\n" + yaml.safe_dump(
        document, sort_keys=False, allow_unicode=True, width=100
    )
    _atomic_write(target, text)
    return ImportResult(
        framework_id=chosen,
        path=target,
        groups=len(document.get("groups", [])),
        requirements=len(document["requirements"]),
        withdrawn=sum(1 for r in document["requirements"] if r.get("assessable") is False),
    )


def _check(document: dict[str, Any], display: str) -> list[Problem]:
    problems = [
        Problem(
            display,
            None,
            None,
            f"converted catalog is invalid at "
            f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message}",
        )
        for error in validator_for("framework").iter_errors(document)
    ]
    seen: set[str] = set()
    for requirement in document["requirements"]:
        if requirement["id"] in seen:
            problems.append(
                Problem(display, None, None, f"two controls share the label {requirement['id']}")
            )
        seen.add(requirement["id"])
    return problems[:20]


def _atomic_write(target: Path, text: str) -> None:
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        Path(temp).replace(target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
