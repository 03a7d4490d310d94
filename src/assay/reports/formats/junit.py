"""JUnit XML: a test case per control, so CI test views show the gate.

Blocking results are failures (``error`` status: errors); waived and not-applicable
controls are skipped with their reason; controls that did not pass but do not block at
this stage pass, with the status in their output. The XML is written with ElementTree
(writing only: nothing is parsed), which escapes every value.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # writing only: nothing is parsed
from typing import TYPE_CHECKING

from assay.reports.formats.interface import FormatContext, GateFormat

if TYPE_CHECKING:
    from assay.assess.gate import GateDecision
    from assay.assess.model import Result

_INVALID_XML = {c: " " for c in range(32) if c not in (9, 10, 13)}


def _clean(text: str) -> str:
    return text.translate(_INVALID_XML)


def _details(result: Result) -> str:
    lines = [f"{result.control} {result.title}: {result.status}"]
    lines += [f"why: {reason}" for reason in result.reasons]
    lines += [f"at: {f.file}:{f.line}: {f.message}" for f in result.findings]
    if result.remediation:
        lines.append(f"fix: {result.remediation}")
    if result.evidence_ids:
        lines.append("evidence: " + ", ".join(e[:12] for e in result.evidence_ids))
    return _clean("\n".join(lines))


class JunitFormat(GateFormat):
    name = "junit"

    def render(self, decision: GateDecision, context: FormatContext) -> str:
        assessment = decision.assessment
        blocking = {r.control: r for r in decision.blocking}
        results = decision.in_scope
        suite = ET.Element(
            "testsuite",
            name=f"assay gate {decision.stage} {decision.service}",
            timestamp=assessment.as_of.strftime("%Y-%m-%dT%H:%M:%S"),
        )
        properties = ET.SubElement(suite, "properties")
        for key, value in (
            ("decision", decision.decision),
            ("stage", decision.stage),
            ("service", decision.service),
            ("assessment_hash", assessment.hash),
            ("library_digest", assessment.library_digest),
            ("tool_version", context.tool_version),
        ):
            ET.SubElement(properties, "property", name=key, value=value)
        failures = errors = skipped = 0
        for result in results:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"{decision.service}.{result.family}",
                name=_clean(f"{result.control} {result.title}"),
            )
            if result.self_reported:
                marks = ET.SubElement(case, "properties")
                for kind in result.self_reported:
                    ET.SubElement(marks, "property", name="self-reported", value=kind)
            if result.control in blocking:
                shown = blocking[result.control]  # with the stage's reason when it refused it
                status = (
                    shown.status
                    if shown.status == "unverifiable"
                    else decision.policy.status_here(shown)
                )
                tag = "error" if status == "error" else "failure"
                errors += tag == "error"
                failures += tag == "failure"
                node = ET.SubElement(case, tag, type=status, message=_clean(shown.reason or status))
                node.text = _details(shown)
            elif result.status in ("waived", "not_applicable"):
                skipped += 1
                ET.SubElement(case, "skipped", message=_clean(result.reason or result.status))
            elif result.status != "pass":
                out = ET.SubElement(case, "system-out")
                out.text = f"not blocking at stage {decision.stage}\n" + _details(result)
        counts = {
            "tests": str(len(results)),
            "failures": str(failures),
            "errors": str(errors),
            "skipped": str(skipped),
        }
        suite.attrib.update(counts)
        root = ET.Element("testsuites", {"name": "assay gate", **counts})
        root.append(suite)
        ET.indent(root)
        body = ET.tostring(root, encoding="unicode")
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


FORMAT = JunitFormat()
