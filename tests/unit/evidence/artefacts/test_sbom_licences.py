"""SBOM licences: only SPDX License List ids are ids; names stay names."""

from __future__ import annotations

from importlib.resources import files

import pytest

from assay.evidence.collectors.sbom import SbomParser
from assay.evidence.parsing.licences import Licences, licence_id, parse_expression
from tests.unit.evidence.artefacts.helpers import artefact, context, fixture, one

SBOM = SbomParser()


def test_cyclonedx_names_are_not_ids() -> None:
    facts = one(SBOM, fixture("sbom/cyclonedx-licence-forms.json"))
    assert facts["licence_ids"] == [
        "Apache-2.0",
        "BSD-3-Clause",
        "MIT",  # "mit" as written, the list's spelling reported
        "PSF-2.0",
    ]
    assert facts["licence_names"] == [
        "Apache 2.0 or later",  # an expression that does not parse
        "BSD License",
        "GPLv2",  # given as an id, but not on the list
        "LicenseRef-vendor-notice",
        "MIT License",
        "MPL-2.0",  # a name, even one that reads like an id
    ]
    assert facts["components"] == 11
    assert facts["components_without_licence"] == 1
    assert (
        facts["components_with_licence_id"] == 5
    )  # idna, cryptography, typing-ext., vendored, lowercase
    assert facts["licences"] == 10


def test_spdx_noassertion_none_and_refs() -> None:
    facts = one(SBOM, fixture("sbom/spdx-licence-forms.json"))
    assert facts["components"] == 6  # the described package is the subject
    assert facts["components_without_licence"] == 1  # pytz: NONE, then NOASSERTION
    assert facts["licence_ids"] == ["GPL-2.0", "GPL-2.0-or-later", "MIT"]
    assert facts["licence_names"] == ["BSD License", "LicenseRef-Proprietary"]
    assert facts["components_with_licence_id"] == 3  # six, dual, old-gpl


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MIT", (["MIT"], [])),
        ("mit or apache-2.0", (["MIT", "Apache-2.0"], [])),
        ("(MIT AND (BSD-2-Clause OR ISC))", (["MIT", "BSD-2-Clause", "ISC"], [])),
        ("GPL-2.0-only WITH Classpath-exception-2.0", (["GPL-2.0-only"], [])),
        ("DocumentRef-x:LicenseRef-y OR MIT", (["MIT"], ["DocumentRef-x:LicenseRef-y"])),
        ("MIT License", None),
        ("MIT OR", None),
        ("(MIT", None),
        ("MIT)", None),
        ("MIT WITH MIT", None),
        ("GPL-2.0 WITH (Classpath-exception-2.0)", None),
        ("NOASSERTION", None),
        ("MIT OR " * 400 + "MIT", None),
    ],
)
def test_parse_expression(text: str, expected: tuple[list[str], list[str]] | None) -> None:
    assert parse_expression(text) == expected


def test_a_licence_id_field_off_the_list_is_a_name() -> None:
    found = Licences()
    found.add_id("Apache 2")
    found.add_id("apache-2.0")
    found.add_name("NOASSERTION")
    assert (found.ids, found.names) == (["Apache-2.0"], ["Apache 2"])


def test_wrong_types_in_licences_refuse_the_document() -> None:
    bom = '{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"licenses": ["MIT"]}]}'
    (note,) = SBOM.collect_files([artefact("bom.json", bom)], context()).unread
    assert note.reason == "not read: components[0].licenses[0] must be an object, not a string"


def test_the_bundled_spdx_list() -> None:
    """The bundled list is the SPDX License List its header names, whole."""
    text = (files("assay.evidence.parsing.spdx") / "licenses.txt").read_text("utf-8")
    header = [line for line in text.splitlines() if line.startswith("#")]
    ids = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert f"{len(ids)} identifiers" in "\n".join(header)
    assert len(set(ids)) == len(ids) > 500
    for known in ("MIT", "Apache-2.0", "GPL-3.0-or-later", "0BSD", "GPL-2.0"):
        assert licence_id(known) == known
    for not_an_id in ("MIT License", "BSD License", "Apache 2.0", "LicenseRef-x", ""):
        assert licence_id(not_an_id) is None
    spdx = pytest.importorskip("packaging.licenses._spdx")
    if spdx.VERSION in header[0]:  # the same list version: the same ids
        assert sorted(ids) == sorted(v["id"] for v in spdx.LICENSES.values())
