"""``sast.findings`` from SARIF 2.1.0 (CodeQL, Semgrep, Bandit and any other SARIF producer).

Recognised by content: a JSON object with ``runs`` and a ``version`` (or a ``$schema``
naming SARIF). Only version 2.1.0 is read; any other version is refused with a clear
message rather than misread. SARIF whose every run comes from a dependency scanner
(Trivy, Grype, osv-scanner, Snyk Open Source ...) is left to the ``deps.vulnerabilities``
parser instead.

The file is parsed once with the standard JSON parser (the recognition of the target is
reused) and its results walked once. For each result:

- a result with an accepted suppression (``status`` absent or ``accepted``) is counted in
  ``suppressed`` and nowhere else;
- its level is the result's ``level``; else ``none`` when its ``kind`` is not ``fail``;
  else its rule's ``defaultConfiguration.level``; else ``warning`` (SARIF 2.1.0 §3.27.10);
- its severity is the first the report states, in this order: the ``security-severity``
  property of the result, then of its rule (banded as GitHub does: critical ≥ 9.0,
  high ≥ 7.0, medium ≥ 4.0, low > 0); the tool's own severity property
  (:data:`TOOL_SEVERITY_PROPERTIES`) on the result, then on its rule; the level the report
  states (the result's, else its rule's default: error is high, warning medium, note low);
  ``unknown`` only when the report states none of these.

Entries of the wrong shape are refused, never skipped: a run without ``results`` (SARIF 2.1.0
requires them of a log that represents a scan), a result or rule that is not an object, a level
outside the four SARIF names, a severity property that is neither a score nor a word. A
skipped entry would read as a finding fewer, which is the one mistake this evidence must
never make.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from assay.evidence.collectors.interface import ArtefactParser, ArtefactTarget, CollectContext, Part
from assay.evidence.parsing.recognition import Recognition
from assay.evidence.parsing.sarif_walk import (
    LEVELS,
    RANKED_LEVELS,
    SarifWalk,
    tool_names,
    walk_sarif,
)
from assay.evidence.parsing.severity import SEVERITIES

MAX_TOP_RULES = 20

#: Tool names (``tool.driver.name``, lower case) whose SARIF reports dependency advisories.
DEPENDENCY_SCANNERS = frozenset(
    {
        "trivy",
        "grype",
        "osv-scanner",
        "snyk open source",
        "snyk container",
        "dependency-check",
        "govulncheck",
        "pip-audit",
        "npm audit",
        "mend",
    }
)


def is_sarif(found: Recognition) -> bool:
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


def from_dependency_scanner(found: Recognition) -> bool:
    """Every run of this SARIF comes from a dependency scanner."""
    if not found.parsed:
        return False
    names = [name.lower() for name in tool_names(found.document)]
    return bool(names) and all(name in DEPENDENCY_SCANNERS for name in names)


def summarise_walks(walks: Sequence[SarifWalk]) -> dict[str, Any]:
    by_level = Counter[str]()
    by_severity = Counter[str]()
    counts = Counter[tuple[str, str]]()
    worst: dict[tuple[str, str], int] = {}
    files: set[str] = set()
    for walk in walks:
        by_level.update(walk.by_level)
        by_severity.update(walk.by_severity)
        counts.update(walk.counts)
        for key, rank in walk.worst.items():
            worst[key] = max(rank, worst.get(key, -1))
        files |= walk.files
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
            {"rule": rule, "tool": tool, "level": RANKED_LEVELS[worst[(rule, tool)]], "count": n}
            for (rule, tool), n in ranked[:MAX_TOP_RULES]
        ],
    }


class SarifParser(ArtefactParser):
    """SARIF 2.1.0 from static analysers -> ``sast.findings``."""

    name = "sarif"
    version = "1.0.0"
    kind = "sast.findings"
    mergeable = True
    formats = "SARIF 2.1.0"

    def recognise(self, found: Recognition) -> bool:
        return is_sarif(found) and not from_dependency_scanner(found)

    def parse(self, target: ArtefactTarget, found: Recognition, context: CollectContext) -> Part:
        if found.error is not None:
            raise found.error
        walk = walk_sarif(found.document, target.name)
        return self.part(target, walk, walk.finished, "application/sarif+json")

    def summarise(self, parts: Sequence[Part]) -> dict[str, Any]:
        return summarise_walks([part.value for part in parts])
