"""Where the suite finds the project and its test data, wherever a test module lives."""

from __future__ import annotations

from pathlib import Path

#: The project's root folder (the one holding pyproject.toml).
ROOT = Path(__file__).resolve().parents[2]
#: Test inputs: artefacts, kind examples, reference catalogs, OSCAL schemas.
DATA = ROOT / "tests" / "data"
DOCS = ROOT / "docs"
