"""A file that cannot be read is noted, located, and the other files are still collected;
a hostile file stops everything."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from assay.errors import Problem
from assay.evidence.collectors.interface import (
    ArtefactTarget,
    CollectContext,
    Collector,
)
from assay.evidence.collectors.outcome import Unread
from assay.evidence.model import EvidenceDraft
from assay.evidence.parsing.errors import ArtefactError, HostileArtefact
from tests.unit.evidence.artefacts.helpers import PARSERS, artefact, context, fixture

LATER = f"{datetime.now(UTC) + timedelta(days=3):%Y-%m-%dT%H:%M:%SZ}"
BY_NAME = {parser.name: parser for parser in PARSERS}


def test_a_truncated_sbom_is_noted_and_the_other_is_recorded() -> None:
    good = fixture("sbom/cyclonedx.json")
    bad = artefact("broken.cdx.json", '{"bomFormat": "CycloneDX", "components": [')
    outcome = BY_NAME["sbom"].collect_files([bad, good], context())
    assert [d.artefacts[0].name for d in outcome.drafts] == ["sbom/cyclonedx.json"]
    assert outcome.unread == [
        Unread(
            "broken.cdx.json",
            "not read: line 1, column 43: JSON ends unexpectedly: the file is truncated",
        )
    ]


def test_one_unreadable_report_withholds_a_mergeable_record() -> None:
    good = fixture("coverage/coverage.lcov")
    bad = artefact("cov.xml", '<coverage line-rate="2" lines-valid="3"><packages/></coverage>')
    outcome = BY_NAME["coverage"].collect_files([good, bad], context())
    assert outcome.drafts == []
    assert [u.name for u in outcome.unread] == ["cov.xml", "coverage/coverage.lcov"]
    assert outcome.unread[0].reason == (
        "not read: line-rate is '2': coverage must be a finite number from 0 to 1"
    )
    assert outcome.unread[1].reason.startswith("not recorded: cov.xml from the same run")


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "bomb.xml",
            '<?xml version="1.0"?><!DOCTYPE c [<!ENTITY a "a">]><coverage line-rate="1"/>',
            "refused: the XML has a DOCTYPE",
        ),
        (
            "future.sarif",
            '{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [],'
            f' "invocations": [{{"endTimeUtc": "{LATER}"}}]}}]}}',
            "after the collection time",
        ),
    ],
)
def test_hostile_files_are_raised_not_noted(name: str, data: str, message: str) -> None:
    target = artefact(name, data)
    parser = next(p for p in PARSERS if p.accepts(target))
    with pytest.raises(HostileArtefact) as caught:
        parser.collect_files([fixture("coverage/coverage.lcov"), target], context())
    assert message in str(caught.value.problems[0])


class _Plugin(Collector):
    """A third-party collector that merges its files and refuses one of them."""

    name = "plugin"
    version = "0.1"
    kinds = ("test.results",)
    target = "artefact"

    def collect(self, target: Any, context: CollectContext) -> Iterable[EvidenceDraft]:
        raise ArtefactError([Problem(target.name, 4, 2, "bad row")])

    def collect_all(
        self, targets: Sequence[ArtefactTarget], context: CollectContext
    ) -> Iterable[EvidenceDraft]:
        raise ArtefactError([Problem(targets[1].name, 4, 2, "bad row")])


def test_a_plugins_refusal_is_noted_against_its_files() -> None:
    files = [artefact("a.csv", "x"), artefact("b.csv", "y")]
    outcome = _Plugin().collect_files(files, context())
    assert outcome.drafts == []
    assert outcome.unread == [
        Unread("a.csv", "not recorded: b.csv of the same batch could not be read"),
        Unread("b.csv", "not read: line 4, column 2: bad row"),
    ]


def test_every_parser_notes_garbage_instead_of_raising() -> None:
    """Wrong types in a recognised file: a note for each parser, never a traceback."""
    garbage: list[tuple[str, str]] = [
        ("cdx.json", '{"bomFormat": "CycloneDX", "specVersion": 5, "components": 3}'),
        ("spdx.json", '{"spdxVersion": "SPDX-2.3", "packages": [1]}'),
        ("trivy.json", '{"SchemaVersion": 2, "Results": {"a": 1}}'),
        ("run.sarif", '{"version": "2.1.0", "runs": [{"results": "many"}]}'),
        ("cov.json", '{"meta": {"format": 2}, "totals": [], "files": {}}'),
        ("prov.json", '{"payloadType": "application/vnd.in-toto+json", "payload": 7}'),
    ]
    for name, data in garbage:
        target = artefact(name, data)
        parsers = [p for p in PARSERS if p.accepts(target)]
        assert parsers, name
        for parser in parsers:
            outcome = parser.collect_files([target], context())
            assert outcome.drafts == [], name
            (note,) = outcome.unread
            assert note.name == name
            assert note.reason.startswith("not "), note
            assert "Traceback" not in note.reason
