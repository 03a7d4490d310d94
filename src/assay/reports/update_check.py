"""Which incremental updates a pack may carry: only the one that signs it.

A pack is written as one revision. Signing (:mod:`assay.reports.sign`, pyHanko) appends
one incremental update that adds an invisible signature field and its value, an
``/AcroForm`` listing it, and perhaps a document security store (``/DSS``) for long-term
validation; it rewrites the catalog (to point at the form), the page the field sits on
(to list it among its annotations), the document information's ``/Producer`` and
``/ModDate`` and the XMP metadata. :func:`update_problems` compares a later revision
with the one before it, object by object, and names every change that is not one of those.
"""

from __future__ import annotations

from typing import Any

from assay.reports.pdf_structure import MAX_DEPTH, Revision, is_signature_field

#: Catalog keys a signature update may add or change.
CATALOG_KEYS = frozenset({"/AcroForm", "/DSS", "/Extensions", "/Version", "/Perms"})
#: Document information keys a signature update may change.
INFO_KEYS = frozenset({"/Producer", "/ModDate"})
#: The keys of an /AcroForm that holds only signature fields.
FORM_KEYS = frozenset({"/Fields", "/SigFlags"})


def update_problems(before: Revision, after: Revision) -> list[str]:
    """Every change ``after`` makes to ``before`` that signing a pack does not make."""
    problems: list[str] = []
    prefix = f"revision {after.number} (an update appended to the pack)"
    old_root = _idnum(_raw(before.reader.trailer, "/Root"))
    root = _idnum(_raw(after.reader.trailer, "/Root"))
    if root != old_root:
        return [f"{prefix} replaces the document catalog"]
    info = _idnum(_raw(after.reader.trailer, "/Info"))
    if info != _idnum(_raw(before.reader.trailer, "/Info")):
        problems.append(f"{prefix} replaces the document information")
    catalog = after.reader.get_object(root)
    special = {
        "catalog": root,
        "info": info,
        "form": _idnum(_raw(catalog, "/AcroForm")),
        "metadata": _idnum(_raw(catalog, "/Metadata")),
        "dss": _idnum(_raw(catalog, "/DSS")),
    }
    added = [
        num
        for num in set(after.locations) - set(before.locations)
        if _kind(after.reader.get_object(num)) in ("/Sig", "/DocTimeStamp")
    ]
    if not added:
        problems.append(f"{prefix} adds no signature")
    for num in sorted(set(before.locations) - set(after.locations)):
        problems.append(f"{prefix} deletes object {num}")
    for num, place in sorted(after.locations.items()):
        if before.locations.get(num) == place:
            continue
        new = after.reader.get_object(num)
        old = before.reader.get_object(num) if num in before.locations else None
        reason = _change_problem(num, new, old, special, after)
        if reason:
            problems.append(f"{prefix} {reason}")
    return problems


def _raw(dictionary: Any, key: str) -> Any:
    """A dictionary's value as written: a reference stays a reference."""
    return dictionary.raw_get(key) if key in dictionary else None


def _idnum(reference: Any) -> int | None:
    """The object number of a reference; ``None`` for none, ``-1`` for a direct value."""
    from pypdf.generic import IndirectObject

    if reference is None:
        return None
    return int(reference.idnum) if isinstance(reference, IndirectObject) else -1


def _change_problem(
    num: int, new: Any, old: Any, special: dict[str, int | None], after: Revision
) -> str | None:
    """Why this new or changed object is not part of a signature; ``None`` when it is."""
    from pypdf.generic import DictionaryObject, StreamObject

    kind = _kind(new)
    if num == special["catalog"]:
        return _same_except(old, new, CATALOG_KEYS, "the document catalog")
    if num == special["info"]:
        return _same_except(old, new, INFO_KEYS, "the document information")
    if num == special["metadata"] and isinstance(new, StreamObject):
        return None  # the XMP packet: pyHanko records its own producer and date
    if num == special["form"]:
        if not isinstance(new, DictionaryObject) or set(new) - FORM_KEYS:
            return "changes the form (/AcroForm) beyond listing a signature field"
        fields = [item.get_object() for item in new.get("/Fields", [])]
        if not all(is_signature_field(item) for item in fields):
            return "adds a form field that is not a signature"
        return None
    if old is None and kind in ("/Sig", "/DocTimeStamp", "/DSS", "/VRI", "/XRef", "/ObjStm"):
        return None
    if is_signature_field(new) and (old is None or is_signature_field(old)):
        return None
    if num == special["dss"] or (old is None and _is_plain_data(new)):
        return None
    if _kind(old) == "/Page" and isinstance(new, DictionaryObject):
        problem = _same_except(old, new, frozenset({"/Annots"}), f"page object {num}")
        if problem:
            return problem
        before = [ref.idnum for ref in old.get("/Annots", [])]
        now = list(new.get("/Annots", []))
        if [ref.idnum for ref in now[: len(before)]] != before:
            return f"changes the annotations of page object {num}"
        if not all(is_signature_field(ref.get_object()) for ref in now[len(before) :]):
            return f"adds an annotation that is not a signature field to page object {num}"
        return None
    what = f"object {num}" + (f" ({kind})" if kind else "")
    return f"{'adds' if old is None else 'replaces'} {what}, which signing does not"


def _kind(obj: Any) -> str | None:
    from pypdf.generic import DictionaryObject

    if isinstance(obj, DictionaryObject):
        value = obj.get("/Type")
        return str(value) if value is not None else None
    return None


def _is_plain_data(obj: Any) -> bool:
    """A stream with no type, no subtype and no /EF: a certificate, CRL or OCSP response
    for a document security store."""
    from pypdf.generic import StreamObject

    return isinstance(obj, StreamObject) and not {"/Type", "/Subtype", "/EF"} & set(obj)


def _same_except(old: Any, new: Any, allowed: frozenset[str], what: str) -> str | None:
    from pypdf.generic import DictionaryObject

    if not isinstance(old, DictionaryObject) or not isinstance(new, DictionaryObject):
        return f"replaces {what}"
    for key in sorted(set(old) | set(new)):
        if key in allowed:
            continue
        if key not in old or key not in new or not same(_raw(old, key), _raw(new, key)):
            return f"changes {key} of {what}"
    return None


def same(a: Any, b: Any, depth: int = 0) -> bool:
    """Structural equality of two PDF values (references compared by object number)."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

    if depth > MAX_DEPTH:
        return False
    if isinstance(a, IndirectObject) or isinstance(b, IndirectObject):
        return (
            isinstance(a, IndirectObject)
            and isinstance(b, IndirectObject)
            and (a.idnum, a.generation) == (b.idnum, b.generation)
        )
    if type(a) is not type(b):
        return False
    if isinstance(a, StreamObject):
        skip = {"/Length", "/Filter", "/DecodeParms"}
        keys = set(a) - skip
        if keys != set(b) - skip or a.get_data() != b.get_data():
            return False
        return all(same(_raw(a, key), _raw(b, key), depth + 1) for key in keys)
    if isinstance(a, DictionaryObject):
        return set(a) == set(b) and all(same(_raw(a, key), _raw(b, key), depth + 1) for key in a)
    if isinstance(a, ArrayObject):
        return len(a) == len(b) and all(same(x, y, depth + 1) for x, y in zip(a, b, strict=True))
    return bool(a == b)
