"""GitHub Actions expressions: parsing, the contexts that flow into a value, untrusted ones."""

from __future__ import annotations

import time

import pytest

from assay.evidence.ci.expressions import (
    MAX_DEPTH,
    Binary,
    Call,
    ExpressionError,
    Literal,
    Member,
    Name,
    dotted,
    flows,
    overlaps,
    parse,
    split,
)
from assay.evidence.ci.tables import builtin_tables
from assay.evidence.ci.untrusted import resolved_text, untrusted_expansion


def carried(text: str) -> list[str]:
    return [dotted(path) for path in flows(parse(text))]


def test_the_tree_of_an_expression() -> None:
    assert parse("github.event['issue'].title") == Member(
        Member(Member(Name("github"), "event"), "issue"), "title"
    )
    assert parse("format('it''s {0}', 0x1F) == 'x'") == Binary(
        "==", Call("format", (Literal("it's {0}"), Literal(31.0))), Literal("x")
    )
    assert parse("!TRUE || null") == parse("(!true) || NULL")


@pytest.mark.parametrize(
    ("text", "paths"),
    [
        ("github.event['issue']['title']", ["github.event.issue.title"]),
        ("toJSON(github.event.issue)", ["github.event.issue"]),
        (
            "format('{0} {1}', github.event.comment.body, github.sha)",
            [
                "github.event.comment.body",
                "github.sha",
            ],
        ),
        (
            "join(github.event.pull_request.labels.*.name, ',')",
            ["github.event.pull_request.labels.*.name"],
        ),
        ("inputs.a || github.head_ref", ["inputs.a", "github.head_ref"]),
        ("github.event.commits[0].message", ["github.event.commits.*.message"]),
        ("github.event[inputs.key]", ["github.event.*"]),
        ("fromJSON(github.event.comment.body).value", ["github.event.comment.body"]),
        ("contains(github.event.issue.title, 'x')", []),
        ("github.event.issue.title == 'bug'", []),
        ("!github.head_ref", []),
        ("hashFiles('**/*.lock', github.head_ref)", []),
        ("'literal'", []),
    ],
)
def test_the_contexts_that_flow_into_the_value(text: str, paths: list[str]) -> None:
    assert carried(text) == paths


@pytest.mark.parametrize(
    "text",
    ["", "github.", "a ==", "f(a,", "a[1", "'open", "a b", "a = b", "#", "a..b"],
)
def test_invalid_expressions_are_refused(text: str) -> None:
    with pytest.raises(ExpressionError):
        parse(text)


def test_deep_nesting_is_refused_quickly_not_a_crash() -> None:
    started = time.perf_counter()
    for text in ("(" * 10_000 + "a" + ")" * 10_000, "!" * 10_000 + "a", "f(" * 5_000):
        with pytest.raises(ExpressionError):
            parse(text)
    assert parse("(" * (MAX_DEPTH - 2) + "a" + ")" * (MAX_DEPTH - 2)) == Name("a")
    assert time.perf_counter() - started < 2


def test_paths_overlap_when_one_holds_the_other() -> None:
    entry = split("github.event.commits.*.message")
    assert overlaps(split("github.event.commits.*.message"), entry)
    assert overlaps(split("github.event.commits"), entry), "toJSON of the list holds it"
    assert overlaps(split("github.event.*"), entry)
    assert not overlaps(split("github.event.commits.*.id"), entry)
    assert overlaps(split("github.event.client_payload.a.b"), split("github.event.client_payload"))


def test_untrusted_expansions_by_the_built_in_tables() -> None:
    tables = builtin_tables()
    assert untrusted_expansion("a || github.head_ref", tables).untrusted == ("github.head_ref",)
    assert untrusted_expansion("github.event.issue.number", tables).untrusted == ()
    assert untrusted_expansion("toJSON(github)", tables).untrusted == ("github",)
    assert untrusted_expansion("github.event.pull_request.head.sha", tables).untrusted == ()
    broken = untrusted_expansion("a ==", tables)
    assert (broken.untrusted, broken.error) == ((), "expected more, found 'the end'")


def test_refs_are_matched_on_what_their_expressions_carry() -> None:
    tables = builtin_tables()
    text = resolved_text("refs/pull/${{ github.event['number'] }}/merge")
    assert text == "refs/pull/github.event.number/merge"
    assert tables.untrusted_ref(resolved_text("${{ github.event['pull_request'].head.ref }}"))
    assert tables.untrusted_ref(
        resolved_text("${{ format('refs/pull/{0}/head', github.event.issue.number) }}")
    )
    assert not tables.untrusted_ref(resolved_text("${{ github.sha }}"))
