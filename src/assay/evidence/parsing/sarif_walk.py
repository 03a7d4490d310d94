"""Walking a SARIF 2.1.0 log once: every unsuppressed result with its level and severity
resolved (see :mod:`assay.evidence.collectors.sarif` for the rules), tallied, and kept with
its message, logical location and rule help when a dependency scanner's SARIF needs them.
Entries of the wrong shape are refused by their place in the log, never skipped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from assay.evidence.parsing.errors import refuse
from assay.evidence.parsing.severity import checked_severity
from assay.evidence.parsing.values import parse_time, shape

SARIF_VERSION = "2.1.0"
LEVELS = ("error", "warning", "note", "none")
#: Level -> rank (none lowest), and back.
LEVEL_RANK = {level: rank for rank, level in enumerate(reversed(LEVELS))}
RANKED_LEVELS = tuple(reversed(LEVELS))

#: Properties in which tools state a result's severity in their own terms: Bandit's
#: ``issue_severity`` (LOW, MEDIUM, HIGH) on each result, Snyk Open Source's
#: ``cvssv3_baseScore`` on each rule. Read after ``security-severity``, before the level.
TOOL_SEVERITY_PROPERTIES = ("issue_severity", "cvssv3_baseScore")
#: A level the report states, as a severity, when it states nothing better.
LEVEL_SEVERITY = {"error": "high", "warning": "medium", "note": "low"}


@dataclass(frozen=True)
class SarifResult:
    """One unsuppressed result, reduced to what the facts need."""

    tool: str
    rule: str
    level: str
    severity: str
    uri: str | None
    message: str | None = None
    #: The first location's ``logicalLocations[].fullyQualifiedName`` (Snyk: package@version).
    qualified: str | None = None
    #: The rule's ``help.markdown`` (Snyk Open Source lists every dependency path there).
    help: str | None = None
    #: The result proposes fixes (Snyk: the upgrade that removes the issue).
    fixes: bool = False


@dataclass
class _Rule:
    id: str
    level: str | None
    security: str | None
    tool: str | None
    help: str | None = None


def _properties(holder: dict[str, Any], where: str, name: str) -> dict[str, Any] | None:
    """The ``properties`` bag of a result or rule (None when absent); refused if not an object."""
    props = holder.get("properties")
    if props is None and "properties" not in holder:
        return None
    if not isinstance(props, dict):
        raise refuse(name, f"{where}.properties must be an object, not {shape(props)}")
    return props


def _stated(props: dict[str, Any] | None, keys: Sequence[str], where: str, name: str) -> str | None:
    """The first severity stated under ``keys`` (None when none is); a value that is
    neither a score nor a word is refused."""
    if not props:
        return None
    for key in keys:
        if key not in props:
            continue
        word = checked_severity(props[key], f"{where}.properties.{key}", name)
        if word != "unknown":
            return word
    return None


def _level(holder: dict[str, Any], key: str, where: str, name: str) -> str | None:
    """A SARIF level (None when absent); anything but the four names is refused."""
    level = holder.get(key)
    if level is None and key not in holder:
        return None
    if not isinstance(level, str) or level not in LEVEL_RANK:
        shown = repr(level) if isinstance(level, str) else shape(level)
        raise refuse(name, f"{where}.{key} must be one of {', '.join(LEVELS)}, not {shown}")
    return level


def _rules(run: dict[str, Any], where: str, name: str) -> tuple[list[_Rule], dict[str, _Rule]]:
    """Rules of a run's driver (by index) and of every component (by id)."""
    tool = run.get("tool")
    driver = tool.get("driver") if isinstance(tool, dict) else None
    components = [(f"{where}.tool.driver", driver)] if isinstance(driver, dict) else []
    extensions = tool.get("extensions") if isinstance(tool, dict) else None
    if isinstance(extensions, list):
        components.extend(
            (f"{where}.tool.extensions[{n}]", ext)
            for n, ext in enumerate(extensions)
            if isinstance(ext, dict)
        )
    by_index: list[_Rule] = []
    by_id: dict[str, _Rule] = {}
    for position, (place, component) in enumerate(components):
        rules = component.get("rules")
        if rules is None:
            continue
        if not isinstance(rules, list):
            raise refuse(name, f"{place}.rules must be a list, not {shape(rules)}")
        for number, rule in enumerate(rules):
            at = f"{place}.rules[{number}]"
            if not isinstance(rule, dict):
                raise refuse(name, f"{at} must be an object, not {shape(rule)}")
            config = rule.get("defaultConfiguration")
            level = (
                _level(config, "level", f"{at}.defaultConfiguration", name)
                if isinstance(config, dict)
                else None
            )
            props = _properties(rule, at, name)
            entry = _Rule(
                str(rule.get("id") or ""),
                level,
                _stated(props, ("security-severity",), at, name),
                _stated(props, TOOL_SEVERITY_PROPERTIES, at, name),
                _help(rule),
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
    """Everything read from one SARIF document, already tallied.

    ``results`` lists every unsuppressed result only when the walk was asked to keep them
    (dependency scanners' SARIF needs the messages); static analysis only needs the tallies,
    and building an object per result would cost more than parsing the file.
    """

    tools: set[str] = field(default_factory=set)
    runs: int = 0
    suppressed: int = 0
    finished: datetime | None = None
    by_level: Counter[str] = field(default_factory=Counter)
    by_severity: Counter[str] = field(default_factory=Counter)
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    worst: dict[tuple[str, str], int] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)
    results: list[SarifResult] = field(default_factory=list)


def walk_sarif(document: Any, name: str, *, keep: bool = False) -> SarifWalk:
    """Tally every unsuppressed result of every run, with levels and severities resolved.

    ``keep`` also keeps each result with its message text (dependency scanners put the
    package and versions there).
    """
    walk = SarifWalk()
    for number, run in enumerate(check_version(document, name)):
        walk.runs += 1
        tool = _tool_name(run)
        if tool:
            walk.tools.add(tool)
        walk.finished = _latest(walk.finished, _run_time(run))
        results = run.get("results")
        if not isinstance(results, list):
            what = "no 'results'" if results is None else f"'results' as {shape(results)}"
            raise refuse(
                name,
                f"runs[{number}] has {what}: a SARIF scan lists its results, "
                "an empty list when it found nothing",
            )
        _tally(walk, run, f"runs[{number}]", tool, results, keep, name)
    return walk


def _tally(
    walk: SarifWalk,
    run: dict[str, Any],
    where: str,
    tool: str,
    results: list[Any],
    keep: bool,
    name: str,
) -> None:
    """The hot loop: one pass over a run's results, one counter update per result."""
    by_index, by_id = _rules(run, where, name)
    artifacts = run.get("artifacts")
    seen: Counter[tuple[str, str, str]] = Counter()
    files = walk.files
    suppressed = 0
    for number, result in enumerate(results):
        if not isinstance(result, dict):
            raise refuse(name, f"{where}.results[{number}] must be an object, not {shape(result)}")
        if "suppressions" in result and _suppressed(result):
            suppressed += 1
            continue
        resolved = _resolve(result, by_index, by_id, f"{where}.results[{number}]", name)
        seen[resolved] += 1
        uri = _uri(result, artifacts)
        if uri is not None:
            files.add(uri)
        if keep:
            rule, level, severity = resolved
            found = _find_rule(result, by_index, by_id)
            walk.results.append(
                SarifResult(
                    tool,
                    rule,
                    level,
                    severity,
                    uri,
                    _message(result),
                    _qualified(result),
                    found.help if found is not None else None,
                    bool(result.get("fixes")),
                )
            )
    walk.suppressed += suppressed
    for (rule, level, severity), count in seen.items():
        walk.by_level[level] += count
        walk.by_severity[severity] += count
        key = (rule, tool)
        walk.counts[key] += count
        walk.worst[key] = max(LEVEL_RANK[level], walk.worst.get(key, -1))


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


def _rule_reference(result: dict[str, Any]) -> tuple[Any, Any]:
    """The (id, index) by which a result names its rule (``ruleId``/``ruleIndex`` or ``rule``)."""
    rule_id = result.get("ruleId")
    index = result.get("ruleIndex")
    if "rule" in result:
        reference = result["rule"]
        if isinstance(reference, dict):
            rule_id = rule_id or reference.get("id")
            index = index if index is not None else reference.get("index")
    return rule_id, index


def _find_rule(
    result: dict[str, Any], by_index: list[_Rule], by_id: dict[str, _Rule]
) -> _Rule | None:
    rule_id, index = _rule_reference(result)
    if isinstance(index, int) and 0 <= index < len(by_index):
        return by_index[index]
    if isinstance(rule_id, str):
        return by_id.get(rule_id) or by_id.get(rule_id.split("/", 1)[0])
    return None


def _help(rule: dict[str, Any]) -> str | None:
    """A rule's ``help.markdown`` (else ``help.text``), when it is text."""
    found = rule.get("help")
    if not isinstance(found, dict):
        return None
    text = found.get("markdown") or found.get("text")
    return text if isinstance(text, str) else None


def _qualified(result: dict[str, Any]) -> str | None:
    """The first location's first logical location's ``fullyQualifiedName``."""
    try:
        name = result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
    except (KeyError, IndexError, TypeError):
        return None
    return name if isinstance(name, str) and name.strip() else None


def _resolve(
    result: dict[str, Any], by_index: list[_Rule], by_id: dict[str, _Rule], where: str, name: str
) -> tuple[str, str, str]:
    """(rule id, level, severity) of one result, following SARIF's defaulting rules."""
    rule_id = _rule_reference(result)[0]
    rule = _find_rule(result, by_index, by_id)
    if not isinstance(rule_id, str) or not rule_id:
        rule_id = rule.id if rule is not None and rule.id else "unknown"
    stated = _level(result, "level", where, name) if "level" in result else None
    if stated is None:
        kind = result.get("kind")
        if kind is not None and kind != "fail":
            stated = "none"
        elif rule is not None:
            stated = rule.level
    props = _properties(result, where, name) if "properties" in result else None
    severity = (
        _stated(props, ("security-severity",), where, name)
        or (rule.security if rule is not None else None)
        or _stated(props, TOOL_SEVERITY_PROPERTIES, where, name)
        or (rule.tool if rule is not None else None)
        or LEVEL_SEVERITY.get(stated or "")
        or "unknown"
    )
    return rule_id, stated or "warning", severity


def _message(result: dict[str, Any]) -> str | None:
    message = result.get("message")
    text = message.get("text") if isinstance(message, dict) else None
    return text if isinstance(text, str) else None


def _uri(result: dict[str, Any], artifacts: Any) -> str | None:
    """The first location's file: its uri, or the run's artifacts entry it points at."""
    try:
        location = result["locations"][0]["physicalLocation"]["artifactLocation"]
        uri = location.get("uri")
    except (KeyError, IndexError, TypeError, AttributeError):
        return None
    if isinstance(uri, str):
        return uri
    index = location.get("index")
    if isinstance(index, int) and isinstance(artifacts, list) and 0 <= index < len(artifacts):
        entry = artifacts[index]
        inner = entry.get("location") if isinstance(entry, dict) else None
        found = inner.get("uri") if isinstance(inner, dict) else None
        return found if isinstance(found, str) else None
    return None
