"""The demo's assessment steps: a waiver, attestations, ``check`` and the release gate.

After collection, the demo

- waives one of eligibility-ai's failing controls until 20 days from now (so ``assay
  waivers list --expiring P30D`` shows it);
- signs attestations for the manual controls: organisation-wide ones (governance,
  organisational, people, physical) for every service, operational ones for
  payments-api only, each with a supporting document whose hash is pinned;
- assesses every service and seals each assessment (DIR/check.json);
- runs the release gate for each service, recording the decision, and writes its JSON,
  JUnit and SARIF outputs to DIR/gates/.
"""

from __future__ import annotations

import json
from datetime import timedelta

from assay import __version__
from assay.demo.steps import DemoContext

WAIVED_SERVICE = "eligibility-ai"
WAIVED_CONTROL = "CHG-01"
ORGANISATION_WIDE = ("governance", "organisational", "people", "physical")
#: The service whose own manual controls are attested.
ATTESTED_SERVICE = "payments-api"
GATE_OUTPUTS = {"json": "json", "junit": "xml", "sarif": "sarif"}
#: Stored with every record the demo seals, in place of a CI run's context.
DEMO_CONTEXT = {"demo": True}


def write_waiver(ctx: DemoContext) -> None:
    """waivers/eligibility-ai-chg-01.yaml: approved 10 days ago, expiring in 20 days."""
    from assay.durations import utc_now

    today = utc_now().date()
    folder = ctx.root / "waivers"
    folder.mkdir(exist_ok=True)
    (folder / f"{WAIVED_SERVICE}-{WAIVED_CONTROL.lower()}.yaml").write_text(
        f"service: {WAIVED_SERVICE}\n"
        f"control: {WAIVED_CONTROL}\n"
        "reason: >-\n"
        "  Two engineers during the pilot: every change is pair-programmed, so a second\n"
        "  person sees it before merge. Review tooling is being set up for the team.\n"
        "approver: Morgan Lee, Head of Digital Services\n"
        f'created: "{today - timedelta(days=10)}"\n'
        f'expires: "{today + timedelta(days=20)}"\n'
        "ticket: ELIG-42\n",
        encoding="utf-8",
    )


def record_attestations(ctx: DemoContext) -> None:
    """Sign and record an attestation for each manual control the demo covers."""
    from assay.assess.attestations import Rules, load_attestation
    from assay.assess.inputs import load_workspace_library
    from assay.assess.sealing import record_attestation
    from assay.durations import utc_now
    from assay.evidence.store import open_store

    ws = ctx.workspace()
    library = load_workspace_library(ws)
    services = ws.load_services()
    target = services[ATTESTED_SERVICE]
    today = utc_now().date()
    folder = ctx.root / "attestations"
    (folder / "documents").mkdir(parents=True, exist_ok=True)
    paths = []
    for control in library.sorted():
        if not any(test.manual for test in control.tests):
            continue
        if control.family in ORGANISATION_WIDE:
            covered = '["*"]'
        elif control.applicability.applies(target.tags, target.tier):
            covered = f"[{ATTESTED_SERVICE}]"
        else:
            continue
        name = control.id.lower()
        (folder / "documents" / f"{name}.md").write_text(
            f"# {control.id} {control.title}\n\n"
            f"Supporting record for the demo organisation, reviewed on {today}.\n\n"
            f"{control.statement}\n",
            encoding="utf-8",
        )
        path = folder / f"{name}.yaml"
        path.write_text(
            f"control: {control.id}\n"
            f"services: {covered}\n"
            f"statement: {json.dumps(control.statement)}\n"
            "signer: Morgan Lee, Head of Digital Services\n"
            f'signed_at: "{today - timedelta(days=14)}"\n'
            f'expires: "{today + timedelta(days=180)}"\n'
            f"file: documents/{name}.md\n",
            encoding="utf-8",
        )
        paths.append(path)
    known = set(library.controls)
    rules = Rules.for_workspace(ws)
    with open_store(ctx.store_url) as store:
        for path in paths:
            attestation = load_attestation(
                path,
                display=ws.display(path),
                controls=known,
                services=set(services),
                root=ws.root,
                rules=rules,
            )
            record_attestation(
                store, attestation, context=DEMO_CONTEXT, max_bytes=ws.max_artefact_bytes
            )
    ctx.state["attestations"] = len(paths)


def check_services(ctx: DemoContext) -> None:
    """Assess every service, seal each assessment, and write DIR/check.json."""
    from assay.assess.run import CheckOptions, check

    run = check(CheckOptions(workspace=ctx.root, store_url=ctx.store_url, context=DEMO_CONTEXT))
    assessments = list(run.assessments)
    (ctx.out / "check.json").write_text(
        json.dumps([a.document() for a in assessments], indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    ctx.state["assessments"] = assessments
    for assessment in assessments:
        counts = ", ".join(f"{k} {v}" for k, v in assessment.counts.items() if v)
        ctx.echo(f"  check {assessment.service}: {counts}")


def gate_services(ctx: DemoContext) -> None:
    """The release gate for each service; outputs in DIR/gates/SERVICE.{json,xml,sarif,txt}."""
    from assay.assess.run import GateOptions, gate
    from assay.reports.formats import FormatContext, gate_format

    folder = ctx.out / "gates"
    folder.mkdir(parents=True, exist_ok=True)
    decisions = {}
    for service_id in sorted(ctx.workspace().load_services()):
        options = GateOptions(
            service=service_id,
            stage="release",
            workspace=ctx.root,
            store_url=ctx.store_url,
            context=DEMO_CONTEXT,
        )
        run = gate(options)
        decision = run.decision
        context = FormatContext(tool_version=__version__, service_file=run.service.source)
        for name, suffix in (*GATE_OUTPUTS.items(), ("text", "txt")):
            text = gate_format(name).render(decision, context)
            (folder / f"{service_id}.{suffix}").write_text(text.rstrip("\n") + "\n")
        decisions[service_id] = decision
        line = f"  gate release {service_id}: {decision.decision}"
        if decision.blocking:
            first = decision.blocking[0]
            line += f" ({len(decision.blocking)} controls; first {first.control}: {first.reason})"
        ctx.echo(line[:200])
    ctx.state["gates"] = decisions
    ctx.echo(f"gate outputs written to {folder}")
