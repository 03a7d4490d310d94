"""``sbom`` from CycloneDX (JSON or XML, spec 1.2–1.6) and SPDX 2.x JSON documents.

Recognised by content:

- CycloneDX JSON: ``"bomFormat": "CycloneDX"``;
- CycloneDX XML: root element ``bom`` in a ``http://cyclonedx.org/schema/bom/<version>``
  namespace (the spec version is read from the namespace);
- SPDX JSON: an ``spdxVersion`` of ``SPDX-2.x``.

Components are counted recursively (CycloneDX nests components); the subject (CycloneDX
``metadata.component``, SPDX packages the document DESCRIBES) is not a component. A
component is licensed when it has a licence id, name or expression (SPDX: a concluded or
declared licence other than NOASSERTION or NONE).

Licences are read as :mod:`assay.evidence.parsing.licences` says: only an id on the SPDX
License List is an id (CycloneDX ``license.id``, the ids of a CycloneDX ``expression`` or
of an SPDX ``licenseConcluded``/``licenseDeclared`` expression); a CycloneDX
``license.name`` (``MIT License``, as cyclonedx-py writes from classifiers), an id not on
the list, a ``LicenseRef-`` reference, or an expression that does not parse is a name.

A component, package or licence entry that is not an object refuses the document, naming
the entry: skipping it would count one component fewer and raise the licensed share.

Each document is its own record (documents describe different subjects).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any
from xml.etree.ElementTree import Element

from assay.durations import isoformat
from assay.evidence.collectors.interface import ArtefactParser, ArtefactTarget, CollectContext, Part
from assay.evidence.parsing.errors import refuse
from assay.evidence.parsing.licences import NO_LICENCE, Licences
from assay.evidence.parsing.recognition import Recognition
from assay.evidence.parsing.safe_xml import local_name, namespace, parse_xml
from assay.evidence.parsing.values import SHA256_HEX, parse_time, ratio, shape, text_of

MAX_LICENCE_IDS = 200
_CDX_NS = re.compile(r"^http://cyclonedx\.org/schema/bom/(\d+\.\d+)$")


def _sha256(value: Any) -> str | None:
    text = value.strip().lower() if isinstance(value, str) else ""
    return text if SHA256_HEX.match(text) else None


def _objects(value: Any, where: str, name: str) -> list[dict[str, Any]]:
    """A list of objects (absent or null: empty); any other shape refuses the document."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise refuse(name, f"{where} must be a list, not {shape(value)}")
    for number, item in enumerate(value):
        if not isinstance(item, dict):
            raise refuse(name, f"{where}[{number}] must be an object, not {shape(item)}")
    return value


def _cdx_licences(component: dict[str, Any], where: str, name: str) -> Licences:
    found = Licences()
    for entry in _objects(component.get("licenses"), f"{where}.licenses", name):
        expression = text_of(entry.get("expression"))
        if expression:
            found.add_expression(expression)
        licence = entry.get("license")
        if isinstance(licence, dict):
            _cdx_licence(found, text_of(licence.get("id")), text_of(licence.get("name")))
    return found


def _cdx_licence(found: Licences, licence_id: str | None, licence_name: str | None) -> None:
    """A CycloneDX ``license``: its id when it has one (a name when off the list), else its
    name, which stays a name."""
    if licence_id:
        found.add_id(licence_id)
    elif licence_name:
        found.add_name(licence_name)


def _cdx_components(items: Any, where: str, name: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every component, nested ones included, with where it sits in the document."""
    for number, item in enumerate(_objects(items, where, name)):
        at = f"{where}[{number}]"
        yield at, item
        yield from _cdx_components(item.get("components"), f"{at}.components", name)


def _cdx_digest(component: Any) -> str | None:
    if not isinstance(component, dict):
        return None
    for entry in component.get("hashes") or ():
        if isinstance(entry, dict) and str(entry.get("alg", "")).upper() in ("SHA-256", "SHA256"):
            return _sha256(entry.get("content"))
    return None


def _facts(
    *,
    fmt: str,
    encoding: str,
    spec: str,
    created: str | None,
    subject: dict[str, Any],
    components: list[tuple[str | None, Licences]],
) -> dict[str, Any]:
    """Facts from (version, licences) per component."""
    licensed = sum(1 for _, licences in components if licences)
    ids = sorted({i for _, licences in components for i in licences.ids})
    names = sorted({n for _, licences in components for n in licences.names})
    return {
        "format": fmt,
        "encoding": encoding,
        "spec_version": spec,
        "created_at": created,
        "subject": subject,
        "components": len(components),
        "components_without_version": sum(1 for version, _ in components if not version),
        "components_without_licence": len(components) - licensed,
        "licensed_ratio": ratio(licensed, len(components)),
        "components_with_licence_id": sum(1 for _, licences in components if licences.ids),
        "licences": len(ids) + len(names),
        "licence_ids": ids[:MAX_LICENCE_IDS],
        "licence_names": [n[:200] for n in names[:MAX_LICENCE_IDS]],
    }


def _stamp(value: Any) -> str | None:
    moment = parse_time(value)
    return isoformat(moment) if moment is not None else None


def read_cyclonedx_json(document: dict[str, Any], name: str) -> dict[str, Any]:
    spec = text_of(document.get("specVersion"))
    if spec is None:
        raise refuse(name, "CycloneDX document has no specVersion")
    metadata = document.get("metadata") if isinstance(document.get("metadata"), dict) else {}
    assert isinstance(metadata, dict)
    top = metadata.get("component")
    subject = {
        "name": text_of(top.get("name")) if isinstance(top, dict) else None,
        "version": text_of(top.get("version")) if isinstance(top, dict) else None,
        "digest": _cdx_digest(top),
    }
    components = [
        (text_of(item.get("version")), _cdx_licences(item, at, name))
        for at, item in _cdx_components(document.get("components"), "components", name)
    ]
    return _facts(
        fmt="cyclonedx",
        encoding="json",
        spec=spec,
        created=_stamp(metadata.get("timestamp")),
        subject=subject,
        components=components,
    )


def _child(element: Element | None, tag: str) -> Element | None:
    if element is None:
        return None
    for child in element:
        if local_name(child.tag) == tag:
            return child
    return None


def _child_text(element: Element | None, tag: str) -> str | None:
    found = _child(element, tag)
    return text_of(found.text) if found is not None else None


def _xml_licences(component: Element) -> Licences:
    licences = _child(component, "licenses")
    found = Licences()
    for entry in licences if licences is not None else ():
        tag = local_name(entry.tag)
        if tag == "expression" and text_of(entry.text):
            found.add_expression(entry.text or "")
        elif tag == "license":
            _cdx_licence(found, _child_text(entry, "id"), _child_text(entry, "name"))
    return found


def _xml_components(element: Element | None) -> Iterator[Element]:
    for child in element if element is not None else ():
        if local_name(child.tag) == "component":
            yield child
            yield from _xml_components(_child(child, "components"))


def _xml_digest(component: Element | None) -> str | None:
    hashes = _child(component, "hashes")
    for entry in hashes if hashes is not None else ():
        if str(entry.get("alg", "")).upper() in ("SHA-256", "SHA256"):
            return _sha256(entry.text)
    return None


def read_cyclonedx_xml(data: bytes, name: str) -> dict[str, Any]:
    root = parse_xml(data, name)
    match = _CDX_NS.match(namespace(root.tag))
    if local_name(root.tag) != "bom" or match is None:
        raise refuse(name, "not a CycloneDX XML document (root must be a bom in its namespace)")
    metadata = _child(root, "metadata")
    top = _child(metadata, "component")
    subject = {
        "name": _child_text(top, "name"),
        "version": _child_text(top, "version"),
        "digest": _xml_digest(top),
    }
    components = [
        (_child_text(item, "version"), _xml_licences(item))
        for item in _xml_components(_child(root, "components"))
    ]
    return _facts(
        fmt="cyclonedx",
        encoding="xml",
        spec=match.group(1),
        created=_stamp(_child_text(metadata, "timestamp")),
        subject=subject,
        components=components,
    )


def _spdx_licences(package: dict[str, Any]) -> Licences:
    """The concluded licence, else the declared one (NOASSERTION and NONE state none)."""
    found = Licences()
    for key in ("licenseConcluded", "licenseDeclared"):
        value = package.get(key)
        if isinstance(value, str) and value.strip().upper() not in NO_LICENCE:
            found.add_expression(value)
            break
    return found


def _described(document: dict[str, Any]) -> set[str]:
    ids = {i for i in document.get("documentDescribes") or () if isinstance(i, str)}
    own = document.get("SPDXID", "SPDXRef-DOCUMENT")
    for rel in document.get("relationships") or ():
        if not isinstance(rel, dict):
            continue
        kind = rel.get("relationshipType")
        if kind == "DESCRIBES" and rel.get("spdxElementId") == own:
            ids.add(str(rel.get("relatedSpdxElement")))
        elif kind == "DESCRIBED_BY" and rel.get("relatedSpdxElement") == own:
            ids.add(str(rel.get("spdxElementId")))
    return ids


def read_spdx_json(document: dict[str, Any], name: str) -> dict[str, Any]:
    spec = text_of(document.get("spdxVersion"))
    if spec is None or not spec.startswith("SPDX-2."):
        raise refuse(name, f"SPDX version {spec!r} is not supported: Assay reads SPDX 2.x JSON")
    packages = _objects(document.get("packages"), "packages", name)
    described = _described(document)
    subjects = [p for p in packages if p.get("SPDXID") in described]
    top = subjects[0] if subjects else None
    digest = None
    if top is not None:
        for entry in top.get("checksums") or ():
            if isinstance(entry, dict) and entry.get("algorithm") == "SHA256":
                digest = _sha256(entry.get("checksumValue"))
    creation = document.get("creationInfo")
    created = creation.get("created") if isinstance(creation, dict) else None
    components = [
        (text_of(p.get("versionInfo")), _spdx_licences(p))
        for p in packages
        if p.get("SPDXID") not in described
    ]
    return _facts(
        fmt="spdx",
        encoding="json",
        spec=spec,
        created=_stamp(created),
        subject={
            "name": text_of(top.get("name")) if top else text_of(document.get("name")),
            "version": text_of(top.get("versionInfo")) if top else None,
            "digest": digest,
        },
        components=components,
    )


class SbomParser(ArtefactParser):
    """CycloneDX and SPDX documents -> ``sbom``."""

    name = "sbom"
    version = "1.0.0"
    kind = "sbom"
    formats = "CycloneDX (JSON or XML) or SPDX JSON"

    def recognise(self, found: Recognition) -> bool:
        if found.form == "xml":
            return found.xml_root == "bom" and any(
                key.startswith("xmlns") and "cyclonedx.org/schema/bom" in value
                for key, value in found.xml_attrs.items()
            )
        if found.parsed:
            document = found.document
            return isinstance(document, dict) and (
                document.get("bomFormat") == "CycloneDX" or "spdxVersion" in document
            )
        return found.form == "json" and (
            ('"bomFormat"' in found.head and "CycloneDX" in found.head)
            or '"spdxVersion"' in found.head
        )

    def parse(self, target: ArtefactTarget, found: Recognition, context: CollectContext) -> Part:
        if found.form == "xml":
            facts = read_cyclonedx_xml(target.data, target.name)
            media = "application/vnd.cyclonedx+xml"
        else:
            if found.error is not None:
                raise found.error
            if found.document.get("bomFormat") == "CycloneDX":
                facts = read_cyclonedx_json(found.document, target.name)
                media = "application/vnd.cyclonedx+json"
            else:
                facts = read_spdx_json(found.document, target.name)
                media = "application/spdx+json"
        return self.part(target, facts, parse_time(facts["created_at"]), media)

    def summarise(self, parts: Sequence[Part]) -> dict[str, Any]:
        (part,) = parts
        facts: dict[str, Any] = part.value
        return facts
