"""Governance file parsers on text built to make a backtracking regex hang."""

from __future__ import annotations

import time

import pytest

from assay.evidence.repofiles.file_facts import (
    has_security_contact,
    model_card_sections,
    parse_codeowners,
)

BOUND_SECONDS = 5  # each input below took minutes to hours before


def _timed(action: object) -> float:
    assert callable(action)
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def test_a_security_policy_of_one_long_word_is_read_in_linear_time() -> None:
    text = "a" * 1_000_000
    assert _timed(lambda: has_security_contact(text)) < BOUND_SECONDS
    assert not has_security_contact(text)
    assert has_security_contact(text + " security@example.org")


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("card.md", "# a" + " " * 200_000 + "x\n## Limitations\n"),
        ("card.yaml", "A" + " " * 200_000 + "x\nlimitations: none\n"),
    ],
)
def test_a_model_card_heading_of_spaces_is_read_in_linear_time(name: str, text: str) -> None:
    assert _timed(lambda: model_card_sections(text, name)) < BOUND_SECONDS
    assert model_card_sections(text, name) == ["limitations"]


def test_markdown_headings_keep_their_rules() -> None:
    text = "# Model Card\n## Intended use ##\n   ### Limitations\n####### Training data\n#Bias\n"
    assert model_card_sections(text, "card.md") == ["intended_use", "limitations"]


def test_codeowners_of_many_pathological_rules_is_read_in_linear_time() -> None:
    text = "".join(
        f"/p{n}/*a*a*a*a*a*a*a*a*a*a/** @org/team x@{'b.' * 30}@ {'*' * 40}\n"
        for n in range(20_000)
    )
    assert _timed(lambda: parse_codeowners(text)) < BOUND_SECONDS
    facts = parse_codeowners(text)
    assert facts["rules"] == 20_000
    assert facts["errors"] == 20_000  # every rule names an owner that is not one
    assert len(facts["patterns"]) == 200


def test_codeowners_owners_keep_their_rules() -> None:
    text = "* @org/team dev@example.org @@owners bad@nodot bad@.x\n"
    facts = parse_codeowners(text)
    assert facts["owners"] == 3
    assert facts["errors"] == 1
