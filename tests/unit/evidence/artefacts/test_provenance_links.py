"""in-toto links, layouts and attestations that are not build provenance: recognised, skipped
with a note that says what they are, and never a reason to stop collecting."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assay.cli.app import app
from assay.evidence.collectors.outcome import Unread
from assay.evidence.collectors.provenance import ProvenanceParser
from tests.cli.test_collect import github_env, setup
from tests.unit.evidence.artefacts.helpers import FIXTURES, artefact, context, fixture, takers

PROVENANCE = ProvenanceParser()
LINK_NOTE = (
    "not provenance evidence: an in-toto link of step 'build' (command 'python -m build "
    "--wheel --outdir dist', 3 materials, 1 products): the record of one supply-chain step, "
    "not build provenance"
)


UNNAMED = (
    "not provenance evidence: an in-toto link of step 'unnamed' (command 'not stated', "
    "0 materials, 0 products): the record of one supply-chain step, not build provenance"
)
HUGE = {"_type": "link", "materials": "x" * 10**6, "command": None}


def notes(*targets: object) -> list[Unread]:
    outcome = PROVENANCE.collect_files(list(targets), context())
    assert outcome.drafts == []
    return outcome.unread


@pytest.mark.parametrize("name", ["provenance/build.f26a28c2.link", "provenance/build.dsse.link"])
def test_a_link_is_described_and_skipped(name: str) -> None:
    target = fixture(name)
    assert takers(target) == ["provenance"]
    assert notes(target) == [Unread(name, LINK_NOTE)]


def test_a_v1_statement_with_a_link_predicate_is_a_link() -> None:
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "app.whl", "digest": {"sha256": "ab" * 32}}],
        "predicateType": "https://in-toto.io/attestation/link/v0.3",
        "predicate": {"name": "test", "command": ["pytest"], "materials": [{"uri": "a"}]},
    }
    (note,) = notes(artefact("test.link.json", json.dumps(statement)))
    assert note.reason == (
        "not provenance evidence: an in-toto link of step 'test' (command 'pytest', "
        "1 materials, 1 products): the record of one supply-chain step, not build provenance"
    )


def test_a_layout_and_an_sbom_attestation_are_skipped() -> None:
    layout = {"signatures": [], "signed": {"_type": "layout", "steps": [], "inspect": []}}
    sbom = fixture("provenance/sbom-attestation.sigstore.json")
    assert [n.reason for n in notes(artefact("root.layout", json.dumps(layout)), sbom)] == [
        "not provenance evidence: an in-toto layout: the supply-chain policy, not build provenance",
        "not provenance evidence: an in-toto statement with predicate type "
        "'https://spdx.dev/Document/v2.3', not SLSA provenance",
    ]


def test_provenance_in_a_bundle_next_to_an_sbom_attestation_is_still_read() -> None:
    outcome = PROVENANCE.collect_files(
        [
            fixture("provenance/sbom-attestation.sigstore.json"),
            fixture("provenance/attestation.sigstore.json"),
        ],
        context(),
    )
    (draft,) = outcome.drafts
    assert draft.facts["slsa_version"] == "1.0"
    assert [u.name for u in outcome.unread] == ["provenance/sbom-attestation.sigstore.json"]


def _envelope(payload: str) -> str:
    return json.dumps(
        {"payloadType": "application/vnd.in-toto+json", "payload": payload, "signatures": [{}]}
    )


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (_envelope("not base64 at all!"), "not read: DSSE payload is not base64-encoded JSON"),
        (
            _envelope(base64.b64encode(b'{"_type": "link", "name": ').decode()),
            "not read: DSSE payload, line 1, column 27: JSON ends unexpectedly: the file is "
            "truncated",
        ),
        (
            _envelope(base64.b64encode(b"[" * 100_000 + b"]" * 100_000).decode()),
            "not read: DSSE payload: JSON is nested too deeply to read",
        ),
        (
            json.dumps(
                {"signatures": 3, "signed": {"_type": "link", "command": "make", "name": 7}}
            ),
            UNNAMED,
        ),
        (
            _envelope(base64.b64encode(json.dumps(HUGE).encode()).decode()),
            UNNAMED,
        ),
    ],
)
def test_hostile_links_get_a_clear_note(data: str, reason: str) -> None:
    (note,) = notes(artefact("x.link", data))
    assert note.reason == reason


def test_a_dsse_link_does_not_stop_the_service(tmp_path: Path, runner: CliRunner) -> None:
    root, head, reports = setup(tmp_path)
    (reports / "build.link").write_bytes((FIXTURES / "provenance" / "build.dsse.link").read_bytes())
    (reports / "provenance.intoto.jsonl").write_bytes(
        (FIXTURES / "provenance" / "payments-api.intoto.jsonl").read_bytes()
    )
    result = runner.invoke(app, ["collect", "-w", str(root), "-f", "json"], env=github_env(head))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    kinds = [e["kind"] for e in report["evidence"]]
    assert kinds.count("provenance") == 1
    assert {"test.results", "sast.findings", "git.history"} <= set(kinds)
    assert {"service": "api", "path": "build.link", "reason": LINK_NOTE} in report["skipped"]
