"""Safe reading of untrusted artefact bytes: size caps, JSON, defused XML, recognition.

Every artefact parser reads through these helpers so the security rules hold in one place:

- sizes are checked before anything is parsed (``collect.max_artefact_bytes``, default
  100 MB);
- XML goes through defusedxml with ``forbid_dtd=True``: a document type declaration is
  refused outright, which stops entity expansion ("billion laughs") and external entities
  (XXE) before the parser resolves a single entity. The one exception is Cobertura, whose
  producers (gcovr, Cobertura itself) write a bare ``<!DOCTYPE coverage SYSTEM "...">``:
  there a DOCTYPE *without* an internal subset is let through (the DTD is never fetched)
  and defusedxml still refuses every entity declaration and external reference;
- JSON is parsed by the standard library with NaN and infinities refused (facts must be
  canonical JSON) and deep nesting turned into a clear error;
- formats are recognised from content (:func:`sniff`), so a file's name never decides how
  it is read. A sniff is computed once per artefact and shared by every parser's
  ``accepts``, so a 50 MB JSON file is parsed once, not once per parser.

Errors are :class:`ArtefactError`, a :class:`CollectorError` that lists one located problem
per line, worded for the person who produced the file.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from xml.etree.ElementTree import Element, ParseError

from assay.errors import CollectorError, Problem, problem_order

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
#: How much of a file recognition looks at when it cannot parse the whole.
HEAD_BYTES = 64 * 1024


class ArtefactError(CollectorError):
    """An artefact that cannot be read: every problem on its own ``path:line:col:`` line."""

    def __init__(self, problems: Iterable[Problem], *, hint: str | None = None) -> None:
        self.problems = sorted(set(problems), key=problem_order)
        first = str(self.problems[0]) if self.problems else "unreadable artefact"
        super().__init__(first, hint=hint)

    def diagnostics(self) -> list[str]:
        lines = [str(problem) for problem in self.problems]
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return lines


def refuse(
    name: str, message: str, line: int | None = None, col: int | None = None
) -> ArtefactError:
    """An :class:`ArtefactError` for one problem in artefact ``name``."""
    return ArtefactError([Problem(name, line, col, message)])


def check_size(name: str, size: int, max_bytes: int) -> None:
    """Refuse an artefact larger than the configured cap, before reading or parsing it."""
    if size > max_bytes:
        raise ArtefactError(
            [
                Problem(
                    name,
                    None,
                    None,
                    f"artefact is {size:,} bytes, over the {max_bytes:,} byte limit",
                )
            ],
            hint="raise [collect] max_artefact_bytes in assay.toml if this file is expected",
        )


# --------------------------------------------------------------------------- JSON


#: A git commit id: SHA-1 (40 hex digits) or SHA-256 (64).
COMMIT_ID = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
#: A sha256 digest in lower-case hex.
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def _no_constants(token: str) -> Any:
    raise ValueError(f"{token} is not allowed in JSON evidence")


def _finite(token: str) -> float:
    value = float(token)
    if math.isinf(value):  # 1e999: JSON has no infinities, and the store cannot keep one
        raise ValueError(f"{token} is too large a number for JSON evidence")
    return value


def load_json(data: bytes, name: str) -> Any:
    """Parse JSON bytes (UTF-8, optional BOM); raise a located :class:`ArtefactError`."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise refuse(name, f"not valid UTF-8 (byte offset {exc.start})") from None
    try:
        return json.loads(text, parse_constant=_no_constants, parse_float=_finite)
    except json.JSONDecodeError as exc:
        if not text[exc.pos :].strip() or exc.msg.startswith("Unterminated string"):
            message = "JSON ends unexpectedly: the file is truncated"
        else:
            message = f"not valid JSON: {exc.msg}"
        raise refuse(name, message, exc.lineno, exc.colno) from None
    except RecursionError:
        raise refuse(name, "JSON is nested too deeply to read") from None
    except ValueError as exc:  # NaN/Infinity, or an integer with too many digits
        raise refuse(name, f"not usable JSON: {exc}") from None


def load_json_lines(data: bytes, name: str) -> list[Any]:
    """Parse JSON Lines (one document per non-blank line), e.g. ``.intoto.jsonl``."""
    documents: list[Any] = []
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            documents.append(load_json(line, name))
        except ArtefactError as exc:
            problem = exc.problems[0]
            raise refuse(name, problem.message, number, problem.col) from None
    return documents


# --------------------------------------------------------------------------- XML

XML_HINT = (
    "XML artefacts may not declare a DTD or entities: entity expansion (billion laughs) "
    "and external entities (XXE) are refused"
)


def xml_refusal(name: str, exc: Exception) -> ArtefactError:
    """Translate a defusedxml or expat exception into a located refusal."""
    from defusedxml import DefusedXmlException, DTDForbidden

    if isinstance(exc, DTDForbidden):
        return ArtefactError(
            [
                Problem(
                    name, None, None, "refused: the XML has a DOCTYPE (document type declaration)"
                )
            ],
            hint=XML_HINT,
        )
    if isinstance(exc, DefusedXmlException):
        return ArtefactError(
            [Problem(name, None, None, "refused: the XML declares entities")], hint=XML_HINT
        )
    if isinstance(exc, ParseError):
        line, col = exc.position if hasattr(exc, "position") else (None, None)
        text = str(exc).split(":", 1)[0]
        if "no element found" in str(exc):
            text = "XML ends unexpectedly: the file is truncated"
        return refuse(name, f"not well-formed XML: {text}", line, (col or 0) + 1)
    return refuse(name, f"unreadable XML: {exc}")


class XmlTarget(Protocol):
    """Callbacks the streaming parser calls (element starts and ends; text is ignored)."""

    def start(self, tag: str, attrib: dict[str, str]) -> None: ...

    def end(self, tag: str) -> None: ...

    def close(self) -> None: ...


def _forbid_dtd(data: bytes) -> bool:
    """Refuse every DOCTYPE except a bare external reference with no internal subset.

    ``<!DOCTYPE coverage SYSTEM "coverage-04.dtd">`` (gcovr, Cobertura) declares nothing:
    the DTD is never fetched, and defusedxml still refuses any entity declaration or
    external entity. A DOCTYPE with an internal subset (``[...]``), where billion laughs
    and XXE payloads live, is refused outright.
    """
    found = _sniff_xml(data[:HEAD_BYTES], "")
    return not found.xml_doctype or found.xml_subset


def stream_xml(
    data: bytes,
    name: str,
    target: XmlTarget,
    *,
    bare_doctype: bool = False,
    chunk: int = 1 << 20,
) -> None:
    """Feed ``data`` to defusedxml's parser in chunks, calling ``target`` per element.

    No element tree is built, so memory does not grow with the document. Every DOCTYPE is
    refused unless ``bare_doctype`` lets through one without an internal subset (formats
    whose producers write one, such as gcovr's Cobertura).
    """
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import DefusedXMLParser

    forbid = _forbid_dtd(data) if bare_doctype else True
    parser = DefusedXMLParser(
        target=target, forbid_dtd=forbid, forbid_entities=True, forbid_external=True
    )
    view = memoryview(data)
    try:
        for offset in range(0, len(data), chunk):
            parser.feed(bytes(view[offset : offset + chunk]))
        parser.close()
    except (DefusedXmlException, ParseError) as exc:
        raise xml_refusal(name, exc) from None


def parse_xml(data: bytes, name: str) -> Element:
    """Parse a (small) XML document whole with defusedxml, DTDs forbidden."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        root: Element = fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except (DefusedXmlException, ParseError) as exc:
        raise xml_refusal(name, exc) from None
    return root


def local_name(tag: str) -> str:
    """``{namespace}name`` -> ``name``."""
    return tag.rsplit("}", 1)[-1]


def namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


# --------------------------------------------------------------------------- recognition

_DOCTYPE = re.compile(rb"<!DOCTYPE", re.I)
# [^<>]: a tag never holds "<", and the search cannot backtrack over the rest of the head
# for every "<" in a crafted one.
_ROOT = re.compile(rb"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)([^<>]*)>")
_ATTR = re.compile(rb"([\w:.\-]+)\s*=\s*(\"[^\"]*\"|'[^']*')")


@dataclass
class Sniff:
    """What an artefact looks like, computed once and shared by every parser's ``accepts``.

    ``form`` is ``json``, ``jsonl``, ``xml``, ``zip``, ``text``, ``binary`` or ``empty``.
    For JSON, ``document`` is the parsed value, or ``error`` says why it would not parse
    (``head`` still lets a parser recognise a truncated file and report it clearly).
    """

    form: str
    head: str = ""
    document: Any = None
    documents: list[Any] = field(default_factory=list)
    error: ArtefactError | None = None
    xml_root: str | None = None
    xml_attrs: dict[str, str] = field(default_factory=dict)
    xml_doctype: bool = False
    xml_subset: bool = False

    @property
    def parsed(self) -> bool:
        return self.form == "json" and self.error is None

    def keys(self) -> set[str]:
        """Top-level keys of a parsed JSON object (empty otherwise)."""
        return set(self.document) if self.parsed and isinstance(self.document, dict) else set()


#: Sniffs of the artefacts being collected, by the identity of their bytes (each entry
#: holds the bytes, so an id cannot be reused while it is cached). Collection forgets a
#: service's artefacts once they are parsed; the bound covers any other caller.
_cache: dict[int, tuple[bytes, str, Sniff]] = {}
MAX_CACHED = 32


def sniff(data: bytes, name: str) -> Sniff:
    """Recognise ``data`` by content, once: every parser's ``accepts`` and ``read`` share it."""
    entry = _cache.get(id(data))
    if entry is not None and entry[0] is data and entry[1] == name:
        return entry[2]
    result = _sniff(data, name)
    _cache[id(data)] = (data, name, result)
    while len(_cache) > MAX_CACHED:
        del _cache[next(iter(_cache))]
    return result


def forget(data: bytes) -> None:
    """Drop the cached sniff of ``data`` (its parsed JSON can be large)."""
    entry = _cache.get(id(data))
    if entry is not None and entry[0] is data:
        del _cache[id(data)]


def _sniff(data: bytes, name: str) -> Sniff:
    raw_head = data[:HEAD_BYTES]
    if not data.strip():
        return Sniff("empty")
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return Sniff("zip")
    head = raw_head.decode("utf-8-sig", "replace")
    stripped = head.lstrip()
    if b"\x00" in raw_head:
        return Sniff("binary")
    if stripped.startswith(("{", "[")):
        return _sniff_json(data, name, head)
    if stripped.startswith("<"):
        return _sniff_xml(raw_head, head)
    return Sniff("text", head=head)


def _sniff_json(data: bytes, name: str, head: str) -> Sniff:
    try:
        return Sniff("json", head=head, document=load_json(data, name))
    except ArtefactError as exc:
        first_line = data.split(b"\n", 1)[0]
        if b"\n" in data.strip() and first_line.strip():
            try:
                lines = load_json_lines(data, name)
            except ArtefactError:
                pass
            else:
                return Sniff("jsonl", head=head, documents=lines)
        return Sniff("json", head=head, error=exc)


def _without(data: bytes, opening: bytes, closing: bytes) -> bytes:
    """``data`` less every ``opening ... closing`` span; an unclosed one runs to the end.

    Plain ``find`` calls: a lazy regex rescans the rest of the data for each opening it
    cannot close (seconds on a 64 KB head of ``<?<?<?...``).
    """
    kept: list[bytes] = []
    index = 0
    while (start := data.find(opening, index)) >= 0:
        kept.append(data[index:start])
        end = data.find(closing, start + len(opening))
        if end < 0:
            return b"".join(kept)
        index = end + len(closing)
    kept.append(data[index:])
    return b"".join(kept)


def _sniff_xml(raw_head: bytes, head: str) -> Sniff:
    body = _without(_without(raw_head, b"<!--", b"-->"), b"<?", b"?>")
    start = _DOCTYPE.search(body)
    doctype = subset = False
    if start is not None:  # skip the declaration, internal subset included, to find the root
        doctype = True
        depth, index = 0, start.end()
        while index < len(body):
            char = body[index : index + 1]
            if char == b"[":
                depth += 1
                subset = True
            elif char == b"]":
                depth -= 1
            elif char == b">" and depth <= 0:
                break
            index += 1
        body = body[index + 1 :]
    match = _ROOT.search(body)
    if match is None:
        return Sniff("xml", head=head, xml_doctype=doctype, xml_subset=subset)
    attrs = {
        key.decode("utf-8", "replace"): value[1:-1].decode("utf-8", "replace")
        for key, value in _ATTR.findall(match.group(3))
    }
    return Sniff(
        "xml",
        head=head,
        xml_root=match.group(2).decode("ascii", "replace"),
        xml_attrs=attrs,
        xml_doctype=doctype,
        xml_subset=subset,
    )


# --------------------------------------------------------------------------- values


def parse_time(value: Any) -> datetime | None:
    """A timestamp from an artefact, as UTC; None when absent or unreadable.

    ISO 8601 text with or without an offset (no offset is taken as UTC, which is what
    pytest's and coverage.py's local timestamps become), or epoch seconds/milliseconds.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 10**11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return parse_time(int(text))
    text = text.replace("Z", "+00:00").replace("z", "+00:00")
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)  # nanoseconds (Trivy, Grype) -> microseconds
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def as_int(value: Any, default: int = 0) -> int:
    """A non-negative integer from a JSON or XML attribute value; ``default`` when unusable."""
    try:
        number = int(float(value))
    except (TypeError, ValueError, OverflowError):
        return default
    return max(number, 0)


def as_float(value: Any, default: float = 0.0) -> float:
    """A finite non-negative float from a JSON or XML attribute value."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return default
    if number != number or number in (float("inf"), float("-inf")):
        return default
    return max(number, 0.0)


def ratio(part: int, whole: int) -> float:
    """``part / whole`` rounded to 6 places; 1 when there is nothing to count."""
    return 1.0 if whole <= 0 else round(min(part / whole, 1.0), 6)


def text_of(value: Any) -> str | None:
    """A non-empty string, or None."""
    return value if isinstance(value, str) and value.strip() else None


def shape(value: Any) -> str:
    """What a JSON value is, for a message: ``null``, ``a number``, ``an object`` ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"
