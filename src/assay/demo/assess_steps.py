"""The demo's assessment steps: a waiver, attestations, ``check`` and the release gate.

After collection, the demo

- waives one of eligibility-ai's failing controls until 20 days from now (so ``assay
  waivers list --expiring P30D`` shows it);
- signs attestations for the manual controls, each by the person holding the role the
  control names (people.yaml, written by ``write_people``): organisation-wide ones
  (governance, organisational, people, physical) for every service, operational ones for
  payments-api, and two for eligibility-ai that are refused (AI-07 signed by the wrong
  role; AI-12 unsigned, so self-reported and refused at release); each has a supporting
  document whose hash is pinned;
- assesses every service and seals each assessment (DIR/check.json);
- runs the release gate for each service, recording the decision, and writes its JSON,
  JUnit and SARIF outputs to DIR/gates/.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from assay import __version__
from assay.demo.steps import DemoContext

WAIVED_SERVICE = "eligibility-ai"
WAIVED_CONTROL = "CHG-01"
ORGANISATION_WIDE = ("governance", "organisational", "people", "physical")
#: The service whose own manual controls are attested.
ATTESTED_SERVICE = "payments-api"
#: eligibility-ai's attestations that show a refusal: control -> the role of who signs it.
REFUSED_CASES = {"AI-07": "top-management", "AI-12": "model-owner"}
#: The attestation left unsigned (self-reported), refused at release.
UNSIGNED_CASE = "AI-12"
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
        "approver: Morgan Lee\n"
        "requested_by: Nia Roberts\n"
        f'created: "{today - timedelta(days=10)}"\n'
        f'expires: "{today + timedelta(days=20)}"\n'
        "ticket: ELIG-42\n",
        encoding="utf-8",
    )


def record_attestations(ctx: DemoContext) -> None:
    """Sign and record an attestation for each manual control the demo covers.

    Each is signed by the person holding the role its test names, with their key. Two of
    eligibility-ai's show what is refused: AI-07 signed by someone without the model
    owner's role (a failing result naming the role), and AI-12 left unsigned
    (self-reported: it passes ``check`` and is refused by the release gate).
    """
    from assay.assess.attestations import Rules, load_attestation
    from assay.assess.inputs import load_workspace_library
    from assay.assess.sealing import record_attestation
    from assay.durations import utc_now
    from assay.evidence.store import open_store

    ws = ctx.workspace()
    library = load_workspace_library(ws)
    services = ws.load_services()
    people = ws.load_people()
    keys: dict[str, Path] = ctx.state.get("keys", {})
    holders: dict[str, str] = ctx.state.get("people", {})
    target = services[ATTESTED_SERVICE]
    today = utc_now().date()
    folder = ctx.root / "attestations"
    (folder / "documents").mkdir(parents=True, exist_ok=True)
    plan: list[tuple[Path, str | None]] = []
    for control in library.sorted():
        manual = [test for test in control.tests if test.manual]
        if not manual:
            continue
        signer = holders.get(manual[0].attested_by[0]) if manual[0].attested_by else None
        if control.family in ORGANISATION_WIDE:
            covered = '["*"]'
        elif control.applicability.applies(target.tags, target.tier):
            covered = f"[{ATTESTED_SERVICE}]"
        elif control.id in REFUSED_CASES:
            covered = f"[{WAIVED_SERVICE}]"
            signer = holders.get(REFUSED_CASES[control.id], signer)
        else:
            continue
        signer = signer or "morgan.lee@example.org"
        name = control.id.lower()
        (folder / "documents" / f"{name}.md").write_text(
            f"---\ndate: {today - timedelta(days=15)}\nreviewed_by: {signer}\n---\n"
            f"# {control.id} {control.title}\n\n"
            f"Supporting record for the demo organisation, reviewed on "
            f"{today - timedelta(days=15)}.\n\n## Findings\n\n{control.statement}\n",
            encoding="utf-8",
        )
        path = folder / f"{name}.yaml"
        path.write_text(
            f"control: {control.id}\n"
            f"services: {covered}\n"
            f"statement: {json.dumps(control.statement)}\n"
            f"signer: {signer}\n"
            f'signed_at: "{today - timedelta(days=14)}"\n'
            f'expires: "{today + timedelta(days=180)}"\n'
            f"file: documents/{name}.md\n",
            encoding="utf-8",
        )
        plan.append((path, None if control.id == UNSIGNED_CASE else signer))
    known = set(library.controls)
    rules = Rules.for_workspace(ws)
    signed = 0
    with open_store(ctx.store_url) as store:
        for path, signer in plan:
            attestation = load_attestation(
                path,
                display=ws.display(path),
                controls=known,
                services=set(services),
                root=ws.root,
                rules=rules,
            )
            key = keys.get(signer) if signer is not None else None
            record_attestation(
                store,
                attestation,
                context=DEMO_CONTEXT,
                max_bytes=ws.max_artefact_bytes,
                people=people,
                key=key,
            )
            signed += key is not None
    ctx.state["attestations"] = len(plan)
    ctx.echo(
        f"  attestations: {len(plan)} recorded, {signed} signed by the role holder's key; "
        f"{WAIVED_SERVICE}'s AI-07 signed by the wrong role, AI-12 unsigned (self-reported)"
    )


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
