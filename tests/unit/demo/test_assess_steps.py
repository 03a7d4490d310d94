"""The demo's assessment steps: a waiver expiring soon, attestations, check, release gates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from defusedxml import ElementTree
from typer.testing import CliRunner

from assay.cli.app import app
from assay.demo import STEPS, run_demo
from assay.demo.gitbuild import git_available


@pytest.mark.skipif(not git_available(), reason="the demo builds git repositories")
def test_demo_checks_gates_and_writes_outputs(tmp_path: Path, runner: CliRunner) -> None:
    lines: list[str] = []
    names = [step.__name__ for step in STEPS]
    assert names.index("gate_services") > names.index("collect_evidence")
    # Up to the gates: the report steps after them have tests of their own.
    steps = STEPS[: names.index("gate_services") + 1]
    ctx = run_demo(tmp_path / "out", echo=lines.append, steps=steps)
    gates = ctx.state["gates"]
    assert set(gates) == {"payments-api", "eligibility-ai", "legacy-portal"}
    payments = gates["payments-api"]
    assert (payments.decision, payments.exit_code, payments.blocking) == ("allow", 0, ())
    legacy = gates["legacy-portal"]
    assert (legacy.decision, legacy.exit_code) == ("block", 1)
    assert legacy.blocking[0].reason  # every blocking control says why
    assert all(r.remediation for r in legacy.blocking)
    assert {"CHG-01", "CHG-02", "OPS-01"} <= {r.control for r in legacy.blocking}
    eligibility_gate = gates["eligibility-ai"]
    assert eligibility_gate.decision == "block"  # the waiver covers one control, not the rest
    assert "CHG-01" not in {r.control for r in eligibility_gate.blocking}
    eligibility = ctx.state["assessments"][0]
    assert eligibility.service == "eligibility-ai"
    waived = eligibility.result("CHG-01")
    assert waived is not None
    assert (waived.status, waived.underlying_status) == ("waived", "fail")
    out = tmp_path / "out"
    for service in gates:
        for suffix in ("json", "xml", "sarif", "txt"):
            assert (out / "gates" / f"{service}.{suffix}").is_file()
        ElementTree.parse(out / "gates" / f"{service}.xml")
        assert json.loads((out / "gates" / f"{service}.sarif").read_text())["version"] == "2.1.0"
    assert len(json.loads((out / "check.json").read_text())) == 3
    assert any(line.startswith("  gate release legacy-portal: block") for line in lines)
    assert "  gate release payments-api: allow" in lines
    expiring = runner.invoke(
        app, ["waivers", "list", "--expiring", "P30D", "-f", "json", "-w", str(ctx.root)]
    )
    (entry,) = json.loads(expiring.stdout)
    assert (entry["service"], entry["control"], entry["days_left"]) == (
        "eligibility-ai",
        "CHG-01",
        20,
    )
    payments = ctx.state["assessments"][2]
    manual = [r for r in payments.results if r.tests and r.tests[0].kind == "manual.attestation"]
    assert manual
    assert all(r.status == "pass" for r in manual)
    # Signed by the person holding the role each control names, so nothing self-reported.
    assert all(not r.self_reported for r in manual)
    assert all("signature verified" in r.tests[0].summary for r in manual)
    facilities = payments.result("PHY-01")
    assert facilities is not None
    assert facilities.tests[0].signed_by == "Lee Ward <lee.ward@example.org>"
    # eligibility-ai: AI-07 signed by the wrong role fails, naming the role and the signer.
    wrong = eligibility.result("AI-07")
    assert wrong is not None
    assert wrong.status == "fail"
    assert (
        "needs a signature by model-owner (Owner of an AI model in production); signed by "
        "Morgan Lee <morgan.lee@example.org>, who holds top-management"
    ) in next(t for t in wrong.tests if t.kind == "manual.attestation").reasons[0]
    # AI-12 unsigned: self-reported, passes check, refused by the release gate.
    unsigned = eligibility.result("AI-12")
    assert unsigned is not None
    assert (unsigned.status, unsigned.self_reported) == ("pass", ("manual.attestation",))
    assert next(t for t in unsigned.tests if t.self_reported).summary.endswith(
        "self-reported: unsigned"
    )
    refused = {r.control: r.reason for r in eligibility_gate.blocking}
    assert refused["AI-12"] == (
        "rests on self-reported manual.attestation, which stage release refuses: counted as gap"
    )
    assert any(line.startswith("  attestations: ") and "AI-12 unsigned" in line for line in lines)
