"""The demo's three services and the histories of their repositories.

- ``payments-api`` (tier 1, internet-facing, pii): every change reviewed through a pull
  request, every commit and release tag signed, every governance file present, static
  analysis, secret and dependency scanning on every pull request, and an SLO with an error
  budget policy and alerting: the release gate allows it.
- ``eligibility-ai`` (tier 2, ai, public-sector): an AI service with a model card and
  datasheet, but some merges nobody else reviewed, a hotfix pushed straight to main,
  and unsigned releases.
- ``legacy-portal`` (tier 3, public-sector): no CODEOWNERS or security policy, direct
  commits without tickets, nothing signed, a committed binary.
"""

from __future__ import annotations

from assay.demo.ci_samples import TRIAGE_WORKFLOW
from assay.demo.gitbuild import Person
from assay.demo.histories import Change, Event, Merge, Tag

PRIYA = Person("Priya Shah", "priya.shah@example.org")
TOM = Person("Tom Okafor", "tom.okafor@example.org")
LI = Person("Li Wei", "li.wei@example.org")
SAM = Person("Sam Jones", "sam.jones@example.org")
ANA = Person("Ana Costa", "ana.costa@example.org")
PAT = Person("Pat Morgan", "pat.morgan@example.org")

APACHE = """\
                                 Apache License
                           Version 2.0, January 2004
                        http://www.apache.org/licenses/

   TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION
   (the full licence text would follow here)
"""

MIT = """\
MIT License

Copyright (c) 2026 Example Organisation

Permission is hereby granted, free of charge, to any person obtaining a copy of this
software and associated documentation files (the "Software"), to deal in the Software
without restriction, subject to the following conditions: the above copyright notice
and this permission notice shall be included in all copies or substantial portions.
"""

CHECKOUT = "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683"
CODEQL = "cdf488f595d80d6e07e03d4674febd5ab45fa938"

#: The plain pipeline: tests on every pull request and push to main, pinned, read-only.
CI_WORKFLOW = f"""\
name: ci
on:
  pull_request:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - uses: {CHECKOUT}
      - run: make test
"""

# payments-api checks every pull request for code flaws (CodeQL), committed secrets
# (gitleaks) and vulnerable dependencies (pip-audit on the locked requirements). Every action
# is pinned to a full commit id; the token is read-only except where CodeQL uploads results.
PAYMENTS_CI_WORKFLOW = f"""\
{CI_WORKFLOW}  codeql:
    runs-on: ubuntu-24.04
    permissions:
      contents: read
      security-events: write
    steps:
      - uses: {CHECKOUT}
      - uses: github/codeql-action/init@{CODEQL}
        with:
          languages: python
          queries: security-extended
      - uses: github/codeql-action/analyze@{CODEQL}
  secrets:
    runs-on: ubuntu-24.04
    steps:
      - uses: {CHECKOUT}
        with:
          fetch-depth: 0
      - uses: gitleaks/gitleaks-action@ff98106e4c7b2bc287b24eaf42907196329070c7
        env:
          GITHUB_TOKEN: ${{{{ secrets.GITHUB_TOKEN }}}}
  dependencies:
    runs-on: ubuntu-24.04
    steps:
      - uses: {CHECKOUT}
      - run: pipx run uv==0.5.11 export --frozen --format requirements-txt -o audit.txt
      - uses: pypa/gh-action-pip-audit@1220774d901786e6f652ae159f7b6bc8fea6d266
        with:
          inputs: audit.txt
          require-hashes: true
"""

# The availability objective, with an error budget policy and burn-rate alerting.
PAYMENTS_SLO = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: availability
  annotations:
    example.org/error-budget-policy: docs/error-budget-policy.md
spec:
  service: payments-api
  description: Card and bank payment requests that succeed.
  indicatorRef: successful-requests
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - displayName: successful requests
      target: 0.999
  alertPolicies:
    - alertPolicyRef: fast-burn
---
apiVersion: openslo/v1
kind: SLI
metadata:
  name: successful-requests
spec:
  ratioMetric:
    counter: true
    good:
      metricSource:
        type: Prometheus
        spec: {query: 'sum(rate(http_requests_total{job="payments",code!~"5.."}[5m]))'}
    total:
      metricSource:
        type: Prometheus
        spec: {query: 'sum(rate(http_requests_total{job="payments"}[5m]))'}
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata:
  name: fast-burn
spec:
  description: Page when 2% of the 28-day budget burns within an hour.
  conditions:
    - conditionRef: burn-rate-14x
  notificationTargets:
    - targetRef: payments-on-call
"""

ERROR_BUDGET_POLICY = """\
# Error budget policy

When less than a quarter of the 28-day error budget remains, feature releases pause and
the team works on reliability until the budget recovers. The service owner decides when
releases resume; an incident that spends more than a fifth of the budget gets a postmortem.
"""


def _reviewed(number: int, branch: str, title: str, reviewer: Person) -> str:
    return (
        f"Merge pull request #{number} from example-org/{branch}\n\n{title}\n\n"
        f"Reviewed-by: {reviewer.name} <{reviewer.email}>\n"
    )


def payments_history() -> list[Event]:
    base: dict[str, str | bytes | None] = {
        "README.md": "# Payments API\n\nTakes card and bank payments for Example services.\n",
        "LICENSE": APACHE,
        ".github/CODEOWNERS": "# Every path has an owner.\n* @example-org/payments\n"
        "/infra/ @example-org/platform @example-org/payments\n",
        "SECURITY.md": "# Security policy\n\nReport vulnerabilities to security@example.org; "
        "we reply within two working days.\n",
        "CONTRIBUTING.md": "# Contributing\n\nOpen a pull request; one review is required.\n",
        ".github/dependabot.yml": "version: 2\nupdates:\n  - package-ecosystem: pip\n"
        "    directory: /\n    schedule: {interval: weekly}\n",
        ".github/workflows/ci.yml": PAYMENTS_CI_WORKFLOW,
        ".pre-commit-config.yaml": "repos: []\n",
        "pyproject.toml": '[project]\nname = "payments-api"\nversion = "1.0.0"\n',
        "uv.lock": "version = 1\n",
        "src/payments/__init__.py": '"""Payments API."""\n',
        "src/payments/app.py": "def health() -> str:\n    return 'ok'\n",
        "THREAT_MODEL.md": "# Threat model\n\nSTRIDE analysis of the payment flow.\n",
        "docs/adr/0001-record-decisions.md": "# 1. Record architecture decisions\n",
        "docs/adr/0002-tokenise-cards.md": "# 2. Tokenise card numbers at the edge\n",
        "catalog-info.yaml": "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
        "metadata: {name: payments-api}\nspec: {type: service, owner: payments}\n",
        "ROLLBACK.md": "# Rollback\n\nRedeploy the previous release tag with `make deploy`.\n",
        "monitoring/alerts.rules.yml": "groups:\n  - name: payments\n    rules:\n"
        "      - alert: ErrorBudgetFastBurn\n"
        "        expr: job:slo_errors_per_request:ratio_rate1h{job='payments'} > (14.4 * 0.001)\n",
        "slo/availability.yaml": PAYMENTS_SLO,
        "docs/error-budget-policy.md": ERROR_BUDGET_POLICY,
        "runbooks/payment-failures.md": "# Payment failures\n\n1. Check the PSP status page.\n",
        "runbooks/deploy.md": "# Deploying\n",
        "docs/dpia.md": "# Data protection impact assessment\n\nCard data is tokenised.\n",
        "docs/pentest/2026-q1-summary.md": "# Penetration test, Q1 2026\n\nNo high findings.\n",
    }
    events: list[Event] = [
        Change(
            "Service skeleton with governance files (#1)\n\nPAY-1\n\n"
            f"Reviewed-by: {TOM.name} <{TOM.email}>\n",
            base,
            PRIYA,
            signed=True,
        )
    ]
    features = [
        ("tokenise-cards", "PAY-12 Tokenise card numbers", TOM, LI),
        ("fraud-score", "PAY-15 Check the fraud score before capture", LI, PRIYA),
        ("refunds", "PAY-18 Partial refunds", PRIYA, TOM),
        ("postmortem-psp", "PAY-21 Postmortem for the PSP outage", TOM, PRIYA),
        ("idempotency", "PAY-24 Idempotency keys on capture", LI, TOM),
        ("retry-budget", "PAY-27 Bounded retries to the PSP", PRIYA, LI),
        ("audit-log", "PAY-30 Audit log of refunds", TOM, SAM),
        ("rate-limits", "PAY-33 Rate limits per merchant", LI, PRIYA),
    ]
    releases = {4: "v1.0.0", 7: "v1.1.0"}
    for number, (branch, title, author, reviewer) in enumerate(features, start=2):
        ticket = title.split(" ", 1)[0]
        module = branch.replace("-", "_")
        files: dict[str, str | bytes | None] = {f"src/payments/{module}.py": f"# {title}\n"}
        if branch == "postmortem-psp":
            files = {"postmortems/2026-01-psp-outage.md": "# PSP outage\n\nTimeline, actions.\n"}
        tests: dict[str, str | bytes | None] = {f"tests/test_{module}.py": "def test_ok(): ...\n"}
        commits = (
            Change(f"{ticket}: start", files, author, signed=True, gap_hours=4),
            Change(f"{ticket}: tests", tests, author, signed=True, gap_hours=4),
        )
        message = _reviewed(number, branch, title, reviewer)
        events.append(Merge(commits, message, author, signed=True, gap_hours=60))
        if number in releases:
            version = releases[number]
            events.append(Tag(version, f"Release {version[1:]}", signed=True))
    events.append(Tag("v1.2.0", "Release 1.2.0", signed=True))
    return events


def eligibility_history() -> list[Event]:
    base: dict[str, str | bytes | None] = {
        "README.md": "# Eligibility checker\n\nEstimates eligibility for support schemes.\n",
        "LICENSE": MIT,
        "CODEOWNERS": "* @example-org/eligibility\n",
        "SECURITY.md": "# Security\n\nSee https://www.example.org/security for how to report.\n",
        "MODEL_CARD.md": "# Eligibility model\n\n## Model details\n\n## Intended use\n\n"
        "## Out-of-scope use\n\n## Training data\n\n## Evaluation data\n\n## Metrics\n\n"
        "## Ethical considerations\n\n## Human oversight\n\n## Limitations\n",
        "DATASHEET.md": "# Datasheet: claims 2019-2025\n\nMotivation, composition, collection.\n",
        "ai-inventory.yaml": "system: eligibility-ai\npurpose: decision support\nrisk: high\n",
        "docs/impact-assessment.md": "# Algorithmic impact assessment\n",
        "ACCESSIBILITY.md": "# Accessibility statement\n\nWCAG 2.2 AA, tested March 2026.\n",
        "research/2026-02-caseworker-interviews.md": "# Caseworker interviews\n",
        "alerts/model-drift.yaml": "groups:\n  - name: drift\n    rules:\n"
        "      - alert: FeatureDrift\n        expr: drift_score > 0.2\n",
        "ROLLBACK.md": "# Rollback\n\nPin the previous model version in config/model.yaml.\n",
        "requirements.txt": "scikit-learn==1.5.2 --hash=sha256:"
        "3b0ba3e24f5c1d8a0b3e6c1e7d3f3f4a1e9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c\n",
        "src/eligibility/model.py": "THRESHOLD = 0.62\n",
        ".github/workflows/ci.yml": CI_WORKFLOW,
        ".github/workflows/triage.yml": TRIAGE_WORKFLOW,
    }
    model = "src/eligibility/model.py"
    return [
        Change(
            f"Eligibility model and service (#1)\n\nELIG-1\n\nReviewed-by: {SAM.name}",
            base,
            ANA,
            signed=True,
        ),
        Merge(
            (Change("ELIG-4 Add fairness metrics", {"src/eligibility/fairness.py": "#\n"}, SAM),),
            _reviewed(2, "fairness", "ELIG-4 Fairness metrics by group", ANA),
            SAM,
            signed=True,
            gap_hours=70,
        ),
        Merge(
            (Change("ELIG-7 Retrain on 2025 claims", {model: "THRESHOLD = 0.60\n"}, ANA),),
            "Merge pull request #3 from example-org/retrain\n\nELIG-7 Retrain on 2025 claims\n",
            ANA,
            gap_hours=70,
        ),
        Tag("v0.9.0", annotated=False),
        Merge(
            (Change("ELIG-9 Explanations", {"src/eligibility/explain.py": "#\n"}, SAM),),
            _reviewed(4, "explanations", "ELIG-9 Explanations for caseworkers", LI),
            SAM,
            signed=True,
            gap_hours=70,
        ),
        Merge(
            (Change("ELIG-11 Lower the threshold", {model: "THRESHOLD = 0.58\n"}, ANA),),
            _reviewed(5, "threshold", "ELIG-11 Lower the threshold", ANA),
            ANA,
            gap_hours=70,
        ),
        Change("Hotfix: restore threshold", {model: "THRESHOLD = 0.60\n"}, ANA, gap_hours=70),
        Tag("v1.0.0", "Release 1.0.0"),
    ]


def legacy_history() -> list[Event]:
    base: dict[str, str | bytes | None] = {
        "README": "Legacy benefits portal. Deploy by copying war file.\n",
        "requirements.txt": "flask==0.12\nrequests\n",
        "portal/app.py": "from flask import Flask\napp = Flask(__name__)\n",
        "lib/report-engine.jar": b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)) * 4,
    }
    return [
        Change("initial import", base, PAT),
        Change("LP-101 fix login redirect", {"portal/login.py": "#\n"}, PAT, gap_hours=200),
        Change("update footer", {"portal/footer.html": "<footer/>\n"}, PAT, gap_hours=200),
        Tag("v2.3.1", annotated=False),
        Change("quick fix for reports", {"portal/reports.py": "# reports\n"}, PAT, gap_hours=300),
        Change("tidy", {"portal/footer.html": "<footer>Example</footer>\n"}, PAT, gap_hours=300),
    ]


SERVICES: dict[str, dict[str, object]] = {
    "payments-api": {
        "name": "Payments API",
        "owner": "payments-team@example.org",
        "outcome": "People can pay for Example services online.",
        "tier": 1,
        "tags": ["internet-facing", "pii"],
        "history": payments_history,
    },
    "eligibility-ai": {
        "name": "Eligibility checker",
        "owner": "eligibility-team@example.org",
        "outcome": "Caseworkers get a consistent first view of eligibility.",
        "tier": 2,
        "tags": ["ai", "public-sector"],
        "history": eligibility_history,
    },
    "legacy-portal": {
        "name": "Legacy benefits portal",
        "owner": "digital-services@example.org",
        "outcome": "Claimants can view past benefit statements.",
        "tier": 3,
        "tags": ["public-sector"],
        "history": legacy_history,
    },
}
