"""Time vouched for from outside: packs carry the ledger and its anchor; verify checks them.

A timestamp authority runs on 127.0.0.1 (:mod:`tests.support.fake_tsa`); assay reaches it
through its own HTTP client, for ``assay store anchor`` and ``report pack --sign --tsa``.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from assay.reports.ledger_proof import CHAIN_NAME, LEDGER_NAME, TOKEN_NAME, where
from assay.reports.verify_ledger import check_ledger
from assay.reports.verify_pack import PackCheck
from assay.timestamps import request_token
from tests.support.fake_tsa import FakeTSA, running_tsa
from tests.unit.reports.workspace import ReportWorkspace, build

pytestmark = pytest.mark.usefixtures("no_ambient_store")


@dataclass
class Packs:
    ws: ReportWorkspace
    tsa: FakeTSA
    plain: Path  # made before any anchor
    anchored: Path
    root: Path  # the TSA's CA certificate (PEM)
    leaf: Path  # the TSA's own certificate (PEM)
    other: Path  # another authority's CA certificate


def attachments(path: Path) -> dict[str, bytes]:
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    return {name: data[0] for name, data in reader.attachments.items()}


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Packs]:
    runner = CliRunner()
    folder = tmp_path_factory.mktemp("anchor")
    ws = build(folder / "workspace", runner)
    with running_tsa() as tsa, running_tsa("Other") as other:
        plain = folder / "plain.pdf"
        code, _, err = ws.invoke(runner, "report", "pack", "-s", "svc", "-o", str(plain))
        assert code == 0, err
        code, out, err = ws.invoke(runner, "store", "anchor", "--tsa", tsa.url)
        assert code == 0, err
        assert out.startswith("anchor 1: ledger head ")
        anchored = folder / "anchored.pdf"
        code, _, err = ws.invoke(runner, "report", "pack", "-s", "svc", "-o", str(anchored))
        assert code == 0, err
        (folder / "other").mkdir()
        yield Packs(
            ws,
            tsa,
            plain,
            anchored,
            root=tsa.ca_pem(folder),
            leaf=tsa.tsa_pem(folder),
            other=other.ca_pem(folder / "other"),
        )


def verify(runner: CliRunner, packs: Packs, path: Path, *args: str) -> tuple[int, list[str]]:
    code, out, err = packs.ws.invoke(runner, "verify", str(path), *args)
    return code, (out + err).splitlines()


def manifest_of(path: Path) -> dict[str, Any]:
    return dict(json.loads(attachments(path)["manifest.json"]))


# ---------------------------------------------------------------------- the pack


def test_a_pack_made_before_any_anchor_lists_its_entries(packs: Packs) -> None:
    files = attachments(packs.plain)
    ledger = json.loads(files[LEDGER_NAME])
    manifest = manifest_of(packs.plain)
    assert manifest["ledger"]["anchor"] is None
    assert manifest["ledger"]["evidence_entries"] == [entry["seq"] for entry in ledger]
    assert {entry["ref_id"] for entry in ledger} == {e["id"] for e in manifest["evidence"]}
    assert TOKEN_NAME not in files


def test_an_anchored_pack_carries_the_token_and_the_chain(packs: Packs) -> None:
    files = attachments(packs.anchored)
    anchor = manifest_of(packs.anchored)["ledger"]["anchor"]
    ledger = {entry["seq"]: entry for entry in json.loads(files[LEDGER_NAME])}
    # check sealed the assessment after the evidence: the head is that seal.
    assert ledger[anchor["head_seq"]]["entry_hash"] == anchor["head_hash"]
    assert ledger[anchor["head_seq"]]["entry_type"] == "assessment"
    assert sorted(ledger) == list(range(min(ledger), anchor["head_seq"] + 1))
    assert files[CHAIN_NAME].startswith(b"-----BEGIN CERTIFICATE-----")
    assert anchor["tsa"] == "Common Name: Assay Test TSA"
    assert len(files[TOKEN_NAME]) > 500


def test_the_appendix_names_the_anchor_and_the_entries(packs: Packs) -> None:
    text = "\n".join(
        page.extract_text() for page in PdfReader(io.BytesIO(packs.anchored.read_bytes())).pages
    )
    assert "Appendix: ledger entries of the evidence" in text
    assert "timestamped by Common Name: Assay Test TSA" in " ".join(text.split())
    plain = "\n".join(
        page.extract_text() for page in PdfReader(io.BytesIO(packs.plain.read_bytes())).pages
    )
    assert "No anchor: no timestamp from outside the store" in " ".join(plain.split())


def test_who_and_where_from_the_context() -> None:
    ci = {"ci": "github", "repository": "acme/api", "run_id": "42", "job": "b", "actor": "al"}
    assert where(ci) == "github acme/api run 42 job b (actor al)"
    assert where({"user": "al", "host": "laptop"}) == "al@laptop"
    assert where({}) == "not recorded"


# ---------------------------------------------------------------------- verify


def test_verify_checks_the_anchor_against_the_tsa_root(runner: CliRunner, packs: Packs) -> None:
    code, lines = verify(runner, packs, packs.anchored, "--tsa-cert", str(packs.root))
    assert code == 0, lines
    (note,) = [line for line in lines if line.startswith("ledger anchor:")]
    assert "by Common Name: Assay Test TSA, a trusted TSA; it covers 2 of 2 evidence" in note


def test_the_tsa_certificate_itself_can_be_the_trust_root(runner: CliRunner, packs: Packs) -> None:
    code, lines = verify(runner, packs, packs.anchored, "--tsa-cert", str(packs.leaf))
    assert code == 0, lines


def test_another_authority_is_not_trusted(runner: CliRunner, packs: Packs) -> None:
    code, lines = verify(runner, packs, packs.anchored, "--tsa-cert", str(packs.other))
    assert code == 1
    assert (
        "ledger anchor: the TSA certificate (Common Name: Assay Test TSA) does not chain to a "
        "trusted TSA certificate: it chains to CN=Assay Test Root CA, which is not trusted"
    ) in lines


def test_without_a_trust_root_the_anchor_is_checked_but_not_trusted(
    runner: CliRunner, packs: Packs
) -> None:
    code, lines = verify(runner, packs, packs.anchored)
    assert code == 0, lines
    assert any("a TSA not checked against a trust root" in line for line in lines)


def test_a_pack_without_an_anchor_fails_when_trust_is_asked(
    runner: CliRunner, packs: Packs
) -> None:
    code, lines = verify(runner, packs, packs.plain)
    assert code == 0, lines
    code, lines = verify(runner, packs, packs.plain, "--tsa-cert", str(packs.root))
    assert code == 1
    assert "the pack's ledger has no anchor: no timestamp vouches for its evidence" in lines


def test_the_workspace_names_its_trusted_tsa(runner: CliRunner, packs: Packs) -> None:
    config = packs.ws.root / "assay.toml"
    before = config.read_text()
    try:
        config.write_text(
            before + f'\n[timestamps]\ntrusted_certificates = ["{packs.other.resolve()}"]\n'
        )
        code, lines = verify(runner, packs, packs.anchored)
        assert code == 1
        assert any("does not chain to a trusted TSA certificate" in line for line in lines)
    finally:
        config.write_text(before)


def test_an_unreadable_tsa_certificate_cannot_verify(
    runner: CliRunner, packs: Packs, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    for path in (bad, tmp_path / "missing.pem"):
        code, lines = verify(runner, packs, packs.anchored, "--tsa-cert", str(path))
        assert code == 2
        assert lines[0].startswith(f"error: {path}: ")


def test_an_anchor_made_later_does_not_change_the_rebuilt_pack(
    runner: CliRunner, packs: Packs
) -> None:
    code, _, err = packs.ws.invoke(runner, "store", "anchor", "--tsa", packs.tsa.url)
    assert code == 0, err
    code, lines = verify(runner, packs, packs.anchored, "--rerender")
    assert code == 0, lines
    assert "rerender: the pack is byte for byte the one rebuilt from the store" in lines


# ---------------------------------------------------------------------- tampering


def _checked(manifest: dict[str, Any], files: dict[str, bytes], roots: list[bytes]) -> list[str]:
    check = PackCheck("pack.pdf")
    check_ledger(manifest, {name: [data] for name, data in files.items()}, roots, check)
    return check.problems


def test_an_altered_entry_is_named(packs: Packs) -> None:
    manifest, files = manifest_of(packs.anchored), attachments(packs.anchored)
    assert _checked(manifest, files, [packs.tsa.ca]) == []
    entries = json.loads(files[LEDGER_NAME])
    entries[0]["collector"] = "someone-else@1"
    altered = {**files, LEDGER_NAME: json.dumps(entries).encode()}
    problems = _checked(manifest, altered, [packs.tsa.ca])
    assert f"{LEDGER_NAME}: entry {entries[0]['seq']}: its hash does not match its content" in (
        problems
    )


def test_a_missing_link_breaks_the_chain(packs: Packs) -> None:
    manifest, files = manifest_of(packs.anchored), attachments(packs.anchored)
    entries = json.loads(files[LEDGER_NAME])
    head = manifest["ledger"]["anchor"]["head_seq"]
    kept = [entry for entry in entries if entry["seq"] != head - 1]
    problems = _checked(manifest, {**files, LEDGER_NAME: json.dumps(kept).encode()}, [])
    assert any(f"is broken at entry {head - 1}" in p or "is missing" in p for p in problems)


def test_a_token_for_another_head_is_refused(packs: Packs) -> None:
    manifest, files = manifest_of(packs.anchored), attachments(packs.anchored)
    other = request_token(packs.tsa.url, bytes(32))
    problems = _checked(manifest, {**files, TOKEN_NAME: other}, [packs.tsa.ca])
    assert len(problems) == 1
    assert problems[0].startswith("ledger anchor: the token covers 0000")


def test_a_forged_token_is_refused(packs: Packs) -> None:
    manifest, files = manifest_of(packs.anchored), attachments(packs.anchored)
    token = bytearray(files[TOKEN_NAME])
    token[-20] ^= 0xFF  # inside the signature value
    problems = _checked(manifest, {**files, TOKEN_NAME: bytes(token)}, [packs.tsa.ca])
    assert problems == ["ledger anchor: the token's signature does not match its content"]


def test_a_head_the_ledger_does_not_hold_is_refused(packs: Packs) -> None:
    manifest, files = manifest_of(packs.anchored), attachments(packs.anchored)
    manifest["ledger"]["anchor"]["head_hash"] = "0" * 64
    problems = _checked(manifest, files, [])
    head = manifest["ledger"]["anchor"]["head_seq"]
    assert problems == [
        f"{LEDGER_NAME}: the anchored head, entry {head}, is missing or differs",
    ]


def test_evidence_without_an_entry_is_named(packs: Packs) -> None:
    manifest, files = manifest_of(packs.anchored), attachments(packs.anchored)
    manifest["evidence"].append({"id": "e" * 64, "found": True})
    assert _checked(manifest, files, []) == [
        f"evidence {'e' * 64}: no ledger entry records its collection in {LEDGER_NAME}"
    ]


# ---------------------------------------------------------------------- signature timestamps


@pytest.fixture(scope="module")
def stamped(packs: Packs, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.unit.reports.keys import make_keys

    folder = tmp_path_factory.mktemp("stamped")
    key, cert, _, _ = make_keys(folder)
    path = folder / "stamped.pdf"
    with running_tsa() as tsa:
        before = len(tsa.server.requests("POST"))
        code, _, err = packs.ws.invoke(
            CliRunner(), "report", "pack", "-s", "svc", "-o", str(path), "--sign", str(key),
            "--sign-cert", str(cert), "--tsa", tsa.url,
        )  # fmt: skip
        assert code == 0, err
        assert len(tsa.server.requests("POST", "/tsa")) > before
    return path


def test_a_signature_timestamp_is_checked(runner: CliRunner, packs: Packs, stamped: Path) -> None:
    code, lines = verify(runner, packs, stamped, "--tsa-cert", str(packs.root))
    assert code == 0, lines
    (note,) = [line for line in lines if "timestamped at" in line and "signature" in line]
    assert note.startswith("signature AssaySignature: timestamped at ")
    assert note.endswith("by Common Name: Assay Test TSA, a trusted TSA")
    code, lines = verify(runner, packs, stamped, "--tsa-cert", str(packs.other))
    assert code == 1
    assert (
        "signature AssaySignature: its timestamp's TSA (Common Name: Assay Test TSA) does not "
        "chain to a trusted TSA certificate"
    ) in lines


def test_tsa_needs_a_signature(runner: CliRunner, packs: Packs, tmp_path: Path) -> None:
    out = tmp_path / "p.pdf"
    code, _, err = packs.ws.invoke(
        runner, "report", "pack", "-s", "svc", "-o", str(out), "--tsa", packs.tsa.url
    )
    assert code == 2
    assert err.startswith("error: --tsa needs --sign KEY")
    assert not out.exists()


def test_an_unreachable_tsa_fails_the_signing(
    runner: CliRunner, packs: Packs, tmp_path: Path
) -> None:
    from tests.unit.reports.keys import make_keys

    key, cert, _, _ = make_keys(tmp_path)
    out = tmp_path / "p.pdf"
    code, _, err = packs.ws.invoke(
        runner, "report", "pack", "-s", "svc", "-o", str(out), "--sign", str(key),
        "--sign-cert", str(cert), "--tsa", "http://127.0.0.1:9/tsa",
    )  # fmt: skip
    assert code == 2
    assert err.startswith("error: timestamp authority http://127.0.0.1:9/tsa: ")
    assert "Traceback" not in err
    assert not out.exists()
