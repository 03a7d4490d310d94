"""Where governance files conventionally live: one rule per entry of ``repo.files``.

A rule matches repository-relative paths. *File* rules list patterns in priority
order (the first pattern that matches names ``path``); *folder* rules match every
file under one of their folders, and ``path`` is the first folder that has any.
A service can move any entry with ``files: {<key>: <path>}`` in its repo entry; the
path may name a file or a folder.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

_DOC_EXT = r"\.(md|markdown|rst|txt|adoc|asciidoc|org|html?|pdf|docx?|odt)"
_YAML = r"\.ya?ml"

#: Document files counted as runbooks, postmortems and decision records.
DOCUMENT = re.compile(_DOC_EXT + "$", re.IGNORECASE)
#: Files in such folders that are about the folder, not one document.
NOT_A_DOCUMENT = re.compile(r"(^|/)(readme|index|template|_template|0000-template)\.[^/]+$", re.I)


@dataclass(frozen=True)
class Rule:
    """How to find one kind of governance file."""

    key: str
    label: str
    files: tuple[str, ...] = ()  # path regexes, in priority order
    folders: tuple[str, ...] = ()  # folder paths whose files match, in priority order
    folder_files: str = r".*"  # which files under a folder count (regex on the name)
    exact_case: bool = False  # code hosts honour only this spelling of the name

    def patterns(self) -> tuple[re.Pattern[str], ...]:
        return tuple(_compile(p, self.exact_case) for p in self.files)


@cache
def _compile(pattern: str, exact_case: bool = False) -> re.Pattern[str]:
    return re.compile(pattern, 0 if exact_case else re.IGNORECASE)


def _root_or(dirs: str, name: str) -> str:
    return rf"^(?:(?:{dirs})/)?{name}$"


RULES: tuple[Rule, ...] = (
    Rule(
        "codeowners",
        "a CODEOWNERS file",
        files=(
            r"^\.github/CODEOWNERS$",
            r"^CODEOWNERS$",
            r"^docs/CODEOWNERS$",
            r"^\.gitlab/CODEOWNERS$",
        ),
        exact_case=True,
    ),
    Rule(
        "security_policy",
        "a security policy",
        files=(_root_or(r"\.github|docs", r"security(\.md|\.rst|\.txt|\.adoc)?"),),
    ),
    Rule(
        "license",
        "a licence",
        files=(r"^(licen[cs]e|copying)([.-][^/]*)?$",),
        folders=("LICENSES",),
    ),
    Rule(
        "contributing",
        "contribution guidelines",
        files=(_root_or(r"\.github|docs", r"contributing(\.[a-z]+)?"),),
    ),
    Rule(
        "dependency_updates",
        "dependency update tool configuration",
        files=(
            r"^\.github/dependabot\.ya?ml$",
            _root_or(r"\.github|\.gitlab", r"(renovate\.json5?|\.renovaterc(\.json5?)?)"),
        ),
    ),
    Rule(
        "lockfiles",
        "dependency lockfiles",
        files=(
            r"^(?!(.*/)?node_modules/)(.*/)?(uv\.lock|poetry\.lock|pdm\.lock|Pipfile\.lock"
            r"|package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|bun\.lockb"
            r"|Cargo\.lock|go\.sum|Gemfile\.lock|composer\.lock|packages\.lock\.json"
            r"|gradle\.lockfile|mix\.lock|pubspec\.lock|Package\.resolved|conda-lock\.ya?ml)$",
            r"^(?!(.*/)?node_modules/)(.*/)?requirements([^/]*|/[^/]+)\.txt$",
        ),
    ),
    Rule("pre_commit", "pre-commit hook configuration", files=(r"^\.pre-commit-config\.ya?ml$",)),
    Rule(
        "model_card",
        "a model card",
        files=(
            _root_or("docs", r"model[_-]?card(\.md|\.ya?ml|\.json)?"),
            r"^models?/(.*/)?[^/]*model[_-]?card[^/]*$",
        ),
    ),
    Rule(
        "datasheet",
        "a datasheet for a data set",
        files=(_root_or("docs", r"data[_-]?sheet(\.md|\.ya?ml)?"),),
        folders=("datasheets", "data-cards", "docs/datasheets"),
    ),
    Rule(
        "slo_definitions",
        "service level objective definitions",
        files=(r"^(.*/)?[^/]*\.(open)?slo" + _YAML + "$", r"^slos?" + _YAML + "$"),
        folders=("slo", "slos", ".slo", "docs/slo", "docs/slos", "openslo"),
        folder_files=r".*" + _YAML,
    ),
    Rule(
        "runbooks",
        "operational runbooks",
        folders=("runbooks", "docs/runbooks"),
        folder_files=r".*" + _DOC_EXT,
    ),
    Rule(
        "postmortems",
        "incident postmortems",
        folders=("postmortems", "post-mortems", "docs/postmortems", "docs/post-mortems"),
        folder_files=r".*" + _DOC_EXT,
    ),
    Rule(
        "threat_model",
        "a threat model",
        files=(_root_or("docs", r"threat[_-]?model(\.[a-z0-9]+)?"),),
        folders=("threat-model", "docs/threat-model"),
    ),
    Rule(
        "accessibility_statement",
        "an accessibility statement",
        files=(_root_or("docs", r"accessibility([_-]statement)?" + _DOC_EXT),),
    ),
    Rule(
        "adrs",
        "architecture decision records",
        folders=("docs/adr", "docs/adrs", "docs/decisions", "doc/adr", "adr", "adrs"),
        folder_files=r".*" + _DOC_EXT,
    ),
    Rule("readme", "a README", files=(r"^readme(\.md|\.rst|\.txt|\.adoc|\.markdown)?$",)),
    Rule(
        "ai_inventory",
        "an AI system inventory entry",
        files=(_root_or("docs", r"ai[_-]inventory" + _YAML),),
    ),
    Rule(
        "impact_assessment",
        "an algorithmic or data protection impact assessment",
        files=(r"^(.*/)?(impact[_-]assessment|aia|dpia)([-_. ][^/]*)?$",),
        folders=("impact-assessments", "docs/impact-assessments"),
    ),
    Rule(
        "alert_rules",
        "alerting rules",
        files=(
            r"^(.*/)?[^/]*\.rules" + _YAML + "$",
            r"^(.*/)?alert(s|ing)?([._-]rules)?" + _YAML + "$",
        ),
        folders=("alerts", "alerting", "prometheus/rules", "monitoring/alerts"),
        folder_files=r".*" + _YAML,
    ),
    Rule(
        "service_catalog",
        "a service catalogue entry",
        files=(r"^(.*/)?catalog-info" + _YAML + "$",),
    ),
    Rule(
        "rollback_plan",
        "a rollback plan",
        files=(r"^rollback(\.[a-z]+)?$", r"^docs/rollback[^/]*$"),
    ),
    Rule(
        "user_research",
        "user research records",
        folders=("research", "docs/research", "user-research"),
    ),
    Rule(
        "security_testing",
        "security test reports",
        folders=("security-testing", "pentest", "docs/pentest", "docs/security-testing"),
    ),
)

RULE_KEYS: tuple[str, ...] = tuple(rule.key for rule in RULES)


@dataclass
class Match:
    """What one rule found in a tree."""

    key: str
    path: str | None = None  # first match, or the folder
    paths: list[str] = field(default_factory=list)  # every matching file, sorted
    folder: bool = False


def unknown_keys(overrides: Mapping[str, str]) -> list[str]:
    return sorted(set(overrides) - set(RULE_KEYS))


def match_rule(
    rule: Rule, files: Sequence[str], trees: frozenset[str], override: str | None
) -> Match:
    """Apply ``rule`` (or the service's override path) to the tree's file paths."""
    result = Match(rule.key)
    if override is not None:
        target = override.strip("/")
        if target in trees:
            prefix = target + "/"
            result.paths = sorted(p for p in files if p.startswith(prefix))
            result.path, result.folder = target, True
        elif target in files:
            result.paths, result.path = [target], target
        return result
    for pattern in rule.patterns():
        hits = [p for p in files if pattern.search(p)]
        if hits and result.path is None:
            result.path = sorted(hits)[0]
        result.paths.extend(hits)
    wanted = _compile(rule.folder_files + "$")
    for folder in rule.folders:
        actual = next((t for t in sorted(trees) if t.lower() == folder.lower()), None)
        if actual is None:
            continue
        prefix = actual + "/"
        hits = [p for p in files if p.startswith(prefix) and wanted.search(p)]
        if hits and result.path is None:
            result.path, result.folder = actual, True
        result.paths.extend(hits)
    result.paths = sorted(set(result.paths))
    return result
