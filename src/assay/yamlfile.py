"""Safe, located YAML loading for every file a user or a repository gives us.

The loader is PyYAML's safe loader (its C parser where available) with a few
changes that matter for untrusted input and for precise error messages:

- YAML 1.2 scalars: only ``true``/``false`` are booleans (``on``, ``yes`` and
  ``no`` stay strings, so a workflow's ``on:`` key is the string ``"on"``) and
  timestamps stay strings (JSON Schema ``format: date-time`` checks them);
- duplicate mapping keys are errors, not silently overwritten;
- aliases are expanded under a node budget, so an alias bomb is refused quickly;
- files are size-capped, must be UTF-8, and may hold only one document;
- every value's line and column is recorded, so schema errors point at the
  offending line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

from assay.errors import InvalidInput, Problem

T = TypeVar("T")

try:  # pragma: no branch - the C parser is present in every wheel we install
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

DEFAULT_MAX_BYTES = 1024 * 1024
DEFAULT_MAX_NODES = 200_000
MAX_DEPTH = 64

JsonPath = tuple[str | int, ...]

_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "map", "seq")
)


class _Loader(_BaseLoader):
    """Safe loader with YAML 1.2 booleans and no implicit timestamps."""


_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")
    ]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


@dataclass
class YamlDocument:
    """A parsed YAML document and where each of its values stands."""

    path: str
    data: Any
    positions: dict[JsonPath, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[JsonPath, tuple[int, int]] = field(default_factory=dict)
    #: Local tags kept by a lenient parse (e.g. GitLab's ``!reference``), by value path.
    tags: dict[JsonPath, str] = field(default_factory=dict)

    def locate(self, json_path: JsonPath, *, key: bool = False) -> tuple[int, int]:
        """Line and column of the value (or key) at ``json_path``, or its nearest parent."""
        table = self.key_positions if key else self.positions
        probe = tuple(json_path)
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.positions:
                return self.positions[probe]
            probe = probe[:-1]
        return self.positions.get((), (1, 1))

    def problem(self, json_path: JsonPath, message: str, *, key: bool = False) -> Problem:
        line, col = self.locate(json_path, key=key)
        return Problem(self.path, line, col, message)


class _Builder:
    """Turns a composed node graph into plain data, recording positions."""

    def __init__(self, loader: _Loader, path: str, max_nodes: int, lenient_tags: bool) -> None:
        self.loader = loader
        self.path = path
        self.max_nodes = max_nodes
        self.lenient_tags = lenient_tags
        self.count = 0
        self.problems: list[Problem] = []
        self.positions: dict[JsonPath, tuple[int, int]] = {}
        self.key_positions: dict[JsonPath, tuple[int, int]] = {}
        self.tags: dict[JsonPath, str] = {}

    def _mark(self, node: yaml.Node) -> tuple[int, int]:
        return (node.start_mark.line + 1, node.start_mark.column + 1)

    def build(self, node: yaml.Node, json_path: JsonPath, depth: int) -> Any:
        self.count += 1
        if self.count > self.max_nodes:
            raise _TooLarge(node)
        if depth > MAX_DEPTH:
            raise _TooDeep(node)
        self.positions.setdefault(json_path, self._mark(node))
        if node.tag not in _PLAIN_TAGS:
            if not self.lenient_tags:  # e.g. GitLab's !reference is kept only when lenient
                line, col = self._mark(node)
                self.problems.append(
                    Problem(self.path, line, col, f"unsupported YAML tag {node.tag}")
                )
                return None
            self.tags[json_path] = node.tag
            if isinstance(node, yaml.ScalarNode):
                return node.value
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, json_path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [
                self.build(item, (*json_path, index), depth + 1)
                for index, item in enumerate(node.value)
            ]
        return self._scalar(node)

    def _scalar(self, node: yaml.Node) -> Any:
        if node.tag not in _PLAIN_TAGS:
            return node.value if isinstance(node.value, str) else None
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            line, col = self._mark(node)
            self.problems.append(Problem(self.path, line, col, _plain(exc)))
            return None

    def _mapping(self, node: yaml.MappingNode, json_path: JsonPath, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                merged.append(value_node)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                line, col = self._mark(key_node)
                self.problems.append(Problem(self.path, line, col, "mapping keys must be scalars"))
                continue
            key = self._scalar(key_node)
            if not isinstance(key, str):
                key = str(key).lower() if isinstance(key, bool) else str(key)
            if key in result:
                line, col = self._mark(key_node)
                first = self.key_positions.get((*json_path, key), (0, 0))[0]
                self.problems.append(
                    Problem(self.path, line, col, f"duplicate key '{key}' (first at line {first})")
                )
                continue
            self.key_positions[(*json_path, key)] = self._mark(key_node)
            result[key] = self.build(value_node, (*json_path, key), depth + 1)
        for merge_node in merged:
            sources = (
                merge_node.value if isinstance(merge_node, yaml.SequenceNode) else [merge_node]
            )
            for source in sources:
                value = self.build(source, json_path, depth + 1)
                if not isinstance(value, dict):
                    line, col = self._mark(source)
                    self.problems.append(Problem(self.path, line, col, "'<<' must merge a mapping"))
                    continue
                for key, item in value.items():
                    result.setdefault(key, item)
        return result


class _TooLarge(Exception):
    def __init__(self, node: yaml.Node) -> None:
        self.node = node


class _TooDeep(_TooLarge):
    pass


def _plain(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError):
        parts = [part for part in (exc.context, exc.problem) if part]
        text = "; ".join(parts) if parts else "invalid YAML"
    else:
        text = str(exc).splitlines()[0] if str(exc) else "invalid YAML"
    return text.replace("\t", "\\t")


def decode_text(raw: bytes, path: str) -> str:
    """Decode UTF-8 (an optional BOM allowed), or raise with the offending line."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        raise InvalidInput(
            [Problem(path, line, col, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})")]
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InvalidInput([Problem(path, line, 1, "contains a NUL character")])
    return text


def parse_yaml(
    raw: bytes | str,
    path: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_nodes: int = DEFAULT_MAX_NODES,
    lenient_tags: bool = False,
    allow_empty: bool = False,
) -> YamlDocument:
    """Parse one YAML document from bytes or text; raise :class:`InvalidInput` on any problem."""
    size = len(raw.encode("utf-8") if isinstance(raw, str) else raw)
    if size > max_bytes:
        raise InvalidInput(
            [
                Problem(
                    path, None, None, f"file is {size:,} bytes, over the {max_bytes:,} byte limit"
                )
            ]
        )
    text = raw if isinstance(raw, str) else decode_text(raw, path)
    if not text.strip() or _only_comments(text):
        if allow_empty:
            return YamlDocument(path, None, {(): (1, 1)})
        raise InvalidInput([Problem(path, 1, 1, "file is empty")])
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            message = _plain(exc)
            if mark is not None and _char_at(text, mark.line, mark.column) == "\t":
                message = "tab character where YAML expects spaces (indent with spaces)"
            raise InvalidInput([Problem(path, line, col, message)]) from None
        except yaml.YAMLError as exc:
            raise InvalidInput([Problem(path, 1, 1, _plain(exc))]) from None
        if node is None:
            if allow_empty:
                return YamlDocument(path, None, {(): (1, 1)})
            raise InvalidInput([Problem(path, 1, 1, "file is empty")])
        builder = _Builder(loader, path, max_nodes, lenient_tags)
        try:
            data = builder.build(node, (), 0)
        except _TooDeep as exc:
            mark = exc.node.start_mark
            raise InvalidInput(
                [Problem(path, mark.line + 1, mark.column + 1, f"nested deeper than {MAX_DEPTH}")]
            ) from None
        except _TooLarge as exc:
            mark = exc.node.start_mark
            raise InvalidInput(
                [
                    Problem(
                        path,
                        mark.line + 1,
                        mark.column + 1,
                        f"document expands to more than {max_nodes:,} values "
                        "(aliases nested too deeply?)",
                    )
                ]
            ) from None
    finally:
        loader.dispose()
    if builder.problems:
        raise InvalidInput(builder.problems)
    return YamlDocument(path, data, builder.positions, builder.key_positions, builder.tags)


def _char_at(text: str, line: int, column: int) -> str:
    lines = text.splitlines()
    if line < len(lines) and column < len(lines[line]):
        return lines[line][column]
    return ""


def _only_comments(text: str) -> bool:
    return all(not line.strip() or line.lstrip().startswith("#") for line in text.splitlines())


def load_yaml(
    path: Path,
    *,
    display: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> YamlDocument:
    """Read and parse a YAML file from disk with the checks of :func:`parse_yaml`."""
    name = display or str(path)
    raw = read_capped(path, name, max_bytes=max_bytes)
    return parse_yaml(raw, name, max_bytes=max_bytes, max_nodes=max_nodes)


def read_capped(path: Path, name: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """A YAML file's bytes, at most ``max_bytes`` of them; problems as :class:`InvalidInput`."""
    if path.is_dir():
        raise InvalidInput([Problem(name, None, None, "is a directory, expected a YAML file")])
    try:
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
            if len(raw) > max_bytes:
                handle.seek(0, 2)
                total = handle.tell()
                raise InvalidInput(
                    [
                        Problem(
                            name,
                            None,
                            None,
                            f"file is {total:,} bytes, over the {max_bytes:,} byte limit",
                        )
                    ]
                )
    except FileNotFoundError:
        raise InvalidInput([Problem(name, None, None, "no such file")]) from None
    except OSError as exc:
        raise InvalidInput([Problem(name, None, None, f"cannot read: {exc.strerror}")]) from None
    return raw


def yaml_names(folder: Path) -> list[str]:
    """The names of the ``*.yaml`` and ``*.yml`` files directly in ``folder``, sorted.

    Names are sorted as strings, without making paths: a workspace of a thousand services
    is listed on every gate run, and sorting ``Path`` objects costs ten times more.
    """
    try:
        with os.scandir(folder) as entries:
            return sorted(
                entry.name
                for entry in entries
                if entry.name.endswith((".yaml", ".yml")) and not entry.name.startswith(".")
            )
    except (FileNotFoundError, NotADirectoryError):
        return []


def yaml_files(folder: Path) -> Iterator[Path]:
    """The ``*.yaml`` and ``*.yml`` files directly in ``folder``, sorted by name."""
    return iter([folder / name for name in yaml_names(folder)])


def parse_folder(
    folder: Path,
    parse: Callable[[YamlDocument, Path], tuple[T | None, list[Problem]]],
    *,
    display: Callable[[Path], str] = str,
) -> tuple[list[T], list[Problem]]:
    """Load and ``parse`` every YAML file in ``folder``, in name order.

    Returns what parsed and every problem found in every file: one bad file never hides
    the problems of the next. ``display`` names a path in messages.
    """
    parsed: list[T] = []
    problems: list[Problem] = []
    for path in yaml_files(folder):
        try:
            document = load_yaml(path, display=display(path))
        except InvalidInput as exc:
            problems.extend(exc.problems)
            continue
        value, found = parse(document, path)
        problems.extend(found)
        if value is not None:
            parsed.append(value)
    return parsed, problems
