"""GitHub workflows with local actions, reusable workflows, per-job permissions and
privileged checkouts: the fixture repository under tests/data/ci/github-repo."""

from __future__ import annotations

from typing import Any

import pytest

from assay.evidence.ci.github_actions import MAX_DEPTH
from tests.support.gitrepo import GitRepo
from tests.unit.evidence.artefacts.helpers import CI_FIXTURES
from tests.unit.evidence.artefacts.test_ci_workflows import facts_at

REPO = CI_FIXTURES / "github-repo"
SHA = "8e5e7e5ab8b370d6c329ec480221332ada57f0ab"


def repo_files() -> dict[str, str | bytes]:
    return {
        path.relative_to(REPO).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(REPO.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def facts(git_repo: GitRepo) -> dict[str, Any]:
    return facts_at(git_repo, git_repo.commit("workflows and actions", repo_files()))


def found(facts: dict[str, Any], rule: str) -> list[tuple[str, int]]:
    return [(f["file"], f["line"]) for f in facts["findings"] if f["rule"] == rule]


def test_the_composite_action_of_the_repository_is_read(facts: dict[str, Any]) -> None:
    """The published action pulls the pull request's branch by name inside a shell."""
    assert ("action.yml", 20) in found(facts, "script_injection")
    message = next(
        f["message"] for f in facts["findings"] if (f["file"], f["line"]) == ("action.yml", 20)
    )
    assert message.startswith("github.head_ref is expanded inside a run: script")
    assert facts["action_files"] == [
        ".github/actions/lint/action.yaml",
        ".github/actions/report/action.yml",
        ".github/actions/setup/action.yml",
        "action.yml",
    ]
    assert facts["workflow_count"] == 6, "action files are not workflows"


def test_local_references_are_counted_apart_and_actions_pinning_at_their_lines(
    facts: dict[str, Any],
) -> None:
    # ./ references: tests.yml (a job and a step), format.yml, comment.yml, and the
    # setup <-> lint pair of actions that use each other.
    assert facts["local_action_refs"] == 6
    assert [(r["file"], r["line"], r["uses"]) for r in facts["unpinned_action_refs"]] == [
        (".github/actions/lint/action.yaml", 8, "pre-commit/action@v3.0.1"),
        (".github/workflows/called-tests.yml", 13, "actions/setup-python@v5"),
        (
            ".github/workflows/triage.yml",
            18,
            "example-org/shared/.github/workflows/triage.yml@main",
        ),
        ("action.yml", 13, "actions/setup-python@v5"),
    ]
    assert facts["unpinned_actions"] == 4
    assert facts["action_refs"] == 12
    assert facts["unpinned_images"] == 0, "the docker:// step is pinned by digest"


def test_tools_of_called_workflows_and_nested_actions_count_for_the_callers_triggers(
    facts: dict[str, Any],
) -> None:
    """pytest runs only in a workflow_call workflow and the linters only in nested actions,
    yet tests.yml runs them on pull requests through its local references."""
    assert facts["tools"]["tests"] == ["pytest"]
    assert facts["tools"]["lint"] == ["mypy", "pre-commit", "ruff"]
    assert facts["pre_merge_tool_categories"] == ["lint", "tests"]


def test_tools_follow_no_deeper_than_the_limit(git_repo: GitRepo) -> None:
    files: dict[str, str | bytes] = {
        ".github/workflows/ci.yml": (
            "on: pull_request\npermissions: {}\njobs:\n  a:\n    runs-on: x\n"
            "    steps:\n      - uses: ./a0\n"
        )
    }
    for level in range(MAX_DEPTH + 2):
        step = f"    - uses: ./a{level + 1}\n"
        if level == MAX_DEPTH + 1:
            step = "    - shell: bash\n      run: pytest\n"
        files[f"a{level}/action.yml"] = f"runs:\n  using: composite\n  steps:\n{step}"
    facts = facts_at(git_repo, git_repo.commit("deep", files))
    assert len(facts["action_files"]) == MAX_DEPTH + 1, "read to the limit, not beyond"
    assert facts["tools"]["tests"] == []
    assert facts["pre_merge_tool_categories"] == []
    files[".github/workflows/ci.yml"] = str(files[".github/workflows/ci.yml"]).replace(
        "./a0", f"./a{MAX_DEPTH - 1}"
    )
    facts = facts_at(git_repo, git_repo.commit("shallower", files))
    assert facts["pre_merge_tool_categories"] == ["tests"]


def test_a_missing_or_escaping_local_action_is_not_read(git_repo: GitRepo) -> None:
    workflow = (
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    steps:\n"
        "      - uses: ./not-here\n      - uses: ./../outside\n"
    )
    facts = facts_at(git_repo, git_repo.commit("x", {".github/workflows/a.yml": workflow}))
    assert (facts["action_files"], facts["local_action_refs"], facts["findings"]) == ([], 1, [])


def test_privileged_checkouts_of_the_pull_request(facts: dict[str, Any]) -> None:
    assert found(facts, "untrusted_checkout") == [
        (".github/workflows/comment.yml", 15),  # refs/pull/${{ ... }}/head on issue_comment
        (".github/workflows/dispatch.yml", 11),  # repository: from the dispatch payload
        (".github/workflows/dispatch.yml", 12),  # ref: from the dispatch payload
        (".github/workflows/format.yml", 13),  # head sha written with ['...'] indexes
    ]


def test_injections_judged_on_parsed_expressions(facts: dict[str, Any]) -> None:
    assert found(facts, "script_injection") == [
        (".github/actions/report/action.yml", 9),  # toJSON(github.event.comment)
        (".github/workflows/called-tests.yml", 15),
        (".github/workflows/comment.yml", 18),  # format('...', ..., comment.body)
        (".github/workflows/dispatch.yml", 14),  # client_payload
        (".github/workflows/dispatch.yml", 18),  # join(client_payload.labels.*.name)
        (".github/workflows/triage.yml", 12),
        (".github/workflows/triage.yml", 13),  # toJSON(github.event.issue)
        (".github/workflows/triage.yml", 15),  # body || 'empty'
        (".github/workflows/triage.yml", 16),  # commits[0].message
        ("action.yml", 20),
        ("action.yml", 24),
    ]


def test_every_job_declaring_its_permissions_counts_as_declared(git_repo: GitRepo) -> None:
    tests = (REPO / ".github/workflows/tests.yml").read_text(encoding="utf-8")
    called = (REPO / ".github/workflows/called-tests.yml").read_text(encoding="utf-8")
    files: dict[str, str | bytes] = {
        ".github/workflows/tests.yml": tests,
        ".github/workflows/called-tests.yml": called,
    }
    facts = facts_at(git_repo, git_repo.commit("read-only", files))
    assert facts["permissions"] == {
        "top_level_read_only": True,
        "undeclared": 0,
        "write_all": 0,
        "write_scopes": [],
    }
    writes = "permissions:\n      packages: write"
    files[".github/workflows/tests.yml"] = tests.replace("permissions: {}", writes)
    facts = facts_at(git_repo, git_repo.commit("a job writes", files))
    assert facts["permissions"]["top_level_read_only"] is False
    assert facts["permissions"]["undeclared"] == 0
    assert facts["permissions"]["write_scopes"] == ["packages"]
    files[".github/workflows/tests.yml"] = tests.replace("    permissions: {}\n", "")
    facts = facts_at(git_repo, git_repo.commit("a job declares nothing", files))
    assert facts["permissions"]["top_level_read_only"] is False
    assert facts["permissions"]["undeclared"] == 1


def test_an_unparsable_expression_is_reported_not_fatal(git_repo: GitRepo) -> None:
    workflow = (
        "on: issues\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    steps:\n"
        "      - run: echo ${{ github.event.issue.title == }} ${{ github.sha }}\n"
        "      - run: echo ${{ fromJSON('[1') && github.event.issue.number }}\n"
    )
    facts = facts_at(git_repo, git_repo.commit("x", {".github/workflows/a.yml": workflow}))
    (finding,) = facts["findings"]
    assert (finding["rule"], finding["line"]) == ("script_injection", 7)
    assert finding["message"].startswith("an expression that could not be parsed (")
    assert "it may carry untrusted text into code" in finding["message"]
