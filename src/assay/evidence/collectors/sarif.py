"""``sast.findings`` from SARIF 2.1.0 (CodeQL, Semgrep, Bandit and any other SARIF producer).

Recognised by content: a JSON object with ``runs`` and a ``version`` (or a ``$schema``
naming SARIF). Only version 2.1.0 is read; any other version is refused with a clear
message rather than misread. SARIF whose every run comes from a dependency scanner
(Trivy, Grype, osv-scanner, Snyk Open Source ...) is left to the ``deps.vulnerabilities``
parser instead.

The file is parsed once with the standard JSON parser (the sniff that recognised it is
reused) and its results walked once. For each result:

- a result with an accepted suppression (``status`` absent or ``accepted``) is counted in
  ``suppressed`` and nowhere else;
- its level is the result's ``level``; else ``none`` when its ``kind`` is not ``fail``;
  else its rule's ``defaultConfiguration.level``; else ``warning`` (SARIF 2.1.0 §3.27.10);
- its security severity is the ``security-severity`` property of the result, else of its
  rule, banded as GitHub does: critical ≥ 9.0, high ≥ 7.0, medium ≥ 4.0, low > 0.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from assay.evidence.collectors._artefact import ArtefactParser, Part
from assay.evidence.collectors._safe import Sniff, parse_time, refuse
from assay.evidence.collectors.interface import ArtefactTarget, CollectContext

SARIF_VERSION = "2.1.0"
LEVELS = ("error", "warning", "note", "none")
SEVERITIES = ("critical", "high", "medium", "low", "unknown")
MAX_TOP_RULES = 20

#: Tool names (``tool.driver.name``, lower case) whose SARIF reports dependency advisories.
DEPENDENCY_SCANNERS = frozenset(
    {
        "trivy",
        "grype",
        "osv-scanner",
        "snyk open source",
        "dependency-check",
        "govulncheck",
        "pip-audit",
        "npm audit",
        "mend",
    }
)


def severity_band(score: Any) -> str:
    """A CVSS-style score (number or numeric text) as critical/high/medium/low/unknown."""
    try:
        value = float(score)
    except (TypeError, ValueError):
        return "unknown"
    if value != value:
        return "unknown"
    if value >= 9.0:
        return "critical"
    if value >= 7.0:
        return "high"
    if value >= 4.0:
        return "medium"
    if value > 0:
        return "low"
    return "unknown"


@dataclass(frozen=True)
class SarifResult:
    """One unsuppressed result, reduced to what the facts need."""

    tool: str
    rule: str
    level: str
    severity: str
    uri: str | None
    message: str | None = None


@dataclass
class _Rule:
    id: str
    level: str | None
    severity: str


def _properties_severity(holder: Any) -> Any:
    props = holder.get("properties") if isinstance(holder, dict) else None
    return props.get("security-severity") if isinstance(props, dict) else None


def _rules(run: dict[str, Any]) -> tuple[list[_Rule], dict[str, _Rule]]:
    """Rules of a run's driver (by index) and of every component (by id)."""
    tool = run.get("tool")
    driver = tool.get("driver") if isinstance(tool, dict) else None
    components = [driver] if isinstance(driver, dict) else []
    extensions = tool.get("extensions") if isinstance(tool, dict) else None
    if isinstance(extensions, list):
        components.extend(ext for ext in extensions if isinstance(ext, dict))
    by_index: list[_Rule] = []
    by_id: dict[str, _Rule] = {}
    for position, component in enumerate(components):
        rules = component.get("rules")
        for rule in rules if isinstance(rules, list) else ():
            if not isinstance(rule, dict):
                continue
            config = rule.get("defaultConfiguration")
            level = config.get("level") if isinstance(config, dict) else None
            entry = _Rule(
                str(rule.get("id") or ""),
                level if level in LEVELS else None,
                severity_band(_properties_severity(rule)),
            )
            if position == 0:
                by_index.append(entry)
            by_id.setdefault(entry.id, entry)
    return by_index, by_id


def tool_names(document: Any) -> list[str]:
    """The ``tool.driver.name`` of every run, as written."""
    runs = document.get("runs") if isinstance(document, dict) else None
    names: list[str] = []
    for run in runs if isinstance(runs, list) else ():
        tool = run.get("tool") if isinstance(run, dict) else None
        driver = tool.get("driver") if isinstance(tool, dict) else None
        name = driver.get("name") if isinstance(driver, dict) else None
        names.append(name if isinstance(name, str) else "")
    return names


def is_sarif(found: Sniff) -> bool:
    if found.parsed:
        document = found.document
        if not isinstance(document, dict) or "runs" not in document:
            return False
        schema = document.get("$schema")
        return "version" in document or (isinstance(schema, str) and "sarif" in schema.lower())
    return (
        found.form == "json"
        and '"runs"' in found.head
        and ("sarif" in found.head.lower() or '"version"' in found.head)
    )


def from_dependency_scanner(found: Sniff) -> bool:
    """Every run of this SARIF comes from a dependency scanner."""
    if not found.parsed:
        return False
    names = [name.lower() for name in tool_names(found.document)]
    return bool(names) and all(name in DEPENDENCY_SCANNERS for name in names)


def check_version(document: Any, name: str) -> list[dict[str, Any]]:
    """The runs of a SARIF 2.1.0 document; anything else is refused."""
    if not isinstance(document, dict):
        raise refuse(name, "SARIF must be a JSON object")
    version = document.get("version")
    if version != SARIF_VERSION:
        shown = "no version" if version is None else f"version {version}"
        raise refuse(
            name, f"SARIF {shown} is not supported: Assay reads SARIF {SARIF_VERSION} only"
        )
    runs = document.get("runs")
    if not isinstance(runs, list) or not all(isinstance(run, dict) for run in runs):
        raise refuse(name, "SARIF 'runs' must be a list of objects")
    return runs


@dataclass
class SarifWalk:
    """Everything read from one SARIF document."""

    tools: set[str] = field(default_factory=set)
    runs: int = 0
    suppressed: int = 0
    results: list[SarifResult] = field(default_factory=list)
    finished: datetime | None = None


def walk_sarif(document: Any, name: str, *, messages: bool = False) -> SarifWalk:
    """Every unsuppressed result of every run, with levels and severities resolved.

    ``messages`` keeps each result's message text (dependency scanners put the package
    and versions there); static analysis does not need it.
    """
    walk = SarifWalk()
    for run in check_version(document, name):
        walk.runs += 1
        tool = _tool_name(run)
        if tool:
            walk.tools.add(tool)
        walk.finished = _latest(walk.finished, _run_time(run))
        by_index, by_id = _rules(run)
        artifacts = run.get("artifacts")
        results = run.get("results")
        for result in results if isinstance(results, list) else ():
            if not isinstance(result, dict):
                continue
            if _suppressed(result):
                walk.suppressed += 1
                continue
            found = _result(result, tool, by_index, by_id, artifacts)
            if messages:
                found = replace(found, message=_message(result))
            walk.results.append(found)
    return walk


def _tool_name(run: dict[str, Any]) -> str:
    tool = run.get("tool")
    driver = tool.get("driver") if isinstance(tool, dict) else None
    name = driver.get("name") if isinstance(driver, dict) else None
    return name if isinstance(name, str) else ""


def _latest(current: datetime | None, other: datetime | None) -> datetime | None:
    if other is None:
        return current
    return other if current is None or other > current else current


def _run_time(run: dict[str, Any]) -> datetime | None:
    latest: datetime | None = None
    invocations = run.get("invocations")
    for invocation in invocations if isinstance(invocations, list) else ():
        if isinstance(invocation, dict):
            stamp = parse_time(invocation.get("endTimeUtc")) or parse_time(
                invocation.get("startTimeUtc")
            )
            latest = _latest(latest, stamp)
    return latest


def _suppressed(result: dict[str, Any]) -> bool:
    suppressions = result.get("suppressions")
    if not suppressions or not isinstance(suppressions, list):
        return False
    return any(
        isinstance(item, dict) and item.get("status", "accepted") == "accepted"
        for item in suppressions
    )


def _result(
    result: dict[str, Any],
    tool: str,
    by_index: list[_Rule],
    by_id: dict[str, _Rule],
    artifacts: Any,
) -> SarifResult:
    rule_id = result.get("ruleId")
    index = result.get("ruleIndex")
    reference = result.get("rule")
    if isinstance(reference, dict):
        rule_id = rule_id or reference.get("id")
        index = index if index is not None else reference.get("index")
    rule: _Rule | None = None
    if isinstance(index, int) and 0 <= index < len(by_index):
        rule = by_index[index]
    elif isinstance(rule_id, str):
        rule = by_id.get(rule_id) or by_id.get(rule_id.split("/", 1)[0])
    if not isinstance(rule_id, str) or not rule_id:
        rule_id = rule.id if rule is not None and rule.id else "unknown"
    level = result.get("level")
    if level not in LEVELS:
        kind = result.get("kind")
        if kind is not None and kind != "fail":
            level = "none"
        else:
            level = rule.level if rule is not None and rule.level else "warning"
    severity = severity_band(_properties_severity(result))
    if severity == "unknown" and rule is not None:
        severity = rule.severity
    return SarifResult(tool, rule_id, level, severity, _uri(result, artifacts))


def _message(result: dict[str, Any]) -> str | None:
    message = result.get("message")
    text = message.get("text") if isinstance(message, dict) else None
    return text if isinstance(text, str) else None


def _uri(result: dict[str, Any], artifacts: Any) -> str | None:
    locations = result.get("locations")
    if not isinstance(locations, list) or not locations or not isinstance(locations[0], dict):
        return None
    physical = locations[0].get("physicalLocation")
    location = physical.get("artifactLocation") if isinstance(physical, dict) else None
    if not isinstance(location, dict):
        return None
    uri = location.get("uri")
    if isinstance(uri, str):
        return uri
    index = location.get("index")
    if isinstance(index, int) and isinstance(artifacts, list) and 0 <= index < len(artifacts):
        entry = artifacts[index]
        inner = entry.get("location") if isinstance(entry, dict) else None
        found = inner.get("uri") if isinstance(inner, dict) else None
        return found if isinstance(found, str) else None
    return None


_LEVEL_RANK = {level: rank for rank, level in enumerate(reversed(LEVELS))}


def summarise_walks(walks: Sequence[SarifWalk]) -> dict[str, Any]:
    by_level = Counter[str]()
    by_severity = Counter[str]()
    counts = Counter[tuple[str, str]]()
    worst: dict[tuple[str, str], str] = {}
    files: set[str] = set()
    for walk in walks:
        for result in walk.results:
            by_level[result.level] += 1
            by_severity[result.severity] += 1
            key = (result.rule, result.tool)
            counts[key] += 1
            if _LEVEL_RANK[result.level] > _LEVEL_RANK.get(worst.get(key, "none"), 0):
                worst[key] = result.level
            if result.uri is not None:
                files.add(result.uri)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return {
        "tools": sorted(set().union(*(walk.tools for walk in walks)))[:50],
        "runs": sum(walk.runs for walk in walks),
        "total": sum(by_level.values()),
        "suppressed": sum(walk.suppressed for walk in walks),
        "by_level": {level: by_level[level] for level in LEVELS},
        "by_severity": {severity: by_severity[severity] for severity in SEVERITIES},
        "rules": len({rule for rule, _ in counts}),
        "files": len(files),
        "top_rules": [
            {"rule": rule, "tool": tool, "level": worst.get((rule, tool), "none"), "count": n}
            for (rule, tool), n in ranked[:MAX_TOP_RULES]
        ],
    }


def iter_results(walks: Sequence[SarifWalk]) -> Iterator[SarifResult]:
    for walk in walks:
        yield from walk.results


class SarifParser(ArtefactParser):
    """SARIF 2.1.0 from static analysers -> ``sast.findings``."""

    name = "sarif"
    version = "1.0.0"
    kind = "sast.findings"
    mergeable = True
    formats = "SARIF 2.1.0"

    def recognise(self, found: Sniff) -> bool:
        return is_sarif(found) and not from_dependency_scanner(found)

    def parse(self, target: ArtefactTarget, found: Sniff, context: CollectContext) -> Part:
        if found.error is not None:
            raise found.error
        walk = walk_sarif(found.document, target.name)
        return self.part(target, walk, walk.finished, "application/sarif+json")

    def summarise(self, parts: Sequence[Part]) -> dict[str, Any]:
        return summarise_walks([part.value for part in parts])
