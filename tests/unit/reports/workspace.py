"""A real workspace and SQLite store for the report commands, assessed by ``assay check``.

Two small workspace controls keep rendering fast: REV-01 reads ``git.history`` (and
fails: 96.6% reviewed against a 99% bar), SBM-01 reads ``sbom`` (passes, with an SBOM
artefact). A crosswalk links them to ISO/IEC 27001:2022.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from assay.cli.app import app
from assay.evidence.model import ArtefactDraft, EvidenceDraft
from assay.evidence.store import open_store
from tests.support.paths import DATA

EXAMPLES = DATA / "kind-examples"
OBSERVED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
COLLECTED = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
AS_OF = "2026-03-02T00:00:00Z"
SBOM = b'{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": []}\n'

CONTROLS = {
    "REV-01": """\
id: REV-01
title: Changes are reviewed
statement: Nearly every change set is reviewed by someone other than its author.
family: change-management
owner_role: Engineering lead
severity: high
freshness: P30D
remediation: Require an approving review before merge.
tests:
  - id: review-ratio
    kind: git.history
    expectation:
      required: [review_ratio]
      properties:
        review_ratio: {type: number, minimum: 0.99}
    explain: "{review_ratio} of change sets were reviewed"
""",
    "SBM-01": """\
id: SBM-01
title: Releases ship an SBOM
statement: Every release produces a software bill of materials.
family: supply-chain
owner_role: Engineering lead
severity: medium
freshness: P30D
remediation: Generate an SBOM in the release pipeline.
tests:
  - id: sbom
    kind: sbom
    expectation:
      required: [components]
    explain: "an SBOM in {format} was produced"
""",
}

CROSSWALK = """\
framework: iso27001-2022
description: Links from the test workspace's controls.
links:
  - control: REV-01
    requirement: "A.8.32"
    relationship: subset
    rationale: Reviews are one part of change management.
  - control: SBM-01
    requirement: "A.5.21"
    relationship: subset
    rationale: An SBOM documents the supply chain.
"""


@dataclass
class ReportWorkspace:
    root: Path
    store_url: str

    def invoke(self, runner: CliRunner, *args: str) -> tuple[int, str, str]:
        result = runner.invoke(app, [*args, "--workspace", str(self.root)])
        return result.exit_code, result.stdout, result.stderr


def _facts(kind: str) -> dict[str, Any]:
    facts: dict[str, Any] = json.loads((EXAMPLES / f"{kind}.json").read_text("utf-8"))
    return facts


def build(root: Path, runner: CliRunner) -> ReportWorkspace:
    (root / "services").mkdir(parents=True)
    (root / "controls").mkdir()
    (root / "crosswalks").mkdir()
    (root / "assay.toml").write_text('[library]\nbuiltin = false\npaths = ["controls"]\n')
    (root / "services" / "svc.yaml").write_text(
        "id: svc\nname: Service\nowner: team@example.org\ntier: 2\n"
        "repos:\n  - name: api\n    url: https://git.example.org/api\n"
        "pipelines:\n  - name: ci\n    provider: github\n    repo: api\n"
    )
    for control_id, text in CONTROLS.items():
        (root / "controls" / f"{control_id}.yaml").write_text(text)
    (root / "crosswalks" / "iso.yaml").write_text(CROSSWALK)
    history = _facts("git.history")
    drafts = [
        EvidenceDraft(
            "git.history",
            "svc",
            {"repo": "api", "commit": history["head"]},
            OBSERVED,
            "test@1",
            history,
        ),
        EvidenceDraft(
            "sbom",
            "svc",
            {"pipeline": "ci", "run_id": "77"},
            OBSERVED,
            "test@1",
            _facts("sbom"),
            (ArtefactDraft("sbom.cdx.json", SBOM, "application/json"),),
        ),
    ]
    url = f"sqlite:///{root / '.assay' / 'assay.db'}"
    with open_store(url) as store:
        store.record(drafts, context={"test": True}, collected_at=COLLECTED)
    workspace = ReportWorkspace(root, url)
    code, out, err = workspace.invoke(runner, "check", "--as-of", AS_OF, "--no-fail")
    assert code == 0, out + err
    return workspace
