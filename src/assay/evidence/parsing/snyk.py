"""Snyk's dependency reports: ``snyk test --json``, ``snyk container test --json``, and the
package versions Snyk's SARIF names.

JSON. A report is one project object, or a list of them (``--all-projects``); a container
report may hold its image's applications under ``applications``, each a project object.
Every entry of a project's ``vulnerabilities`` is one dependency path (``from``) to one
vulnerable package version (``packageName``, ``version``) for one issue ``id``: an issue
appears once per path and once per affected version. A finding is one (package, version,
issue), so an issue that reaches four package versions is four findings, however many paths
lead to each. Licence issues (``type: license``) are policy findings, not vulnerabilities,
and are left out. A finding is fixable when Snyk offers an upgrade or a patch
(``isUpgradable``, ``isPatchable``) or names a fixed version (``fixedIn``).

SARIF (``--sarif``). Snyk writes one result per issue, whose location's
``logicalLocations[0].fullyQualifiedName`` is the first affected ``package@version``.
Snyk Open Source also lists every dependency path in the rule's ``help.markdown``, one
``_Introduced through_: a@1 › b@2 › pkg@3`` line per path, whose last element is an
affected package version: together they give every affected version of the issue.
"""

from __future__ import annotations

import re
from typing import Any

from assay.evidence.parsing.errors import refuse
from assay.evidence.parsing.findings import (
    Finding,
    Scan,
    advisory_id,
    ecosystem,
    objects_at,
    severity_at,
    text_at,
)
from assay.evidence.parsing.values import shape

#: Keys of a Snyk project report besides ``vulnerabilities`` (one must be there).
_PROJECT_KEYS = frozenset({"dependencyCount", "uniqueCount", "projectName", "displayTargetFile"})
_INTRODUCED = re.compile(r"_Introduced through_:\s*(.+)")
#: Separators Snyk writes between the packages of a dependency path.
_PATH_SEPARATORS = re.compile(r"\s+(?:\u203a|>)\s+")


def _project(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("vulnerabilities"), list)
        and "packageManager" in value
        and bool(_PROJECT_KEYS & set(value))
    )


def is_snyk_json(document: Any) -> bool:
    """Whether ``document`` is a Snyk JSON report (one project, or a list of projects)."""
    if isinstance(document, list):
        return bool(document) and all(_project(item) for item in document)
    return _project(document)


def looks_like_snyk_json(head: str) -> bool:
    """Whether the start of a truncated file reads like a Snyk JSON report."""
    return (
        '"vulnerabilities"' in head
        and '"packageManager"' in head
        and ('"packageName"' in head or '"dependencyCount"' in head or '"uniqueCount"' in head)
    )


def _fixable(vuln: dict[str, Any]) -> bool:
    fixed = vuln.get("fixedIn")
    return (
        vuln.get("isUpgradable") is True
        or vuln.get("isPatchable") is True
        or (isinstance(fixed, list) and any(isinstance(v, str) and v for v in fixed))
    )


def _projects(document: Any, name: str) -> list[tuple[str, dict[str, Any]]]:
    """Every project of the report with where it sits (applications of an image included)."""
    items = document if isinstance(document, list) else [document]
    found: list[tuple[str, dict[str, Any]]] = []
    for number, item in enumerate(items):
        where = f"[{number}]" if isinstance(document, list) else ""
        if not isinstance(item, dict):
            raise refuse(name, f"{where or 'the report'} must be an object, not {shape(item)}")
        found.append((where, item))
        for index, app in enumerate(objects_at(item, "applications", where, name)):
            found.append(
                (f"{where}.applications[{index}]" if where else f"applications[{index}]", app)
            )
    return found


def read_snyk(document: Any, name: str) -> Scan:
    scan = Scan("snyk")
    scanned: int | None = 0
    for where, project in _projects(document, name):
        count = project.get("dependencyCount")
        if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
            scanned = None if scanned is None else scanned + count
        else:
            scanned = None
        vulns = objects_at(project, "vulnerabilities", where, name)
        system = ecosystem(project.get("packageManager"))
        if system:
            scan.ecosystems.add(system)
        for index, vuln in enumerate(vulns):
            at = f"{where}.vulnerabilities[{index}]" if where else f"vulnerabilities[{index}]"
            if vuln.get("type") == "license":
                continue
            package = text_at(vuln, "packageName") or text_at(vuln, "name")
            if not package.strip():
                raise refuse(name, f"{at}.packageName is missing: every finding names its package")
            scan.findings.append(
                Finding(
                    package,
                    text_at(vuln, "version"),
                    advisory_id(vuln, "id", at, name),
                    severity_at(vuln, "severity", at, name),
                    _fixable(vuln),
                )
            )
    scan.scanned = scanned
    return scan


def split_package(text: str) -> tuple[str, str] | None:
    """``name@version`` -> (name, version); scoped npm names (``@scope/name@1``) included."""
    package, at, version = text.strip().rpartition("@")
    if not at or not package or not version or package.endswith("/"):
        return None
    return package, version


def introduced(markdown: str) -> list[tuple[str, str]]:
    """The affected package version at the end of every dependency path a rule's help lists."""
    found: list[tuple[str, str]] = []
    for match in _INTRODUCED.finditer(markdown):
        last = _PATH_SEPARATORS.split(match.group(1).strip())[-1]
        package = split_package(last)
        if package is not None and package not in found:
            found.append(package)
    return found
