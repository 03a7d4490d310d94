"""Start-up stays light: the CLI root and --version load no heavy library."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("sqlmodel", "sqlalchemy", "weasyprint", "openpyxl", "git", "jsonschema", "jinja2")

PROBE = """
import json, sys
{body}
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def _loaded(body: str) -> list[str]:
    code = PROBE.format(body=body, heavy=HEAVY)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    loaded: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def test_importing_the_cli_loads_nothing_heavy() -> None:
    assert _loaded("import assay.cli.app") == []


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["library", "--help"]])
def test_version_and_help_load_nothing_heavy(args: list[str]) -> None:
    body = (
        "from assay.cli.app import app\n"
        f"try:\n    app({args!r}, prog_name='assay')\nexcept SystemExit:\n    pass"
    )
    assert _loaded(body) == []


def test_version_output(runner: object) -> None:
    from typer.testing import CliRunner

    from assay import __version__
    from assay.cli.app import app

    assert isinstance(runner, CliRunner)
    result = runner.invoke(app, ["--version"])
    assert (result.exit_code, result.stdout) == (0, f"assay {__version__}\n")


def test_offline_verification_loads_no_store() -> None:
    """Offline, ``assay verify PACK`` reads the PDF alone: no database library is loaded."""
    body = "import assay.reports.verify_pack\nassay.reports.verify_pack.verify_pack.__name__\n"
    loaded = _loaded(body)
    assert "sqlalchemy" not in loaded
    assert "sqlmodel" not in loaded
