"""``assay report json``: the complete result, machine-readable, in a published shape.

The document (schema: ``assay/schemas/report.schema.json``, documented in ``docs/report-
json.md``) holds, for each service in scope, what the PDF pack shows: the facts of the
cover, what each result rests on (tested, attested, both or self-reported), every control
with its tests, outcomes, evidence and framework links, the gap register, the graded
findings with their corrective actions, the controls that do not apply and why, a warning
when one person signed most attestations, the framework views, waivers, attestations, the
evidence and artefact index and the trend. Free text is redacted like every other report;
hashes and ids are never touched by redaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from assay import __version__
from assay.assess.model import WaiverInfo, format_instant
from assay.reports.model import (
    ArtefactRow,
    ControlView,
    EvidenceRow,
    FrameworkView,
    ServiceReport,
)
from assay.reports.redact import redact_data

FORMAT = "assay.report/1"


def _instant(moment: datetime | None) -> str | None:
    return None if moment is None else format_instant(moment)


def _waiver(waiver: WaiverInfo | None) -> dict[str, Any] | None:
    return None if waiver is None else waiver.to_dict()


def _artefact(row: ArtefactRow) -> dict[str, Any]:
    return {
        "name": row.name,
        "kind": row.kind,
        "source": row.source,
        "evidence_id": row.evidence_id,
        "sha256": row.sha256,
        "size": row.size,
        "media_type": row.media_type,
    }


def _evidence(row: EvidenceRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "found": row.found,
        "kind": row.kind,
        "subject": row.subject,
        "source": row.source,
        "commit": row.commit,
        "run": row.run,
        "collector": row.collector,
        "observed_at": _instant(row.observed_at),
        "collected_at": _instant(row.collected_at),
        "artefacts": [_artefact(a) for a in row.artefacts],
    }


def _control(control: ControlView) -> dict[str, Any]:
    return {
        "id": control.id,
        "title": control.title,
        "statement": control.statement,
        "family": control.family,
        "severity": control.severity,
        "owner_role": control.owner_role,
        "freshness": control.freshness or None,
        "status": control.status,
        "underlying_status": control.underlying_status,
        "basis": control.basis,
        "self_reported": list(control.self_reported),
        "reasons": list(control.reasons),
        "justification": control.justification or None,
        "remediation": control.remediation or None,
        "waiver": _waiver(control.waiver),
        "tests": [
            {
                "id": test.id,
                "kind": test.kind,
                "manual": test.manual,
                "description": test.description or None,
                "expectation": test.expectation,
                "expectation_text": list(test.expectation_lines),
                **(
                    {}
                    if test.unverifiable_when is None
                    else {"unverifiable_when": test.unverifiable_when}
                ),
                "attestation": test.attestation or None,
                "outcomes": [
                    {
                        "subject": o.subject,
                        "status": o.status,
                        "message": o.message,
                        "evidence_id": o.evidence_id,
                        "self_reported": o.self_reported,
                    }
                    for o in test.outcomes
                ],
            }
            for test in control.tests
        ],
        "evidence_ids": [row.id for row in control.evidence],
        "requirements": [
            {
                "framework": link.framework,
                "requirement": link.requirement,
                "relationship": link.relationship,
                "rationale": link.rationale,
            }
            for link in control.links
        ],
    }


def _framework(view: FrameworkView) -> dict[str, Any]:
    return {
        "id": view.id,
        "title": view.title,
        "version": view.version,
        "coverage": view.coverage,
        "statuses": view.statuses,
        "requirements": [
            {
                "id": r.id,
                "title": r.title,
                "coverage": r.coverage,
                "status": r.status,
                "controls": [
                    {"id": cid, "relationship": rel, "status": status}
                    for cid, rel, status in r.controls
                ],
            }
            for r in view.requirements
        ],
    }


def service_document(report: ServiceReport) -> dict[str, Any]:
    facts = report.facts
    head = facts.ledger_head
    return {
        "service": {
            "id": facts.service,
            "name": facts.service_name,
            "owner": facts.owner,
            "tier": facts.tier,
            "tags": list(facts.tags),
            "outcome": facts.outcome or None,
            "repos": list(facts.repos),
            "pipelines": list(facts.pipelines),
        },
        "assessment": {
            "id": facts.assessment_id,
            "hash": facts.assessment_hash,
            "as_of": format_instant(facts.as_of),
            "created_at": format_instant(facts.created_at),
            "tool_version": facts.assessment_tool_version,
            "library_digest": facts.library_digest,
            "counts": report.counts,
        },
        "ledger_head": None if head is None else {"seq": head[0], "hash": head[1]},
        "basis_counts": report.basis_counts,
        "controls": [_control(c) for c in report.controls],
        "gaps": [
            {
                "control": g.control,
                "title": g.title,
                "status": g.status,
                "underlying_status": g.underlying_status,
                "self_reported": list(g.self_reported),
                "basis": g.basis,
                "severity": g.severity,
                "owner": g.owner,
                "reasons": list(g.reasons),
                "remediation": g.remediation or None,
                "waiver": _waiver(g.waiver),
            }
            for g in report.gaps
        ],
        "findings": [f.to_dict(facts.as_of.date()) for f in report.findings],
        "not_applicable": [e.to_dict() for e in report.exclusions],
        "signer_concentration": (
            None if report.concentration is None else report.concentration.to_dict()
        ),
        "frameworks": [_framework(f) for f in report.frameworks],
        "waivers": [w.to_dict() for w in report.waivers],
        "attestations": [
            {
                "control": a.control,
                "signer": a.signer,
                "statement": a.statement,
                "signed_at": a.signed_at,
                "expires": a.expires,
                "file": {"name": a.file_name, "sha256": a.file_sha256, "matches": a.matches},
                "evidence_id": a.evidence_id,
            }
            for a in report.attestations
        ],
        "evidence": [_evidence(row) for row in report.evidence],
        "trend": [
            {
                "as_of": format_instant(p.as_of),
                "pass_ratio": round(p.pass_ratio, 4),
                "counts": p.counts,
            }
            for p in report.trend
        ],
    }


def report_document(reports: Sequence[ServiceReport]) -> dict[str, Any]:
    """The whole ``assay report json`` document."""
    frameworks = reports[0].facts.frameworks if reports else ()
    document = {
        "format": FORMAT,
        "tool": f"assay {__version__}",
        "frameworks": [
            {"id": fid, "title": title, "version": version} for fid, title, version in frameworks
        ],
        "services": [service_document(report) for report in reports],
    }
    redacted: dict[str, Any] = redact_data(document)
    return redacted
