"""Facts parsed from governance files' contents: CODEOWNERS, security contact, licence,
model card sections, SLO objectives, lockfile ecosystems.

Every parser takes text that came out of a git blob (already size-capped) and never
raises on malformed input: a file that cannot be understood yields the "nothing
found" value, and CODEOWNERS counts the lines it could not parse.
"""

from __future__ import annotations

import re
from typing import Any

# ----------------------------------------------------------------------------- CODEOWNERS

_CATCH_ALL = frozenset({"*", "**", "/**", "**/*", "/**/*"})
_HANDLE = re.compile(
    r"^(@@(developer|developers|maintainer|maintainers|owner|owners)"
    r"|@[A-Za-z0-9](?:[A-Za-z0-9._-]*)(?:/[A-Za-z0-9._-]+)*)$"
)
# One way to split an address (no ``@`` on either side), so matching is linear; the domain
# needs a dot with text on both sides, checked apart.
_EMAIL = re.compile(r"^[^@\s/]+@([^@\s/]+)$")
_SECTION = re.compile(r"^\^?\[[^\]]+\](?:\[\d+\])?(?:\s+(.*))?$")
_PATTERNS_LISTED = 200


def _is_owner(name: str) -> bool:
    """A handle, a team, a role (``@@owners``) or an e-mail address (``a@b.c``)."""
    if _HANDLE.match(name):
        return True
    email = _EMAIL.match(name)
    return email is not None and "." in email.group(1)[1:-1]


def _strip_comment(line: str) -> str:
    if line.lstrip().startswith("#"):
        return ""
    match = re.search(r"(?<!\\)\s#", line)
    return line[: match.start()] if match else line


def _split(line: str) -> list[str]:
    """Split on white space that is not escaped (a pattern may contain ``\\ ``)."""
    return [part.replace("\\ ", " ") for part in re.split(r"(?<!\\)\s+", line.strip()) if part]


def parse_codeowners(text: str) -> dict[str, Any]:
    """Rules, owners and whether every path ends up with an owner (last match wins)."""
    rules = errors = 0
    owners: set[str] = set()
    patterns: dict[str, None] = {}  # in order of first appearance
    owned = False
    defaults: list[str] = []
    for raw in text.splitlines():
        line = _strip_comment(raw).strip()
        if not line:
            continue
        section = _SECTION.match(line)
        if section:
            named = _split(section.group(1) or "")
            bad = [name for name in named if not _is_owner(name)]
            errors += bool(bad)
            defaults = [name for name in named if _is_owner(name)]
            continue
        pattern, *named = _split(line)
        bad = [name for name in named if not _is_owner(name)]
        if bad or pattern.startswith("!") or "[" in pattern:
            errors += 1
        effective = [name for name in named if _is_owner(name)] or (defaults if not named else [])
        rules += 1
        patterns.setdefault(pattern)
        owners.update(name.lower() for name in effective)
        if pattern in _CATCH_ALL:
            owned = bool(effective)
        elif not effective:
            owned = False
    return {
        "rules": rules,
        "every_path_owned": owned,
        "owners": len(owners),
        "patterns": list(patterns)[:_PATTERNS_LISTED],
        "errors": errors,
    }


EMPTY_CODEOWNERS: dict[str, Any] = {
    "rules": 0,
    "every_path_owned": False,
    "owners": 0,
    "patterns": [],
    "errors": 0,
}

# ----------------------------------------------------------------------------- security policy

# An address is tried only from the start of a run of its characters (the look-behind):
# a search would otherwise rescan a long run from every one of its characters.
_CONTACT = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+"
    r"|https?://[^\s)>\]]+|mailto:",
    re.I,
)


def has_security_contact(text: str) -> bool:
    """The policy names an e-mail address or a URL to report vulnerabilities to."""
    return _CONTACT.search(text) is not None


# ----------------------------------------------------------------------------- licence

_SPDX = re.compile(
    r"SPDX-License-Identifier:\s*([A-Za-z0-9.+-]+(?:\s+(?:OR|AND|WITH)\s+[A-Za-z0-9.+-]+)*)"
)

# (SPDX id, phrases that must all appear), most specific first.
_LICENCES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("AGPL-3.0-only", ("gnu affero general public license", "version 3")),
    ("LGPL-3.0-only", ("gnu lesser general public license", "version 3")),
    ("LGPL-2.1-only", ("gnu lesser general public license", "version 2.1")),
    ("GPL-3.0-only", ("gnu general public license", "version 3")),
    ("GPL-2.0-only", ("gnu general public license", "version 2")),
    ("Apache-2.0", ("apache license", "version 2.0")),
    ("MPL-2.0", ("mozilla public license", "2.0")),
    ("EPL-2.0", ("eclipse public license", "2.0")),
    ("EUPL-1.2", ("european union public licence", "1.2")),
    ("OGL-UK-3.0", ("open government licence", "3.0")),
    ("BSL-1.0", ("boost software license", "1.0")),
    ("CC0-1.0", ("cc0 1.0 universal",)),
    ("CC-BY-4.0", ("creative commons attribution 4.0",)),
    ("Unlicense", ("free and unencumbered software released into the public domain",)),
    (
        "ISC",
        ("permission to use, copy, modify, and/or distribute this software for any purpose",),
    ),
    ("MIT", ("permission is hereby granted, free of charge",)),
    ("BSD-3-Clause", ("redistribution and use in source and binary forms", "neither the name")),
    ("BSD-3-Clause", ("redistribution and use in source and binary forms", "the names of")),
    ("BSD-2-Clause", ("redistribution and use in source and binary forms",)),
)


def license_id(text: str) -> str | None:
    """The SPDX id a licence file declares or whose text it carries; None if unrecognised."""
    declared = _SPDX.search(text[:4096])
    if declared:
        return declared.group(1)
    flat = " ".join(text[: 64 * 1024].lower().split())
    for spdx, phrases in _LICENCES:
        if all(phrase in flat for phrase in phrases):
            return spdx
    return None


# ----------------------------------------------------------------------------- lockfiles

_ECOSYSTEMS = {
    "uv.lock": "pypi",
    "poetry.lock": "pypi",
    "pdm.lock": "pypi",
    "pipfile.lock": "pypi",
    "conda-lock.yml": "conda",
    "conda-lock.yaml": "conda",
    "package-lock.json": "npm",
    "npm-shrinkwrap.json": "npm",
    "yarn.lock": "npm",
    "pnpm-lock.yaml": "npm",
    "bun.lockb": "npm",
    "cargo.lock": "cargo",
    "go.sum": "go",
    "gemfile.lock": "rubygems",
    "composer.lock": "composer",
    "packages.lock.json": "nuget",
    "gradle.lockfile": "maven",
    "mix.lock": "hex",
    "pubspec.lock": "pub",
    "package.resolved": "swift",
}


def is_requirements(path: str) -> bool:
    """A pip requirements file: ``requirements*.txt``, or any ``.txt`` in a ``requirements/``
    folder (the layout pip-tools and uv users keep their compiled locks in)."""
    folder, _, name = path.lower().rpartition("/")
    in_folder = folder.rpartition("/")[2] == "requirements"
    return name.endswith(".txt") and (name.startswith("requirements") or in_folder)


def hashed_requirements(text: str) -> bool:
    """A pip requirements file pinned with hashes (``--hash=sha256:...``) is a lockfile."""
    return "--hash=" in text


def lockfile_ecosystem(path: str) -> str | None:
    name = path.rsplit("/", 1)[-1].lower()
    if is_requirements(path):
        return "pypi"
    return _ECOSYSTEMS.get(name)


# ----------------------------------------------------------------------------- model cards

SECTIONS: tuple[str, ...] = (
    "model_details",
    "intended_use",
    "out_of_scope_use",
    "limitations",
    "training_data",
    "evaluation_data",
    "evaluation",
    "metrics",
    "ethical_considerations",
    "bias_risks",
    "human_oversight",
    "caveats",
    "environmental_impact",
    "how_to_use",
    "contact",
)

_SYNONYMS: dict[str, tuple[str, ...]] = {
    "model details": ("model_details",),
    "model description": ("model_details",),
    "model overview": ("model_details",),
    "overview": ("model_details",),
    "intended use": ("intended_use",),
    "intended uses": ("intended_use",),
    "primary intended uses": ("intended_use",),
    "uses": ("intended_use",),
    "direct use": ("intended_use",),
    "out of scope use": ("out_of_scope_use",),
    "out of scope uses": ("out_of_scope_use",),
    "out of scope": ("out_of_scope_use",),
    "misuse and out of scope use": ("out_of_scope_use",),
    "limitations": ("limitations",),
    "known limitations": ("limitations",),
    "bias risks and limitations": ("bias_risks", "limitations"),
    "training data": ("training_data",),
    "training dataset": ("training_data",),
    "training details": ("training_data",),
    "evaluation data": ("evaluation_data",),
    "evaluation dataset": ("evaluation_data",),
    "testing data": ("evaluation_data",),
    "evaluation": ("evaluation",),
    "evaluation results": ("evaluation",),
    "results": ("evaluation",),
    "quantitative analyses": ("evaluation",),
    "metrics": ("metrics",),
    "performance metrics": ("metrics",),
    "model performance measures": ("metrics",),
    "ethical considerations": ("ethical_considerations",),
    "ethics": ("ethical_considerations",),
    "bias": ("bias_risks",),
    "risks": ("bias_risks",),
    "bias and fairness": ("bias_risks",),
    "fairness": ("bias_risks",),
    "human oversight": ("human_oversight",),
    "caveats": ("caveats",),
    "caveats and recommendations": ("caveats",),
    "recommendations": ("caveats",),
    "environmental impact": ("environmental_impact",),
    "how to use": ("how_to_use",),
    "how to get started": ("how_to_use",),
    "how to get started with the model": ("how_to_use",),
    "usage": ("how_to_use",),
    "contact": ("contact",),
    "contacts": ("contact",),
    "model card contact": ("contact",),
}


def _normalise(heading: str) -> str:
    words = re.sub(r"[^a-z0-9]+", " ", heading.lower()).split()
    while words and words[0].isdigit():
        words.pop(0)
    return " ".join(words)


# Keys of a YAML or JSON card. The name's repeat is possessive: giving characters back
# could never make the ``:`` match, and trying would cost a long line's square.
_KEY_HEADING = re.compile(r"^\s{0,4}\"?([A-Za-z][A-Za-z0-9 _-]*+)\"?\s*:", re.M)
_MARKDOWN_OPENING = re.compile(r"\s{0,3}#{1,6}\s+")


def _markdown_headings(text: str) -> list[str]:
    """ATX headings (``## Title ##``), read line by line in linear time.

    (A regular expression with a lazy title before optional closing hashes and spaces
    takes cubic time on a heading line of spaces.)
    """
    headings = []
    for line in text.split("\n"):
        opening = _MARKDOWN_OPENING.match(line)
        if opening is not None:
            title = line[opening.end() :].rstrip().rstrip("#").rstrip()
            if title:
                headings.append(title)
    return headings


def model_card_sections(text: str, path: str) -> list[str]:
    """Recognised sections, in the fixed order of :data:`SECTIONS`."""
    if path.lower().endswith((".yaml", ".yml", ".json")):
        headings = _KEY_HEADING.findall(text)
    else:
        headings = _markdown_headings(text)
    found: set[str] = set()
    for heading in headings:
        found.update(_SYNONYMS.get(_normalise(heading), ()))
    return [section for section in SECTIONS if section in found]
