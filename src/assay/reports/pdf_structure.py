"""What a PDF holds, revision by revision: embedded files, page digests, changed objects.

A PDF can be updated incrementally: each update appends objects, a cross-reference
section and a trailer ending ``startxref N %%EOF``. Readers show the latest revision, but
the earlier ones are still in the file. Each revision is found at its ``startxref ...
%%EOF`` line and its prefix of the file parsed on its own, strictly.

In each revision every object is read, and every file specification holding an embedded
file (a dictionary with ``/EF``), wherever it sits (the ``EmbeddedFiles`` name tree, an
``/AF`` array, a ``FileAttachment`` annotation, or anywhere else), is reported with all
its names (``/UF``, ``/F``, ``/DOS``, ``/Mac``, ``/Unix`` and its key in the name tree) and
the bytes of every alternate stream in its ``/EF``.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

from assay.evidence.model import sha256_hex
from assay.reports.page_digests import digests_of, geometry_of, outline_of

#: The line that ends a revision: ``startxref``, an offset, ``%%EOF``.
_REVISION_END = re.compile(rb"startxref\s+(\d+)\s+%%EOF[\r\n]*")
_NAME_KEYS = ("/UF", "/F", "/DOS", "/Mac", "/Unix")
#: Limits on walking untrusted structure: nesting depth and name-tree nodes.
MAX_DEPTH = 64
MAX_TREE_NODES = 100_000


class StructureError(ValueError):
    """The PDF's structure cannot be read (a revision, an object, a name tree)."""


@dataclass(frozen=True)
class EmbeddedFile:
    """One file specification with an embedded file, as found in one revision."""

    names: tuple[str, ...]
    #: Where it was found: ``object 12`` (the object that holds the file specification).
    where: str
    #: ``/EF`` key to the sha256 and size of that alternate's decoded bytes.
    streams: dict[str, tuple[str, int]]
    #: True when the file specification is listed in the EmbeddedFiles name tree.
    in_tree: bool
    #: True when it also has ``/RF`` (related files), which no pack uses.
    related: bool = False


@dataclass
class Revision:
    """One revision of the file: its prefix, what it shows and which objects it defines."""

    number: int
    end: int
    reader: Any
    files: list[EmbeddedFile] = field(default_factory=list)
    #: Name-tree key to the decoded bytes of each file's /EF alternates.
    tree: dict[str, list[dict[str, bytes]]] = field(default_factory=dict)
    pages: list[str] = field(default_factory=list)
    geometry: list[str] = field(default_factory=list)
    #: Annotations a pack does not have: page number, what it is, its object number.
    annotations: list[tuple[int, str, int | None]] = field(default_factory=list)
    #: Object number to where the revision's cross-reference puts it.
    locations: dict[int, tuple[Any, ...]] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    #: Keys of the catalog, of its /Names, and of each page (1-based), as found.
    catalog_keys: list[str] = field(default_factory=list)
    names_keys: list[str] = field(default_factory=list)
    page_keys: list[list[str]] = field(default_factory=list)
    outline: list[str] = field(default_factory=list)


def revision_ends(data: bytes) -> list[int]:
    """The byte offset just past each revision's ``%%EOF`` line, in order."""
    return [match.end() for match in _REVISION_END.finditer(data)]


def read_revisions(data: bytes) -> list[Revision]:
    """Every revision of ``data``, parsed; :class:`StructureError` if one cannot be read."""
    ends = revision_ends(data)
    if not ends:
        raise StructureError("no startxref ... %%EOF line: the file has no revision")
    revisions = []
    for number, end in enumerate(ends, start=1):
        try:
            revisions.append(_read_revision(number, end, data[:end]))
        except StructureError:
            raise
        except Exception as exc:  # noqa: BLE001 - any parser failure: the revision is unreadable
            raise StructureError(
                f"revision {number} cannot be read: {type(exc).__name__}: {exc}"
            ) from None
    return revisions


def _read_revision(number: int, end: int, data: bytes) -> Revision:
    from pypdf import PdfReader

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reader = PdfReader(io.BytesIO(data), strict=True)
        if "/Encrypt" in reader.trailer:
            raise StructureError(f"revision {number} is encrypted")
        revision = Revision(number, end, reader)
        revision.locations = _locations(reader)
        tree = _name_tree(reader)
        revision.tree = {
            name: [_alternates(spec) for spec in specs] for name, specs in tree.items()
        }
        in_tree = {id(spec): name for name, specs in tree.items() for spec in specs}
        for num in sorted(revision.locations):
            obj = reader.get_object(num)
            for spec in _file_specs(obj, 0):
                revision.files.append(_describe(spec, num, in_tree.get(id(spec))))
        revision.pages = digests_of(reader)
        revision.geometry = geometry_of(reader)
        revision.annotations = _foreign_annotations(reader)
        info = reader.trailer.get("/Info")
        revision.info = dict(info.get_object()) if info is not None else {}
        catalog: Any = reader.trailer["/Root"].get_object()
        revision.catalog_keys = [str(key) for key in catalog]
        names = catalog.get("/Names")
        revision.names_keys = [str(key) for key in names.get_object()] if names else []
        revision.page_keys = [[str(key) for key in page] for page in reader.pages]
        revision.outline = outline_of(reader)
    return revision


def _locations(reader: Any) -> dict[int, tuple[Any, ...]]:
    """Each object number and where this revision's cross-reference finds it."""
    found: dict[int, tuple[Any, ...]] = {}
    for generation, entries in reader.xref.items():
        for num, offset in entries.items():
            found[num] = ("offset", generation, offset)
    for num, place in reader.xref_objStm.items():
        found[num] = ("stream", *place)
    found.pop(0, None)
    return found


def _name_tree(reader: Any) -> dict[str, list[Any]]:
    """The EmbeddedFiles name tree: each key and the file specifications it names."""
    from pypdf.generic import ArrayObject, DictionaryObject

    names = reader.trailer["/Root"].get_object().get("/Names")
    root = names.get_object().get("/EmbeddedFiles") if names is not None else None
    found: dict[str, list[Any]] = {}
    if root is None:
        return found
    stack = [root.get_object()]
    seen = 0
    while stack:
        node = stack.pop()
        seen += 1
        if seen > MAX_TREE_NODES or not isinstance(node, DictionaryObject):
            raise StructureError("the EmbeddedFiles name tree is malformed")
        kids = node.get("/Kids")
        if kids is not None:
            stack.extend(kid.get_object() for kid in reversed(kids.get_object()))
        pairs = node.get("/Names")
        if pairs is None:
            continue
        pairs = pairs.get_object()
        if not isinstance(pairs, ArrayObject) or len(pairs) % 2:
            raise StructureError("the EmbeddedFiles name tree is malformed")
        for index in range(0, len(pairs), 2):
            key = _text(pairs[index].get_object())
            found.setdefault(key, []).append(pairs[index + 1].get_object())
    return found


def _file_specs(obj: Any, depth: int) -> list[Any]:
    """The file specifications with ``/EF`` in ``obj`` and its direct contents."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    if depth > MAX_DEPTH:
        raise StructureError("an object is nested too deeply")
    found = []
    if isinstance(obj, DictionaryObject):
        if "/EF" in obj:
            found.append(obj)
        for key, value in obj.items():
            if key != "/Parent" and not isinstance(value, IndirectObject):
                found.extend(_file_specs(value, depth + 1))
    elif isinstance(obj, ArrayObject):
        for value in obj:
            if not isinstance(value, IndirectObject):
                found.extend(_file_specs(value, depth + 1))
    return found


def _alternates(spec: Any) -> dict[str, bytes]:
    """Each ``/EF`` key of a file specification and its decoded bytes."""
    from pypdf.generic import DictionaryObject, StreamObject

    spec = spec.get_object()
    if not isinstance(spec, DictionaryObject):
        raise StructureError("an embedded file's specification is not a dictionary")
    ef = spec.get("/EF")
    ef = ef.get_object() if ef is not None else None
    if not isinstance(ef, DictionaryObject):
        raise StructureError("an embedded file's /EF is not a dictionary")
    streams = {}
    for key, value in ef.items():
        stream = value.get_object()
        if not isinstance(stream, StreamObject):
            raise StructureError(f"an embedded file's /EF {key} is not a stream")
        streams[str(key)] = bytes(stream.get_data())
    return streams


def _describe(spec: Any, num: int, tree_key: str | None) -> EmbeddedFile:
    names = [_text(spec[key].get_object()) for key in _NAME_KEYS if key in spec]
    if tree_key is not None:
        names.insert(0, tree_key)
    where = f"object {num}"
    streams = {key: (sha256_hex(data), len(data)) for key, data in _alternates(spec).items()}
    unique = tuple(dict.fromkeys(names))
    return EmbeddedFile(unique, where, streams, tree_key is not None, "/RF" in spec)


def _text(value: Any) -> str:
    """A PDF string or name as text."""
    from pypdf.generic import ByteStringObject

    if isinstance(value, ByteStringObject):
        return bytes(value).decode("latin-1")
    return str(value)


#: The actions a pack's links take: to a place in the pack, or to a web address.
LINK_ACTIONS = ("/GoTo", "/URI")


def _foreign_annotations(reader: Any) -> list[tuple[int, str, int | None]]:
    """Every annotation that is neither a plain link (no appearance of its own, going to a
    place in the document or a web address) nor an invisible signature field."""
    from pypdf.generic import DictionaryObject, IndirectObject

    found = []
    for number, page in enumerate(reader.pages, start=1):
        annotations = page.get("/Annots")
        for item in annotations.get_object() if annotations is not None else []:
            num = item.idnum if isinstance(item, IndirectObject) else None
            annotation = item.get_object()
            if not isinstance(annotation, DictionaryObject):
                found.append((number, "an annotation that is not a dictionary", num))
                continue
            subtype = str(annotation.get("/Subtype", "/?"))
            if is_signature_field(annotation):
                continue
            action = annotation.get("/A")
            kind = action.get_object().get("/S") if action is not None else None
            if subtype == "/Link" and "/AP" not in annotation and kind in (None, *LINK_ACTIONS):
                continue
            what = f"a {subtype.lstrip('/')} annotation"
            if subtype == "/Link":
                what += " with an appearance or an action of its own"
            found.append((number, what, num))
    return found


def is_signature_field(obj: Any) -> bool:
    """An invisible signature field: ``/FT /Sig``, a widget with a zero-area rectangle."""
    from pypdf.generic import DictionaryObject

    if not isinstance(obj, DictionaryObject) or obj.get("/FT") != "/Sig":
        return False
    if obj.get("/Subtype") not in (None, "/Widget") or "/Kids" in obj:
        return False
    rect = obj.get("/Rect")
    if rect is None:
        return True
    x1, y1, x2, y2 = (float(value) for value in rect.get_object())
    return x1 == x2 or y1 == y2
