"""The built-in control library and crosswalks: they load, every automated expectation
passes on good facts and fails on bad ones, the crosswalks cover every assessable
requirement of the three frameworks, and the CLI and the generated catalogue agree."""

from __future__ import annotations

import copy
import json
import string
import textwrap
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from assay.assess.evaluate import fill_template
from assay.cli.app import app
from assay.controls.catalogue import render_markdown
from assay.controls.loader import Library, builtin_library_dir, load_library, parse_control
from assay.controls.model import Control, ControlTest
from assay.errors import InvalidInput
from assay.evidence.kinds import kind_validator
from assay.governance import Governance, load_governance
from assay.mappings.crosswalk import FULL, load_crosswalks
from assay.schemas import compile_schema, load_schema
from assay.yamlfile import parse_yaml
from tests.support.control_facts import BAD_CASES, good_facts
from tests.support.paths import ROOT

FAMILY_PREFIX = {
    "governance": "GOV",
    "change-management": "CHG",
    "secure-development": "SDL",
    "testing": "TST",
    "supply-chain": "SUP",
    "operations": "OPS",
    "ai": "AI",
    "service-standard": "SVC",
    "organisational": "ORG",
    "people": "PPL",
    "physical": "PHY",
}
FRAMEWORK_SIZES = {"iso27001-2022": 123, "nist-ai-rmf-1.0": 72, "uk-service-standard": 14}
#: More links than this from one control into one framework would be a blanket mapping.
MAX_LINKS_PER_CONTROL = 16


@pytest.fixture(scope="module")
def governance() -> Governance:
    return load_governance(None)


@pytest.fixture(scope="module")
def library(governance: Governance) -> Library:
    return governance.library


def automated_tests(library: Library) -> list[tuple[Control, ControlTest]]:
    return [(c, t) for c in library.sorted() for t in c.tests if not t.manual]


# --------------------------------------------------------------------------- the library


def test_the_builtin_library_loads_without_problems() -> None:
    library = load_library()
    assert 60 <= len(library) <= 75
    assert library.overridden == {}
    assert len(library.digest) == 64


def test_the_digest_follows_every_change_to_the_controls() -> None:
    import dataclasses

    library = load_library()
    first = library.digest
    assert library.digest == first
    control = library.controls["CHG-01"]
    library.controls["CHG-01"] = dataclasses.replace(control, title=control.title + ".")
    changed = library.digest
    assert changed != first
    library.controls["CHG-01"] = control
    assert library.digest == first
    del library.controls["CHG-02"]
    assert library.digest not in (first, changed)


def test_every_family_is_present_and_ids_use_its_prefix(library: Library) -> None:
    families = Counter(c.family for c in library.sorted())
    assert set(families) == set(FAMILY_PREFIX)
    for control in library.sorted():
        assert control.id.split("-")[0] == FAMILY_PREFIX[control.family], control.id


def test_each_control_lives_in_a_file_named_after_its_id(library: Library) -> None:
    names = sorted(p.name for p in builtin_library_dir().glob("*.yaml"))
    assert names == sorted(f"{c.id}.yaml" for c in library.sorted())
    for control in library.sorted():
        assert control.source == f"assay/controls/library/{control.id}.yaml"


def test_ai_and_service_standard_controls_apply_by_tag(library: Library) -> None:
    for control in library.sorted():
        if control.family == "ai":
            assert control.applicability.tags_any == ("ai",), control.id
            assert not control.applicability.applies(frozenset({"public-sector"}), 1)
        if control.family == "service-standard":
            assert control.applicability.tags_any == ("public-sector",), control.id
            assert control.applicability.applies(frozenset({"public-sector", "pii"}), 3)


def test_every_control_explains_how_to_implement_and_fix_it(library: Library) -> None:
    for control in library.sorted():
        assert len(control.guidance) > 80, control.id
        assert len(control.remediation) > 40, control.id
        for test in control.tests:
            assert test.description, f"{control.id} {test.id}"


def test_manual_tests_say_what_the_signed_statement_and_file_show(library: Library) -> None:
    manual = [(c, t) for c in library.sorted() for t in c.tests if t.manual]
    assert len(manual) >= 20
    for control, test in manual:
        assert test.kind == "manual.attestation"
        assert test.attestation.startswith("Signed by"), control.id
        assert "supporting file" in test.attestation, control.id
        assert "(a)" in test.attestation, control.id
        assert "(b)" in test.attestation, control.id


def test_controls_with_only_attestations_are_refreshed_at_least_yearly(library: Library) -> None:
    for control in library.sorted():
        if control.manual_only:
            assert control.freshness_delta.days <= 366, control.id


def test_some_controls_combine_an_automated_and_a_manual_test(library: Library) -> None:
    mixed = [c.id for c in library.sorted() if any(t.manual for t in c.tests) and not c.manual_only]
    assert {"OPS-04", "AI-06", "AI-07"} <= set(mixed)


# --------------------------------------------------------------------------- expectations


def check(test: ControlTest, facts: dict[str, Any]) -> list[str]:
    return [error.message for error in compile_schema(test.expectation).iter_errors(facts)]


def test_good_facts_are_valid_evidence_of_their_kind(library: Library) -> None:
    kinds = sorted({t.kind for _, t in automated_tests(library)})
    for kind in kinds:
        errors = [e.message for e in kind_validator(kind).iter_errors(good_facts(kind))]
        assert errors == [], kind


def test_every_automated_test_passes_on_good_facts(library: Library) -> None:
    failures = {f"{c.id}/{t.id}": check(t, good_facts(t.kind)) for c, t in automated_tests(library)}
    assert {key: errors for key, errors in failures.items() if errors} == {}


def test_every_automated_test_has_a_bad_case(library: Library) -> None:
    tested = {(control, test) for control, test, _, _ in BAD_CASES}
    expected = {(c.id, t.id) for c, t in automated_tests(library)}
    assert expected - tested == set()
    assert tested - expected == set()


@pytest.mark.parametrize(
    ("control_id", "test_id", "patch"),
    [pytest.param(c, t, p, id=f"{c}/{t}/{label}") for c, t, label, p in BAD_CASES],
)
def test_every_automated_test_fails_on_bad_facts(
    library: Library,
    control_id: str,
    test_id: str,
    patch: Callable[[dict[str, Any]], None],
) -> None:
    control = library.get(control_id)
    assert control is not None
    test = next(t for t in control.tests if t.id == test_id)
    facts = copy.deepcopy(good_facts(test.kind))
    patch(facts)
    assert [e.message for e in kind_validator(test.kind).iter_errors(facts)] == []
    assert check(test, facts) != []
    # The failure message reads with real values: every placeholder is filled from a fact.
    message = fill_template(test.explain, facts)
    assert "{" not in message
    assert "…" not in message


def test_explain_templates_name_only_top_level_facts(library: Library) -> None:
    for control, test in automated_tests(library):
        facts = good_facts(test.kind)
        for _, name, _, _ in string.Formatter().parse(test.explain):
            if name is not None:
                assert name in facts, f"{control.id}/{test.id}: {name}"


# --------------------------------------------------------------------------- loader fixes


def test_an_unknown_fact_inside_if_then_is_reported() -> None:
    text = textwrap.dedent(
        """\
        id: CHG-90
        title: A control with a conditional expectation
        statement: Production environments need an approver before deploy jobs run.
        family: change-management
        owner_role: Engineering lead
        severity: high
        freshness: P30D
        tests:
          - id: conditional
            kind: ci.workflows
            expectation:
              properties:
                deploy_environments:
                  items:
                    if: {properties: {name: {const: production}}}
                    then: {properties: {approved_by: {const: true}}}
            explain: "{repo} deploys without approval"
        """
    )
    control, problems = parse_control(parse_yaml(text.encode(), "controls/CHG-90.yaml"))
    assert control is None
    assert [p.message for p in problems] == [
        "expectation names 'deploy_environments.approved_by', which evidence kind "
        "'ci.workflows' does not have"
    ]
    assert problems[0].line == 16


def write_crosswalk(folder: Path, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "extra.yaml").write_text(textwrap.dedent(body), encoding="utf-8")
    return folder


def test_a_crosswalk_cannot_both_link_and_excuse_a_requirement(
    governance: Governance, tmp_path: Path
) -> None:
    folder = write_crosswalk(
        tmp_path / "crosswalks",
        """\
        framework: iso27001-2022
        links:
          - control: CHG-01
            requirement: "9.1"
            relationship: intersect
            rationale: Review ratios are one measure of control performance.
        unmapped:
          - requirement: "9.1"
            reason: Monitoring is evidenced outside this tool entirely.
          - requirement: "9.2"
            reason: The heading is covered by its sub-clauses already.
        """,
    )
    with pytest.raises(InvalidInput) as caught:
        load_crosswalks(governance.library, governance.frameworks, [folder])
    messages = [(p.line, p.message) for p in caught.value.problems]
    assert messages == [
        (8, "requirement '9.1' is listed as unmapped but this crosswalk links it"),
        (10, "requirement '9.2' is a heading, not assessable; it needs no unmapped entry"),
    ]


# --------------------------------------------------------------------------- crosswalks


def test_the_crosswalks_load_with_the_library(governance: Governance) -> None:
    assert set(governance.frameworks) == set(FRAMEWORK_SIZES)
    by_framework = Counter(link.framework for link in governance.crosswalks.links)
    assert set(by_framework) == set(FRAMEWORK_SIZES)
    assert all(count >= 14 for count in by_framework.values())


@pytest.mark.parametrize("framework_id", sorted(FRAMEWORK_SIZES))
def test_every_assessable_requirement_is_linked_or_deliberately_unmapped(
    governance: Governance, framework_id: str
) -> None:
    framework = governance.frameworks[framework_id]
    assessable = {r.id for r in framework.assessable}
    assert len(assessable) == FRAMEWORK_SIZES[framework_id]
    linked = {link.requirement for link in governance.crosswalks.for_framework(framework_id)}
    unmapped = {
        u.requirement for u in governance.crosswalks.unmapped if u.framework == framework_id
    }
    assert linked <= assessable
    assert unmapped <= assessable
    assert linked & unmapped == set()
    assert assessable - linked - unmapped == set()


def test_headings_are_never_linked(governance: Governance) -> None:
    iso = governance.frameworks["iso27001-2022"]
    headings = {r.id for r in iso.requirements if not r.assessable}
    assert headings == {"6.1", "7.5", "9.2", "9.3"}
    assert not headings & {link.requirement for link in governance.crosswalks.links}


def test_no_control_is_linked_in_blanket_fashion(governance: Governance) -> None:
    per_control = Counter((link.control, link.framework) for link in governance.crosswalks.links)
    assert max(per_control.values()) <= MAX_LINKS_PER_CONTROL
    rationales = Counter((link.framework, link.rationale) for link in governance.crosswalks.links)
    assert [text for text, count in rationales.items() if count > 1] == []


def test_equal_links_are_rare_and_every_control_maps_somewhere(governance: Governance) -> None:
    links = governance.crosswalks.links
    equal = [link for link in links if link.relationship == "equal"]
    assert 0 < len(equal) <= 5
    linked_controls = {link.control for link in links}
    assert linked_controls == set(governance.library.controls)


def test_automated_controls_never_claim_to_cover_a_requirement_alone(
    governance: Governance,
) -> None:
    """Presence and threshold checks cannot show adequacy, so they link as partial."""
    for link in governance.crosswalks.links:
        control = governance.library.controls[link.control]
        if not any(t.manual for t in control.tests):
            assert link.relationship not in FULL, f"{link.control} → {link.requirement}"


# --------------------------------------------------------------------------- CLI


def test_library_validate_reports_the_counts(
    runner: CliRunner, in_dir: Path, governance: Governance
) -> None:
    result = runner.invoke(app, ["library", "validate"])
    assert (result.exit_code, result.stderr) == (0, "")
    controls = len(governance.library)
    links = len(governance.crosswalks.links)
    assert result.stdout == f"ok: {controls} controls, 3 frameworks, {links} crosswalk links\n"


def test_library_list_filters_by_family(runner: CliRunner, in_dir: Path, library: Library) -> None:
    result = runner.invoke(app, ["library", "list", "--family", "ai"])
    assert result.exit_code == 0
    ai_ids = [c.id for c in library.sorted() if c.family == "ai"]
    rows = [line.split()[0] for line in result.stdout.splitlines()[2:] if line.strip()]
    assert rows[: len(ai_ids)] == ai_ids
    assert result.stdout.rstrip().endswith(f"{len(ai_ids)} controls")
    assert "CHG-01" not in result.stdout
    assert "services tagged ai" in result.stdout


def test_library_show_prints_tests_and_framework_links(runner: CliRunner, in_dir: Path) -> None:
    result = runner.invoke(app, ["library", "show", "CHG-01"])
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith("CHG-01  Changes are independently reviewed before they merge\n")
    assert "test review-ratio: evidence kind git.history" in out
    assert '"review_ratio": {"minimum": 0.95, "type": "number"}' in out
    assert "test full-history: evidence kind git.history" in out
    assert "  iso27001-2022 A.8.32 (subset): Review before merge" in out


def test_coverage_json_matches_its_schema_and_the_crosswalks(
    runner: CliRunner, in_dir: Path, governance: Governance
) -> None:
    result = runner.invoke(app, ["coverage", "--format", "json"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert list(compile_schema(load_schema("coverage")).iter_errors(report)) == []
    counts = {fw["id"]: fw["counts"] for fw in report["frameworks"]}
    assert {k: sum(v.values()) for k, v in counts.items()} == FRAMEWORK_SIZES
    unmapped = Counter(u.framework for u in governance.crosswalks.unmapped)
    assert {k: v["uncovered"] for k, v in counts.items()} == {
        k: unmapped.get(k, 0) for k in FRAMEWORK_SIZES
    }
    for fw in report["frameworks"]:
        for requirement in fw["requirements"]:
            if requirement["status"] == "uncovered":
                assert requirement["unmapped_reason"]


# --------------------------------------------------------------------------- catalogue


def test_the_committed_catalogue_is_current(governance: Governance) -> None:
    page = (ROOT / "docs" / "control-library.md").read_text(encoding="utf-8")
    assert page == render_markdown(governance.library, governance.crosswalks), (
        "docs/control-library.md is stale: run "
        "`python -m assay.controls.catalogue > docs/control-library.md`"
    )


def test_the_catalogue_lists_every_control_with_its_tests_and_links(
    governance: Governance,
) -> None:
    page = render_markdown(governance.library, governance.crosswalks)
    for control in governance.library.sorted():
        assert f"### {control.id} {control.title}\n" in page
        for test in control.tests:
            assert f"- `{test.id}` (" in page
    assert "| iso27001-2022 | A.8.13 | equal |" in page
    assert "(manual, satisfied by an attestation)" in page


# --------------------------------------------------------------------------- authoring docs


def doc_yaml_block(first_line: str) -> str:
    """The YAML code block of docs/authoring-controls.md that starts with ``first_line``."""
    text = (ROOT / "docs" / "authoring-controls.md").read_text(encoding="utf-8")
    for block in text.split("```yaml\n")[1:]:
        body = textwrap.dedent(block.split("```", 1)[0])
        if body.startswith(first_line):
            return body
    raise AssertionError(f"no YAML block starting {first_line!r}")


def test_the_worked_example_fails_validation_exactly_as_documented(
    runner: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "assay.toml").write_text("", encoding="utf-8")
    (tmp_path / "controls").mkdir()
    draft = doc_yaml_block("id: SDL-90\n")
    (tmp_path / "controls" / "SDL-90.yaml").write_text(draft, encoding="utf-8")
    result = runner.invoke(app, ["library", "validate", "--workspace", str(tmp_path)])
    assert result.exit_code == 2
    doc = (ROOT / "docs" / "authoring-controls.md").read_text(encoding="utf-8")
    for line in result.stderr.splitlines()[:2]:
        assert line in doc
    assert result.stderr.startswith(
        "controls/SDL-90.yaml:25:13: expectation names 'tools.terraform'"
    )
    fixed = draft.replace("terraform: {minItems: 1}", "iac: {minItems: 1}").replace(
        "checkers found: {iac_tools}",
        "tool categories that run before merge: {pre_merge_tool_categories}",
    )
    (tmp_path / "controls" / "SDL-90.yaml").write_text(fixed, encoding="utf-8")
    result = runner.invoke(app, ["library", "validate", "--workspace", str(tmp_path)])
    assert result.exit_code == 0
    assert result.stdout.startswith(f"ok: {len(load_library()) + 1} controls, 3 frameworks, ")


def test_the_documented_override_replaces_the_builtin_control(
    runner: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "assay.toml").write_text("", encoding="utf-8")
    (tmp_path / "controls").mkdir()
    override = doc_yaml_block("id: CHG-01\n")
    (tmp_path / "controls" / "CHG-01.yaml").write_text(override, encoding="utf-8")
    library = load_library([tmp_path / "controls"], display_root=tmp_path)
    assert library.overridden == {"CHG-01": "assay/controls/library/CHG-01.yaml"}
    control = library.get("CHG-01")
    assert control is not None
    assert (control.severity, [t.id for t in control.tests]) == ("critical", ["review-ratio"])
    result = runner.invoke(app, ["library", "show", "CHG-01", "--workspace", str(tmp_path)])
    assert result.exit_code == 0
    assert "source:      controls/CHG-01.yaml" in result.stdout
    assert "maps to:" in result.stdout


def test_the_documented_unverifiable_test_is_chg01s() -> None:
    import yaml

    documented = yaml.safe_load(doc_yaml_block("unverifiable_when:"))
    (review,) = [t for t in load_library().controls["CHG-01"].tests if t.id == "review-ratio"]
    assert documented == {
        "unverifiable_when": review.unverifiable_when,
        "unverifiable_explain": review.unverifiable_explain,
    }
