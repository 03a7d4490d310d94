"""Corrective action files: validated like every workspace file, and shown in reports."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.unit.reports.workspace import build

GOOD = """\
service: svc
control: REV-01
root_cause: Reviews were skipped during an incident freeze.
action: Require an approving review before merge on every branch.
owner: Grace Hopper
due: 2026-03-20
verification: REV-01 passes on fresh evidence.
status: open
"""


def test_an_action_reaches_the_json_report(tmp_path: Path) -> None:
    runner = CliRunner()
    workspace = build(tmp_path, runner)
    (tmp_path / "corrective-actions").mkdir()
    (tmp_path / "corrective-actions" / "rev-01.yaml").write_text(GOOD)
    code, out, err = workspace.invoke(runner, "report", "json", "-o", str(tmp_path / "r.json"))
    assert code == 0, out + err
    (service,) = json.loads((tmp_path / "r.json").read_text("utf-8"))["services"]
    (finding,) = service["findings"]
    assert finding["control"] == "REV-01"
    assert finding["owner"] == "Grace Hopper"  # no people.yaml: the owner as written
    assert finding["grade"] == "minor nonconformity"  # high, but linked 'subset' only
    action = finding["corrective_action"]
    assert (action["status"], action["due"]) == ("open", "2026-03-20")
    assert action["source"] == "corrective-actions/rev-01.yaml"


def test_every_bad_action_is_refused_with_its_place(tmp_path: Path) -> None:
    runner = CliRunner()
    workspace = build(tmp_path, runner)
    folder = tmp_path / "corrective-actions"
    folder.mkdir()
    (folder / "a.yaml").write_text(GOOD.replace("control: REV-01", "control: NOPE-9"))
    (folder / "b.yaml").write_text(GOOD.replace("status: open", "status: maybe"))
    (folder / "c.yaml").write_text(GOOD.replace("due: 2026-03-20\n", ""))
    (folder / "d.yaml").write_text(GOOD)
    (folder / "e.yaml").write_text(GOOD)
    code, out, err = workspace.invoke(runner, "report", "json", "-o", str(tmp_path / "r.json"))
    assert code == 2
    assert "Traceback" not in out + err
    assert "corrective-actions/a.yaml:2:10: corrective action names unknown control 'NOPE-9'" in err
    assert "corrective-actions/b.yaml:8:9: status: " in err
    assert "corrective-actions/c.yaml:1:1: missing required field 'due'" in err
    assert (
        "corrective-actions/e.yaml:2:10: svc REV-01 already has a corrective action in "
        "corrective-actions/d.yaml" in err
    )
    assert not (tmp_path / "r.json").exists()


def test_with_people_the_owner_must_be_listed(tmp_path: Path) -> None:
    runner = CliRunner()
    workspace = build(tmp_path, runner)
    (tmp_path / "people.yaml").write_text(
        "roles:\n  eng: Engineering lead\npeople:\n"
        "  - name: Ada Lovelace\n    email: ada@example.org\n    roles: [eng]\n"
    )
    (tmp_path / "corrective-actions").mkdir()
    (tmp_path / "corrective-actions" / "rev-01.yaml").write_text(GOOD)
    code, out, err = workspace.invoke(runner, "report", "json", "-o", str(tmp_path / "r.json"))
    assert code == 2
    assert "rev-01.yaml:5:8: the owner 'Grace Hopper' is not listed in people.yaml" in err
    (tmp_path / "corrective-actions" / "rev-01.yaml").write_text(
        GOOD.replace("owner: Grace Hopper", "owner: ada@example.org")
    )
    code, out, err = workspace.invoke(runner, "report", "json", "-o", str(tmp_path / "r.json"))
    assert code == 0, out + err
    (service,) = json.loads((tmp_path / "r.json").read_text("utf-8"))["services"]
    assert service["findings"][0]["owner"] == "Ada Lovelace <ada@example.org>"
