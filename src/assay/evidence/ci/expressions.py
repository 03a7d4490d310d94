"""GitHub Actions expressions, parsed: which contexts can flow into an expansion's text.

An expression (the inside of ``${{ ... }}``) is parsed into a small tree, and
:func:`flows` answers which context paths can become part of its value. That is what a
script injection check needs: in ``github.event['issue']['title']``,
``format('{0}', github.event.comment.body)`` or ``a || github.head_ref`` the untrusted
text reaches the script; in ``contains(github.event.issue.title, 'x')`` or
``github.event.issue.title == 'x'`` only a boolean does.

The grammar is GitHub's: literals (``null``, ``true``, ``false``, numbers, ``'strings'``
with ``''`` for a quote), context names with ``.name``, ``['name']``, ``[index]`` and
``.*``/``[*]`` (a filter over every element), function calls, ``!``, ``==``, ``!=``,
``<``, ``<=``, ``>``, ``>=``, ``&&``, ``||`` and parentheses. Names are compared without
case, as GitHub does. Parsing is linear in the expression's length; nesting deeper than
:data:`MAX_DEPTH` is refused as unparsable rather than exhausting the stack.

A context path is a tuple of lower-case segments; ``*`` stands for any element (a filter,
a number index or a computed index).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assay.errors import AssayError

MAX_DEPTH = 64
MAX_LENGTH = 16_384
STAR = "*"

Path = tuple[str, ...]

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>'(?:[^']|'')*')
    | (?P<number>0x[0-9a-fA-F]+|[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
    | (?P<op>&&|\|\||==|!=|<=|>=|[<>!()\[\].,*])
    )""",
    re.VERBOSE,
)
#: Functions whose result is a boolean or a hash: no context text reaches the output.
_OPAQUE = frozenset(
    {"contains", "startswith", "endswith", "success", "always", "cancelled", "failure", "hashfiles"}
)
_COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})


class ExpressionError(AssayError):
    """An expression that does not follow GitHub's grammar."""


@dataclass(frozen=True)
class Literal:
    value: str | float | bool | None


@dataclass(frozen=True)
class Name:
    """A bare name: the head of a context (``github``, ``inputs``, ...)."""

    name: str


@dataclass(frozen=True)
class Member:
    """``obj.name``, ``obj['name']``, ``obj[0]``, ``obj.*`` (name ``*``) or a computed index."""

    obj: Node
    name: str
    index: Node | None = None


@dataclass(frozen=True)
class Call:
    function: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Unary:
    op: str
    operand: Node


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node


Node = Literal | Name | Member | Call | Unary | Binary


def _tokens(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    position = 0
    end = len(text.rstrip())
    while position < end:
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ExpressionError(f"unexpected text at {text[position:].strip()[:20]!r}")
        kind = match.lastgroup or ""
        found.append((kind, match.group(kind)))
        position = match.end()
    return found


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.position = 0
        self.depth = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.position] if self.position < len(self.tokens) else ("end", "")

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token[0] == "end" or (value is not None and token[1] != value):
            wanted = repr(value) if value else "more"
            raise ExpressionError(f"expected {wanted}, found {token[1] or 'the end'!r}")
        self.position += 1
        return token

    def parse(self) -> Node:
        node = self.expression()
        if self.peek()[0] != "end":
            raise ExpressionError(f"unexpected {self.peek()[1]!r}")
        return node

    def expression(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(f"nested more than {MAX_DEPTH} levels deep")
        node = self.binary(0)
        self.depth -= 1
        return node

    _LEVELS: tuple[frozenset[str], ...] = (
        frozenset({"||"}),
        frozenset({"&&"}),
        frozenset({"==", "!="}),
        frozenset({"<", "<=", ">", ">="}),
    )

    def binary(self, level: int) -> Node:
        if level == len(self._LEVELS):
            return self.unary()
        node = self.binary(level + 1)
        while self.peek()[0] == "op" and self.peek()[1] in self._LEVELS[level]:
            op = self.take()[1]
            node = Binary(op, node, self.binary(level + 1))
        return node

    def unary(self) -> Node:
        if self.peek() == ("op", "!"):
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise ExpressionError(f"nested more than {MAX_DEPTH} levels deep")
            node = Unary("!", self.unary())
            self.depth -= 1
            return node
        return self.postfix(self.primary())

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "string":
            return Literal(value[1:-1].replace("''", "'"))
        if kind == "number":
            hexadecimal = value.lower().startswith("0x")
            return Literal(float(int(value, 16)) if hexadecimal else float(value))
        if kind == "name":
            lowered = value.lower()
            if lowered in ("true", "false"):
                return Literal(lowered == "true")
            if lowered == "null":
                return Literal(None)
            if self.peek() == ("op", "("):
                return self.call(lowered)
            return Name(lowered)
        if value == "(":
            node = self.expression()
            self.take(")")
            return node
        raise ExpressionError(f"unexpected {value!r}")

    def call(self, function: str) -> Node:
        self.take("(")
        args: list[Node] = []
        if self.peek() != ("op", ")"):
            args.append(self.expression())
            while self.peek() == ("op", ","):
                self.take()
                args.append(self.expression())
        self.take(")")
        return Call(function, tuple(args))

    def postfix(self, node: Node) -> Node:
        while self.peek()[0] == "op" and self.peek()[1] in (".", "["):
            if self.take()[1] == ".":
                kind, value = self.take()
                if kind != "name" and value != STAR:
                    raise ExpressionError(f"expected a property name after '.', found {value!r}")
                node = Member(node, value.lower())
                continue
            index = self.index()
            self.take("]")
            node = index(node)
        return node

    def index(self) -> _Indexer:
        if self.peek() == ("op", "*"):
            self.take()
            return _Indexer(STAR, None)
        inner = self.expression()
        if isinstance(inner, Literal) and isinstance(inner.value, str):
            return _Indexer(inner.value.lower(), None)
        if isinstance(inner, Literal) and isinstance(inner.value, float):
            return _Indexer(STAR, None)
        return _Indexer(STAR, inner)


@dataclass(frozen=True)
class _Indexer:
    name: str
    computed: Node | None

    def __call__(self, node: Node) -> Node:
        return Member(node, self.name, self.computed)


@lru_cache(maxsize=8192)
def parse(text: str) -> Node:
    """The tree of one expression (without ``${{ }}``); :class:`ExpressionError` if invalid."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"longer than {MAX_LENGTH:,} characters")
    if not text.strip():
        raise ExpressionError("empty expression")
    return _Parser(text).parse()


def context_path(node: Node) -> Path | None:
    """``github.event['issue'].title`` -> ``('github', 'event', 'issue', 'title')``; else None."""
    parts: list[str] = []
    while isinstance(node, Member):
        parts.append(node.name)
        node = node.obj
    if not isinstance(node, Name):
        return None
    parts.append(node.name)
    return tuple(reversed(parts))


def flows(node: Node) -> list[Path]:
    """Context paths whose text can become part of the expression's value, in order."""
    found: list[Path] = []
    pending: list[Node] = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, Literal):
            continue
        if isinstance(current, Name | Member):
            path = context_path(current)
            if path is not None:
                found.append(path)
            elif isinstance(current, Member):
                pending.append(current.obj)  # (call(...)).field: what the call returns
            continue
        if isinstance(current, Call):
            if current.function not in _OPAQUE:
                pending.extend(reversed(current.args))
            continue
        if isinstance(current, Unary):
            continue  # ! yields a boolean
        if current.op not in _COMPARISONS:
            pending.extend((current.right, current.left))  # || and && yield an operand
    return found


def dotted(path: Path) -> str:
    """The path as people write it: ``github.event.pages.*.page_name``."""
    return ".".join(path)


def split(entry: str) -> Path:
    """A table entry (``github.event.commits.*.message``) as a path."""
    return tuple(part.lower() for part in entry.strip().split("."))


def overlaps(path: Path, entry: Path) -> bool:
    """Whether ``path`` is ``entry``, inside it, or holds it (``*`` matches any segment).

    ``toJSON(github.event.issue)`` holds ``github.event.issue.title``, so it carries it.
    """
    return all(a == b or STAR in (a, b) for a, b in zip(path, entry, strict=False))
