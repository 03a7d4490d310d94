"""`assay collect` end to end inside a (simulated) CI run: binding, merging, zips, refusals."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from assay.cli.app import app
from assay.evidence.context import CI_MARKERS
from assay.evidence.store import open_store
from assay.workspace import open_workspace
from tests.support.gitrepo import GitRepo
from tests.unit.evidence.artefacts.helpers import CI_FIXTURES, FIXTURES
from tests.unit.evidence.collection.helpers import workspace


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def setup(tmp_path: Path) -> tuple[Path, str, Path]:
    root = tmp_path / "ws"
    repo = GitRepo.init(root / "repos" / "api")
    workflow = (CI_FIXTURES / "github" / "ci.yml").read_text(encoding="utf-8")
    head = repo.commit(
        "CI (#1)\n\nReviewed-by: Bob <bob@example.com>", {".github/workflows/ci.yml": workflow}
    )
    workspace(
        root,
        {
            "api": {
                "repos": [{"name": "api", "path": "repos/api"}],
                "pipelines": [
                    {"name": "ci", "provider": "github", "repo": "api", "artefacts": "reports"}
                ],
            }
        },
    )
    reports = root / "reports"
    (reports / "junit").mkdir(parents=True)
    for name in ("pytest-junit.xml", "jest-junit.xml"):
        (reports / "junit" / name).write_bytes((FIXTURES / "junit" / name).read_bytes())
    (reports / "scans.zip").write_bytes(
        zipped({"codeql.sarif": (FIXTURES / "sarif" / "codeql.sarif").read_bytes()})
    )
    (reports / "notes.txt").write_text("nothing to see\n", encoding="utf-8")
    return root, head, reports


def github_env(head: str) -> dict[str, str]:
    return {
        **dict.fromkeys(CI_MARKERS, ""),
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": "example-org/api",
        "GITHUB_RUN_ID": "4242",
        "GITHUB_SHA": head,
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_EVENT_PATH": "",
        "ASSAY_CI_STARTED_AT": "2026-03-12T22:00:00Z",
        "ASSAY_STORE_URL": "",
    }


def test_collect_in_ci_binds_artefacts_to_the_run(tmp_path: Path, runner: CliRunner) -> None:
    root, head, _ = setup(tmp_path)
    result = runner.invoke(app, ["collect", "-w", str(root), "-f", "json"], env=github_env(head))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    by_kind: dict[str, Any] = {e["kind"]: e for e in data["evidence"]}
    run = by_kind["ci.run"]
    assert run["subject"] == {"pipeline": "github", "run_id": "4242", "commit": head}
    results = by_kind["test.results"]
    assert results["subject"] == {"pipeline": "ci", "run_id": "4242", "commit": head}
    assert (results["facts"]["files"], results["facts"]["tests"]) == (2, 11), "merged"
    assert by_kind["sast.findings"]["facts"]["tools"] == ["CodeQL"], "read from inside the zip"
    assert by_kind["ci.workflows"]["facts"]["unpinned_actions"] == 0
    assert data["skipped"] == [
        {"service": "api", "path": "notes.txt", "reason": "no collector recognises this file"}
    ]
    with open_store(open_workspace(root).store_url, create=False) as store:
        record = store.get(by_kind["sast.findings"]["id"])
        assert record is not None
        assert [a.name for a in record.artefacts] == ["scans.zip!codeql.sarif"]


def test_hostile_artefacts_stop_the_service_and_store_nothing(
    tmp_path: Path, runner: CliRunner
) -> None:
    root, head, reports = setup(tmp_path)
    (reports / "evil.zip").write_bytes(zipped({"../../escape.xml": b"<testsuite/>"}))
    bomb = b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaa">]><testsuite name="&a;"/>'
    (reports / "junit" / "bomb.xml").write_bytes(bomb)
    result = runner.invoke(app, ["collect", "-w", str(root)], env=github_env(head))
    assert result.exit_code == 2
    assert "error: service api was not collected:" in result.stderr
    assert "evil.zip!../../escape.xml: refused: the member has a '..' component" in result.stderr
    assert not (root.parent / "escape.xml").exists()
    with open_store(open_workspace(root).store_url) as store:
        assert store.latest("api", ["test.results", "ci.run", "git.history"]) == []


def test_workspace_ci_tables_are_used_by_collect(tmp_path: Path, runner: CliRunner) -> None:
    root, head, _ = setup(tmp_path)
    (root / "ci-tables").mkdir()
    (root / "ci-tables" / "house.yaml").write_text(
        "tools:\n  - {name: house-setup, category: deploy, uses: ['^actions/setup-python$']}\n",
        encoding="utf-8",
    )
    env = {**dict.fromkeys(CI_MARKERS, ""), "ASSAY_STORE_URL": ""}
    result = runner.invoke(app, ["collect", "-w", str(root), "-f", "json"], env=env)
    assert result.exit_code == 0, result.output
    workflows = next(
        e for e in json.loads(result.stdout)["evidence"] if e["kind"] == "ci.workflows"
    )
    assert workflows["facts"]["tools"]["deploy"] == ["house-setup"]
    assert workflows["subject"] == {"repo": "api", "commit": head}
    (root / "ci-tables" / "house.yaml").write_text("tools: [{name: Bad}]\n", encoding="utf-8")
    broken = runner.invoke(app, ["collect", "-w", str(root)], env=env)
    assert broken.exit_code == 2
    assert f"{root / 'ci-tables' / 'house.yaml'}:1:9: tools[0]: missing required field" in (
        broken.stderr
    )


def test_a_bad_workspace_wrapper_stops_collect_with_its_line(
    tmp_path: Path, runner: CliRunner
) -> None:
    root, _, _ = setup(tmp_path)
    (root / "ci-tables").mkdir()
    table = root / "ci-tables" / "wrappers.yaml"
    table.write_text(
        "wrappers:\n  - command: ./build.sh test\n    tools: [{name: t, category: testing}]\n",
        encoding="utf-8",
    )
    env = {**dict.fromkeys(CI_MARKERS, ""), "ASSAY_STORE_URL": ""}
    result = runner.invoke(app, ["collect", "-w", str(root)], env=env)
    assert result.exit_code == 2
    assert f"{table}:3:" in result.stderr
    assert "wrappers[0].tools[0].category" in result.stderr
    assert "Traceback" not in result.output


def test_external_entity_reaches_nothing(tmp_path: Path, runner: CliRunner) -> None:
    root, head, reports = setup(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    (reports / "junit" / "xxe.xml").write_text(
        f'<?xml version="1.0"?><!DOCTYPE testsuite [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<testsuite><testcase name="&x;"/></testsuite>',
        encoding="utf-8",
    )
    result = runner.invoke(app, ["collect", "-w", str(root), "-f", "json"], env=github_env(head))
    assert result.exit_code == 2
    assert "junit/xxe.xml: refused: the XML has a DOCTYPE" in result.stderr
    assert "TOP-SECRET" not in result.stdout + result.stderr
    with open_store(open_workspace(root).store_url) as store:
        assert store.latest("api", ["test.results", "ci.run"]) == []
    database = (root / ".assay" / "assay.db").read_bytes()
    assert b"TOP-SECRET" not in database


def test_an_artefacts_folder_through_a_file_is_no_such_folder(
    tmp_path: Path, runner: CliRunner
) -> None:
    root, head, reports = setup(tmp_path)
    through = reports / "notes.txt" / "sub"
    result = runner.invoke(
        app, ["collect", "-w", str(root), "--artefacts", str(through)], env=github_env(head)
    )
    assert result.exit_code == 2
    assert "no such folder" in result.stderr
    assert "internal error" not in result.stderr


def test_each_json_artefact_is_parsed_once_and_then_let_go(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc
    import weakref

    import assay.evidence.collectors.interface as interface
    import assay.evidence.parsing.recognition as recognition
    from assay.evidence.parsing.strict_json import load_json

    root, head, reports = setup(tmp_path)
    sarif = (FIXTURES / "sarif" / "codeql.sarif").read_bytes()
    for index in range(3):
        (reports / f"scan{index}.sarif").write_bytes(sarif)
    parsed: list[str] = []
    recognise = recognition.recognise
    made: list[weakref.ref[recognition.Recognition]] = []

    def counted(data: bytes, name: str) -> Any:
        parsed.append(name)
        return load_json(data, name)

    def kept(data: bytes, name: str) -> recognition.Recognition:
        found = recognise(data, name)
        made.append(weakref.ref(found))
        return found

    monkeypatch.setattr(recognition, "load_json", counted)
    monkeypatch.setattr(interface, "recognise", kept)
    result = runner.invoke(app, ["collect", "-w", str(root)], env=github_env(head))
    assert result.exit_code == 0, result.output
    assert {"scan0.sarif", "scan1.sarif", "scan2.sarif", "scans.zip!codeql.sarif"} <= set(parsed)
    assert len(parsed) == len(set(parsed)), "a file was parsed twice"
    gc.collect()
    assert made, "nothing was recognised"
    assert [ref for ref in made if ref() is not None] == [], "a parsed document is still held"
