"""The demo's report step: the five report files, and the pack verified against the store.

After the assessments are sealed, the demo writes into DIR

- ``pack.pdf`` and ``pack.html``: the evidence pack of eligibility-ai (gaps, a waiver
  expiring soon, attestations, a major nonconformity with its corrective action, controls
  excluded by their applicability rules: the most to show an auditor;
  ``ctx.state["pack_service"]`` names another);
- ``soa.xlsx``: the Statement of Applicability across the three services;
- ``assessment-results.json`` and ``poam.json``: OSCAL assessment results and the plan
  of action and milestones for every open gap, with the ``assessment-plan.json`` and
  ``ssp.json`` they import;

then verifies ``pack.pdf`` against the demo store, as an auditor would, and stops the
demo if it does not verify.
"""

from __future__ import annotations

from assay.demo.steps import DemoContext

PACK_SERVICE = "eligibility-ai"


def write_reports(ctx: DemoContext) -> None:
    """DIR/pack.pdf, pack.html, soa.xlsx and the OSCAL documents; verify the pack."""
    from assay.errors import AssayError
    from assay.evidence.store import open_store
    from assay.governance import load_governance
    from assay.reports.oscal_actors import OscalSystem
    from assay.reports.run import (
        html_report,
        oscal_plan_report,
        oscal_report,
        oscal_ssp_report,
        pack_report,
        soa_report,
    )
    from assay.reports.soa_decisions import load_decisions
    from assay.reports.sources import ReportRequest, load_scope
    from assay.reports.verify_pack import verify_pack
    from assay.reports.verify_structure import VerifyOptions

    ws = ctx.workspace()
    governance = load_governance(ws)
    decisions = load_decisions(ws.soa_path, governance.frameworks, ws.display(ws.soa_path))
    system = OscalSystem.from_workspace(ws)
    one = ReportRequest(service=str(ctx.state.get("pack_service", PACK_SERVICE)))
    every = ReportRequest()
    with open_store(ctx.store_url) as store:
        scope = load_scope(ws, governance, store, one)
        written = [
            pack_report(scope, one, store, ctx.out / "pack.pdf"),
            html_report(scope, one, ctx.out / "pack.html"),
        ]
        scope = load_scope(ws, governance, store, every)
        written += [
            soa_report(
                scope, ctx.out / "soa.xlsx", decisions=decisions, organisation=ws.organisation
            ),
            oscal_report(
                scope, every, ctx.out / "assessment-results.json", poam=False, system=system
            ),
            oscal_report(scope, every, ctx.out / "poam.json", poam=True, system=system),
            oscal_plan_report(scope, every, ctx.out / "assessment-plan.json", system),
            oscal_ssp_report(scope, every, ctx.out / "ssp.json", system),
        ]
        trusted = VerifyOptions(tsa_roots=tuple(ctx.state.get("tsa_roots", ())))
        check = verify_pack(
            ctx.out / "pack.pdf", store=store, store_label="the demo store", options=trusted
        )
    for item in written:
        ctx.echo(f"  wrote {item.path.name if item.path else '-'}: {item.summary}")
    for problem in check.problems:
        ctx.echo(f"  {problem}")
    for note in check.notes:
        if note.startswith("ledger anchor:"):
            ctx.echo(f"  {note}")
    ctx.echo(f"  verify: {check.summary()}")
    if not check.ok:
        raise AssayError("the demo's evidence pack did not verify")
    ctx.state["reports"] = [item.path for item in written]
