"""A small, complete report input built in code: governance, a service, evidence, assessments.

Hostile strings (markup, a file URL, a CSS url() to a local port, secrets) sit in the
places untrusted text reaches a report: a commit message fact, an artefact name, a reason.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from assay.assess.model import Assessment, Result, TestOutcome, WaiverInfo
from assay.controls.loader import Library
from assay.controls.model import Applicability, Control, ControlTest
from assay.evidence.model import Artefact, Evidence, evidence_id, sha256_hex
from assay.evidence.reader import MemoryEvidence
from assay.governance import Governance
from assay.mappings.catalog import load_frameworks
from assay.mappings.crosswalk import Crosswalks, Link
from assay.reports.gather import ReportSources
from assay.workspace import RepoRef, Service

AS_OF = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CREATED = datetime(2026, 3, 1, 12, 5, tzinfo=UTC)
COMMIT = "1a954628a960aaef81d7b2d4521929579f3541e6"
AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
GITHUB_TOKEN = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"


def hostile(port: int = 9) -> str:
    return (
        '<img src="file:///etc/passwd"> <link rel="attachment" href="file:///etc/hosts">'
        f"<script>alert(1)</script><style>body{{background:url(http://127.0.0.1:{port}/css)}}</style>"
        f'<img src="http://127.0.0.1:{port}/img">'
    )


def _control(
    cid: str,
    title: str,
    family: str,
    severity: str,
    tests: tuple[ControlTest, ...],
    remediation: str = "Fix it.",
) -> Control:
    return Control(
        id=cid,
        title=title,
        statement=f"{title}: the statement of {cid}.",
        family=family,
        owner_role="Engineering lead",
        severity=severity,
        freshness="P30D",
        freshness_delta=timedelta(days=30),
        tests=tests,
        applicability=Applicability(),
        guidance="Guidance text.",
        remediation=remediation,
    )


def governance() -> Governance:
    review = ControlTest(
        id="reviewed",
        kind="git.history",
        expectation={
            "properties": {"review_ratio": {"minimum": 0.95}, "change_sets": {"minimum": 1}},
            "required": ["review_ratio", "change_sets"],
        },
        explain="{review_ratio} of change sets were reviewed",
    )
    sbom = ControlTest(
        id="sbom",
        kind="sbom",
        expectation={"required": ["components"]},
        explain="an SBOM was produced",
    )
    restore = ControlTest(
        id="restore",
        kind="manual.attestation",
        manual=True,
        attestation="A restore test report signed by the operations lead.",
    )
    controls = [
        _control("CHG-01", "Changes are reviewed", "change-management", "high", (review,)),
        _control("SUP-01", "An SBOM is produced", "supply-chain", "medium", (sbom,)),
        _control("OPS-01", "Backups are restored", "operations", "high", (restore,)),
        _control("AI-01", "Model cards exist", "ai", "medium", (sbom,)),
    ]
    library = Library(controls={c.id: c for c in controls})
    frameworks = load_frameworks()
    links = [
        Link("CHG-01", "iso27001-2022", "A.8.32", "equal", "Change management."),
        Link("SUP-01", "iso27001-2022", "A.5.21", "subset", "Supply chain."),
        Link("OPS-01", "iso27001-2022", "A.8.13", "equal", "Backups."),
        Link("CHG-01", "uk-service-standard", "point 14", "intersect", "Operate reliably."),
        Link("AI-01", "nist-ai-rmf-1.0", "MAP 1.1", "subset", "Context."),
    ]
    return Governance(library, frameworks, Crosswalks(links, []))


def service() -> Service:
    return Service(
        id="payments-api",
        name="Payments API",
        owner="payments-team@example.org",
        tier=1,
        outcome="Take card payments.",
        tags=frozenset({"pii", "internet-facing"}),
        repos=(RepoRef(name="api", url="https://git.example.org/payments/api", branch="main"),),
    )


def _evidence(
    kind: str,
    subject: dict[str, object],
    facts: dict[str, object],
    artefacts: tuple[tuple[str, bytes], ...] = (),
    service: str = "payments-api",
) -> tuple[Evidence, dict[str, bytes]]:
    arts = tuple(
        Artefact(name, sha256_hex(data), len(data), "text/plain") for name, data in artefacts
    )
    identity = {
        "kind": kind,
        "service": service,
        "subject": subject,
        "observed_at": "2026-02-28T10:00:00Z",
        "collector": "test@1",
        "facts": facts,
        "artefacts": [a.to_dict() for a in arts],
    }
    record = Evidence(
        id=evidence_id(identity),
        kind=kind,
        service=service,
        subject=subject,
        observed_at=datetime(2026, 2, 28, 10, 0, tzinfo=UTC),
        collector="test@1",
        facts=facts,
        artefacts=arts,
    )
    return record, {sha256_hex(data): data for _, data in artefacts}


class Sample:
    """Everything a test needs: sources for gather(), the evidence reader and the blobs."""

    def __init__(self, port: int = 9, *, clean: bool = False) -> None:
        """``clean=True``: no hostile text at all (for the documentation's samples)."""
        self.port = port
        self.reader = MemoryEvidence()
        self.blobs: dict[str, bytes] = {}
        evil = "" if clean else hostile(port)
        secret = "" if clean else AWS_KEY
        history, blobs1 = _evidence(
            "git.history",
            {"repo": "api", "commit": COMMIT},
            {"review_ratio": 0.82, "change_sets": 40, "last_message": f"{evil} {secret}".strip()},
        )
        artefacts = [("sbom.cdx.json", b'{"bomFormat": "CycloneDX"}')]
        if not clean:
            artefacts.append(
                (evil[:40] + "-report.txt", (evil + "\ntoken=" + GITHUB_TOKEN).encode())
            )
        sbom, blobs2 = _evidence(
            "sbom", {"pipeline": "release", "run_id": "4242"}, {"components": 12}, tuple(artefacts)
        )
        attest, blobs3 = _evidence(
            "manual.attestation",
            {"control": "OPS-01"},
            {
                "control": "OPS-01",
                "services": ["payments-api"],
                "statement": "A full restore was rehearsed.",
                "signer": "Priya Raman, Ops lead",
                "signed_at": "2026-02-01",
                "expires": "2026-08-01",
                "validity_days": 181,
                "file": {
                    "name": "restore.pdf",
                    "sha256": "0" * 64,
                    "size": 10,
                    "attested_sha256": "0" * 64,
                    "matches_attested": True,
                },
            },
            service="*",  # organisation-wide: recorded once for every service
        )
        self.records = (history, sbom, attest)
        for record in self.records:
            self.reader.add(record, datetime(2026, 2, 28, 11, 0, tzinfo=UTC))
        self.blobs = {**blobs1, **blobs2, **blobs3}
        self.governance = governance()
        self.service = service()
        self.assessment = self._assessment(f"{evil} {secret}".rstrip())

    def _assessment(self, evil: str) -> Assessment:
        evil = f" {evil}" if evil else ""
        history, sbom, attest = self.records
        waiver = WaiverInfo(
            service="payments-api",
            control="SUP-01",
            reason="Vendor SBOM pending, see ticket.",
            approver="Ada Lovelace",
            created=date(2026, 2, 1),
            expires=date(2026, 3, 20),
            state="active",
            ticket="SEC-1",
        )
        results = (
            Result(
                control="CHG-01",
                title="Changes are reviewed",
                family="change-management",
                severity="high",
                owner_role="Engineering lead",
                status="fail",
                reasons=(f"review_ratio is 0.82; it must be at least 0.95{evil}",),
                evidence_ids=(history.id,),
                tests=(
                    TestOutcome(
                        "reviewed",
                        "git.history",
                        "repo:api",
                        "fail",
                        "0.82 of change sets were reviewed",
                        ("review_ratio is 0.82; it must be at least 0.95",),
                        history.id,
                        history.observed_at,
                        history.observed_at,
                    ),
                ),
                remediation="Require a review before merge.",
            ),
            Result(
                control="SUP-01",
                title="An SBOM is produced",
                family="supply-chain",
                severity="medium",
                owner_role="Engineering lead",
                status="waived",
                underlying_status="fail",
                reasons=("components is missing",),
                evidence_ids=(sbom.id,),
                tests=(
                    TestOutcome("sbom", "sbom", "pipeline:release", "fail", "", ("x",), sbom.id),
                ),
                waiver=waiver,
                remediation="Produce an SBOM.",
            ),
            Result(
                control="OPS-01",
                title="Backups are restored",
                family="operations",
                severity="high",
                owner_role="Engineering lead",
                status="pass",
                evidence_ids=(attest.id,),
                tests=(
                    TestOutcome(
                        "restore",
                        "manual.attestation",
                        "control:OPS-01",
                        "pass",
                        "attested",
                        (),
                        attest.id,
                        self_reported="manual.attestation",
                    ),
                ),
            ),
            Result(
                control="AI-01",
                title="Model cards exist",
                family="ai",
                severity="medium",
                owner_role="Engineering lead",
                status="not_applicable",
                justification="The service has no AI component.",
            ),
        )
        return Assessment("payments-api", AS_OF, CREATED, "0.1.0", "ab" * 32, results)

    def history(self) -> tuple[Assessment, ...]:
        older = replace(
            self.assessment,
            as_of=AS_OF - timedelta(days=30),
            created_at=CREATED - timedelta(days=30),
            results=tuple(
                replace(r, status="pass") if r.control == "SUP-01" else r
                for r in self.assessment.results
            ),
        )
        return (older,)

    def sources(self) -> ReportSources:
        return ReportSources(
            governance=self.governance,
            service=self.service,
            assessment=self.assessment,
            evidence=self.reader,
            ledger_head=(7, "c" * 64),
            assessment_id="d" * 64,
            history=self.history(),
        )

    def blob(self, sha256: str) -> bytes | None:
        return self.blobs.get(sha256)
