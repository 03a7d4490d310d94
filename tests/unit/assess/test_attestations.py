"""Attestations: loading, hashing the supporting file, and satisfying manual tests."""

from __future__ import annotations

import hashlib
import textwrap
from datetime import date, timedelta
from pathlib import Path

import pytest

from assay.assess.attestations import (
    Attestation,
    attestation_drafts,
    load_attestation,
    load_attestations,
    pinned_text,
    read_document,
)
from assay.assess.engine import AssessOptions, Assessor
from assay.errors import InvalidInput
from assay.evidence.kinds import kind_validator
from assay.evidence.model import Evidence, EvidenceDraft
from assay.evidence.reader import MemoryEvidence
from tests.unit.assess.helpers import NOW, RESTORE_CONTROL, library, service, with_facts

TEXT = """\
control: BCP-02
services: [payments]
statement: A full restore was rehearsed on 2026-02-26 within the four-hour objective.
signer: Priya Raman, Head of Platform Operations
signed_at: "2026-02-27"
expires: "2026-08-27"
file: evidence/restore-2026-02.txt
"""


def workspace(tmp_path: Path, text: str = TEXT) -> Path:
    (tmp_path / "attestations" / "evidence").mkdir(parents=True)
    (tmp_path / "attestations" / "evidence" / "restore-2026-02.txt").write_text(
        "restore log\n", encoding="utf-8"
    )
    path = tmp_path / "attestations" / "restore.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load(path: Path, root: Path) -> Attestation:
    return load_attestation(
        path,
        display=f"attestations/{path.name}",
        controls={"BCP-02"},
        services={"payments", "search"},
        root=root,
    )


def to_evidence(made: EvidenceDraft) -> Evidence:
    return Evidence(
        id=made.id,
        kind=made.kind,
        service=made.service,
        subject=made.subject,
        observed_at=made.observed_at,
        collector=made.collector,
        facts=made.facts,
        artefacts=tuple(a.artefact() for a in made.artefacts),
    )


def test_attest_hashes_the_file_and_makes_valid_evidence(tmp_path: Path) -> None:
    attestation = load(workspace(tmp_path), tmp_path)
    document = read_document(attestation)
    assert document.sha256 == hashlib.sha256(b"restore log\n").hexdigest()
    (made,) = attestation_drafts(attestation, document, tool_version="0.1.0")
    assert made.kind == "manual.attestation"
    assert made.subject == {"control": "BCP-02"}
    assert made.collector == "assay-attest@0.1.0"
    assert list(kind_validator("manual.attestation").iter_errors(made.facts)) == []
    assert made.facts["file"]["matches_attested"] is True
    assert made.facts["validity_days"] == 181
    assert made.artefacts[0].data == b"restore log\n"


def test_the_hash_is_pinned_once_and_then_the_file_is_checked(tmp_path: Path) -> None:
    path = workspace(tmp_path)
    attestation = load(path, tmp_path)
    digest = read_document(attestation).sha256
    text = pinned_text(attestation, digest)
    assert text is not None
    assert text.endswith(f"sha256: {digest}\n")
    path.write_text(text, encoding="utf-8")
    pinned = load(path, tmp_path)
    assert pinned.sha256 == digest
    assert pinned_text(pinned, digest) is None
    (tmp_path / "attestations" / "evidence" / "restore-2026-02.txt").write_text("edited\n")
    with pytest.raises(InvalidInput) as caught:
        read_document(load(path, tmp_path))
    (problem,) = caught.value.problems
    assert str(problem).startswith(
        "attestations/restore.yaml: file evidence/restore-2026-02.txt no longer matches its "
        f"sha256 (attested {digest[:12]}, now "
    )


def test_a_flow_mapping_is_not_pinned_into_an_unreadable_file(tmp_path: Path) -> None:
    flow = (
        '{control: BCP-02, services: [payments], statement: "A full restore was rehearsed.",\n'
        ' signer: "Priya Raman", signed_at: "2026-02-27", expires: "2026-08-27",\n'
        " file: evidence/restore-2026-02.txt}\n"
    )
    path = workspace(tmp_path, flow)
    attestation = load(path, tmp_path)
    digest = read_document(attestation).sha256
    with pytest.raises(InvalidInput) as caught:
        pinned_text(attestation, digest)
    assert [str(p) for p in caught.value.problems] == [
        "attestations/restore.yaml: a sha256 line cannot be appended to it"
    ]
    assert caught.value.hint == (
        f"write the attestation as a block mapping, or add 'sha256: {digest}' yourself"
    )


def test_a_file_name_the_system_cannot_take_is_a_problem(tmp_path: Path) -> None:
    path = workspace(tmp_path, TEXT.replace("evidence/restore-2026-02.txt", '"gov\\0-01.md"'))
    with pytest.raises(InvalidInput) as caught:
        load(path, tmp_path)
    (problem,) = caught.value.problems
    assert str(problem) == (
        "attestations/restore.yaml:7:7: file 'gov\\x00-01.md': embedded null byte"
    )


def test_bad_attestations_list_every_problem(tmp_path: Path) -> None:
    path = workspace(
        tmp_path,
        TEXT.replace("BCP-02", "BCP-99")
        .replace("[payments]", "[payments, nobody]")
        .replace("evidence/restore-2026-02.txt", "../../etc/passwd")
        .replace('expires: "2026-08-27"', 'expires: "2026-01-01"'),
    )
    with pytest.raises(InvalidInput) as caught:
        load(path, tmp_path)
    assert [str(p) for p in caught.value.problems] == [
        "attestations/restore.yaml:1:10: attestation names unknown control 'BCP-99'",
        "attestations/restore.yaml:2:22: attestation names unknown service 'nobody'",
        "attestations/restore.yaml:6:10: expires 2026-01-01 is before signed_at 2026-02-27",
        "attestations/restore.yaml:7:7: file '../../etc/passwd' is outside the workspace",
    ]


def test_missing_file_is_refused(tmp_path: Path) -> None:
    path = workspace(tmp_path, TEXT.replace("restore-2026-02.txt", "nope.txt"))
    folder_problems = pytest.raises(InvalidInput)
    with folder_problems as caught:
        load_attestations(path.parent, controls={"BCP-02"}, root=tmp_path)
    assert caught.value.problems[0].message == "file 'evidence/nope.txt' does not exist"


def assess_restore(tmp_path: Path, store: MemoryEvidence, day_offset: int = 0) -> tuple[str, str]:
    """Assess with the workspace's attestation files, as ``assay check`` does."""
    folder = tmp_path / "attestations"
    files = load_attestations(folder, controls={"BCP-02"}, root=tmp_path) if folder.is_dir() else []
    assessor = Assessor(library(tmp_path, RESTORE_CONTROL), store, (), files)
    as_of = NOW + timedelta(days=day_offset)
    result = assessor.assess(service(), AssessOptions(as_of=as_of)).results[0]
    return result.status, result.reason


def recorded(tmp_path: Path, text: str = TEXT) -> list[Evidence]:
    attestation = load(workspace(tmp_path, text), tmp_path)
    drafts = attestation_drafts(attestation, read_document(attestation), tool_version="0")
    return [to_evidence(d) for d in drafts]


def test_an_attestation_satisfies_a_manual_test(tmp_path: Path) -> None:
    store = MemoryEvidence()
    for record in recorded(tmp_path):
        store.add(record, NOW - timedelta(days=10))
    assert assess_restore(tmp_path, store) == (
        "pass",
        "",
    )


def test_wildcard_attestation_covers_every_service(tmp_path: Path) -> None:
    store = MemoryEvidence()
    (record,) = recorded(tmp_path, TEXT.replace("[payments]", '["*"]'))
    assert record.service == "*"
    store.add(record, NOW)
    assert assess_restore(tmp_path, store)[0] == "pass"


def test_expired_attestation_is_stale(tmp_path: Path) -> None:
    store = MemoryEvidence()
    for record in recorded(tmp_path):
        store.add(record, NOW)
    status, reason = assess_restore(tmp_path, store, day_offset=200)
    assert status == "stale"
    assert reason == (
        "the attestation signed by Priya Raman, Head of Platform Operations on 2026-02-27 "
        "expired on 2026-08-27; have it signed again and run 'assay attest FILE'"
    )


def test_attestation_whose_file_did_not_match_fails(tmp_path: Path) -> None:
    store = MemoryEvidence()
    (record,) = recorded(tmp_path)
    facts = {**record.facts, "file": {**record.facts["file"], "matches_attested": False}}
    store.add(with_facts(record, facts), NOW)
    status, reason = assess_restore(tmp_path, store)
    assert status == "fail"
    assert "did not match its attested sha256" in reason


def test_attestation_for_another_service_does_not_count(tmp_path: Path) -> None:
    store = MemoryEvidence()
    for record in recorded(tmp_path, TEXT.replace("[payments]", "[search]")):
        store.add(record, NOW)
    assert assess_restore(tmp_path, store)[0] == "gap"


def test_unrecorded_attestation_file_is_named_in_the_gap(tmp_path: Path) -> None:
    attestation = load(workspace(tmp_path), tmp_path)
    assessor = Assessor(library(tmp_path, RESTORE_CONTROL), MemoryEvidence(), (), [attestation])
    result = assessor.assess(service(), AssessOptions(as_of=NOW)).results[0]
    assert result.reasons == (
        "attestations/restore.yaml attests BCP-02 but is not recorded; "
        "run 'assay attest attestations/restore.yaml'",
    )


def test_attestation_signed_after_as_of_does_not_count(tmp_path: Path) -> None:
    store = MemoryEvidence()
    for record in recorded(tmp_path):
        store.add(record, NOW - timedelta(days=40))
    # The ledger says it was recorded before 2026-02-27 but it claims a later signature.
    assert assess_restore(tmp_path, store, day_offset=-17)[0] == "gap"
    assert date(2026, 2, 26) == (NOW + timedelta(days=-17)).date()
