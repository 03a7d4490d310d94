"""The control catalogue: every control of a library as one Markdown page.

``docs/control-library.md`` is generated from the built-in library and crosswalks with
``python -m assay.controls.catalogue > docs/control-library.md``, and a test checks that
the committed page is current, so the published catalogue never drifts from the YAML an
assessment actually runs. The page is plain data rendered in a fixed order: the same
library always gives the same bytes.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

from assay.evidence.kinds.sight import ATTESTED, Sight, sight

if TYPE_CHECKING:
    from assay.controls.loader import Library
    from assay.controls.model import Control, ControlTest
    from assay.mappings.crosswalk import Crosswalks, Link

__all__ = ["FAMILY_TITLES", "main", "render_markdown"]

#: Family id -> heading, in the order the page lists them (the schema's order).
FAMILY_TITLES: dict[str, str] = {
    "governance": "Governance",
    "change-management": "Change management",
    "secure-development": "Secure development",
    "testing": "Testing",
    "supply-chain": "Supply chain and release provenance",
    "operations": "Operations and reliability",
    "ai": "AI",
    "service-standard": "Service Standard practice",
    "organisational": "Organisational",
    "people": "People",
    "physical": "Physical",
}

GENERATED = (
    "<!-- Generated: python -m assay.controls.catalogue > docs/control-library.md"
    " (do not edit by hand) -->"
)

HEADER = f"""\
{GENERATED}

# Control library

The built-in controls Assay assesses, generated from `src/assay/controls/library/*.yaml`
and the crosswalks in `src/assay/mappings/crosswalks/`. Each control says what the
organisation does, who owns it, how fresh its evidence must be, which services it applies
to, and how it is tested: an evidence kind with an expectation (a JSON Schema the evidence's
facts must satisfy), or a manual test that only a signed attestation satisfies. A test may
also say when its evidence is unverifiable: the facts show the evidence exists where Assay
was not allowed to look, and say what it needs. Under every test, "What Assay sees" says
where the evidence is read from, what it shows and what it cannot show. A control's status
is the worst of its tests'. See [authoring controls](authoring-controls.md) to write or
override one, and [evidence kinds](evidence-kinds.md) for the facts each kind offers.

Framework links read from the control to the requirement: `equal` and `superset` cover the
requirement, `subset` and `intersect` cover part of it. `assay coverage` sums them up.
"""


def render_markdown(library: Library, crosswalks: Crosswalks) -> str:
    """The catalogue page for ``library`` with its links from ``crosswalks``."""
    controls = library.sorted()
    families = [f for f in FAMILY_TITLES if any(c.family == f for c in controls)]
    families += sorted({c.family for c in controls} - set(FAMILY_TITLES))
    lines = [HEADER, "## Summary", ""]
    manual = sum(1 for c in controls if c.manual_only)
    lines.append(
        f"{len(controls)} controls: {len(controls) - manual} with automated tests, "
        f"{manual} satisfied by attestation only."
    )
    lines += ["", "| Family | Controls | Automated | Attestation only |", "|---|---|---|---|"]
    for family in families:
        members = [c for c in controls if c.family == family]
        only_manual = sum(1 for c in members if c.manual_only)
        lines.append(
            f"| [{_title(family)}](#{_slug(family)}) | {len(members)} "
            f"| {len(members) - only_manual} | {only_manual} |"
        )
    lines += [
        "",
        "| ID | Title | Family | Severity | Freshness | Applies to |",
        "|---|---|---|---|---|---|",
    ]
    for control in controls:
        lines.append(
            f"| [{control.id}](#{_slug(control.id)}) | {_cell(control.title)} | "
            f"{control.family} | {control.severity} | {control.freshness} | "
            f"{_cell(control.applicability.describe())} |"
        )
    for family in families:
        lines += ["", f'<a id="{_slug(family)}"></a>', "", f"## {_title(family)}"]
        for control in (c for c in controls if c.family == family):
            lines += _control_section(control, crosswalks.for_control(control.id))
    return "\n".join(lines) + "\n"


def _control_section(control: Control, links: Iterable[Link]) -> list[str]:
    lines = [
        "",
        f'<a id="{_slug(control.id)}"></a>',
        "",
        f"### {control.id} {control.title}",
        "",
        control.statement,
        "",
        f"- Family: {control.family}",
        f"- Owner: {control.owner_role}",
        f"- Severity: {control.severity}",
        f"- Freshness: {control.freshness}",
        f"- Applies to: {control.applicability.describe()}",
    ]
    if control.guidance:
        lines += ["", f"**Guidance.** {control.guidance}"]
    if control.remediation:
        lines += ["", f"**Remediation.** {control.remediation}"]
    if control.references:
        lines += ["", "**References.** " + "; ".join(control.references)]
    lines += ["", "**Tests.**"]
    for test in control.tests:
        lines += _test_lines(test)
    ordered = sorted(links, key=lambda link: (link.framework, _requirement_key(link.requirement)))
    if ordered:
        lines += [
            "",
            "**Framework links.**",
            "",
            "| Framework | Requirement | Relationship | Rationale |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {link.framework} | {_cell(link.requirement)} | {link.relationship} "
            f"| {_cell(link.rationale)} |"
            for link in ordered
        ]
    else:
        lines += ["", "**Framework links.** None."]
    return lines


def _test_lines(test: ControlTest) -> list[str]:
    summary = f": {test.description}" if test.description else ""
    if test.manual:
        return [
            "",
            f"- `{test.id}` (manual, satisfied by an attestation){summary}",
            "",
            f"  The attestation must show: {test.attestation}",
            *(
                ["", f"  Signed by a holder of: {', '.join(f'`{r}`' for r in test.attested_by)}"]
                if test.attested_by
                else []
            ),
            *(
                [
                    "",
                    "  The document must show: "
                    + ", ".join(f"{w} `{t}`" for w, t in test.must_show),
                ]
                if test.must_show
                else []
            ),
            *_sight_lines(ATTESTED),
        ]
    lines = [
        "",
        f"- `{test.id}` (evidence kind `{test.kind}`){summary}",
        "",
        *_json_block(test.expectation),
        "",
        f"  On failure: {test.explain}",
    ]
    if test.unverifiable_when is not None:
        lines += [
            "",
            "  Unverifiable (the expectation is not judged) when the facts match:",
            "",
            *_json_block(test.unverifiable_when),
            "",
            f"  When unverifiable: {test.unverifiable_explain}",
        ]
    return lines + _sight_lines(sight(test.kind) if test.kind else None)


def _sight_lines(seen: Sight | None) -> list[str]:
    if seen is None:
        return ["", "  What Assay sees: not described by this evidence kind."]
    return [
        "",
        f"  What Assay sees: {seen.sees}; read from {seen.source}. "
        f"It cannot see {seen.cannot_see}.",
    ]


def _json_block(schema: object) -> list[str]:
    text = json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False)
    return ["  ```json", *("  " + line for line in text.splitlines()), "  ```"]


def _requirement_key(requirement: str) -> tuple[object, ...]:
    """Sort "A.5.10" after "A.5.9" and "point 10" after "point 2"."""
    parts: list[object] = []
    for token in requirement.replace(" ", ".").split("."):
        parts.append((0, int(token), "") if token.isdigit() else (1, 0, token))
    return tuple(parts)


def _title(family: str) -> str:
    return FAMILY_TITLES.get(family, family)


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower())


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def main() -> None:
    """Print the catalogue of the built-in library and crosswalks."""
    from assay.governance import load_governance

    governance = load_governance(None)
    sys.stdout.write(render_markdown(governance.library, governance.crosswalks))


if __name__ == "__main__":  # pragma: no cover - exercised through the docs test
    main()
