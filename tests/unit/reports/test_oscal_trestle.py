"""A consumer's view: compliance-trestle loads every OSCAL document Assay writes, and
``trestle validate`` accepts each inside a trestle workspace (offline)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from assay.reports.oscal_actors import SSP_FILE
from assay.reports.oscal_catalog import CATALOG_FILE
from tests.unit.reports.sample import Sample
from tests.unit.reports.test_oscal_documents import documents, with_gap

trestle = pytest.importorskip("trestle", reason="compliance-trestle (the test extra) is missing")

from trestle.oscal.assessment_plan import AssessmentPlan  # noqa: E402
from trestle.oscal.assessment_results import AssessmentResults  # noqa: E402
from trestle.oscal.catalog import Catalog  # noqa: E402
from trestle.oscal.poam import PlanOfActionAndMilestones  # noqa: E402
from trestle.oscal.ssp import SystemSecurityPlan  # noqa: E402

#: Each document: the trestle model, and the folder and file name a trestle workspace uses.
MODELS: dict[str, tuple[Any, str, str]] = {
    CATALOG_FILE: (Catalog, "catalogs", "catalog.json"),
    SSP_FILE: (SystemSecurityPlan, "system-security-plans", "system-security-plan.json"),
    "assessment-plan.json": (AssessmentPlan, "assessment-plans", "assessment-plan.json"),
    "assessment-results.json": (AssessmentResults, "assessment-results", "assessment-results.json"),
    "poam.json": (
        PlanOfActionAndMilestones,
        "plan-of-action-and-milestones",
        "plan-of-action-and-milestones.json",
    ),
}


def trestle_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trestle", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The document set written into one folder, as ``assay report`` writes it."""
    folder = tmp_path_factory.mktemp("oscal")
    sample = Sample()
    paths = {}
    for name, document in documents(sample, with_gap(sample)).items():
        paths[name] = folder / name
        paths[name].write_text(json.dumps(document), encoding="utf-8")
    return paths


@pytest.mark.parametrize("name", list(MODELS))
def test_trestle_loads_the_document(written: dict[str, Path], name: str) -> None:
    model, _folder, _file = MODELS[name]
    loaded = model.oscal_read(written[name])
    original = next(iter(json.loads(written[name].read_text("utf-8")).values()))
    assert str(loaded.uuid) == original["uuid"]
    assert loaded.metadata.title == original["metadata"]["title"]


@pytest.fixture(scope="module")
def workspace(written: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A trestle workspace holding the set; the catalog also at its root, where the SSP's
    relative ``import-profile`` href points."""
    root = tmp_path_factory.mktemp("trestle")
    done = trestle_cli("init", cwd=root)
    assert done.returncode == 0, done.stderr
    for name, (_model, folder, file) in MODELS.items():
        target = root / folder / "assay" / file
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(written[name].read_bytes())
    (root / CATALOG_FILE).write_bytes(written[CATALOG_FILE].read_bytes())
    return root


@pytest.mark.parametrize("name", list(MODELS))
def test_trestle_validate_accepts_the_document(workspace: Path, name: str) -> None:
    _model, folder, file = MODELS[name]
    done = trestle_cli("validate", "-f", f"{folder}/assay/{file}", cwd=workspace)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "VALID: Model" in done.stdout
    assert "INVALID" not in done.stdout + done.stderr


def test_trestle_validate_rejects_a_broken_document(workspace: Path) -> None:
    """The check can fail: the same results with two observations sharing a UUID."""
    path = workspace / "assessment-results" / "assay" / "assessment-results.json"
    document = json.loads(path.read_text("utf-8"))
    observations = document["assessment-results"]["results"][0]["observations"]
    observations[1]["uuid"] = observations[0]["uuid"]
    broken = workspace / "assessment-results" / "broken" / "assessment-results.json"
    broken.parent.mkdir()
    broken.write_text(json.dumps(document), encoding="utf-8")
    done = trestle_cli(
        "validate", "-f", "assessment-results/broken/assessment-results.json", cwd=workspace
    )
    assert done.returncode != 0
    assert "duplicate uuids" in done.stdout + done.stderr
