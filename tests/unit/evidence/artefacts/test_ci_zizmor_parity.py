"""zizmor as the oracle: the same repository, read by both, gives the same counts.

The fixture repository (tests/data/ci/github-repo: workflows, a published composite
action, nested local actions, a reusable workflow) is committed to a git repository and
audited by zizmor offline. What is compared:

- ``unpinned_actions`` and their files and lines with zizmor's ``unpinned-uses``;
- ``script_injection`` findings (files and lines) with zizmor's ``template-injection``
  findings of high or medium severity and high confidence (the contexts zizmor knows an
  outsider controls; its low-confidence findings are ``inputs.*``, matrix and other
  contexts Assay does not report: see docs/workflow-analysis.md);
- the workflows with an ``untrusted_checkout`` on ``pull_request_target``,
  ``workflow_run`` or ``issue_comment`` with zizmor's ``dangerous-triggers``, which flags
  such workflows whatever they check out.

Each deliberate difference documented in docs/workflow-analysis.md has a case in
:func:`test_documented_differences`, so the document stays true.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.support.gitrepo import GitRepo
from tests.support.paths import ROOT
from tests.unit.evidence.artefacts.test_ci_github_local import repo_files
from tests.unit.evidence.artefacts.test_ci_workflows import facts_at

_BESIDE = Path(sys.executable).parent / "zizmor"
ZIZMOR = str(_BESIDE) if _BESIDE.exists() else shutil.which("zizmor")
pytestmark = pytest.mark.skipif(
    ZIZMOR is None, reason="the zizmor binary is not installed (pip install '.[test]')"
)
DOC = ROOT / "docs" / "workflow-analysis.md"
PRIVILEGED_FOR_ZIZMOR = {"pull_request_target", "workflow_run", "issue_comment"}


def zizmor(path: Path) -> list[dict[str, Any]]:
    assert ZIZMOR is not None
    done = subprocess.run(
        [ZIZMOR, "--offline", "--no-config", "--persona", "auditor", "--format", "json", "."],
        cwd=path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.stdout.strip().startswith("["), done.stderr[-2000:]
    found: list[dict[str, Any]] = json.loads(done.stdout)
    return found


def where(finding: dict[str, Any]) -> tuple[str, int]:
    """(file, 1-based line) of a zizmor finding's primary location."""
    locations = finding["locations"]
    primary = [loc for loc in locations if loc["symbolic"].get("kind") == "Primary"]
    location = (primary or locations)[0]
    path = location["symbolic"]["key"]["Local"]["verbatim_path"]
    return path.removeprefix("./"), location["concrete"]["location"]["start_point"]["row"] + 1


def of(findings: list[dict[str, Any]], ident: str, *, injections: bool = False) -> Counter[Any]:
    chosen = [f for f in findings if f["ident"] == ident]
    if injections:
        chosen = [
            f
            for f in chosen
            if f["determinations"]["severity"] in ("High", "Medium")
            and f["determinations"]["confidence"] == "High"
        ]
    return Counter(where(f) for f in chosen)


def assay_rule(facts: dict[str, Any], rule: str) -> Counter[Any]:
    return Counter((f["file"], f["line"]) for f in facts["findings"] if f["rule"] == rule)


def both(git_repo: GitRepo, files: dict[str, str | bytes]) -> tuple[dict[str, Any], Any]:
    facts = facts_at(git_repo, git_repo.commit("fixture", files))
    return facts, zizmor(git_repo.path)


def test_counts_agree_on_the_fixture_repository(git_repo: GitRepo) -> None:
    facts, audit = both(git_repo, repo_files())

    unpinned = Counter((r["file"], r["line"]) for r in facts["unpinned_action_refs"])
    assert unpinned == of(audit, "unpinned-uses")
    assert facts["unpinned_actions"] == sum(of(audit, "unpinned-uses").values()) == 4

    injections = assay_rule(facts, "script_injection")
    assert injections == of(audit, "template-injection", injections=True)
    assert facts["findings"], "the comparison is not vacuous"
    assert sum(injections.values()) == 11
    assert ("action.yml", 20) in injections, "the published action's git pull of head_ref"

    privileged = {
        w["path"] for w in facts["workflows"] if PRIVILEGED_FOR_ZIZMOR & set(w["triggers"])
    }
    dangerous = {file for file, _ in of(audit, "dangerous-triggers")}
    assert (
        privileged
        == dangerous
        == {
            ".github/workflows/comment.yml",
            ".github/workflows/format.yml",
        }
    )
    checkouts = {file for file, _ in assay_rule(facts, "untrusted_checkout")}
    assert checkouts - {".github/workflows/dispatch.yml"} == dangerous


DIFFERENCES: dict[str, tuple[dict[str, str | bytes], str, str]] = {
    # name: (files, what Assay reports, what zizmor reports); see docs/workflow-analysis.md.
    "login": (
        {
            ".github/workflows/a.yml": (
                "on: issues\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    steps:\n"
                "      - run: echo ${{ github.event.issue.user.login }}\n"
            )
        },
        "",
        "template-injection",
    ),
    "docker-tag": (
        {
            ".github/workflows/a.yml": (
                "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    steps:\n"
                "      - uses: docker://alpine:3.20\n"
            )
        },
        "unpinned",
        "",
    ),
    "dispatch-checkout": (
        {
            ".github/workflows/a.yml": (
                "on: repository_dispatch\npermissions: {}\njobs:\n  a:\n    runs-on: x\n"
                "    steps:\n      - uses: actions/checkout@" + "a" * 40 + "\n        with:\n"
                "          ref: ${{ github.event.client_payload.sha }}\n"
                "          persist-credentials: false\n"
            )
        },
        "untrusted_checkout",
        "",
    ),
    "unparsable": (
        {
            ".github/workflows/a.yml": (
                "on: issues\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    steps:\n"
                "      - run: echo ${{ github.event.issue.title == }}\n"
            )
        },
        "script_injection",
        "",
    ),
    "inputs": (
        {
            "action.yml": (
                "runs:\n  using: composite\n  steps:\n"
                "    - shell: bash\n      run: echo ${{ inputs.name }}\n"
            )
        },
        "",
        "template-injection-low",
    ),
    "unreferenced-action": (
        {
            "tools/deploy/action.yml": (
                "runs:\n  using: composite\n  steps:\n    - uses: actions/cache@v4\n"
            )
        },
        "",
        "unpinned-uses",
    ),
}


@pytest.mark.parametrize("name", sorted(DIFFERENCES))
def test_documented_differences(git_repo: GitRepo, name: str) -> None:
    files, assay_reports, zizmor_reports = DIFFERENCES[name]
    facts, audit = both(git_repo, files)
    reported = {
        "unpinned": facts["unpinned_actions"],
        "untrusted_checkout": sum(assay_rule(facts, "untrusted_checkout").values()),
        "script_injection": sum(assay_rule(facts, "script_injection").values()),
    }
    assert {key for key, count in reported.items() if count} == (
        {assay_reports} if assay_reports else set()
    )
    oracle = {
        "template-injection": sum(of(audit, "template-injection", injections=True).values()),
        "template-injection-low": sum(of(audit, "template-injection").values())
        - sum(of(audit, "template-injection", injections=True).values()),
        "unpinned-uses": sum(of(audit, "unpinned-uses").values()),
        "dangerous-triggers": sum(of(audit, "dangerous-triggers").values()),
    }
    assert {key for key, count in oracle.items() if count} == (
        {zizmor_reports} if zizmor_reports else set()
    )
    assert f"`{name}`" in DOC.read_text(encoding="utf-8"), "each difference is documented"
