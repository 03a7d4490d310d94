"""Facts for testing the built-in controls' expectations.

:func:`good_facts` starts from the realistic example of each evidence kind
(tests/data/kind-examples) and adjusts it into a service that meets every built-in
control. :data:`BAD_CASES` lists, for every automated test, one or more small patches that
turn those good facts into a failing, still schema-valid, piece of evidence.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from functools import cache
from typing import Any

from tests.support.paths import DATA

EXAMPLES = DATA / "kind-examples"
COMMITTED_AT = "2026-03-13T16:42:07Z"

Facts = dict[str, Any]
Patch = Callable[[Facts], None]


def example(kind: str) -> Facts:
    facts: Facts = json.loads((EXAMPLES / f"{kind}.json").read_text(encoding="utf-8"))
    return facts


def present_file(path: str, age_days: int) -> Facts:
    """A repo.files entry for one regular file last changed ``age_days`` before the commit."""
    return {
        "present": True,
        "path": path,
        "paths": [path],
        "count": 1,
        "blob_sha": "5b3c0f1e2d4a6b8c9d0e1f2a3b4c5d6e7f8a9b0c",
        "size": 2048,
        "is_symlink": False,
        "last_changed": "2026-02-11T16:42:07Z",
        "age_days": age_days,
    }


def absent_file() -> Facts:
    return {
        "present": False,
        "path": None,
        "paths": [],
        "count": 0,
        "blob_sha": None,
        "size": None,
        "is_symlink": False,
        "last_changed": None,
        "age_days": None,
    }


def _good_repo_files() -> Facts:
    facts = example("repo.files")
    files = facts["files"]
    files["accessibility_statement"] = present_file("ACCESSIBILITY.md", 40)
    files["user_research"] = present_file("research/2026-02-round-7.md", 30)
    files["rollback_plan"] = present_file("ROLLBACK.md", 60)
    return facts


def _good_ci_workflows() -> Facts:
    facts = example("ci.workflows")
    facts["tools"]["accessibility"] = ["pa11y"]
    facts["tools"]["model_evaluation"] = ["evaluate-model"]
    # The pull request workflow (ci.yml) gains an accessibility check and a model evaluation.
    added = {"accessibility", "model_evaluation"}
    for holder, key in (
        (facts, "tool_categories"),
        (facts, "pre_merge_tool_categories"),
        (facts["workflows"][0], "tool_categories"),
    ):
        holder[key] = sorted({*holder[key], *added})
    facts["unpinned_actions"] = 0
    facts["unpinned_action_refs"] = []
    facts["unpinned_images"] = 0
    facts["unpinned_image_refs"] = []
    facts["permissions"] = {
        "top_level_read_only": True,
        "undeclared": 0,
        "write_all": 0,
        "write_scopes": ["id-token", "packages"],
    }
    facts["dangerous_patterns"] = 0
    facts["findings"] = []
    for environment in facts["deploy_environments"]:
        if environment["name"] == "production":
            environment["requires_approval"] = True
    return facts


def _good_git_history() -> Facts:
    facts = example("git.history")
    facts["direct_commits"] = 0
    return facts


def _good_git_tags() -> Facts:
    facts = example("git.tags")
    for tag in facts["tags"]:
        tag["reachable"] = True
    facts["counts"]["reachable"] = facts["counts"]["total"]
    return facts


def _good_sast() -> Facts:
    facts = example("sast.findings")
    facts["by_severity"]["high"] = 0
    facts["by_level"]["error"] = 0
    facts["total"] -= 1
    facts["top_rules"] = [r for r in facts["top_rules"] if r["level"] != "error"]
    return facts


def _good_deps() -> Facts:
    facts = example("deps.vulnerabilities")
    facts["by_severity"]["high"] = 0
    facts["fixable_by_severity"]["high"] = 0
    facts["total"] -= 1
    facts["fixable"] -= 1
    return facts


def _good_slo_definitions() -> Facts:
    facts = example("slo.definitions")
    for slo in facts["slos"]:
        slo["error_budget_policy"] = True
        slo["alerting"] = True
    facts["with_error_budget_policy"] = facts["objectives"]
    facts["with_alerting"] = facts["objectives"]
    return facts


def _good_slo_report() -> Facts:
    facts = example("slo.report")
    for slo in facts["slos"]:
        slo["measured"] = max(slo["measured"], slo["target"])
        slo["error_budget_remaining"] = max(slo["error_budget_remaining"], 0.1)
        slo["met"] = True
    facts["met"] = facts["objectives"]
    facts["breached"] = 0
    facts["min_error_budget_remaining"] = min(s["error_budget_remaining"] for s in facts["slos"])
    return facts


def _good_model_card() -> Facts:
    facts = example("ai.model_card")
    facts["human_oversight"] = True
    facts["sections"] = [*facts["sections"], "human_oversight"]
    return facts


BUILDERS: dict[str, Callable[[], Facts]] = {
    "repo.files": _good_repo_files,
    "ci.workflows": _good_ci_workflows,
    "git.history": _good_git_history,
    "git.tags": _good_git_tags,
    "sast.findings": _good_sast,
    "deps.vulnerabilities": _good_deps,
    "slo.definitions": _good_slo_definitions,
    "slo.report": _good_slo_report,
    "ai.model_card": _good_model_card,
}


@cache
def _good(kind: str) -> str:
    builder = BUILDERS.get(kind)
    facts = builder() if builder else example(kind)
    return json.dumps(facts)


def good_facts(kind: str) -> Facts:
    """A fresh copy of facts of ``kind`` that every built-in control's tests accept."""
    facts: Facts = json.loads(_good(kind))
    return facts


# --------------------------------------------------------------------------- patches


def set_path(path: str, value: Any) -> Patch:
    """A patch setting the dotted ``path`` (list indexes as numbers) to ``value``."""

    def patch(facts: Facts) -> None:
        target: Any = facts
        *parents, last = path.split(".")
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        target[int(last) if isinstance(target, list) else last] = copy.deepcopy(value)

    return patch


def patches(*steps: Patch) -> Patch:
    def patch(facts: Facts) -> None:
        for step in steps:
            step(facts)

    return patch


def without(path: str, item: str) -> Patch:
    """Remove ``item`` from the list at dotted ``path``."""

    def patch(facts: Facts) -> None:
        target: Any = facts
        for part in path.split("."):
            target = target[part]
        target.remove(item)

    return patch


def drop_file(name: str) -> Patch:
    return set_path(f"files.{name}", absent_file())


def age_file(name: str, days: int) -> Patch:
    return set_path(f"files.{name}.age_days", days)


def _first_metric_fails(facts: Facts) -> None:
    metric = facts["metrics"][0]
    metric["value"] = metric["threshold"] - 0.05
    metric["passed"] = False
    facts["metrics_failed"] = 1
    facts["all_passed"] = False


def _fairness_fails(facts: Facts) -> None:
    metric = facts["fairness"]["metrics"][0]
    metric["value"] = 0.12
    metric["passed"] = False
    facts["fairness"]["failed"] = 1
    facts["fairness"]["max_disparity"] = 0.12
    facts["all_passed"] = False


def _unsigned_latest_tag(facts: Facts) -> None:
    facts["tags"][0]["signed"] = False
    facts["latest_signed"] = False
    facts["counts"]["signed"] -= 1
    facts["signed_ratio"] = facts["counts"]["signed"] / facts["counts"]["total"]


def _production_approval_unknown(facts: Facts) -> None:
    for environment in facts["deploy_environments"]:
        if environment["name"] == "production":
            environment["requires_approval"] = None


def _no_tags(facts: Facts) -> None:
    facts.update(tags=[], latest=None, latest_signed=None, signed_ratio=1)
    facts["counts"] = {"total": 0, "annotated": 0, "signed": 0, "reachable": 0}


# (control id, test id, label, patch): each turns good facts into failing evidence.
BAD_CASES: list[tuple[str, str, str, Patch]] = [
    ("AI-01", "inventory-entry", "missing", drop_file("ai_inventory")),
    ("AI-01", "inventory-entry", "stale", age_file("ai_inventory", 400)),
    ("AI-02", "model-card-complete", "no-oversight", set_path("human_oversight", False)),
    ("AI-02", "model-card-complete", "no-owner", set_path("owner", None)),
    ("AI-03", "datasheet", "missing", drop_file("datasheet")),
    ("AI-04", "thresholds-met", "metric-failed", _first_metric_fails),
    ("AI-04", "thresholds-met", "no-threshold", set_path("metrics.2.threshold", None)),
    ("AI-04", "thresholds-met", "unversioned-data", set_path("dataset.version", None)),
    ("AI-04", "baseline-compared", "no-baseline", set_path("metrics.0.baseline", None)),
    (
        "AI-04",
        "evaluation-in-ci",
        "no-step",
        patches(
            set_path("tools.model_evaluation", []),
            without("tool_categories", "model_evaluation"),
        ),
    ),
    ("AI-05", "fairness-within-thresholds", "disparity", _fairness_fails),
    ("AI-05", "fairness-within-thresholds", "one-group", set_path("fairness.groups", 1)),
    ("AI-06", "impact-assessment-file", "stale", age_file("impact_assessment", 400)),
    ("AI-07", "alert-rules", "missing", drop_file("alert_rules")),
    ("AI-08", "rollback-plan", "missing", drop_file("rollback_plan")),
    ("AI-08", "human-oversight", "undocumented", set_path("human_oversight", False)),
    ("CHG-01", "full-history", "shallow", set_path("shallow", True)),
    (
        "CHG-01",
        "review-ratio",
        "low-ratio",
        patches(
            set_path("reviewed_change_sets", 133),
            set_path("unreviewed_change_sets", 15),
            set_path("review_ratio", 0.8986),
        ),
    ),
    (
        "CHG-01",
        "review-ratio",
        "no-activity",
        patches(
            set_path("change_sets", 0),
            set_path("reviewed_change_sets", 0),
            set_path("unreviewed_change_sets", 0),
            set_path("unreviewed_shas", []),
            set_path("review_ratio", 1),
        ),
    ),
    ("CHG-02", "direct-commits", "pushed", set_path("direct_commits", 2)),
    ("CHG-02", "direct-commits", "shallow", set_path("shallow", True)),
    ("CHG-03", "codeowners", "no-catch-all", set_path("codeowners.every_path_owned", False)),
    ("CHG-03", "codeowners", "missing", drop_file("codeowners")),
    (
        "CHG-04",
        "ticket-references",
        "untraced",
        patches(set_path("change_sets_with_ticket_ref", 74), set_path("ticket_ref_ratio", 0.5)),
    ),
    ("CHG-05", "production-approval", "unknown", _production_approval_unknown),
    (
        "CHG-05",
        "production-approval",
        "prd-unapproved",
        set_path(
            "deploy_environments.0", {"name": "PRD-eu", "jobs": 1, "requires_approval": False}
        ),
    ),
    ("CHG-06", "no-self-approval", "self-approved", set_path("self_approvals", 1)),
    ("CHG-06", "no-self-approval", "only-refused", set_path("accepted_approvals", 0)),
    (
        "CHG-06",
        "no-self-approval",
        "no-approvals",
        patches(
            set_path("approvals_total", 0),
            set_path("approvals", []),
            set_path("commits", 0),
            set_path("pull_requests", 0),
            set_path("approvers", 0),
        ),
    ),
    (
        "GOV-09",
        "gate-decision",
        "nothing-assessed",
        patches(
            set_path("controls", 0), set_path("blocking", 0), set_path("blocking_controls", [])
        ),
    ),
    (
        "OPS-01",
        "slo-policy-alerting",
        "no-policy",
        patches(
            set_path("slos.1.error_budget_policy", False), set_path("with_error_budget_policy", 2)
        ),
    ),
    (
        "OPS-01",
        "slo-policy-alerting",
        "no-alerting",
        patches(set_path("slos.0.alerting", False), set_path("with_alerting", 2)),
    ),
    (
        "OPS-01",
        "slo-policy-alerting",
        "unreadable",
        patches(
            set_path("unreadable", 1),
            set_path(
                "unreadable_files",
                [{"file": "slo/broken.yaml", "line": 3, "message": "cannot be read: bad YAML"}],
            ),
        ),
    ),
    ("OPS-01", "alert-rules", "missing", drop_file("alert_rules")),
    (
        "OPS-02",
        "slos-met",
        "breached",
        patches(set_path("breached", 1), set_path("met", 2), set_path("slos.1.met", False)),
    ),
    ("OPS-03", "runbooks", "stale", age_file("runbooks", 500)),
    (
        "OPS-04",
        "postmortems",
        "none",
        patches(drop_file("postmortems"), set_path("postmortem_count", 0)),
    ),
    ("OPS-07", "rollback-plan", "stale", age_file("rollback_plan", 400)),
    ("ORG-06", "dpia-file", "missing", drop_file("impact_assessment")),
    (
        "SDL-01",
        "sast-before-merge",
        "not-pre-merge",
        without("pre_merge_tool_categories", "sast"),
    ),
    ("SDL-01", "no-high-findings", "high", set_path("by_severity.high", 2)),
    ("SDL-01", "no-high-findings", "no-run", set_path("runs", 0)),
    (
        "SDL-02",
        "secrets-before-merge",
        "not-pre-merge",
        without("pre_merge_tool_categories", "secrets"),
    ),
    (
        "SDL-03",
        "pinned",
        "tag-ref",
        patches(
            set_path("unpinned_actions", 1),
            set_path(
                "unpinned_action_refs",
                [{"file": ".github/workflows/ci.yml", "line": 12, "uses": "actions/checkout@v4"}],
            ),
        ),
    ),
    (
        "SDL-03",
        "pinned",
        "image-tag",
        patches(
            set_path("unpinned_images", 1),
            set_path(
                "unpinned_image_refs",
                [{"file": ".github/workflows/ci.yml", "line": 48, "image": "postgres:16"}],
            ),
        ),
    ),
    (
        "SDL-04",
        "read-only-token",
        "undeclared",
        patches(
            set_path("permissions.top_level_read_only", False),
            set_path("permissions.undeclared", 1),
        ),
    ),
    ("SDL-04", "read-only-token", "write-all", set_path("permissions.write_all", 1)),
    (
        "SDL-05",
        "no-dangerous-patterns",
        "injection",
        patches(
            set_path("dangerous_patterns", 1),
            set_path(
                "findings",
                [
                    {
                        "rule": "script_injection",
                        "file": ".github/workflows/ci.yml",
                        "line": 63,
                        "message": "github.event.pull_request.title is expanded in a run: script.",
                    }
                ],
            ),
        ),
    ),
    ("SDL-06", "security-policy", "no-contact", set_path("security_contact", False)),
    ("SDL-07", "threat-model", "stale", age_file("threat_model", 400)),
    (
        "SDL-07",
        "decision-records",
        "none",
        patches(drop_file("adrs"), set_path("adr_count", 0)),
    ),
    (
        "SUP-01",
        "sbom-licences",
        "unlicensed",
        patches(set_path("components_without_licence", 159), set_path("licensed_ratio", 0.5)),
    ),
    (
        "SUP-01",
        "sbom-licences",
        "empty",
        patches(
            set_path("components", 0),
            set_path("components_without_version", 0),
            set_path("components_without_licence", 0),
            set_path("licensed_ratio", 1),
        ),
    ),
    ("SUP-02", "sca-in-ci", "no-scanner", without("tool_categories", "sca")),
    (
        "SUP-02",
        "no-fixable-critical-high",
        "fixable-critical",
        set_path("fixable_by_severity.critical", 1),
    ),
    (
        "SUP-03",
        "locked-and-updated",
        "no-update-tool",
        patches(drop_file("dependency_updates"), set_path("dependency_update_tools", [])),
    ),
    ("SUP-03", "locked-and-updated", "no-lockfile", drop_file("lockfiles")),
    ("SUP-04", "signed-reachable-tags", "unsigned", _unsigned_latest_tag),
    ("SUP-04", "signed-reachable-tags", "unreachable", set_path("tags.1.reachable", False)),
    ("SUP-04", "signed-reachable-tags", "no-release", _no_tags),
    ("SUP-05", "provenance-matches", "other-commit", set_path("matches_commit", False)),
    ("SUP-05", "provenance-matches", "unknown-commit", set_path("matches_commit", None)),
    ("SUP-05", "provenance-matches", "unsigned", set_path("signed", False)),
    ("SVC-01", "recent-research", "stale", age_file("user_research", 120)),
    ("SVC-02", "accessibility-statement", "missing", drop_file("accessibility_statement")),
    (
        "SVC-02",
        "accessibility-checks",
        "no-checker",
        patches(
            set_path("tools.accessibility", []),
            without("tool_categories", "accessibility"),
            without("pre_merge_tool_categories", "accessibility"),
        ),
    ),
    (
        "SVC-03",
        "measured",
        "no-objectives",
        patches(
            set_path("objectives", 0),
            set_path("met", 0),
            set_path("breached", 0),
            set_path("slos", []),
            set_path("min_error_budget_remaining", 1),
        ),
    ),
    ("SVC-04", "licence-and-readme", "unrecognised-licence", set_path("license_id", None)),
    ("SVC-04", "licence-and-readme", "no-readme", drop_file("readme")),
    ("SVC-05", "frequent-changes", "sporadic", set_path("active_weeks", 2)),
    (
        "TST-01",
        "tests-before-merge",
        "not-pre-merge",
        without("pre_merge_tool_categories", "tests"),
    ),
    (
        "TST-01",
        "tests-pass",
        "failures",
        patches(
            set_path("failures", 3),
            set_path("passed", 1276),
            set_path("pass_ratio", 0.9977),
            set_path("failed_tests", ["tests.test_api.test_refund", "tests.test_api.test_void"]),
        ),
    ),
    (
        "TST-01",
        "tests-pass",
        "no-tests",
        patches(
            set_path("tests", 0),
            set_path("passed", 0),
            set_path("skipped", 0),
            set_path("pass_ratio", 1),
        ),
    ),
    (
        "TST-01",
        "tests-pass",
        "all-skipped",
        patches(
            set_path("passed", 0),
            set_path("skipped", 1287),
            set_path("pass_ratio", 0.0),
        ),
    ),
    (
        "TST-02",
        "line-coverage",
        "low",
        patches(set_path("lines_covered", 7410), set_path("line_rate", 0.5)),
    ),
    ("TST-03", "recent-security-test", "stale", age_file("security_testing", 400)),
]
