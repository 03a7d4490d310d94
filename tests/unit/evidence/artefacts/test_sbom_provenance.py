"""sbom (CycloneDX from cyclonedx-py, SPDX) and provenance (SLSA v1 and v0.2, DSSE, bundles)."""

from __future__ import annotations

import base64
import json

import pytest

from assay.evidence.collectors.provenance import ProvenanceParser, split_uri
from assay.evidence.collectors.sbom import SbomParser
from assay.evidence.parsing.errors import ArtefactError
from tests.unit.evidence.artefacts.helpers import artefact, collect, context, fixture, one, takers

SBOM = SbomParser()
PROVENANCE = ProvenanceParser()
COMMIT = "1a954628a960aaef81d7b2d4521929579f3541e6"


def test_cyclonedx_json_and_xml_from_cyclonedx_py_agree() -> None:
    json_facts = one(SBOM, fixture("sbom/cyclonedx.json"))
    xml_facts = one(SBOM, fixture("sbom/cyclonedx.xml"))
    assert (json_facts["encoding"], xml_facts["encoding"]) == ("json", "xml")
    for facts in (json_facts, xml_facts):
        assert (facts["format"], facts["spec_version"]) == ("cyclonedx", "1.6")
        assert facts["components"] == 4
        assert facts["components_without_licence"] == 4  # a requirements file states none
        assert facts["licensed_ratio"] == 0.0


def test_cyclonedx_environment_sbom_with_subject_and_licences() -> None:
    target = fixture("sbom/cyclonedx-environment.json")
    assert takers(target) == ["sbom"]
    (draft,) = collect(SBOM, [target])
    facts = draft.facts
    assert facts["subject"] == {"name": "pricing", "version": "1.4.0", "digest": None}
    assert (facts["components"], facts["licensed_ratio"]) == (4, 1.0)
    assert facts["licence_ids"] == ["MIT", "Python-2.0"]
    assert draft.observed_at.isoformat() == facts["created_at"].replace("Z", "+00:00")


def test_spdx_document() -> None:
    facts = one(SBOM, fixture("sbom/spdx.json"))
    assert (facts["format"], facts["spec_version"]) == ("spdx", "SPDX-2.3")
    assert facts["subject"] == {
        "name": "payments-api",
        "version": "1.4.0",
        "digest": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    }
    # The described package is the subject, not a component; NOASSERTION/NONE are no licence;
    # a declared licence stands in for an unasserted concluded one.
    assert facts["components"] == 4
    assert facts["components_without_version"] == 1
    assert facts["components_without_licence"] == 1
    assert facts["licence_ids"] == ["Apache-2.0", "MIT", "MPL-2.0"]


def test_nested_cyclonedx_components_are_counted() -> None:
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "metadata": {
            "component": {
                "name": "app",
                "hashes": [{"alg": "SHA-256", "content": "A" * 64}],
            }
        },
        "components": [
            {"name": "a", "version": "1", "licenses": [{"expression": "MIT OR Apache-2.0"}],
             "components": [{"name": "a-sub", "licenses": [{"license": {"name": "Custom"}}]}]},
        ],
    }  # fmt: skip
    facts = one(SBOM, artefact("bom.json", json.dumps(bom)))
    assert (facts["components"], facts["components_without_version"]) == (2, 1)
    assert (facts["licence_ids"], facts["licence_names"]) == (["Apache-2.0", "MIT"], ["Custom"])
    assert (facts["components_with_licence_id"], facts["licences"]) == (1, 3)
    assert facts["subject"]["digest"] == "a" * 64
    assert facts["created_at"] is None


LICENSED = {"name": "a", "version": "1", "licenses": [{"license": {"id": "MIT"}}]}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [LICENSED, None, 7]},
         "components[1] must be an object, not null"),
        ({"bomFormat": "CycloneDX", "specVersion": "1.6",
          "components": [{**LICENSED, "components": {"name": "b"}}]},
         "components[0].components must be a list, not an object"),
        ({"bomFormat": "CycloneDX", "specVersion": "1.6",
          "components": [{"name": "a", "licenses": ["MIT"]}]},
         "components[0].licenses[0] must be an object, not a string"),
        ({"spdxVersion": "SPDX-2.3", "packages": [{"SPDXID": "SPDXRef-a"}, "b"]},
         "packages[1] must be an object, not a string"),
    ],
)  # fmt: skip
def test_entries_of_the_wrong_shape_refuse_the_sbom(document: object, message: str) -> None:
    target = artefact("bom.json", json.dumps(document))
    assert takers(target) == ["sbom"]
    with pytest.raises(ArtefactError) as caught:
        collect(SBOM, [target])
    assert caught.value.diagnostics() == [f"bom.json: {message}"]


def test_unsupported_spdx_version_is_refused() -> None:
    with pytest.raises(ArtefactError, match=r"SPDX version 'SPDX-3\.0' is not supported"):
        collect(SBOM, [artefact("spdx3.json", '{"spdxVersion": "SPDX-3.0", "packages": []}')])


def test_cyclonedx_xml_with_a_doctype_is_refused() -> None:
    bom = """<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY x "y">]>
<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components/></bom>"""
    target = artefact("bom.xml", bom)
    assert takers(target) == ["sbom"]
    with pytest.raises(ArtefactError, match="DOCTYPE"):
        collect(SBOM, [target])


# ------------------------------------------------------------------------ provenance


def test_slsa_v1_dsse_from_the_generator_matches_the_run_commit() -> None:
    target = fixture("provenance/payments-api.intoto.jsonl")
    assert takers(target) == ["provenance"]
    ctx = context(ci_run={"run_id": "8259391021", "commit": COMMIT, "started_at": None})
    (draft,) = collect(PROVENANCE, [target], ctx)
    facts = draft.facts
    assert facts["slsa_version"] == "1.0"
    assert facts["builder_id"].startswith(
        "https://github.com/slsa-framework/slsa-github-generator/"
    )
    assert (facts["signed"], facts["signatures"], facts["subject_count"]) == (True, 1, 2)
    assert facts["source"] == {
        "repository": "https://github.com/example-org/payments-api",
        "ref": "refs/tags/v1.4.0",
        "commit": COMMIT,
    }
    assert facts["matches_commit"] is True
    assert draft.subject == {"pipeline": "artefacts", "run_id": "8259391021", "commit": COMMIT}
    assert draft.observed_at.isoformat() == "2026-03-12T22:12:40+00:00"  # finishedOn


def test_provenance_for_another_commit_does_not_match() -> None:
    other = "0" * 40
    data = fixture("provenance/payments-api.intoto.jsonl").data
    facts = one(PROVENANCE, artefact("p.intoto.jsonl", data, commit=other))
    assert facts["matches_commit"] is False
    unknown = one(PROVENANCE, fixture("provenance/payments-api.intoto.jsonl"))
    assert unknown["matches_commit"] is None


def test_sigstore_bundle_and_v02_statement() -> None:
    bundle = one(PROVENANCE, fixture("provenance/attestation.sigstore.json"))
    assert (bundle["signed"], bundle["predicate_type"]) == (True, "https://slsa.dev/provenance/v1")
    legacy = one(PROVENANCE, fixture("provenance/worker-v0.2.json"))
    assert legacy["slsa_version"] == "0.2"
    assert (legacy["signed"], legacy["signatures"]) == (False, 0)
    assert legacy["source"] == {
        "repository": "https://github.com/example-org/payments-worker",
        "ref": "refs/heads/main",
        "commit": "0b6f7c2a3d4e5f60718293a4b5c6d7e8f9012345",
    }
    assert (
        legacy["build_type"]
        == "https://github.com/slsa-framework/slsa-github-generator/container@v1"
    )


def test_non_slsa_statement_is_skipped_with_its_predicate_named() -> None:
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "a.tar", "digest": {"sha512": "ab"}}],
        "predicateType": "https://spdx.dev/Document",
        "predicate": {},
    }
    target = artefact("s.json", json.dumps(statement))
    assert takers(target) == ["provenance"]
    assert collect(PROVENANCE, [target]) == []
    (note,) = PROVENANCE.collect_files([target], context()).unread
    assert note.reason == (
        "not provenance evidence: an in-toto statement with predicate type "
        "'https://spdx.dev/Document', not SLSA provenance"
    )


def test_bad_envelopes_are_refused() -> None:
    not_in_toto = {"payloadType": "text/plain", "payload": "aGk=", "signatures": []}
    with pytest.raises(ArtefactError, match="not an in-toto statement"):
        collect(PROVENANCE, [artefact("e.json", json.dumps(not_in_toto))])
    garbage = {"payloadType": "application/vnd.in-toto+json", "payload": "%%%", "signatures": []}
    with pytest.raises(ArtefactError, match="not base64-encoded JSON"):
        collect(PROVENANCE, [artefact("g.json", json.dumps(garbage))])
    wrong = base64.b64encode(b'{"hello": "world"}').decode()
    envelope = {"payloadType": "application/vnd.in-toto+json", "payload": wrong, "signatures": []}
    with pytest.raises(ArtefactError, match="payload is not an in-toto statement"):
        collect(PROVENANCE, [artefact("w.json", json.dumps(envelope))])


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (
            "git+https://github.com/o/r@refs/heads/main",
            ("https://github.com/o/r", "refs/heads/main"),
        ),
        ("git+ssh://git@host/o/r@refs/tags/v1", ("ssh://git@host/o/r", "refs/tags/v1")),
        ("https://github.com/o/r", ("https://github.com/o/r", None)),
    ],
)
def test_split_uri(uri: str, expected: tuple[str, str | None]) -> None:
    assert split_uri(uri) == expected
