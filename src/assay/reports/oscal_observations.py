"""Observations: what Assay saw (each evidence record) and what it concluded (each control).

Two kinds, both with Assay as the tool actor and the service (and the repository or
pipeline the evidence is about) as subjects:

* one per **evidence record** a result used: method TEST (EXAMINE for attestations),
  ``collected`` its latest collection, ``expires`` when the shortest freshness among the
  controls reading it runs out, its sha256 id and artefact hashes as relevant evidence;
* one per **control result**, behind every finding, gaps included: each test's outcome
  per subject with its file and line findings, the evidence it read, and, where no
  evidence was there to read, which evidence kind was missing; an unverifiable result's
  remarks say what Assay could not see.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from assay.durations import isoformat
from assay.governance import Governance
from assay.reports.model import ControlView, EvidenceRow, ServiceReport
from assay.reports.oscal_actors import OscalSystem, origins, subject_references
from assay.reports.oscal_common import line, oscal_uuid, prop, prose


def freshness(governance: Governance, report: ServiceReport) -> dict[str, timedelta]:
    """For each evidence id: the shortest freshness among controls that read it."""
    shortest: dict[str, timedelta] = {}
    for control in report.controls:
        defined = governance.library.get(control.id)
        if defined is None:
            continue
        for row in control.evidence:
            current = shortest.get(row.id)
            if current is None or defined.freshness_delta < current:
                shortest[row.id] = defined.freshness_delta
    return shortest


def observation_uuid(report: ServiceReport, evidence_id: str) -> str:
    return oscal_uuid("observation", report.facts.service, evidence_id)


def control_observation_uuid(report: ServiceReport, control_id: str) -> str:
    return oscal_uuid("control-observation", report.facts.assessment_hash, control_id)


def evidence_href(evidence_id: str) -> str:
    return f"urn:assay:evidence:{evidence_id}"


def evidence_observation(
    report: ServiceReport,
    row: EvidenceRow,
    shortest: dict[str, timedelta],
    system: OscalSystem,
) -> dict[str, Any]:
    collected = row.collected_at or row.observed_at or report.facts.as_of
    observation: dict[str, Any] = {
        "uuid": observation_uuid(report, row.id),
        "title": line(f"{row.kind} evidence: {row.source}"),
        "description": prose(
            f"Evidence of kind {row.kind} about {row.source}, collected by {row.collector}."
            + ("" if row.found else " The store does not hold this record.")
        ),
        "props": [
            prop("evidence-sha256", row.id),
            prop("evidence-kind", row.kind),
            *([prop("commit", row.commit)] if row.commit else []),
            *([prop("ci-run", row.run)] if row.run else []),
            *([prop("observed", isoformat(row.observed_at))] if row.observed_at else []),
        ],
        "methods": ["EXAMINE" if row.kind == "manual.attestation" else "TEST"],
        "types": ["control-objective"],
        "origins": origins(system),
        "subjects": subject_references(report.facts, row.subject),
        "relevant-evidence": [
            {
                "href": evidence_href(row.id),
                "description": line(f"Evidence record {row.id}"),
                "props": [prop("sha256", row.id)],
            },
            *(
                {
                    "href": f"urn:assay:blob:{artefact.sha256}",
                    "description": line(f"Artefact {artefact.name} ({artefact.size} bytes)"),
                    "props": [
                        prop("sha256", artefact.sha256),
                        prop("media-type", artefact.media_type),
                    ],
                }
                for artefact in row.artefacts
            ),
        ],
        "collected": isoformat(collected),
    }
    if row.id in shortest:
        observation["expires"] = isoformat(collected + shortest[row.id])
    return observation


def _outcome_lines(report: ServiceReport, control: ControlView) -> tuple[list[str], list[str]]:
    """Each test outcome in words, and the evidence kinds no outcome had evidence of."""
    result = next((r for r in report.assessment.results if r.control == control.id), None)
    outcomes = result.tests if result is not None else ()
    lines: list[str] = []
    missing: list[str] = []
    for test in control.tests:
        mine = [o for o in outcomes if o.test == test.id]
        if not any(o.evidence_id for o in mine) and test.kind not in missing:
            missing.append(test.kind)
        for outcome in mine:
            text = f"- test {test.id} on {outcome.subject}: {outcome.status}"
            if outcome.summary or outcome.reasons:
                text += " — " + "; ".join([outcome.summary, *outcome.reasons][:4]).strip("; ")
            if outcome.evidence_id:
                text += f" (evidence {outcome.evidence_id})"
            lines.append(text)
            lines.extend(
                f"  - {finding.file}:{finding.line}: {finding.message}"
                for finding in outcome.findings
            )
        if not mine:
            lines.append(f"- test {test.id}: no {test.kind} evidence to test")
    return lines, missing


def control_observation(
    report: ServiceReport, control: ControlView, system: OscalSystem
) -> dict[str, Any]:
    """The observation behind the finding about ``control``."""
    lines, missing = _outcome_lines(report, control)
    facts = report.facts
    text = f"{control.id} tested for {facts.service}: {control.status.replace('_', ' ')}."
    if lines:
        text += "\n\n" + "\n".join(lines)
    if missing:
        text += (
            f"\n\nNo evidence of kind {', '.join(missing)} was recorded for {facts.service} "
            f"at or before {isoformat(facts.as_of)}."
        )
    subjects = [subject_references(facts, {})[0]]
    for row in control.evidence:
        for ref in subject_references(facts, row.subject)[1:]:
            if ref not in subjects:
                subjects.append(ref)
    manual = bool(control.tests) and all(test.manual for test in control.tests)
    observation: dict[str, Any] = {
        "uuid": control_observation_uuid(report, control.id),
        "title": line(f"{control.id} {control.title}: test outcomes for {facts.service}"),
        "description": prose(text),
        "props": [
            prop("control", control.id),
            prop("status", control.status),
            *(prop("missing-evidence-kind", kind) for kind in missing),
        ],
        "methods": ["EXAMINE"] if manual else ["TEST"],
        "types": ["control-objective"],
        "origins": origins(system),
        "subjects": subjects,
        "relevant-evidence": [
            {
                "href": evidence_href(row.id),
                "description": line(f"{row.kind} evidence {row.id}"),
                "props": [prop("sha256", row.id)],
            }
            for row in control.evidence
        ],
        "collected": isoformat(max(facts.created_at, facts.as_of)),
    }
    if control.status == "unverifiable":
        observation["remarks"] = prose(
            "Assay could not see the evidence this control needs, so it did not judge it: "
            + ("; ".join(control.reasons) or "the evidence lies where Assay may not look.")
        )
    elif missing:
        observation["remarks"] = prose(
            "Nothing in the store shows this control in place: the evidence it needs was "
            "never collected."
        )
    return observation
