"""The report commands on a real workspace and SQLite store, assessed by ``assay check``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from typer.testing import CliRunner

from assay.cli.app import app
from assay.schemas import validator_for
from tests.support.privileges import unprivileged
from tests.unit.reports.oscal_schema import oscal_errors
from tests.unit.reports.workspace import AS_OF, SBOM, ReportWorkspace, build

pytestmark = pytest.mark.usefixtures("no_ambient_store")


@pytest.fixture(scope="module")
def ws(report_ws: ReportWorkspace) -> ReportWorkspace:
    return report_ws


@pytest.fixture(scope="module")
def pack_file(ws: ReportWorkspace, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("out") / "pack.pdf"
    code, out, err = ws.invoke(CliRunner(), "report", "pack", "-s", "svc", "-o", str(path))
    assert code == 0, err
    assert out.startswith(f"wrote {path}: evidence pack of svc: 5 attachments, manifest sha256 ")
    return path


def test_the_pack_embeds_the_stored_artefact(pack_file: Path) -> None:
    attachments = PdfReader(pack_file).attachments
    assert [n for n in attachments if n.startswith("artefact-")] == [
        next(n for n in attachments if n.endswith("-sbom.cdx.json"))
    ]
    assert next(v for k, v in attachments.items() if k.endswith("sbom.cdx.json")) == [SBOM]


def test_verify_checks_the_pack_against_the_store(
    runner: CliRunner, ws: ReportWorkspace, pack_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ws.root)  # the workspace, and so its store, is found from here
    result = runner.invoke(app, ["verify", str(pack_file)])
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith("; matches store .assay/assay.db")


def test_verify_against_another_store_names_what_it_lacks(
    runner: CliRunner, pack_file: Path, tmp_path: Path
) -> None:
    from assay.evidence.store import open_store

    other = f"sqlite:///{tmp_path / 'other.db'}"
    open_store(other).close()
    result = runner.invoke(app, ["verify", str(pack_file), "--store-url", other])
    manifest = json.loads(PdfReader(pack_file).attachments["manifest.json"][0])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    for entry in manifest["evidence"]:
        assert f"store: evidence {entry['id']} is not in the store" in lines
    assert f"store: assessment {manifest['assessment']['id']} is not in the store" in lines
    assert "store: ledger entry 3 (the pack's ledger head) is missing" in lines


def test_an_unreachable_named_store_cannot_decide(runner: CliRunner, pack_file: Path) -> None:
    result = runner.invoke(
        app, ["verify", str(pack_file), "--store-url", "sqlite:////nonexistent/dir/x.db"]
    )
    assert result.exit_code == 2


def test_html_json_oscal_and_soa(runner: CliRunner, ws: ReportWorkspace, tmp_path: Path) -> None:
    html = tmp_path / "pack.html"
    assert ws.invoke(runner, "report", "html", "-s", "svc", "-o", str(html))[0] == 0
    assert "REV-01 Changes are reviewed" in html.read_text("utf-8")

    code, out, _ = ws.invoke(runner, "report", "json", "-o", "-")
    assert code == 0
    document = json.loads(out)
    assert list(validator_for("report").iter_errors(document)) == []
    assert [c["status"] for c in document["services"][0]["controls"]] == ["fail", "pass"]

    written = {}
    for args, root, name in (
        (["oscal"], "assessment-results", "assessment-results.json"),
        (["oscal", "--poam"], "plan-of-action-and-milestones", "poam.json"),
        (["oscal-ap"], "assessment-plan", "assessment-plan.json"),
        (["oscal-ssp"], "system-security-plan", "ssp.json"),
    ):
        path = tmp_path / name
        assert ws.invoke(runner, "report", *args, "-o", str(path))[0] == 0
        oscal = json.loads(path.read_text("utf-8"))
        assert list(oscal) == [root]
        assert oscal_errors(oscal) == []
        written[root] = oscal[root]
    # The results import the plan written beside them; plan and POA&M import the SSP.
    plan = written["assessment-plan"]
    assert (tmp_path / written["assessment-results"]["import-ap"]["href"]).is_file()
    assert plan["uuid"] in written["assessment-results"]["import-ap"]["remarks"]
    assert (tmp_path / plan["import-ssp"]["href"]).is_file()
    system_ids = written["system-security-plan"]["system-characteristics"]["system-ids"]
    assert written["plan-of-action-and-milestones"]["system-id"] == system_ids[0]

    soa = tmp_path / "soa.xlsx"
    code, out, _ = ws.invoke(runner, "report", "soa", "-o", str(soa))
    assert (code, out) == (0, f"wrote {soa}: Statement of Applicability for 1 service(s)\n")
    rows = {r[0]: r for r in load_workbook(soa)["ISO 27001 SoA"].iter_rows(values_only=True)}
    assert rows["A.8.32"][8:12] == (
        "Not implemented",
        "Not implemented in 1: svc (failed).",
        "REV-01 (subset)",
        "Failed 1",
    )
    assert rows["A.5.21"][8:12] == (
        "Implemented in all services",
        "Implemented in svc",
        "SBM-01 (subset)",
        "Passed 1",
    )


def test_as_of_before_any_assessment(
    runner: CliRunner, ws: ReportWorkspace, tmp_path: Path
) -> None:
    code, _, err = ws.invoke(
        runner,
        "report",
        "html",
        "-s",
        "svc",
        "--as-of",
        "2025-01-01",
        "-o",
        str(tmp_path / "x.html"),
    )
    assert code == 2
    assert err.splitlines() == [
        "error: no stored assessment for svc",
        "hint: run 'assay check' first (it stores and seals an assessment per service)",
    ]
    assert not (tmp_path / "x.html").exists()


def test_an_unknown_service(runner: CliRunner, ws: ReportWorkspace, tmp_path: Path) -> None:
    code, _, err = ws.invoke(runner, "report", "pack", "-s", "nope", "-o", str(tmp_path / "p.pdf"))
    assert code == 2
    assert err.splitlines()[0] == "error: unknown service 'nope'"


def test_an_output_folder_that_does_not_exist(
    runner: CliRunner, ws: ReportWorkspace, tmp_path: Path
) -> None:
    target = tmp_path / "missing" / "pack.pdf"
    code, _, err = ws.invoke(runner, "report", "pack", "-s", "svc", "-o", str(target))
    assert code == 2
    assert err.splitlines() == [
        f"error: {target}: folder {target.parent} does not exist",
        "hint: create the folder first or choose another output path",
    ]
    assert not target.parent.exists()


def test_binary_reports_refuse_stdout(runner: CliRunner, ws: ReportWorkspace) -> None:
    code, _, err = ws.invoke(runner, "report", "soa", "-o", "-")
    assert code == 2
    assert err.splitlines()[0] == "error: this report is binary: give a file with -o, not '-'"


def test_an_output_folder_without_write_permission_leaves_nothing(shared_dir: Path) -> None:
    from assay.errors import ReportError
    from assay.reports.output import write_atomic

    folder = shared_dir / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    with unprivileged(), pytest.raises(ReportError) as caught:
        write_atomic(folder / "soa.xlsx", b"data")
    assert caught.value.message == (
        f"{folder / 'soa.xlsx'}: cannot write to folder {folder}: permission denied"
    )
    assert list(folder.iterdir()) == []


def test_a_folder_in_the_way_is_refused_and_nothing_is_left(tmp_path: Path) -> None:
    from assay.errors import ReportError
    from assay.reports.output import write_atomic

    target = tmp_path / "out.json"
    target.mkdir()  # a folder where the file should go
    (tmp_path / "other").mkdir()
    with pytest.raises(ReportError, match="is a folder, not a file"):
        write_atomic(target, b"{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other", "out.json"]


def test_a_pdf_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    from assay.reports.output import write_atomic

    target = tmp_path / "pack.pdf"
    target.write_bytes(b"old")
    write_atomic(target, b"%PDF-new")
    assert target.read_bytes() == b"%PDF-new"
    assert [p.name for p in tmp_path.iterdir()] == ["pack.pdf"]


def test_a_signed_pack_from_the_command_line(
    runner: CliRunner, ws: ReportWorkspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.unit.reports.keys import make_keys

    key, cert, _, fingerprint = make_keys(tmp_path)
    path = tmp_path / "signed.pdf"
    code, out, err = ws.invoke(
        runner, "report", "pack", "-s", "svc", "-o", str(path), "--sign", str(key),
        "--sign-cert", str(cert),
    )  # fmt: skip
    assert code == 0, err
    assert out.rstrip().endswith(", signed")
    monkeypatch.chdir(ws.root)
    result = runner.invoke(app, ["verify", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        "signature AssaySignature: signed by Common Name: Assay test signer (certificate sha256 "
        f"{fingerprint}); the certificate is not checked against a trust root"
    )


def test_signing_options_are_checked_before_rendering(
    runner: CliRunner, ws: ReportWorkspace, tmp_path: Path
) -> None:
    key = tmp_path / "key.pem"
    key.write_text("not a key")
    target = tmp_path / "p.pdf"
    code, _, err = ws.invoke(runner, "report", "pack", "-s", "svc", "-o", str(target),
                             "--sign", str(key))  # fmt: skip
    assert code == 2
    assert err.splitlines()[0] == f"error: signing key {key}: give its certificate with --sign-cert"
    assert not target.exists()


def test_as_of_finds_its_assessment_behind_many_newer_ones(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store picks the assessment and its trend points: only those are read."""
    from datetime import timedelta

    from assay.assess.model import Assessment
    from assay.evidence.store import open_store

    ws = build(tmp_path / "workspace", runner)
    with open_store(ws.store_url) as store:
        (first,) = store.assessments_as_of("svc")
        original = Assessment.from_dict(first.payload)
        for day in range(1, 41):  # forty later assessments, each made later still
            later = original.as_of + timedelta(days=day)
            made = original.created_at + timedelta(days=day)
            payload = {
                **first.payload,
                "as_of": later.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "created_at": made.isoformat(),
            }
            store.save_assessment(
                service="svc", as_of=later, library_digest=original.library_digest,
                payload=payload, context={},
            )  # fmt: skip
        assert len(store.assessments_as_of("svc", limit=100)) == 41
        newest = store.assessments_as_of("svc", limit=3)
        assert [r.as_of for r in newest] == [
            original.as_of + timedelta(days=d) for d in (40, 39, 38)
        ]
        assert [r.id for r in store.assessments_as_of("svc", original.as_of)] == [first.id]
    out = tmp_path / "r.json"
    code, _, err = ws.invoke(
        runner, "report", "json", "-s", "svc", "--as-of", AS_OF, "-o", str(out)
    )
    assert code == 0, err
    assert json.loads(out.read_text())["services"][0]["assessment"]["id"] == first.id
