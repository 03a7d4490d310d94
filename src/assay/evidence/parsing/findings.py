"""Dependency findings as every scanner's reader builds them, and the checked accessors the
readers share: a list that must hold objects, an advisory id every finding must name, a
severity word or score, each refused by its place in the report when it has the wrong shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from assay.evidence.parsing.errors import refuse
from assay.evidence.parsing.severity import checked_severity
from assay.evidence.parsing.values import shape

#: Package types scanners use, to the ecosystem names OSV uses (lower case).
ECOSYSTEMS = {
    "pip": "pypi",
    "pipenv": "pypi",
    "poetry": "pypi",
    "python": "pypi",
    "python-pkg": "pypi",
    "uv": "pypi",
    "npm": "npm",
    "yarn": "npm",
    "pnpm": "npm",
    "node-pkg": "npm",
    "gomod": "go",
    "gomodules": "go",
    "golangdep": "go",
    "gobinary": "go",
    "go-module": "go",
    "cargo": "crates.io",
    "rust-crate": "crates.io",
    "jar": "maven",
    "pom": "maven",
    "java-archive": "maven",
    "gradle": "maven",
    "sbt": "maven",
    "bundler": "rubygems",
    "gemspec": "rubygems",
    "gem": "rubygems",
    "composer": "packagist",
    "php-composer": "packagist",
    "nuget": "nuget",
    "dotnet-core": "nuget",
    "deb": "debian",
    "apk": "alpine",
    "rpm": "rpm",
}


def ecosystem(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    lowered = value.strip().lower()
    return ECOSYSTEMS.get(lowered, lowered)


@dataclass(frozen=True)
class Finding:
    package: str
    version: str
    advisory: str
    severity: str
    fixable: bool


@dataclass
class Scan:
    """One report, reduced to findings."""

    format: str
    findings: list[Finding] = field(default_factory=list)
    ecosystems: set[str] = field(default_factory=set)
    scanned: int | None = None
    created: datetime | None = None


def objects_at(holder: dict[str, Any], key: str, where: str, name: str) -> list[dict[str, Any]]:
    """The list of objects under ``key``: absent or null is empty (Go writes null for an
    empty list); any other shape, or an entry that is not an object, refuses the file."""
    value = holder.get(key)
    if value is None:
        return []
    at = f"{where}.{key}" if where else key
    if not isinstance(value, list):
        raise refuse(name, f"{at} must be a list, not {shape(value)}")
    for number, item in enumerate(value):
        if not isinstance(item, dict):
            raise refuse(name, f"{at}[{number}] must be an object, not {shape(item)}")
    return value


def object_at(holder: dict[str, Any], key: str, where: str, name: str) -> dict[str, Any]:
    value = holder.get(key)
    if not isinstance(value, dict):
        raise refuse(name, f"{where}.{key} must be an object, not {shape(value)}")
    return value


def advisory_id(holder: dict[str, Any], key: str, where: str, name: str) -> str:
    """The advisory id an entry must name."""
    value = holder.get(key)
    if isinstance(value, str) and value.strip():
        return value
    found = "is missing" if key not in holder else f"is {shape(value)}"
    raise refuse(name, f"{where}.{key} {found}: every finding names its advisory")


def severity_at(holder: dict[str, Any], key: str, where: str, name: str) -> str:
    """The severity an entry states; ``unknown`` only when it states none."""
    if key not in holder:
        return "unknown"
    return checked_severity(holder[key], f"{where}.{key}", name)


def text_at(holder: dict[str, Any], key: str) -> str:
    value = holder.get(key)
    return value if isinstance(value, str) else ""
