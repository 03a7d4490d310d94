"""What an artefact is, from its content: a file's name never decides how it is read.

:func:`recognise` looks at a file once: its form (JSON, JSON Lines, XML, zip, text, binary,
empty), the parsed JSON document when it parses, the XML root element and attributes. Each
:class:`~assay.evidence.collectors.interface.ArtefactTarget` computes its recognition the
first time a parser asks and keeps it, so every parser's ``accepts`` and ``read`` share one
reading: a 50 MB JSON file is parsed once, not once per parser, and the parsed document goes
when the target does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assay.evidence.parsing.errors import ArtefactError
from assay.evidence.parsing.safe_xml import PROLOG_BYTES, read_prolog
from assay.evidence.parsing.strict_json import load_json, load_json_lines

#: How much of a file recognition looks at when it cannot parse the whole.
HEAD_BYTES = PROLOG_BYTES


@dataclass(frozen=True)
class Recognition:
    """What an artefact looks like, shared by every parser's ``accepts`` and ``read``.

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


def recognise(data: bytes, name: str) -> Recognition:
    """Recognise ``data`` (artefact ``name``, for error messages) by content."""
    raw_head = data[:HEAD_BYTES]
    if not data.strip():
        return Recognition("empty")
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return Recognition("zip")
    head = raw_head.decode("utf-8-sig", "replace")
    stripped = head.lstrip()
    if b"\x00" in raw_head:
        return Recognition("binary")
    if stripped.startswith(("{", "[")):
        return _recognise_json(data, name, head)
    if stripped.startswith("<"):
        prolog = read_prolog(raw_head)
        return Recognition(
            "xml",
            head=head,
            xml_root=prolog.root,
            xml_attrs=prolog.attrs,
            xml_doctype=prolog.doctype,
            xml_subset=prolog.subset,
        )
    return Recognition("text", head=head)


def _recognise_json(data: bytes, name: str, head: str) -> Recognition:
    try:
        return Recognition("json", head=head, document=load_json(data, name))
    except ArtefactError as exc:
        first_line = data.split(b"\n", 1)[0]
        if b"\n" in data.strip() and first_line.strip():
            try:
                lines = load_json_lines(data, name)
            except ArtefactError:
                pass
            else:
                return Recognition("jsonl", head=head, documents=lines)
        return Recognition("json", head=head, error=exc)
