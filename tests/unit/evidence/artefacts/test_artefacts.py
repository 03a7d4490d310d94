"""Rules every artefact parser shares: recognition by content, size cap, subject and time."""

from __future__ import annotations

import base64
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from assay.evidence.collectors.interface import ArtefactTarget
from assay.evidence.collectors.junit import JUnitParser
from assay.evidence.parsing.errors import ArtefactError
from assay.evidence.registry import collectors_for
from tests.unit.evidence.artefacts.helpers import (
    FIXTURES,
    PARSERS,
    artefact,
    collect,
    context,
    fixture,
    takers,
)

JUNIT = JUnitParser()
REPORT = "<testsuite><testcase name='a'/></testsuite>"


def test_every_fixture_is_recognised_by_exactly_one_parser() -> None:
    for path in sorted(FIXTURES.rglob("*")):
        if path.is_file() and path.name != "README.md":
            relpath = path.relative_to(FIXTURES).as_posix()
            assert len(takers(fixture(relpath))) == 1, relpath


def test_formats_are_recognised_by_content_not_name() -> None:
    renamed = artefact("report.txt", fixture("sarif/codeql.sarif").data)
    assert takers(renamed) == ["sarif"]
    misnamed = artefact("results.sarif", fixture("junit/jest-junit.xml").data)
    assert takers(misnamed) == ["junit"]


@pytest.mark.parametrize(
    "content",
    [b"", b"   \n", b"\x89PNG\r\n\x1a\n\x00\x00", b"just some text\n", b'{"a": 1}', b"[]",
     b"<?xml version='1.0'?><other/>", b"{not json"],
)  # fmt: skip
def test_unrecognised_files_are_accepted_by_nobody(content: bytes) -> None:
    assert takers(artefact("mystery.bin", content)) == []


@pytest.mark.parametrize("unit", [b"<?", b"<a", b"<!--", b"<a b='"])
def test_a_crafted_xml_head_is_recognised_in_linear_time(unit: bytes) -> None:
    """64 KB of unclosed openings: a backtracking pattern took seconds to give up here."""
    from assay.evidence.parsing.recognition import recognise

    data = unit * (65536 // len(unit))
    started = time.monotonic()
    found = recognise(data, "crafted.xml")
    assert time.monotonic() - started < 0.5
    assert (found.form, found.xml_root) == ("xml", None)
    assert takers(artefact("crafted.xml", data)) == []


def test_comments_and_instructions_before_the_root_are_skipped() -> None:
    from assay.evidence.parsing.recognition import recognise

    found = recognise(b'<?xml version="1.0"?><!-- c --><?pi x?><cov:coverage version="1">', "c")
    assert (found.xml_root, found.xml_attrs) == ("coverage", {"version": "1"})


def test_a_target_is_recognised_once_and_keeps_its_recognition() -> None:
    target = fixture("sarif/codeql.sarif")
    assert takers(target) == ["sarif"]
    found = target.recognition
    assert found.parsed
    assert {"runs", "version"} <= set(found.document)
    assert target.recognition is found, "every parser shares one reading"
    again = ArtefactTarget(path=target.path, name=target.name, data=target.data)
    assert again.recognition is not found, "nothing is shared between targets"
    assert again.recognition == found


def test_parsers_are_registered_as_plugins() -> None:
    registered = {c.name: c for c in collectors_for("artefact")}
    assert set(registered) == {parser.name for parser in PARSERS}
    assert len(PARSERS) >= 10, "the built-in parsers are declared in pyproject.toml"
    for parser in PARSERS:
        assert registered[parser.name].kinds == (parser.kind,)
        assert type(registered[parser.name]) is type(parser)


def test_size_cap_is_checked_before_parsing() -> None:
    target = artefact("big.xml", REPORT)
    with pytest.raises(ArtefactError) as caught:
        collect(JUNIT, [target], context(max_artefact_bytes=10))
    assert caught.value.diagnostics() == [
        f"big.xml: artefact is {len(REPORT)} bytes, over the 10 byte limit",
        "hint: raise [collect] max_artefact_bytes in assay.toml if this file is expected",
    ]
    assert collect(JUNIT, [target], context(max_artefact_bytes=len(REPORT)))


def test_a_file_a_parser_does_not_read_is_refused_if_forced() -> None:
    with pytest.raises(ArtefactError, match="not a JUnit XML file"):
        collect(JUNIT, [artefact("x.json", "{}")])


def test_subject_is_bound_to_the_ci_run() -> None:
    target = artefact("r.xml", REPORT, pipeline="release", commit="b" * 40, run_id="local")
    (alone,) = collect(JUNIT, [target])
    assert alone.subject == {"pipeline": "release", "run_id": "local", "commit": "b" * 40}
    run = {"run_id": 8259391021, "commit": "c" * 40, "started_at": "2026-03-12T22:00:00Z"}
    (bound,) = collect(JUNIT, [target], context(ci_run=run))
    assert bound.subject == {"pipeline": "release", "run_id": "8259391021", "commit": "c" * 40}
    (default,) = collect(JUNIT, [artefact("r.xml", REPORT)])
    assert default.subject == {"pipeline": "artefacts", "run_id": None, "commit": None}


def test_observed_at_prefers_the_file_then_the_run_then_the_file_time(tmp_path: Path) -> None:
    stamped = "<testsuite timestamp='2026-02-02T10:00:00Z'><testcase name='a'/></testsuite>"
    run = {"run_id": "1", "commit": "c" * 40, "started_at": "2026-03-12T22:00:00Z"}
    (inner,) = collect(JUNIT, [artefact("a.xml", stamped)], context(ci_run=run))
    assert inner.observed_at == datetime(2026, 2, 2, 10, tzinfo=UTC)
    (from_run,) = collect(JUNIT, [artefact("b.xml", REPORT)], context(ci_run=run))
    assert from_run.observed_at == datetime(2026, 3, 12, 22, tzinfo=UTC)
    on_disk = tmp_path / "c.xml"
    on_disk.write_text(REPORT, encoding="utf-8")
    os.utime(on_disk, (1_767_225_600, 1_767_225_600))
    plain = ArtefactTarget(path=on_disk, name="c.xml", data=on_disk.read_bytes())
    (from_file,) = JUNIT.collect_all([plain], context())
    assert from_file.observed_at == datetime(2026, 1, 1, tzinfo=UTC)


def test_no_time_at_all_is_an_error_not_the_clock() -> None:
    nowhere = ArtefactTarget(path=Path("/nonexistent/r.xml"), name="r.xml", data=REPORT.encode())
    with pytest.raises(ArtefactError, match="no time to date this evidence by"):
        JUNIT.collect_all([nowhere], context())


def test_the_same_files_give_the_same_evidence_id() -> None:
    first = collect(JUNIT, [fixture("junit/pytest-junit.xml")])[0]
    again = collect(JUNIT, [fixture("junit/pytest-junit.xml")])[0]
    assert first.id == again.id
    assert first.artefacts[0].artefact().sha256 == again.artefacts[0].artefact().sha256


def test_modified_at_of_a_target_is_used() -> None:
    when = datetime(2025, 5, 5, 5, 5, 5, 123456, tzinfo=UTC)
    target = ArtefactTarget(path=Path("/x"), name="r.xml", data=REPORT.encode(), modified_at=when)
    (draft,) = JUNIT.collect_all([target], context())
    assert draft.observed_at == when.replace(microsecond=0)


WRONG_SHAPES = [
    ("audit.json", json.dumps({"dependencies": [{"name": "x", "vulns": 5}]})),
    ("trivy.json", json.dumps({"SchemaVersion": 2,
                               "Results": [{"Type": "pip", "Vulnerabilities": 5}]})),
    ("grype.json", '{"matches":[{"vulnerability":{"id":"CVE-1","severity":' + "9" * 400
     + '},"artifact":{"name":"a"}}],"source":{}}'),
    ("bom.json", json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5",
                             "components": [{"name": "a", "licenses": 5}]})),
    ("spdx.json", json.dumps({"spdxVersion": "SPDX-2.3", "packages": 5})),
    ("deep.cdx.xml", '<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components>'
     + "<component><name>a</name><components>" * 5000
     + "</components></component>" * 5000 + "</components></bom>"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "content"), WRONG_SHAPES)
def test_a_recognised_file_of_the_wrong_shape_is_refused_by_name(name: str, content: str) -> None:
    target = artefact(name, content)
    (parser,) = [p for p in PARSERS if p.accepts(target)]
    with pytest.raises(ArtefactError) as caught:
        collect(parser, [target], context())
    assert caught.value.problems[0].path == name


@pytest.mark.parametrize(
    "payload",
    [b"[" * 100_000 + b"]" * 100_000, b'{"_type": "https://in-toto.io/Statement/v1", "x": NaN}'],
)
def test_a_dsse_payload_is_read_as_strictly_as_any_json(payload: bytes) -> None:
    envelope = {
        "payloadType": "application/vnd.in-toto+json",
        "payload": base64.b64encode(payload).decode(),
        "signatures": [],
    }
    target = artefact("build.intoto.json", json.dumps(envelope))
    (parser,) = takers(target)
    with pytest.raises(ArtefactError, match=r"build\.intoto\.json \(DSSE payload\)"):
        collect(next(p for p in PARSERS if p.name == parser), [target], context())


def test_an_infinite_number_is_refused_as_json() -> None:
    from assay.evidence.parsing.strict_json import load_json

    with pytest.raises(ArtefactError, match="1e999 is too large a number for JSON evidence"):
        load_json(b'{"budget": -1e999}', "slo.json")
