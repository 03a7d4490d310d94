"""``deps.vulnerabilities`` from dependency scanners: pip-audit, osv-scanner, Trivy, Grype, SARIF.

Recognised by content (JSON):

- pip-audit ``-f json``: an object with ``dependencies`` whose items have ``vulns`` (or
  the older bare list of such items);
- osv-scanner ``--format json``: an object with ``results`` whose items have ``packages``;
- Trivy ``--format json``: an object with ``SchemaVersion`` and ``Results`` (or
  ``ArtifactName``);
- Grype ``-o json``: an object with ``matches`` and a ``descriptor`` naming grype;
- SARIF 2.1.0 whose every run comes from a dependency scanner (see the ``sarif`` parser).

A finding is one advisory affecting one package version; the same (package, version,
advisory) twice counts once. Severities are taken from the report and normalised to
critical/high/medium/low/unknown ("moderate" is medium, "negligible" is low); where only
a CVSS score is given it is banded (≥ 9 critical, ≥ 7 high, ≥ 4 medium, > 0 low). A finding
is fixable when the report names a fixed version.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from assay.evidence.collectors.interface import ArtefactParser, ArtefactTarget, CollectContext, Part
from assay.evidence.collectors.sarif import (
    SEVERITIES,
    from_dependency_scanner,
    is_sarif,
    severity_band,
    walk_sarif,
)
from assay.evidence.parsing.errors import refuse
from assay.evidence.parsing.recognition import Recognition
from assay.evidence.parsing.values import parse_time, text_of

MAX_ADVISORY_IDS = 100

_SEVERITY_WORDS = {
    "critical": "critical",
    "high": "high",
    "important": "high",
    "medium": "medium",
    "moderate": "medium",
    "low": "low",
    "negligible": "low",
    "minor": "low",
}

#: Package types scanners use, to the ecosystem names OSV uses (lower case).
_ECOSYSTEMS = {
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
    "gobinary": "go",
    "go-module": "go",
    "cargo": "crates.io",
    "rust-crate": "crates.io",
    "jar": "maven",
    "pom": "maven",
    "java-archive": "maven",
    "gradle": "maven",
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


def severity_word(value: Any) -> str:
    """A scanner's severity word or score, normalised."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return severity_band(value)
    if not isinstance(value, str):
        return "unknown"
    word = _SEVERITY_WORDS.get(value.strip().lower())
    return word if word is not None else severity_band(value)


def ecosystem(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    lowered = value.strip().lower()
    return _ECOSYSTEMS.get(lowered, lowered)


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


# ------------------------------------------------------------------------ formats


def detect(found: Recognition) -> str | None:
    """The report format, or None when this is not a dependency scan."""
    if is_sarif(found):
        return "sarif" if from_dependency_scanner(found) else None
    if not found.parsed:
        head = found.head
        if found.form != "json":
            return None
        if '"SchemaVersion"' in head and ('"Results"' in head or '"ArtifactName"' in head):
            return "trivy"
        if '"matches"' in head and ('"vulnerability"' in head or "grype" in head):
            return "grype"
        if '"results"' in head and '"packages"' in head and '"source"' in head:
            return "osv-scanner"
        if '"dependencies"' in head and '"vulns"' in head:
            return "pip-audit"
        return None
    document = found.document
    if isinstance(document, list):
        return "pip-audit" if document and all(_pip_audit_dep(item) for item in document) else None
    if not isinstance(document, dict):
        return None
    keys = set(document)
    if "SchemaVersion" in keys and ({"Results", "ArtifactName"} & keys):
        return "trivy"
    descriptor = document.get("descriptor")
    if "matches" in keys and (
        (isinstance(descriptor, dict) and descriptor.get("name") == "grype") or "source" in keys
    ):
        return "grype"
    results = document.get("results")
    if isinstance(results, list) and _osv_results(results, keys):
        return "osv-scanner"
    dependencies = document.get("dependencies")
    if isinstance(dependencies, list) and all(_pip_audit_dep(item) for item in dependencies):
        return "pip-audit"
    return None


def _osv_results(results: list[Any], keys: set[str]) -> bool:
    if not results:  # an empty scan: recognised only when nothing else is in the object
        return keys <= {"results", "experimental_config_analysis", "license_summary"}
    return all(isinstance(item, dict) and "packages" in item for item in results)


def _pip_audit_dep(item: Any) -> bool:
    return isinstance(item, dict) and "name" in item and ("vulns" in item or "skip_reason" in item)


def read_pip_audit(document: Any, name: str) -> Scan:
    dependencies = document if isinstance(document, list) else document.get("dependencies")
    if not isinstance(dependencies, list):
        raise refuse(name, "pip-audit JSON needs a 'dependencies' list")
    scan = Scan("pip-audit", ecosystems={"pypi"}, scanned=len(dependencies))
    for dep in dependencies:
        if not isinstance(dep, dict):
            continue
        package, version = str(dep.get("name", "")), str(dep.get("version", ""))
        for vuln in dep.get("vulns") or ():
            if isinstance(vuln, dict) and text_of(vuln.get("id")):
                fixed = vuln.get("fix_versions")
                scan.findings.append(Finding(package, version, vuln["id"], "unknown", bool(fixed)))
    return scan


def read_osv(document: dict[str, Any], name: str) -> Scan:
    scan = Scan("osv-scanner")
    for result in document.get("results") or ():
        for entry in (result.get("packages") or ()) if isinstance(result, dict) else ():
            if isinstance(entry, dict):
                _osv_package(entry, scan)
    return scan


def _osv_package(entry: dict[str, Any], scan: Scan) -> None:
    package = entry.get("package") if isinstance(entry.get("package"), dict) else {}
    assert isinstance(package, dict)
    name, version = str(package.get("name", "")), str(package.get("version", ""))
    system = ecosystem(package.get("ecosystem"))
    if system:
        scan.ecosystems.add(system)
    vulns = {
        vuln["id"]: vuln
        for vuln in entry.get("vulnerabilities") or ()
        if isinstance(vuln, dict) and text_of(vuln.get("id"))
    }
    groups = [g for g in entry.get("groups") or () if isinstance(g, dict) and g.get("ids")]
    if not groups:
        groups = [{"ids": [vid]} for vid in vulns]
    for group in groups:
        ids = [i for i in group["ids"] if isinstance(i, str)]
        if not ids:
            continue
        members = [vulns[i] for i in ids if i in vulns]
        severity = (
            severity_band(group.get("max_severity")) if group.get("max_severity") else "unknown"
        )
        if severity == "unknown":
            severity = _osv_severity(members)
        fixable = any(_osv_fixed(vuln, name) for vuln in members)
        scan.findings.append(Finding(name, version, sorted(ids)[0], severity, fixable))


def _osv_severity(vulns: list[dict[str, Any]]) -> str:
    ranks = {word: rank for rank, word in enumerate(reversed(SEVERITIES))}
    best = "unknown"
    for vuln in vulns:
        specific = vuln.get("database_specific")
        word = severity_word(specific.get("severity")) if isinstance(specific, dict) else "unknown"
        if ranks[word] > ranks[best]:
            best = word
    return best


def _osv_fixed(vuln: dict[str, Any], package: str) -> bool:
    for affected in vuln.get("affected") or ():
        if not isinstance(affected, dict):
            continue
        pkg = affected.get("package")
        if isinstance(pkg, dict) and pkg.get("name") not in (None, package):
            continue
        for span in affected.get("ranges") or ():
            events = span.get("events") if isinstance(span, dict) else None
            if any(isinstance(e, dict) and "fixed" in e for e in events or ()):
                return True
    return False


def read_trivy(document: dict[str, Any], name: str) -> Scan:
    scan = Scan("trivy", created=parse_time(document.get("CreatedAt")))
    results = document.get("Results") or []
    if not isinstance(results, list):
        raise refuse(name, "Trivy JSON 'Results' must be a list")
    counted: int | None = 0
    for result in results:
        if not isinstance(result, dict):
            continue
        system = ecosystem(result.get("Type"))
        packages = result.get("Packages")
        if isinstance(packages, list) and counted is not None:
            counted += len(packages)
        elif result.get("Class") in ("lang-pkgs", "os-pkgs"):
            counted = None
        vulns = result.get("Vulnerabilities") or ()
        if system and (vulns or isinstance(packages, list)):
            scan.ecosystems.add(system)
        for vuln in vulns:
            if isinstance(vuln, dict) and text_of(vuln.get("VulnerabilityID")):
                scan.findings.append(
                    Finding(
                        str(vuln.get("PkgName", "")),
                        str(vuln.get("InstalledVersion", "")),
                        vuln["VulnerabilityID"],
                        severity_word(vuln.get("Severity")),
                        bool(text_of(vuln.get("FixedVersion"))),
                    )
                )
    scan.scanned = counted if counted else None
    return scan


def read_grype(document: dict[str, Any], name: str) -> Scan:
    descriptor = document.get("descriptor")
    stamp = parse_time(descriptor.get("timestamp")) if isinstance(descriptor, dict) else None
    scan = Scan("grype", created=stamp)
    matches = document.get("matches")
    if not isinstance(matches, list):
        raise refuse(name, "Grype JSON 'matches' must be a list")
    for match in matches:
        if not isinstance(match, dict):
            continue
        vuln = match.get("vulnerability")
        artifact = match.get("artifact")
        if not isinstance(vuln, dict) or not isinstance(artifact, dict):
            continue
        if not text_of(vuln.get("id")):
            continue
        system = ecosystem(artifact.get("type"))
        if system:
            scan.ecosystems.add(system)
        fix = vuln.get("fix")
        fixable = isinstance(fix, dict) and (
            fix.get("state") == "fixed" or bool(fix.get("versions"))
        )
        scan.findings.append(
            Finding(
                str(artifact.get("name", "")),
                str(artifact.get("version", "")),
                vuln["id"],
                severity_word(vuln.get("severity")),
                fixable,
            )
        )
    return scan


_SARIF_PACKAGE = (
    # Trivy writes lines "Package: <name>", "Installed Version: <v>", "Fixed Version: <v>".
    re.compile(r"Package:\s*(?P<package>\S+)\s+Installed Version:\s*(?P<version>\S+)"),
    # Grype writes "a <severity> vulnerability in <type> package: <name>, version <v> ...".
    re.compile(r"package:\s*(?P<package>[^\s,]+),\s*version\s+(?P<version>\S+)"),
)
_SARIF_FIXED = re.compile(r"Fixed Version:\s*(\S+)")


def read_sarif(document: Any, name: str) -> Scan:
    """Dependency scanner SARIF: the rule id is the advisory.

    SARIF has no fields for packages or fixes, so they are read from the result message
    where the scanner writes them (Trivy and Grype do); otherwise the result's file stands
    in for the package and the finding counts as not fixable.
    """
    walk = walk_sarif(document, name, keep=True)
    scan = Scan("sarif", created=walk.finished)
    for result in walk.results:
        text = result.message or ""
        package, version = result.uri or "", ""
        for pattern in _SARIF_PACKAGE:
            match = pattern.search(text)
            if match:
                package, version = match.group("package"), match.group("version")
                break
        fixed = _SARIF_FIXED.search(text)
        scan.findings.append(
            Finding(package, version, result.rule, result.severity, fixed is not None)
        )
    return scan


_READERS = {
    "pip-audit": read_pip_audit,
    "osv-scanner": read_osv,
    "trivy": read_trivy,
    "grype": read_grype,
    "sarif": read_sarif,
}


def _unique(scans: Sequence[Scan]) -> Iterator[Finding]:
    seen: set[tuple[str, str, str]] = set()
    for scan in scans:
        for finding in scan.findings:
            key = (finding.package, finding.version, finding.advisory)
            if key not in seen:
                seen.add(key)
                yield finding


class VulnerabilityParser(ArtefactParser):
    """Dependency scan reports -> ``deps.vulnerabilities``."""

    name = "vulns"
    version = "1.0.0"
    kind = "deps.vulnerabilities"
    mergeable = True
    formats = "pip-audit, osv-scanner, Trivy or Grype JSON or dependency-scanner SARIF"

    def recognise(self, found: Recognition) -> bool:
        return detect(found) is not None

    def parse(self, target: ArtefactTarget, found: Recognition, context: CollectContext) -> Part:
        if found.error is not None:
            raise found.error
        form = detect(found)
        assert form is not None
        scan = _READERS[form](found.document, target.name)
        media = "application/sarif+json" if form == "sarif" else "application/json"
        return self.part(target, scan, scan.created, media)

    def summarise(self, parts: Sequence[Part]) -> dict[str, Any]:
        scans: list[Scan] = [part.value for part in parts]
        findings = list(_unique(scans))
        formats = {scan.format for scan in scans}
        scanned = [scan.scanned for scan in scans]
        by_severity = dict.fromkeys(SEVERITIES, 0)
        fixable_by = dict.fromkeys(SEVERITIES, 0)
        for finding in findings:
            by_severity[finding.severity] += 1
            if finding.fixable:
                fixable_by[finding.severity] += 1
        advisories = sorted({finding.advisory for finding in findings})
        fixable = sum(1 for finding in findings if finding.fixable)
        return {
            "format": formats.pop() if len(formats) == 1 else "mixed",
            "ecosystems": sorted(set().union(*(scan.ecosystems for scan in scans)))[:30],
            "dependencies_scanned": (
                sum(s for s in scanned if s is not None) if None not in scanned else None
            ),
            "total": len(findings),
            "advisories": len(advisories),
            "packages_affected": len({(f.package, f.version) for f in findings if f.package}),
            "advisory_ids": advisories[:MAX_ADVISORY_IDS],
            "by_severity": by_severity,
            "fixable": fixable,
            "unfixable": len(findings) - fixable,
            "fixable_by_severity": fixable_by,
        }
