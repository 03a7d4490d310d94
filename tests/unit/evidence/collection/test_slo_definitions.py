"""slo.definitions: OpenSLO, Sloth and simple-form SLO files read from git, hostile files,
the service file's SLOs, and OPS-01 deciding on the result end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from assay.cli.app import app
from assay.evidence.collectors.interface import CollectContext
from assay.evidence.collectors.slo_definitions import (
    SloDefinitionsCollector,
    split_documents,
)
from assay.evidence.context import CI_MARKERS
from assay.evidence.kinds import kind_validator
from assay.evidence.repofiles.slo_formats import iso_duration
from tests.support.gitrepo import GitRepo
from tests.unit.evidence.collection.helpers import context, only, target, workspace

NOT_CI = dict.fromkeys(CI_MARKERS, "")

OPENSLO = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout
  annotations:
    openslo.com/error-budget-policy: docs/error-budget-policy.md
spec:
  service: payments
  indicatorRef: checkout-success
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - displayName: fast
      target: 0.99
    - displayName: ok
      targetPercent: 99.9
  alertPolicies:
    - kind: AlertPolicy
      metadata: {name: burn-rate}
      spec: {conditions: []}
---
apiVersion: openslo/v1
kind: SLI
metadata: {name: checkout-success}
spec:
  ratioMetric: {counter: true}
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: settlement-freshness
  labels:
    errorBudgetPolicy: "Feature work pauses until the budget recovers; the owner decides."
spec:
  timeWindow:
    - duration: 4w
  objectives:
    - target: 0.995
"""

SLOTH = """\
version: prometheus/v1
service: payments
labels:
  error-budget-policy: https://wiki.example.org/payments/error-budget
slos:
  - name: requests-availability
    objective: 99.9
    description: Successful HTTP responses.
    sli:
      events:
        error_query: sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total[{{.window}}]))
    alerting:
      name: PaymentsAvailability
      page_alert: {labels: {severity: critical}}
      ticket_alert: {labels: {severity: warning}}
  - name: requests-latency
    objective: 99
    sli:
      raw: {error_ratio_query: "1 - latency_ratio"}
    alerting:
      page_alert: {disable: true}
      ticket_alert: {disable: true}
"""

SIMPLE = """\
error_budget_policy: docs/error-budget-policy.md
slos:
  - name: search-latency
    objective: 0.95
    window: P7D
    alerting: alerts/search.rules.yaml
  - name: search-availability
    objective: 0.999
    window: 30d
    sli: availability of /search
    alerting: alerts/missing.rules.yaml
  - name: index-freshness
    objective: 0.9
    window: PT12H
    error_budget_policy: none
    alerting: true
"""


def facts(repo: GitRepo, *, service_slos: Any = None, **ref: Any) -> dict[str, Any]:
    ctx = CollectContext(service="svc", service_slos=tuple(service_slos or ()))
    draft = only(SloDefinitionsCollector().collect(target(repo, **ref), ctx))
    assert list(kind_validator("slo.definitions").iter_errors(draft.facts)) == []
    assert draft.kind == "slo.definitions"
    assert draft.subject == {"repo": "api", "branch": "main", "commit": repo.head()}
    assert draft.collector == "slo.definitions@1.0.0"
    return draft.facts


def slo(
    name: str, target: float, window: str, sli: str, policy: bool, alerting: bool
) -> dict[str, Any]:
    return {
        "name": name,
        "target": target,
        "window": window,
        "sli": sli,
        "error_budget_policy": policy,
        "alerting": alerting,
    }


def test_openslo_objectives_windows_policies_and_alerting(git_repo: GitRepo) -> None:
    git_repo.commit(
        "slos",
        {
            "slo/payments.yaml": OPENSLO,
            "docs/error-budget-policy.md": "# Error budget policy\n",
            "src/app.py": "print()\n",
        },
    )
    found = facts(git_repo)
    assert found == {
        "source": "repository",
        "files": ["slo/payments.yaml"],
        "objectives": 3,
        "slos": [
            slo("checkout/fast", 0.99, "P28D", "checkout-success", True, True),
            slo("checkout/ok", 0.999, "P28D", "checkout-success", True, True),
            slo("settlement-freshness", 0.995, "P4W", "freshness", True, False),
        ],
        "with_error_budget_policy": 3,
        "with_alerting": 2,
        "min_target": 0.99,
        "unreadable": 0,
        "unreadable_files": [],
    }


def test_a_policy_reference_to_a_missing_document_does_not_count(git_repo: GitRepo) -> None:
    git_repo.commit("slos", {"payments.openslo.yaml": OPENSLO})
    found = facts(git_repo)
    by_name = {s["name"]: s["error_budget_policy"] for s in found["slos"]}
    assert by_name == {"checkout/fast": False, "checkout/ok": False, "settlement-freshness": True}
    assert found["with_error_budget_policy"] == 1


def test_an_openslo_window_written_as_a_mapping(git_repo: GitRepo) -> None:
    text = OPENSLO.split("---")[0].replace(
        "  timeWindow:\n    - duration: 28d\n      isRolling: true\n",
        "  timeWindow: {duration: 1M, isRolling: false}\n",
    )
    git_repo.commit("slos", {"slo/api.yaml": text})
    assert {s["window"] for s in facts(git_repo)["slos"]} == {"P1M"}


def test_sloth_percentages_default_window_and_alerting(git_repo: GitRepo) -> None:
    git_repo.commit("slos", {"slos/payments.yaml": SLOTH})
    found = facts(git_repo)
    assert found["slos"] == [
        slo("requests-availability", 0.999, "P30D", "availability", True, True),
        slo("requests-latency", 0.99, "P30D", "latency", True, False),
    ]
    assert (found["with_alerting"], found["min_target"], found["unreadable"]) == (1, 0.99, 0)


def test_sloth_kubernetes_resource(git_repo: GitRepo) -> None:
    resource = (
        "apiVersion: sloth.slok.dev/v1\nkind: PrometheusServiceLevel\n"
        "metadata: {name: payments}\nspec:\n  service: payments\n  slos:\n"
        "    - name: errors\n      objective: 99.5\n      alerting: {name: PaymentsErrors}\n"
    )
    git_repo.commit("slos", {"slo/payments.yaml": resource})
    assert facts(git_repo)["slos"] == [slo("errors", 0.995, "P30D", "availability", False, True)]


def test_simple_form_with_file_defaults_and_checked_references(git_repo: GitRepo) -> None:
    git_repo.commit(
        "slos",
        {
            "slo.yaml": SIMPLE,
            "docs/error-budget-policy.md": "# Policy\n",
            "alerts/search.rules.yaml": "groups: []\n",
        },
    )
    found = facts(git_repo)
    assert found["slos"] == [
        slo("index-freshness", 0.9, "PT12H", "freshness", False, True),
        slo("search-availability", 0.999, "P30D", "availability of /search", True, False),
        slo("search-latency", 0.95, "P7D", "latency", True, True),
    ]
    assert (found["objectives"], found["with_error_budget_policy"], found["with_alerting"]) == (
        3,
        2,
        2,
    )


def test_no_slo_files_still_gives_evidence(git_repo: GitRepo) -> None:
    git_repo.commit("code", {"src/app.py": "print()\n", "docs/slo-notes.md": "# not YAML\n"})
    assert facts(git_repo) == {
        "source": "none",
        "files": [],
        "objectives": 0,
        "slos": [],
        "with_error_budget_policy": 0,
        "with_alerting": 0,
        "min_target": 1.0,
        "unreadable": 0,
        "unreadable_files": [],
    }


def test_the_service_files_slos_stand_in_when_the_repository_has_none(git_repo: GitRepo) -> None:
    git_repo.commit("alerts", {"monitoring/alerts/api.rules.yaml": "groups: []\n"})
    declared = [
        {
            "name": "availability",
            "objective": 0.999,
            "window": "P28D",
            "error_budget_policy": "Releases stop when the budget is spent.",
            "alerting": "monitoring/alerts/api.rules.yaml",
        },
        {"name": "latency", "objective": 0.99, "window": "P1M", "alerting": "alerts/gone.yaml"},
    ]
    found = facts(git_repo, service_slos=declared)
    assert found["source"] == "service"
    assert found["files"] == []
    assert found["slos"] == [
        slo("availability", 0.999, "P28D", "availability", True, True),
        slo("latency", 0.99, "P1M", "latency", False, False),
    ]
    # The repository's own files win: the service file is only a fallback.
    git_repo.commit("slos", {"slo/api.yaml": SLOTH})
    again = facts(git_repo, service_slos=declared)
    assert (again["source"], again["objectives"]) == ("repository", 2)


def test_the_files_override_names_where_slos_live(git_repo: GitRepo) -> None:
    git_repo.commit("slos", {"reliability/objectives.yaml": SLOTH, "slo/old.yaml": OPENSLO})
    found = facts(git_repo, files={"slo_definitions": "reliability/objectives.yaml"})
    assert found["files"] == ["reliability/objectives.yaml"]
    assert [s["name"] for s in found["slos"]] == ["requests-availability", "requests-latency"]
    folder = facts(git_repo, files={"slo_definitions": "reliability"})
    assert folder["files"] == ["reliability/objectives.yaml"]


def test_unreadable_definitions_are_counted_and_located(git_repo: GitRepo) -> None:
    git_repo.commit(
        "slos",
        {
            "slo/good.yaml": SLOTH,
            "slo/tabs.yaml": "slos:\n\t- name: x\n",
            "slo/percent.yaml": "slos:\n  - name: x\n    objective: 99.9\n    window: P28D\n",
            "slo/unknown.yaml": "objectives: [1, 2]\n",
            "slo/no-target.yaml": OPENSLO.replace("targetPercent: 99.9", "op: lte"),
            "slo/binary.yaml": b"slos: \xff\xfe\n",
            "slo/generated-rules.yaml": "groups:\n  - name: sloth-slo\n    rules: []\n",
        },
    )
    found = facts(git_repo)
    assert [(p["file"], p["line"], p["message"]) for p in found["unreadable_files"]] == [
        ("slo/binary.yaml", 1, "cannot be read: not valid UTF-8 (byte 0xff)"),
        (
            "slo/no-target.yaml",
            17,
            "spec.objectives[1] needs a target between 0 and 1 (or targetPercent)",
        ),
        ("slo/percent.yaml", 3, "slos[0].objective must be a ratio between 0 and 1, e.g. 0.999"),
        (
            "slo/tabs.yaml",
            2,
            "cannot be read: tab character where YAML expects spaces (indent with spaces)",
        ),
        ("slo/unknown.yaml", 1, "not an OpenSLO, Sloth or simple-form SLO definition"),
    ]
    assert found["unreadable"] == 5
    # The readable file and the readable documents of a partly broken file still count.
    names = [s["name"] for s in found["slos"]]
    assert names == ["requests-availability", "requests-latency", "settlement-freshness"]


def test_an_alias_bomb_is_refused_without_stopping_collection(git_repo: GitRepo) -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for index in range(1, 9):
        previous = chr(ord("a") + index - 1)
        name = chr(ord("a") + index)
        lines.append(f"{name}: &{name} [{', '.join(['*' + previous] * 10)}]")
    lines.append("slos: *i")
    git_repo.commit("bomb", {"slo/bomb.yaml": "\n".join(lines) + "\n", "slo/ok.yaml": SLOTH})
    found = facts(git_repo)
    (problem,) = found["unreadable_files"]
    assert problem["file"] == "slo/bomb.yaml"
    assert "expands to more than 200,000 values" in problem["message"]
    assert found["objectives"] == 2


def test_a_symlink_named_like_an_slo_file_is_never_followed(git_repo: GitRepo) -> None:
    (git_repo.path / "passwd.slo.yaml").symlink_to("/etc/passwd")
    (git_repo.path / "slo").mkdir()
    (git_repo.path / "slo" / "link.yaml").symlink_to("../slos.yaml")
    git_repo.commit("links", {"slos.yaml": SIMPLE.replace("P7D", "P14D")})
    found = facts(git_repo)
    assert found["unreadable_files"] == [
        {"file": "passwd.slo.yaml", "line": 1, "message": "a symbolic link: not followed"},
        {"file": "slo/link.yaml", "line": 1, "message": "a symbolic link: not followed"},
    ]
    assert "root" not in json.dumps(found)
    assert found["objectives"] == 3  # slos.yaml itself, read once


def test_a_file_over_the_size_cap_is_not_read(git_repo: GitRepo) -> None:
    big = SLOTH + "# padding\n" * 120_000
    git_repo.commit("big", {"slo/big.yaml": big})
    found = facts(git_repo)
    assert found["objectives"] == 0
    assert found["unreadable_files"][0]["message"].endswith("over the 1,048,576 byte limit")


def test_content_comes_from_the_commit_not_the_working_tree(git_repo: GitRepo) -> None:
    git_repo.commit("slos", {"slo/api.yaml": SLOTH})
    first = only(SloDefinitionsCollector().collect(target(git_repo), context()))
    (git_repo.path / "slo" / "api.yaml").write_text("broken: [\n")
    (git_repo.path / "slo" / "extra.yaml").write_text(SIMPLE)
    second = only(SloDefinitionsCollector().collect(target(git_repo), context()))
    assert second.facts["objectives"] == 2
    assert second.id == first.id  # same commit, same evidence
    assert second.observed_at == first.observed_at


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("28d", "P28D"),
        ("4w", "P4W"),
        ("1M", "P1M"),
        ("1Q", "P3M"),
        ("1Y", "P1Y"),
        ("12h", "PT12H"),
        ("30m", "PT30M"),
        ("P28D", "P28D"),
        ("p7d", "P7D"),
        ("0d", None),
        ("P0D", None),
        ("28 days", None),
        ("", None),
        (28, None),
    ],
)
def test_durations(given: Any, expected: str | None) -> None:
    assert iso_duration(given) == expected


def test_documents_keep_their_line_numbers() -> None:
    text = "a: 1\n---\nb: 2\n--- # second\n\nc: 3\n"
    assert split_documents(text) == [(0, "a: 1\n"), (1, "\nb: 2\n"), (3, "\n\nc: 3\n")]


# --------------------------------------------------------------------------- end to end


def ops01(runner: CliRunner, root: Path) -> dict[str, Any]:
    collected = runner.invoke(app, ["collect", "-w", str(root)], env=NOT_CI)
    assert collected.exit_code == 0, collected.output
    assert "slo.definitions" in collected.stdout
    checked = runner.invoke(app, ["check", "-w", str(root), "-f", "json"], env=NOT_CI)
    assert checked.exit_code == 1  # other controls still lack evidence
    (assessment,) = json.loads(checked.stdout)
    result: dict[str, Any] = next(r for r in assessment["results"] if r["control"] == "OPS-01")
    return result


def test_collect_and_check_decide_ops01(tmp_path: Path, runner: CliRunner) -> None:
    repo = GitRepo.init(tmp_path / "ws" / "repos" / "api")
    repo.commit("code", {"src/app.py": "print()\n"})
    root = workspace(tmp_path / "ws", {"api": {"repos": [{"name": "api", "path": "repos/api"}]}})
    before = ops01(runner, root)
    assert before["status"] == "fail"
    assert before["reasons"][0] == (
        "0 SLOs are defined; 0 have an error budget policy, 0 have alerting, and 0 SLO "
        "definitions could not be read. At least one SLO is required, each needs both, and "
        "every definition must be readable: objectives is 0; it must be at least 1"
    )
    text = runner.invoke(app, ["check", "-w", str(root), "-s", "api"], env=NOT_CI)
    assert text.exit_code == 1
    assert "OPS-01   fail    medium    0 SLOs are defined; 0 have an error budget" in text.stdout
    alerted = OPENSLO.replace(
        "    - target: 0.995\n", "    - target: 0.995\n  alertPolicies: [fast-burn]\n"
    )
    repo.commit(
        "SLOs with a policy and alerting",
        {
            "slo/payments.yaml": alerted,
            "docs/error-budget-policy.md": "# Error budget policy\n",
            "monitoring/alerts/payments.rules.yaml": "groups: []\n",
        },
    )
    after = ops01(runner, root)
    assert (after["status"], after["reasons"]) == ("pass", [])
    repo.commit("a broken SLO file", {"slo/broken.yaml": "slos: [\n"})
    broken = ops01(runner, root)
    assert broken["status"] == "fail"
    assert broken["reasons"][0].startswith(
        "3 SLOs are defined; 3 have an error budget policy, 3 have alerting, and 1 SLO "
        "definitions could not be read."
    )
