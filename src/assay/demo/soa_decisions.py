"""The demo organisation's Statement of Applicability decisions (``soa.yaml``).

A small fictional organisation that builds and runs three cloud-hosted services from its
offices: every Annex A control is decided, each with a basis, a justification, the risks
of its risk register it treats and an owner. Cabling security is excluded (it has no
premises whose cabling carries in-scope information).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

VERSION = "1.3"
APPROVED_BY = "Dana Okafor, Chief Information Security Officer"
APPROVED_ON = "2026-01-15"
SCOPE = (
    "The design, build and operation of Example Organisation's public digital services "
    "(payments, eligibility and its AI model, and the status page), the teams that run them "
    "and the cloud platform they are hosted on."
)

# (control ids, basis, risks, owner, justification)
_GROUPS: tuple[tuple[str, tuple[str, ...], tuple[str, ...], str, str], ...] = (
    (
        "A.5.1 A.5.2 A.5.4 A.5.35 A.5.36 A.5.37",
        ("business", "best-practice"),
        ("R-07", "R-12"),
        "CISO",
        "The management system needs approved policies, assigned roles and independent "
        "review to be run and improved at all.",
    ),
    (
        "A.5.3",
        ("risk-treatment",),
        ("R-02", "R-07"),
        "Head of Engineering",
        "No one person may both write and release a change to production.",
    ),
    (
        "A.5.5 A.5.6 A.5.7",
        ("regulatory", "risk-treatment"),
        ("R-09",),
        "CISO",
        "Incidents must be reported to the regulator within 72 hours; threat intelligence "
        "feeds the vulnerability work.",
    ),
    (
        "A.5.8 A.8.25 A.8.26 A.8.27 A.8.28 A.8.29 A.8.31 A.8.32 A.8.33",
        ("risk-treatment", "best-practice"),
        ("R-02", "R-03"),
        "Head of Engineering",
        "The services are built in house and released several times a week: a flawed or "
        "malicious change is the largest single source of risk.",
    ),
    (
        "A.5.9 A.5.10 A.5.11 A.5.12 A.5.13",
        ("risk-treatment",),
        ("R-01", "R-06"),
        "Head of IT",
        "Information that is not inventoried and classified cannot be protected to its value.",
    ),
    (
        "A.5.14 A.8.10 A.8.11 A.8.12",
        ("legal", "risk-treatment"),
        ("R-06",),
        "Data Protection Officer",
        "Personal data leaves the services only by approved routes and is deleted when no "
        "longer needed (UK GDPR, Article 5).",
    ),
    (
        "A.5.15 A.5.16 A.5.17 A.5.18 A.8.2 A.8.3 A.8.4 A.8.5 A.8.18",
        ("risk-treatment",),
        ("R-01", "R-07"),
        "Head of IT",
        "Access to systems and source code is the first line of defence against unauthorised "
        "access and insider misuse.",
    ),
    (
        "A.5.19 A.5.20 A.5.21 A.5.22 A.5.23 A.8.30",
        ("contractual", "risk-treatment"),
        ("R-03", "R-05"),
        "Head of Procurement",
        "The services run on a cloud provider and third-party components; supplier failure or "
        "compromise would reach our customers.",
    ),
    (
        "A.5.24 A.5.25 A.5.26 A.5.27 A.5.28 A.6.8",
        ("regulatory", "risk-treatment"),
        ("R-09",),
        "Head of Platform",
        "Incidents must be detected, handled, reported and learnt from; "
        "personal data breaches are notifiable.",
    ),
    (
        "A.5.29 A.5.30 A.8.13 A.8.14",
        ("contractual", "risk-treatment"),
        ("R-04", "R-08"),
        "Head of Platform",
        "Customer contracts commit to 99.9% availability and to recovery of data after loss.",
    ),
    (
        "A.5.31 A.5.32 A.5.33",
        ("legal", "regulatory"),
        ("R-12",),
        "General Counsel",
        "Legal, statutory and contractual obligations apply to every service and its records.",
    ),
    (
        "A.5.34",
        ("legal",),
        ("R-06",),
        "Data Protection Officer",
        "The services process personal data: UK GDPR and the Data Protection Act 2018 apply.",
    ),
    (
        "A.6.1 A.6.2 A.6.3 A.6.4 A.6.5 A.6.6",
        ("risk-treatment", "best-practice"),
        ("R-07",),
        "Head of People",
        "Staff and contractors handle customer data; screening, terms and "
        "training reduce insider risk.",
    ),
    (
        "A.6.7 A.7.7 A.7.9 A.8.1 A.8.7 A.8.23",
        ("risk-treatment",),
        ("R-01", "R-10"),
        "Head of IT",
        "Staff work from offices and from home on company laptops that reach production.",
    ),
    (
        "A.7.1 A.7.2 A.7.3 A.7.4 A.7.5 A.7.6 A.7.8 A.7.10 A.7.11 A.7.13 A.7.14",
        ("risk-treatment",),
        ("R-10",),
        "Facilities Manager",
        "The offices hold staff laptops and network equipment with access to production; the "
        "hosting provider's data centres are covered under A.5.23.",
    ),
    (
        "A.8.6 A.8.15 A.8.16 A.8.17",
        ("risk-treatment", "contractual"),
        ("R-04", "R-09"),
        "Head of Platform",
        "Capacity, logs and monitoring are needed to keep the committed "
        "availability and to detect attacks.",
    ),
    (
        "A.8.8 A.8.9 A.8.19",
        ("risk-treatment",),
        ("R-03",),
        "Head of Platform",
        "Known vulnerabilities and configuration drift in components are the commonest route "
        "of attack on web services.",
    ),
    (
        "A.8.20 A.8.21 A.8.22 A.8.24",
        ("risk-treatment", "regulatory"),
        ("R-01", "R-06"),
        "Head of Platform",
        "Customer data crosses public networks and is stored in the cloud: "
        "it must be segregated and encrypted.",
    ),
    (
        "A.8.34",
        ("best-practice",),
        ("R-04",),
        "CISO",
        "Audits and penetration tests run against production and must not disrupt it.",
    ),
)
_EXCLUDED = {
    "A.7.12": (
        "Facilities Manager",
        "No premises of ours carry in-scope information over our own cabling: offices use "
        "wireless access and the services are hosted by a cloud provider whose data centre "
        "cabling is covered by its certification (A.5.23).",
    ),
}


def decisions_document() -> dict[str, Any]:
    """The demo's soa.yaml as data."""
    decided: dict[str, dict[str, Any]] = {}
    for ids, basis, risks, owner, why in _GROUPS:
        for control in ids.split():
            decided[control] = {
                "applicable": True,
                "basis": list(basis),
                "justification": why,
                "risks": list(risks),
                "owner": owner,
            }
    for control, (owner, why) in _EXCLUDED.items():
        decided[control] = {"applicable": False, "justification": why, "owner": owner}
    ordered = dict(sorted(decided.items(), key=lambda item: _order(item[0])))
    return {
        "version": VERSION,
        "approved_by": APPROVED_BY,
        "approved_on": APPROVED_ON,
        "scope": SCOPE,
        "decisions": {"iso27001-2022": ordered},
    }


def _order(control: str) -> tuple[int, ...]:
    return tuple(int(part) for part in control[2:].split("."))


def write_decisions(path: Path) -> None:
    """Write the demo's soa.yaml."""
    header = (
        "# Statement of Applicability decisions (format: the soa schema, docs/file-formats.md).\n"
    )
    text = yaml.safe_dump(decisions_document(), sort_keys=False, allow_unicode=True, width=88)
    path.write_text(header + text, encoding="utf-8")
