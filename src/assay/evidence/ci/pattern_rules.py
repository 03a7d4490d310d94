"""The rule every CI table pattern must follow, so that no pattern can hang a collection.

CI table patterns are Python regular expressions (a workspace writes its own in
``ci-tables/*.yaml``), run over workflow text that whoever can push a branch writes.
Python's engine backtracks, so a pattern is refused when it holds:

- a repeat inside a repeat (``(a+)+``, ``(\\S+\\s+)*``): exponential on a near-miss;
- a backreference (``(a)\\1``, ``(?(1)...)``): no bound at all;
- more than :data:`MAX_PATTERN` characters.

What remains can still be quadratic in the text it runs on (``\\bmvn\\b.*\\btest\\b``
rescans a line from every ``mvn``), so patterns run over windows of bounded length (see
:mod:`assay.evidence.ci.scanning`): a match is found when it is at most
``MAX_MATCH`` characters long.
"""

from __future__ import annotations

import importlib
from typing import Any

MAX_PATTERN = 500

_parser: Any = importlib.import_module("re._parser")
_constants: Any = importlib.import_module("re._constants")
_REPEATS = frozenset({_constants.MAX_REPEAT, _constants.MIN_REPEAT, _constants.POSSESSIVE_REPEAT})
_BACKREFERENCES = frozenset({_constants.GROUPREF, _constants.GROUPREF_EXISTS})


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` is refused, or None. The pattern must already compile."""
    if len(pattern) > MAX_PATTERN:
        return f"is longer than {MAX_PATTERN} characters"
    return _walk(_parser.parse(pattern), inside_repeat=False)


def _walk(items: Any, *, inside_repeat: bool) -> str | None:
    for op, argument in items:
        problem: str | None = None
        if op in _BACKREFERENCES:
            return "holds a backreference, which can take unbounded time"
        if op in _REPEATS:
            low, high, body = argument
            repeats = high > 1
            if high != low and inside_repeat:
                return (
                    "holds a repeat inside a repeat (such as (a+)+), "
                    "which can take exponential time"
                )
            problem = _walk(body, inside_repeat=inside_repeat or repeats)
        elif op == _constants.BRANCH:
            for branch in argument[1]:
                problem = problem or _walk(branch, inside_repeat=inside_repeat)
        elif op == _constants.SUBPATTERN:
            problem = _walk(argument[-1], inside_repeat=inside_repeat)
        elif op in (_constants.ASSERT, _constants.ASSERT_NOT):
            problem = _walk(argument[1], inside_repeat=inside_repeat)
        elif op == _constants.ATOMIC_GROUP:
            problem = _walk(argument, inside_repeat=inside_repeat)
        if problem is not None:
            return problem
    return None
