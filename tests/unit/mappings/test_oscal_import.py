"""`assay frameworks import` turns an OSCAL catalog into a workspace framework."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from assay.cli.app import app
from assay.mappings.catalog import load_framework_file
from tests.support.paths import DATA as TEST_DATA

DATA = TEST_DATA / "oscal"
TRIMMED = DATA / "sp800-53-moderate-trimmed.json"


def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "assay.toml").write_text("", encoding="utf-8")
    return root


def test_import_trimmed_sp800_53(runner: CliRunner, tmp_path: Path) -> None:
    root = workspace(tmp_path)
    args = ["frameworks", "import", str(TRIMMED), "--id", "sp800-53-moderate", "-w", str(root)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    catalog = json.loads(TRIMMED.read_text(encoding="utf-8"))["catalog"]
    expected = 0
    stack = [c for g in catalog["groups"] for c in g.get("controls", [])]
    while stack:
        control = stack.pop()
        expected += 1
        stack.extend(control.get("controls", []))
    groups = len(catalog["groups"])
    assert result.stdout == (
        f"imported sp800-53-moderate: {expected} requirements (0 withdrawn) in {groups} groups "
        "-> frameworks/sp800-53-moderate.yaml\n"
    )
    framework = load_framework_file(root / "frameworks" / "sp800-53-moderate.yaml")
    ac2 = framework.requirement("AC-2")
    assert ac2 is not None
    assert ac2.title == "Account Management"
    assert ac2.group == "AC"
    assert ac2.text is not None
    assert "[" in ac2.text  # parameters are shown by label, not as raw insert markers
    assert "{{" not in ac2.text
    enhancement = framework.requirement("AC-2(1)")
    assert enhancement is not None
    assert enhancement.parent == "AC-2"
    # The imported framework shows up beside the built-in ones.
    listing = runner.invoke(app, ["frameworks", "list", "-w", str(root), "--format", "json"])
    ids = [f["id"] for f in json.loads(listing.stdout)]
    assert ids == ["iso27001-2022", "nist-ai-rmf-1.0", "uk-service-standard", "sp800-53-moderate"]
    # Importing again needs --force; a built-in id is refused.
    again = runner.invoke(app, args)
    assert again.exit_code == 2
    assert again.stderr == (
        "error: framework id 'sp800-53-moderate' is already in use\n"
        "hint: choose another with --id\n"
    )
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0
    clash = runner.invoke(
        app, ["frameworks", "import", str(TRIMMED), "--id", "iso27001-2022", "-w", str(root)]
    )
    assert clash.exit_code == 2
    assert "framework id 'iso27001-2022' is already in use" in clash.stderr


def test_withdrawn_controls_are_not_assessable(runner: CliRunner, tmp_path: Path) -> None:
    root = workspace(tmp_path)
    catalog = {
        "catalog": {
            "uuid": "00000000-0000-4000-8000-000000000000",
            "metadata": {"title": "Tiny Catalog", "version": "1", "oscal-version": "1.1.2"},
            "controls": [
                {
                    "id": "x-1",
                    "title": "Kept",
                    "parts": [{"id": "x-1_smt", "name": "statement", "prose": "Do   the\nthing."}],
                },
                {"id": "x-2", "title": "Gone", "props": [{"name": "status", "value": "withdrawn"}]},
            ],
        }
    }
    source = tmp_path / "tiny.json"
    source.write_text(json.dumps(catalog), encoding="utf-8")
    result = runner.invoke(app, ["frameworks", "import", str(source), "-w", str(root)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("imported tiny-catalog: 2 requirements (1 withdrawn) in 0")
    framework = load_framework_file(root / "frameworks" / "tiny-catalog.yaml")
    assert [r.assessable for r in framework.requirements] == [True, False]
    assert framework.requirements[0].text == "Do the thing."


def test_bad_catalogs_are_refused_and_nothing_is_written(runner: CliRunner, tmp_path: Path) -> None:
    root = workspace(tmp_path)
    truncated = tmp_path / "truncated.json"
    truncated.write_text(TRIMMED.read_text(encoding="utf-8")[:5000], encoding="utf-8")
    not_catalog = tmp_path / "profile.json"
    not_catalog.write_text('{"profile": {}}', encoding="utf-8")
    cases = {
        truncated: f"{truncated}:1:",
        not_catalog: f"{not_catalog}:1:1: not an OSCAL catalog: no top-level 'catalog' object",
        tmp_path / "missing.json": f"{tmp_path / 'missing.json'}: no such file",
        tmp_path: f"{tmp_path}: is a directory, expected a JSON file",
    }
    for source, expected in cases.items():
        result = runner.invoke(app, ["frameworks", "import", str(source), "-w", str(root)])
        assert result.exit_code == 2
        assert result.stderr.startswith(expected), result.stderr
        assert len(result.stderr.splitlines()) == 1
    assert not (root / "frameworks").exists()


def test_hostile_catalog_shapes_are_refused_or_skipped(runner: CliRunner, tmp_path: Path) -> None:
    """Fields of the wrong type are skipped; nesting past the stack is refused; no traceback.

    (The JSON reader's own depth limit stops groups long before converting them could.)"""
    root = workspace(tmp_path)
    meta = {"title": "Odd", "version": "1", "parties": 3, "responsible-parties": 4}
    deep = (
        '{"id": "g", "title": "G", "groups": [' * 3000 + '{"id": "g", "title": "G"}' + "]}" * 3000
    )
    (tmp_path / "odd.json").write_text(
        json.dumps({"catalog": {"metadata": meta, "groups": 5, "controls": [
            {"id": "c-1", "title": "C", "parts": 5, "params": 7, "controls": "x"}]}}),
        encoding="utf-8",
    )  # fmt: skip
    (tmp_path / "deep.json").write_text(
        f'{{"catalog": {{"metadata": {{"title": "Deep"}}, "groups": [{deep}]}}}}',
        encoding="utf-8",
    )
    odd = runner.invoke(app, ["frameworks", "import", str(tmp_path / "odd.json"), "-w", str(root)])
    assert odd.exit_code == 0, odd.output
    assert load_framework_file(root / "frameworks" / "odd.yaml", "odd").requirements[0].id == "C-1"
    refused = runner.invoke(
        app, ["frameworks", "import", str(tmp_path / "deep.json"), "-w", str(root)]
    )
    assert refused.exit_code == 2
    assert refused.stderr.splitlines() == [
        f"{tmp_path / 'deep.json'}: JSON nested too deeply or a number too large"
    ]
    assert not (root / "frameworks" / "deep.yaml").exists()
