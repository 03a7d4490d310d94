"""The demo's soa.yaml: valid, and every Annex A control decided and justified."""

from __future__ import annotations

from pathlib import Path

from assay.demo.soa_decisions import write_decisions
from assay.governance import load_governance
from assay.reports.soa_decisions import annex_a, incomplete, load_decisions


def test_the_demo_decides_and_justifies_every_annex_a_control(tmp_path: Path) -> None:
    path = tmp_path / "soa.yaml"
    write_decisions(path)
    governance = load_governance(None)
    decisions = load_decisions(path, governance.frameworks, "soa.yaml")
    assert incomplete(decisions, governance.frameworks) == []
    decided = decisions.by_framework["iso27001-2022"]
    assert list(decided) == annex_a(governance.frameworks["iso27001-2022"])
    excluded = [control for control, decision in decided.items() if not decision.applicable]
    assert excluded == ["A.7.12"]
    assert all(decision.owner for decision in decided.values())
    assert all(decision.risks for decision in decided.values() if decision.applicable)
    assert decisions.version == "1.3"
    assert decisions.approved_on == "2026-01-15"
