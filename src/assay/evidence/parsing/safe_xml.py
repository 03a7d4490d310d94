"""XML from artefacts through defusedxml, with document type declarations refused.

XML goes through defusedxml with ``forbid_dtd=True``: a document type declaration is
refused outright, which stops entity expansion ("billion laughs") and external entities
(XXE) before the parser resolves a single entity. The one exception is Cobertura, whose
producers (gcovr, Cobertura itself) write a bare ``<!DOCTYPE coverage SYSTEM "...">``:
there a DOCTYPE *without* an internal subset is let through (the DTD is never fetched)
and defusedxml still refuses every entity declaration and external reference.

:func:`read_prolog` looks at the start of a document without parsing it: its root element,
the root's attributes, and whether a DOCTYPE (with or without an internal subset) comes
first. Recognition uses it, and so does the DOCTYPE decision above.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol
from xml.etree.ElementTree import Element, ParseError

from assay.errors import Problem
from assay.evidence.parsing.errors import ArtefactError, HostileArtefact, refuse

#: How much of a document :func:`read_prolog` looks at.
PROLOG_BYTES = 64 * 1024

XML_HINT = (
    "XML artefacts may not declare a DTD or entities: entity expansion (billion laughs) "
    "and external entities (XXE) are refused"
)


def xml_refusal(name: str, exc: Exception) -> ArtefactError:
    """Translate a defusedxml or expat exception into a located refusal."""
    from defusedxml import DefusedXmlException, DTDForbidden

    if isinstance(exc, DTDForbidden):
        return HostileArtefact(
            [
                Problem(
                    name, None, None, "refused: the XML has a DOCTYPE (document type declaration)"
                )
            ],
            hint=XML_HINT,
        )
    if isinstance(exc, DefusedXmlException):
        return HostileArtefact(
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
    prolog = read_prolog(data[:PROLOG_BYTES])
    return not prolog.doctype or prolog.subset


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


# --------------------------------------------------------------------------- prolog

_DOCTYPE = re.compile(rb"<!DOCTYPE", re.I)
# [^<>]: a tag never holds "<", and the search cannot backtrack over the rest of the head
# for every "<" in a crafted one.
_ROOT = re.compile(rb"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)([^<>]*)>")
_ATTR = re.compile(rb"([\w:.\-]+)\s*=\s*(\"[^\"]*\"|'[^']*')")


@dataclass(frozen=True)
class XmlProlog:
    """The start of an XML document: root element (local name), its attributes, DOCTYPE."""

    root: str | None = None
    attrs: dict[str, str] = field(default_factory=dict)
    doctype: bool = False
    subset: bool = False


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


def read_prolog(raw_head: bytes) -> XmlProlog:
    """Read the root element and DOCTYPE from the first bytes of a document, unparsed."""
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
        return XmlProlog(doctype=doctype, subset=subset)
    attrs = {
        key.decode("utf-8", "replace"): value[1:-1].decode("utf-8", "replace")
        for key, value in _ATTR.findall(match.group(3))
    }
    return XmlProlog(match.group(2).decode("ascii", "replace"), attrs, doctype, subset)
