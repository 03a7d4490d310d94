"""Fixtures shared by the CLI tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from assay.cli.app import app


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``assay demo`` run once for the session (a minute or more): its output folder and
    what it printed. Tests read it; none may change the pack it wrote."""
    out = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(app, ["demo", "--out", str(out)], env={"ASSAY_STORE_URL": ""})
    assert result.exit_code == 0, result.output
    return out, result.stdout
