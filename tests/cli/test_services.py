"""assay services list|show|validate."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from assay.cli.app import app
from tests.unit.evidence.collection.helpers import workspace

API = {
    "outcome": "Payments work.",
    "tags": ["pii", "internet-facing"],
    "repos": [{"name": "api", "path": "repos/api", "branch": "main"}],
    "pipelines": [
        {
            "name": "ci",
            "provider": "github",
            "repo": "api",
            "definition": ".github/workflows/ci.yml",
        }
    ],
    "slos": [{"name": "availability", "objective": 0.999, "window": "P28D"}],
}


def test_list_and_show(tmp_path: Path, runner: CliRunner) -> None:
    root = workspace(tmp_path, {"api": API, "web": {}})
    listed = runner.invoke(app, ["services", "list", "-w", str(root)])
    assert listed.exit_code == 0
    assert listed.stdout.splitlines()[2].split() == [
        "api", "2", "team@example.org", "internet-facing,", "pii", "1", "1", "api",
    ]  # fmt: skip
    assert listed.stdout.endswith("\n2 services\n")
    shown = runner.invoke(app, ["services", "show", "api", "-w", str(root)])
    assert shown.exit_code == 0
    assert shown.stdout == (
        "api: api\n"
        "owner:    team@example.org\n"
        "tier:     2\n"
        "tags:     internet-facing, pii\n"
        "outcome:  Payments work.\n"
        "repos:\n"
        "  api: repos/api (main; release tags v*)\n"
        "pipelines:\n"
        "  ci: github; .github/workflows/ci.yml in api\n"
        "slos:\n"
        "  availability: 0.999 over P28D\n"
        "source:   services/api.yaml\n"
    )
    as_json = json.loads(
        runner.invoke(app, ["services", "show", "api", "-f", "json", "-w", str(root)]).stdout
    )
    assert as_json["repos"] == API["repos"]
    assert as_json["source"] == "services/api.yaml"


def test_unknown_service(tmp_path: Path, runner: CliRunner) -> None:
    root = workspace(tmp_path, {"api": {}})
    result = runner.invoke(app, ["services", "show", "nope", "-w", str(root)])
    assert result.exit_code == 2
    assert result.stderr == "error: unknown service 'nope'\nhint: services in this workspace: api\n"


def test_validate_reports_every_problem_located(tmp_path: Path, runner: CliRunner) -> None:
    root = workspace(tmp_path, {"api": API})
    (root / "repos" / "api").mkdir(parents=True)
    ok = runner.invoke(app, ["services", "validate", "-w", str(root)])
    assert (ok.exit_code, ok.stdout, ok.stderr) == (0, "ok: 1 service valid\n", "")
    (root / "services" / "bad.yaml").write_text("id: bad\nname: Bad\nowner: o\ntier: 9\n")
    (root / "services" / "evil.yaml").write_text(
        "id: evil\nname: Evil\nowner: o\ntier: 1\nrepos:\n  - name: app\n    url: --upload-pack=x\n"
    )
    (root / "services" / "odd.yaml").write_text(
        "id: odd\nname: Odd\nowner: o\ntier: 1\n"
        "repos:\n  - name: app\n    path: repos/missing\n    files: {codeowner: X}\n"
        "exclusions:\n  - control: NOPE-01\n    justification: not applicable here at all\n"
    )
    result = runner.invoke(app, ["services", "validate", "-w", str(root)])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[:2] == [
        "services/bad.yaml:4:7: tier: 9 is greater than the maximum of 4",
        "services/evil.yaml:7:10: url '--upload-pack=x' is refused: it could be read by git as "
        "an option or a remote helper",
    ]
    (root / "services" / "bad.yaml").unlink()
    (root / "services" / "evil.yaml").unlink()
    result = runner.invoke(app, ["services", "validate", "-w", str(root)])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("services/odd.yaml:8:13: unknown governance file key 'codeowner'")
    assert lines[1] == "services/odd.yaml:10:14: exclusion names unknown control 'NOPE-01'"


def test_validate_notes_repositories_not_cloned_here(tmp_path: Path, runner: CliRunner) -> None:
    root = workspace(tmp_path, {"api": API})
    result = runner.invoke(app, ["services", "validate", "-w", str(root)])
    assert result.exit_code == 0
    assert result.stderr == (
        "note: services/api.yaml: repo 'api' is not cloned here (repos/api); "
        "collection will fail until it is\n"
    )
