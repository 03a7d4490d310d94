"""The demo's CI side: a risky workflow in one sample repo, and every kind of CI artefact.

- ``TRIAGE_WORKFLOW`` is committed in eligibility-ai beside the clean, pinned ``ci.yml``
  every sample has: it runs on ``pull_request_target`` with unpinned actions, checks out
  the pull request's head and expands ``${{ github.event.pull_request.title }}`` inside a
  shell script, so ``ci.workflows`` reports unpinned actions and a script injection with
  file and line. It also runs the model evaluation, as an AI service's CI should.
- :func:`write_ci_artefacts` fills each service's pipeline artefact folder with the
  reports a real pipeline leaves: payments-api's are all healthy (tests pass, 88%
  coverage, no high findings, no known vulnerabilities, a licensed SBOM, signed
  provenance for the commit, SLOs met, approvals from someone other than the author);
  eligibility-ai's show a failing test, low coverage, a fixable high vulnerability, a
  fairness metric out of bounds and a model card that leaves out-of-scope use blank;
  legacy-portal's show failures and a high-severity static analysis finding.

Every file states its own time (or gets a fixed modification time): the start of the
current day (UTC), or an hour after the repository's head commit if that is later. Test
runs and scans are as old as the time they state, so the demo's pipeline must have run
recently for its evidence to be fresh; running the demo again on the same day yields the
same evidence.
"""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assay.durations import isoformat
from assay.evidence.git.policy import Git

if TYPE_CHECKING:  # steps imports samples, which imports this module
    from assay.demo.steps import DemoContext

TRIAGE_WORKFLOW = """\
name: triage
on:
  pull_request_target:
    types: [opened, edited]
jobs:
  triage:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - uses: actions/setup-python@v5
      - name: Label by title
        run: |
          echo "Triaging: ${{ github.event.pull_request.title }}"
          python scripts/label.py
      - name: Evaluate the model
        run: python scripts/evaluate.py --out reports/evaluation.json
"""


def _head(repo: Path) -> tuple[str, datetime]:
    git = Git(repo, repo.name)
    sha, stamp = git.text("log", "-1", "--format=%H %ct", "refs/heads/main").split()
    return sha, datetime.fromtimestamp(int(stamp), UTC)


def _merges(repo: Path) -> list[dict[str, Any]]:
    """Pull requests from the merge commits' messages (number, author, reviewer)."""
    git = Git(repo, repo.name)
    log = git.text(
        "log",
        "--merges",
        "--first-parent",
        "--format=%H%x1f%ae%x1f%ct%x1f%B%x1e",
        "refs/heads/main",
    )
    requests = []
    for record in log.split("\x1e"):
        fields = record.strip().split("\x1f")
        if len(fields) != 4 or not fields[3].startswith("Merge pull request #"):
            continue
        sha, email, stamp, body = fields
        number = int(body.split("#", 1)[1].split(" ", 1)[0])
        reviewer = next(
            (line.split("<", 1)[1].rstrip(">").split("@")[0] for line in body.splitlines()
             if line.startswith("Reviewed-by:") and "<" in line),
            None,
        )  # fmt: skip
        if reviewer is None:
            continue
        approved = datetime.fromtimestamp(int(stamp), UTC) - timedelta(hours=2)
        requests.append(
            {
                "number": number,
                "author": email.split("@")[0],
                "merge_commit": sha,
                "approvals": [{"approver": reviewer, "approved_at": isoformat(approved)}],
            }
        )
    return requests


def _junit(cases: list[tuple[str, str | None]], suite: str, when: datetime) -> str:
    body = []
    for name, outcome in cases:
        inner = {"failure": '<failure message="assertion failed"/>', "skipped": "<skipped/>",
                 "error": '<error message="fixture error"/>'}.get(outcome or "", "")  # fmt: skip
        body.append(f'<testcase classname="{suite}" name="{name}" time="0.012">{inner}</testcase>')
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<testsuites name="pytest tests">'
        f'<testsuite name="{suite}" tests="{len(cases)}" time="{0.012 * len(cases):.3f}" '
        f'timestamp="{isoformat(when)}">' + "".join(body) + "</testsuite></testsuites>\n"
    )


def _cobertura(covered: int, valid: int, when: datetime) -> str:
    lines = "".join(
        f'<line number="{n}" hits="{1 if n <= covered else 0}"/>' for n in range(1, valid + 1)
    )
    return (
        '<?xml version="1.0" ?>\n'
        f'<coverage version="7.6.1" timestamp="{int(when.timestamp() * 1000)}" '
        f'lines-valid="{valid}" lines-covered="{covered}" line-rate="{covered / valid:.4f}" '
        'branches-valid="0" branches-covered="0" branch-rate="0" complexity="0">'
        '<packages><package name="src"><classes><class name="app.py" filename="src/app.py">'
        f"<lines>{lines}</lines></class></classes></package></packages></coverage>\n"
    )


def _sarif(tool: str, results: list[tuple[str, str, float | None]], when: datetime) -> str:
    rules = {}
    for rule, _, score in results:
        props = {"security-severity": str(score)} if score is not None else {}
        rules[rule] = {"id": rule, "properties": props}
    document = {
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [
            {
                "tool": {"driver": {"name": tool, "rules": list(rules.values())}},
                "invocations": [{"executionSuccessful": True, "endTimeUtc": isoformat(when)}],
                "results": [
                    {
                        "ruleId": rule,
                        "level": level,
                        "message": {"text": f"{rule} finding"},
                        "locations": [
                            {"physicalLocation": {"artifactLocation": {"uri": "src/app.py"}}}
                        ],
                    }
                    for rule, level, _ in results
                ],
            }
        ],
    }
    return json.dumps(document, indent=2) + "\n"


def _provenance(service: str, commit: str, when: datetime) -> str:
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [
            {"name": f"{service}-1.2.0.tar.gz", "digest": {"sha256": "5" * 64}},
        ],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
                "externalParameters": {
                    "workflow": {
                        "ref": "refs/heads/main",
                        "repository": f"https://github.com/example-org/{service}",
                        "path": ".github/workflows/ci.yml",
                    }
                },
                "resolvedDependencies": [
                    {
                        "uri": f"git+https://github.com/example-org/{service}@refs/heads/main",
                        "digest": {"gitCommit": commit},
                    }
                ],
            },
            "runDetails": {
                "builder": {"id": "https://github.com/actions/runner/github-hosted"},
                "metadata": {"finishedOn": isoformat(when)},
            },
        },
    }
    payload = base64.b64encode(json.dumps(statement).encode("utf-8")).decode("ascii")
    envelope = {
        "payloadType": "application/vnd.in-toto+json",
        "payload": payload,
        "signatures": [{"keyid": "demo", "sig": "ZGVtbyBzaWduYXR1cmU="}],
    }
    return json.dumps(envelope) + "\n"


def _payments(service: str, repo: Path, commit: str, head: datetime) -> dict[str, Any]:
    when = head + timedelta(hours=1)
    licensed = [
        {"name": name, "version": version, "licenses": [{"license": {"id": "MIT"}}]}
        for name, version in (("fastapi", "0.115.0"), ("pydantic", "2.9.2"))
    ]
    availability = {
        "name": "availability",
        "target": 0.999,
        "window": "P28D",
        "good": 999_620,
        "total": 1_000_000,
    }
    return {
        "junit.xml": _junit([(f"test_case_{n}", None) for n in range(24)], "tests", when),
        "coverage.xml": _cobertura(88, 100, when),
        "codeql.sarif": _sarif("CodeQL", [("py/unused-import", "note", None)], when),
        "pip-audit.json": {
            "dependencies": [{"name": "fastapi", "version": "0.115.0", "vulns": []}],
            "fixes": [],
        },
        "sbom.cdx.json": {
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "metadata": {
                "timestamp": isoformat(when),
                "component": {"name": service, "version": "1.2.0"},
            },
            "components": licensed,
        },
        "provenance.intoto.jsonl": _provenance(service, commit, when),
        "slo-report.json": {
            "format": "assay.slo-report/v1",
            "period": {"since": isoformat(head - timedelta(days=28)), "until": isoformat(head)},
            "objectives": [availability],
        },
        "reviews.json": {
            "format": "assay.reviews/v1",
            "provider": "github",
            "repo": service,
            "pull_requests": _merges(repo),
        },
    }


def _eligibility(when: datetime) -> dict[str, Any]:
    vulnerability = {
        "VulnerabilityID": "CVE-2024-5206",
        "PkgName": "scikit-learn",
        "InstalledVersion": "1.5.2",
        "FixedVersion": "1.5.3",
        "Severity": "HIGH",
    }
    gap = "false_negative_rate_difference"
    return {
        "junit.xml": _junit(
            [(f"test_rule_{n}", "failure" if n == 3 else None) for n in range(12)], "tests", when
        ),
        "coverage.xml": _cobertura(72, 100, when),
        "trivy.json": {
            "SchemaVersion": 2,
            "CreatedAt": isoformat(when),
            "ArtifactName": ".",
            "Results": [
                {
                    "Target": "requirements.txt",
                    "Class": "lang-pkgs",
                    "Type": "pip",
                    "Vulnerabilities": [vulnerability],
                }
            ],
        },
        "model-card.json": {
            "format": "assay.ai-model-card/v1",
            "model": {"name": "eligibility", "version": "1.0.0"},
            "owner": "Eligibility team",
            "risk_tier": "high",
            "license": "MIT",
            "updated_at": isoformat(when),
            "sections": {
                "model_details": "Gradient-boosted trees over 48 claim features.",
                "intended_use": "A first view of eligibility for caseworkers, never a decision.",
                "out_of_scope_use": "",
                "limitations": "Sparse data for claimants under 21.",
                "training_data": "Claims 2019-2025, de-identified.",
                "evaluation_data": "claims-holdout 2025-12.",
                "metrics": "Balanced accuracy and calibration, per the evaluation report.",
                "ethical_considerations": "False negatives delay support; monitored by age band.",
                "human_oversight": "A caseworker confirms every outcome and can override it.",
            },
        },
        "evaluation.json": {
            "format": "assay.ai-evaluation/v1",
            "model": {"name": "eligibility", "version": "1.0.0"},
            "evaluated_at": isoformat(when),
            "dataset": {"name": "claims-holdout", "version": "2025-12"},
            "metrics": [
                {"name": "balanced_accuracy", "value": 0.81, "threshold": 0.8, "baseline": 0.79},
                {
                    "name": "calibration_error",
                    "value": 0.04,
                    "threshold": 0.05,
                    "direction": "max",
                    "baseline": 0.05,
                },
            ],
            "fairness": [
                {"name": gap, "group": "age_65_plus", "value": 0.07, "threshold": 0.05},
                {"name": gap, "group": "disability", "value": 0.02, "threshold": 0.05},
            ],
        },
    }


def _run_time(head: datetime) -> datetime:
    """When the demo's pipeline ran: the start of today (UTC), or an hour after the head
    commit if that is later."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(today, head + timedelta(hours=1))


def _files(service: str, repo: Path) -> dict[str, str]:
    """Artefact file name -> content for one service, dated when its pipeline ran."""
    commit, head = _head(repo)
    when = _run_time(head)
    if service == "payments-api":
        found = _payments(service, repo, commit, when - timedelta(hours=1))
    elif service == "eligibility-ai":
        found = _eligibility(when)
    else:
        legacy = [("login", None), ("reports", "failure"), ("footer", "error")]
        found = {
            "junit.xml": _junit(legacy, "portal", when),
            "bandit.sarif": _sarif(
                "Bandit", [("B602", "error", 8.1), ("B105", "warning", 5.0)], when
            ),
        }
    return {
        name: content if isinstance(content, str) else json.dumps(content, indent=2) + "\n"
        for name, content in found.items()
    }


def write_ci_artefacts(ctx: DemoContext) -> None:
    """Each service's pipeline artefact folder, as its CI run would leave it."""
    from assay.demo.samples import SERVICES

    for service in SERVICES:
        folder = ctx.root / "artefacts" / service
        folder.mkdir(parents=True, exist_ok=True)
        repo = ctx.root / "repos" / service
        stamp = _run_time(_head(repo)[1]).timestamp()
        for name, text in _files(service, repo).items():
            path = folder / name
            path.write_text(text, encoding="utf-8")
            os.utime(path, (stamp, stamp))  # a fixed time for reports that state none
