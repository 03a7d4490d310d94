"""Which ``${{ }}`` expansions carry text an outsider controls, judged on parsed expressions.

:func:`untrusted_expansion` parses an expression and checks every context path that can
flow into its value (see :mod:`expressions`) against the tables' ``untrusted_contexts``
(structurally: the path, a field inside it, or an object holding it) and
``untrusted_inputs`` (patterns over the dotted path). :func:`resolved_text` rewrites a
``ref:``/``repository:`` value or a command line with each expression replaced by the
paths it can carry, so ``untrusted_refs`` patterns see ``github.event.number`` in
``${{ github.event['number'] }}`` too.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from assay.evidence.ci.expressions import (
    ExpressionError,
    Literal,
    Node,
    Path,
    dotted,
    flows,
    overlaps,
    parse,
)
from assay.evidence.ci.scanning import expressions
from assay.evidence.ci.tables import CiTables


@dataclass(frozen=True)
class Expansion:
    """What one expression expands to: untrusted context paths, or why it was not parsed."""

    untrusted: tuple[str, ...] = ()
    error: str | None = None


def untrusted_expansion(inner: str, tables: CiTables) -> Expansion:
    """The untrusted context paths (dotted, in order, distinct) ``inner`` can carry."""
    paths = _flows(inner)
    if isinstance(paths, str):
        return Expansion(error=paths)
    found: dict[str, None] = {}
    for path in paths:
        text = dotted(path)
        listed = any(overlaps(path, entry) for entry in tables.untrusted_contexts)
        if listed or tables.untrusted_input(text) is not None:
            found[text] = None
    return Expansion(tuple(found))


@lru_cache(maxsize=16_384)
def _flows(inner: str) -> tuple[Path, ...] | str:
    """The paths ``inner`` can carry, or why it cannot be parsed."""
    try:
        return tuple(dict.fromkeys(flows(parse(inner))))
    except ExpressionError as exc:
        return str(exc)


def _literals(node: Node) -> list[str]:
    """String literals anywhere in an expression (``format('refs/pull/{0}/head', ...)``)."""
    found: list[str] = []
    pending: list[object] = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, Literal):
            if isinstance(current.value, str):
                found.append(current.value)
            continue
        for name in ("obj", "index", "operand", "left", "right"):
            child = getattr(current, name, None)
            if child is not None:
                pending.append(child)
        pending.extend(getattr(current, "args", ()))
    return found


def resolved_text(text: str) -> str:
    """``text`` with each expression replaced by the paths and strings it can carry."""
    parts: list[str] = []
    position = 0
    for start, end, inner in expressions(text):
        parts.append(text[position:start])
        try:
            node = parse(inner)
        except ExpressionError:
            parts.append(inner)  # unparsable: its raw text is matched
        else:
            parts.append(" ".join([*(dotted(p) for p in flows(node)), *_literals(node)]))
        position = end
    parts.append(text[position:])
    return "".join(parts)
