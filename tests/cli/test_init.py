"""assay init: a valid, commented workspace; nothing overwritten without --force."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from assay.cli.app import app
from assay.scaffold import scaffold_files
from assay.workspace import open_workspace


def test_init_writes_a_valid_commented_workspace(tmp_path: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["init", str(tmp_path / "ws")])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1:] == [
        "  assay.toml",
        "  services/example.yaml",
        "  .assay/.gitignore",
        "  controls/README.md",
        "  waivers/README.md",
        "  attestations/README.md",
        "next: describe your service in services/, check it with 'assay services validate', "
        "then run 'assay collect'",
    ]
    ws = open_workspace(tmp_path / "ws")
    services = ws.load_services()
    assert list(services) == ["example"]
    assert services["example"].repos[0].path == (tmp_path / "ws" / "repos" / "example-app")
    assert (ws.since, ws.tag_pattern) == ("P90D", "v*")
    for text in (ws.config_path.read_text(), (ws.services_dir / "example.yaml").read_text()):
        assert text.startswith("# ")
    validated = runner.invoke(app, ["services", "validate", "-w", str(tmp_path / "ws")])
    assert validated.exit_code == 0, validated.output
    assert validated.stdout == "ok: 1 service valid\n"


def test_init_refuses_to_overwrite(tmp_path: Path, runner: CliRunner) -> None:
    (tmp_path / "services").mkdir()
    (tmp_path / "services" / "example.yaml").write_text("mine")
    (tmp_path / "assay.toml").write_text("# mine\n")
    result = runner.invoke(app, ["init", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {tmp_path}: refusing to overwrite assay.toml, services/example.yaml\n"
        "hint: pass --force to replace them\n"
    )
    assert (tmp_path / "assay.toml").read_text() == "# mine\n"
    assert not (tmp_path / "controls").exists()
    forced = runner.invoke(app, ["init", str(tmp_path), "--force"])
    assert forced.exit_code == 0
    assert (tmp_path / "assay.toml").read_text() == scaffold_files()["assay.toml"]


def test_init_in_the_current_folder_never_writes_through_a_link(
    in_dir: Path, runner: CliRunner
) -> None:
    outside = in_dir.parent / f"{in_dir.name}-outside.txt"
    outside.write_text("keep")
    (in_dir / "assay.toml").symlink_to(outside)
    assert runner.invoke(app, ["init"]).exit_code == 2
    assert runner.invoke(app, ["init", "--force"]).exit_code == 0
    assert outside.read_text() == "keep"
    assert not (in_dir / "assay.toml").is_symlink()
