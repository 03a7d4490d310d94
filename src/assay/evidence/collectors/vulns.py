"""``deps.vulnerabilities`` from dependency scanners: pip-audit, osv-scanner, Trivy, Grype, SARIF.

Recognised by content (JSON):

- pip-audit ``-f json``: an object with ``dependencies`` whose items have ``vulns`` (or
  the older bare list of such items);
- osv-scanner ``--format json``: an object with ``results`` whose items have ``packages``;
- Trivy ``--format json``: an object with ``SchemaVersion`` and ``Results`` (or
  ``ArtifactName``);
- Grype ``-o json``: an object with ``matches`` and a ``descriptor`` naming grype;
- Snyk ``snyk test --json`` and ``snyk container test --json`` (see
  :mod:`assay.evidence.parsing.snyk`): a project object with ``vulnerabilities`` and
  ``packageManager``, or a list of them;
- SARIF 2.1.0 whose every run comes from a dependency scanner (see the ``sarif`` parser):
  Trivy, Grype, Snyk Open Source, Snyk Container, osv-scanner and others.

A finding is one advisory affecting one package version; the same (package, version,
advisory) twice counts once. Severities are taken from the report and normalised to
critical/high/medium/low/unknown ("moderate" is medium, "negligible" is low); where only
a CVSS score is given it is banded (≥ 9 critical, ≥ 7 high, ≥ 4 medium, > 0 low). A finding
is fixable when the report names a fixed version.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from assay.evidence.collectors.interface import ArtefactParser, ArtefactTarget, CollectContext, Part
from assay.evidence.collectors.sarif import from_dependency_scanner, is_sarif
from assay.evidence.parsing.errors import refuse
from assay.evidence.parsing.findings import (
    Finding,
    Scan,
    advisory_id,
    ecosystem,
    object_at,
    objects_at,
    severity_at,
    text_at,
)
from assay.evidence.parsing.recognition import Recognition
from assay.evidence.parsing.sarif_walk import SarifResult, walk_sarif
from assay.evidence.parsing.severity import SEVERITIES
from assay.evidence.parsing.snyk import (
    introduced,
    is_snyk_json,
    looks_like_snyk_json,
    read_snyk,
    split_package,
)
from assay.evidence.parsing.values import parse_time, shape, text_of

MAX_ADVISORY_IDS = 100

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
        return "snyk" if looks_like_snyk_json(head) else None
    document = found.document
    if is_snyk_json(document):
        return "snyk"
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
    for number, dep in enumerate(dependencies):
        where = f"dependencies[{number}]"
        if not isinstance(dep, dict):
            raise refuse(name, f"{where} must be an object, not {shape(dep)}")
        package, version = text_at(dep, "name"), text_at(dep, "version")
        for index, vuln in enumerate(objects_at(dep, "vulns", where, name)):
            advisory = advisory_id(vuln, "id", f"{where}.vulns[{index}]", name)
            fixed = vuln.get("fix_versions")
            scan.findings.append(Finding(package, version, advisory, "unknown", bool(fixed)))
    return scan


def read_osv(document: dict[str, Any], name: str) -> Scan:
    scan = Scan("osv-scanner")
    for number, result in enumerate(objects_at(document, "results", "", name)):
        where = f"results[{number}]"
        for index, entry in enumerate(objects_at(result, "packages", where, name)):
            _osv_package(entry, f"{where}.packages[{index}]", scan, name)
    return scan


def _osv_package(entry: dict[str, Any], where: str, scan: Scan, name: str) -> None:
    package = object_at(entry, "package", where, name)
    package_name, version = text_at(package, "name"), text_at(package, "version")
    system = ecosystem(package.get("ecosystem"))
    if system:
        scan.ecosystems.add(system)
    vulns: dict[str, dict[str, Any]] = {}
    for index, vuln in enumerate(objects_at(entry, "vulnerabilities", where, name)):
        vulns[advisory_id(vuln, "id", f"{where}.vulnerabilities[{index}]", name)] = vuln
    groups = objects_at(entry, "groups", where, name)
    if not groups:
        groups = [{"ids": [vid]} for vid in vulns]
    for index, group in enumerate(groups):
        at = f"{where}.groups[{index}]"
        ids = group.get("ids")
        if (
            not isinstance(ids, list)
            or not ids
            or not all(isinstance(i, str) and i.strip() for i in ids)
        ):
            raise refuse(name, f"{at}.ids must list advisory ids, not {shape(ids)}")
        members = [vulns[i] for i in ids if i in vulns]
        severity = (
            severity_at(group, "max_severity", at, name) if group.get("max_severity") else "unknown"
        )
        if severity == "unknown":
            severity = _osv_severity(members, where, name)
        fixable = any(_osv_fixed(vuln, package_name) for vuln in members)
        scan.findings.append(Finding(package_name, version, sorted(ids)[0], severity, fixable))


def _osv_severity(vulns: list[dict[str, Any]], where: str, name: str) -> str:
    ranks = {word: rank for rank, word in enumerate(reversed(SEVERITIES))}
    best = "unknown"
    for vuln in vulns:
        specific = vuln.get("database_specific")
        word = (
            severity_at(
                specific,
                "severity",
                f"{where}.vulnerabilities[{vuln.get('id')}].database_specific",
                name,
            )
            if isinstance(specific, dict)
            else "unknown"
        )
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
    counted: int | None = 0
    for number, result in enumerate(objects_at(document, "Results", "", name)):
        where = f"Results[{number}]"
        system = ecosystem(result.get("Type"))
        packages = result.get("Packages")
        if isinstance(packages, list) and counted is not None:
            counted += len(packages)
        elif result.get("Class") in ("lang-pkgs", "os-pkgs"):
            counted = None
        vulns = objects_at(result, "Vulnerabilities", where, name)
        if system and (vulns or isinstance(packages, list)):
            scan.ecosystems.add(system)
        for index, vuln in enumerate(vulns):
            at = f"{where}.Vulnerabilities[{index}]"
            scan.findings.append(
                Finding(
                    text_at(vuln, "PkgName"),
                    text_at(vuln, "InstalledVersion"),
                    advisory_id(vuln, "VulnerabilityID", at, name),
                    severity_at(vuln, "Severity", at, name),
                    bool(text_of(vuln.get("FixedVersion"))),
                )
            )
    scan.scanned = counted if counted else None
    return scan


def read_grype(document: dict[str, Any], name: str) -> Scan:
    descriptor = document.get("descriptor")
    stamp = parse_time(descriptor.get("timestamp")) if isinstance(descriptor, dict) else None
    scan = Scan("grype", created=stamp)
    if not isinstance(document.get("matches"), list):
        raise refuse(name, "Grype JSON 'matches' must be a list")
    for number, match in enumerate(objects_at(document, "matches", "", name)):
        where = f"matches[{number}]"
        vuln = object_at(match, "vulnerability", where, name)
        artifact = object_at(match, "artifact", where, name)
        system = ecosystem(artifact.get("type"))
        if system:
            scan.ecosystems.add(system)
        fix = vuln.get("fix")
        fixable = isinstance(fix, dict) and (
            fix.get("state") == "fixed" or bool(fix.get("versions"))
        )
        scan.findings.append(
            Finding(
                text_at(artifact, "name"),
                text_at(artifact, "version"),
                advisory_id(vuln, "id", f"{where}.vulnerability", name),
                severity_at(vuln, "severity", f"{where}.vulnerability", name),
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

    SARIF has no fields for packages or fixes, so they are read where each scanner writes
    them: Trivy and Grype in the result message; Snyk in the location's fully qualified
    name (``package@version``) and its rule's dependency paths, every affected version a
    finding of its own, fixable when the result proposes fixes. Otherwise the result's file
    stands in for the package and the finding counts as not fixable.
    """
    walk = walk_sarif(document, name, keep=True)
    scan = Scan("sarif", created=walk.finished)
    for result in walk.results:
        text = result.message or ""
        fixed = _SARIF_FIXED.search(text) is not None or result.fixes
        for package, version in _sarif_packages(result):
            scan.findings.append(Finding(package, version, result.rule, result.severity, fixed))
    return scan


def _sarif_packages(result: SarifResult) -> list[tuple[str, str]]:
    """The package versions one result is about (at least one: its file stands in)."""
    text = result.message or ""
    for pattern in _SARIF_PACKAGE:
        match = pattern.search(text)
        if match:
            return [(match.group("package"), match.group("version"))]
    found: list[tuple[str, str]] = []
    named = split_package(result.qualified) if result.qualified else None
    if named is not None:
        found.append(named)
    for package in introduced(result.help or ""):
        if package not in found:
            found.append(package)
    return found or [(result.uri or "", "")]


_READERS = {
    "pip-audit": read_pip_audit,
    "osv-scanner": read_osv,
    "trivy": read_trivy,
    "grype": read_grype,
    "sarif": read_sarif,
    "snyk": read_snyk,
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
    formats = "pip-audit, osv-scanner, Trivy, Grype or Snyk JSON or dependency-scanner SARIF"

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
