"""ci.workflows from real git repositories: facts, lines, hostile definitions, table extension."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from assay.errors import InvalidInput
from assay.evidence.ci.tables import load_tables, workspace_table_files
from assay.evidence.collectors.ci_workflows import CiWorkflowsCollector
from assay.evidence.collectors.interface import RepoTarget
from assay.evidence.kinds import kind_validator
from tests.support.gitrepo import GitRepo
from tests.unit.evidence.artefacts.helpers import CI_FIXTURES, context

COLLECTOR = CiWorkflowsCollector()


def fixture_files() -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {}
    for path in sorted((CI_FIXTURES / "github").glob("*.yml")):
        files[f".github/workflows/{path.name}"] = path.read_text(encoding="utf-8")
    gitlab = CI_FIXTURES / "gitlab"
    for path in sorted(gitlab.rglob("*.yml")):
        files[path.relative_to(gitlab).as_posix()] = path.read_text(encoding="utf-8")
    return files


def facts_at(repo: GitRepo, commit: str, **fields: Any) -> dict[str, Any]:
    target = RepoTarget(
        name="payments-api",
        path=repo.path,
        commit=commit,
        branch="main",
        commit_time=datetime(2026, 1, 1, 1, tzinfo=UTC),
    )
    (draft,) = COLLECTOR.collect(target, context(**fields))
    assert list(kind_validator("ci.workflows").iter_errors(draft.facts)) == []
    assert draft.subject == {"repo": "payments-api", "commit": commit}
    assert draft.observed_at == datetime(2026, 1, 1, 1, tzinfo=UTC)
    return draft.facts


@pytest.fixture
def sample(git_repo: GitRepo) -> tuple[GitRepo, str]:
    return git_repo, git_repo.commit("CI definitions", fixture_files())


def test_definitions_and_rolled_up_facts(sample: tuple[GitRepo, str]) -> None:
    facts = facts_at(*sample)
    assert facts["providers"] == ["github", "gitlab"]
    assert facts["workflow_count"] == 8
    by_path = {w["path"]: w for w in facts["workflows"]}
    assert by_path[".github/workflows/release.yml"]["triggers"] == ["manual", "tags"]
    assert by_path[".github/workflows/codeql.yml"]["triggers"] == [
        "pull_request",
        "push",
        "schedule",
    ]
    assert by_path[".gitlab-ci.yml"]["triggers"] == ["merge_request", "push", "tags"]
    assert by_path["ci/test.yml"]["jobs"] == 1, "the .python template is not a job"
    assert by_path["ci/test.yml"]["steps"] == 2, "before_script inherited through extends"
    assert facts["tools"]["sast"] == ["codeql", "gitlab-sast"]
    assert facts["tools"]["sca"] == ["pip-audit"]
    assert facts["tools"]["secrets"] == ["gitleaks"]
    assert facts["tools"]["deploy"] == ["helm", "kubectl"]
    assert facts["tools"]["provenance"] == ["attest-build-provenance"]
    # Deploy jobs are limited to the default branch and tags: not a pre-merge check.
    assert facts["pre_merge_tool_categories"] == ["lint", "sast", "sca", "secrets", "tests"]
    assert facts["deploy_environments"] == [
        {"name": "production", "jobs": 2, "requires_approval": None},
        {"name": "staging", "jobs": 1, "requires_approval": False},
    ]


def test_pinning_with_file_and_line(sample: tuple[GitRepo, str]) -> None:
    facts = facts_at(*sample)
    assert facts["action_refs"] == 15
    assert facts["unpinned_actions"] == 6
    assert facts["unpinned_action_refs"][:2] == [
        {
            "file": ".github/workflows/codeql.yml",
            "line": 16,
            "uses": "github/codeql-action/init@v3",
        },
        {
            "file": ".github/workflows/codeql.yml",
            "line": 19,
            "uses": "github/codeql-action/analyze@v3",
        },
    ]
    images = {(r["file"], r["line"], r["image"]) for r in facts["unpinned_image_refs"]}
    assert (".github/workflows/release.yml", 16, "python:3.12-slim") in images
    assert ("ci/jobs/secrets.yml", 4, "zricethezav/gitleaks:v8.18.2") in images
    assert not any("postgres" in image or "deployer" in image for _, _, image in images)


def test_permissions(sample: tuple[GitRepo, str]) -> None:
    # pr-target.yml has no top-level block, but its only job declares write-all: declared,
    # not read-only. release.yml has a job without permissions: undeclared.
    assert facts_at(*sample)["permissions"] == {
        "top_level_read_only": False,
        "undeclared": 1,
        "write_all": 1,
        "write_scopes": ["attestations", "contents", "id-token", "packages", "security-events"],
    }


def test_dangerous_patterns_with_file_and_line(sample: tuple[GitRepo, str]) -> None:
    facts = facts_at(*sample)
    found = [(f["rule"], f["file"], f["line"]) for f in facts["findings"]]
    assert found == [
        ("untrusted_checkout", ".github/workflows/pr-target.yml", 13),
        ("script_injection", ".github/workflows/pr-target.yml", 17),
        ("curl_pipe_shell", ".github/workflows/pr-target.yml", 18),
        ("script_injection", ".github/workflows/pr-target.yml", 19),
        ("curl_pipe_shell", "ci/jobs/audit.yml", 7),
    ]
    assert facts["dangerous_patterns"] == 5
    assert facts["findings"][1]["message"] == (
        "github.event.pull_request.title is expanded inside a run: script, where its text "
        "becomes code; pass it through an environment variable instead"
    )


def test_a_clean_repository(git_repo: GitRepo) -> None:
    workflow = (CI_FIXTURES / "github" / "ci.yml").read_text(encoding="utf-8")
    commit = git_repo.commit("ci", {".github/workflows/ci.yaml": workflow})
    facts = facts_at(git_repo, commit)
    assert (facts["unpinned_actions"], facts["unpinned_images"], facts["dangerous_patterns"]) == (
        0,
        0,
        0,
    )
    assert facts["permissions"]["top_level_read_only"] is True
    assert facts["providers"] == ["github"]


def test_no_ci_at_all_is_still_evidence(git_repo: GitRepo) -> None:
    facts = facts_at(git_repo, git_repo.commit("empty", {"README.md": "hello"}))
    assert (facts["workflow_count"], facts["providers"], facts["tool_categories"]) == (0, [], [])
    assert facts["permissions"]["top_level_read_only"] is True


def test_read_from_git_objects_not_the_working_tree(sample: tuple[GitRepo, str]) -> None:
    repo, commit = sample
    (repo.path / ".github/workflows/codeql.yml").write_text("on: push\njobs: {}\n")
    (repo.path / ".github/workflows/extra.yml").write_text("on: push\njobs: {}\n")
    facts = facts_at(repo, commit)
    assert facts["workflow_count"] == 8
    assert facts["unpinned_actions"] == 6


def test_symlinked_workflow_and_escaping_include_are_not_followed(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.yml"
    outside.write_text("name: OUTSIDE-NAME\non: push\njobs: {leakjob: {runs-on: x}}\n")
    (git_repo.path / ".github/workflows").mkdir(parents=True)
    (git_repo.path / ".github/workflows/link.yml").symlink_to(outside)
    gitlab = (
        "include:\n  - local: ../../outside.yml\n  - local: /missing.yml\n"
        "job:\n  script: [make test]\n"
    )
    commit = git_repo.commit("links", {".gitlab-ci.yml": gitlab})
    facts = facts_at(git_repo, commit)
    assert [w["path"] for w in facts["workflows"]] == [".gitlab-ci.yml"]
    assert "OUTSIDE-NAME" not in repr(facts)
    messages = [f["message"] for f in facts["findings"]]
    assert "include '../../outside.yml' is outside the repository" in messages
    assert "included file missing.yml does not exist" in messages


def test_alias_bomb_is_refused_as_a_finding(git_repo: GitRepo) -> None:
    levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    levels += [
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 10) + "]"
        for i in range(8)
    ]
    bomb = "on: push\n" + "\n".join(levels) + "\njobs: {}\n"
    commit = git_repo.commit("bomb", {".github/workflows/bomb.yml": bomb})
    started = time.monotonic()
    facts = facts_at(git_repo, commit)
    assert time.monotonic() - started < 5
    assert facts["workflow_count"] == 0
    (finding,) = facts["findings"]
    assert finding["rule"] == "invalid_definition"
    assert finding["file"] == ".github/workflows/bomb.yml"
    assert "expands to more than 500,000 values" in finding["message"]


def test_a_workflow_that_is_a_list(git_repo: GitRepo) -> None:
    commit = git_repo.commit("list", {".github/workflows/list.yml": "- on: push\n- jobs: {}\n"})
    facts = facts_at(git_repo, commit)
    assert facts["workflow_count"] == 0
    assert facts["findings"] == [
        {
            "rule": "invalid_definition",
            "file": ".github/workflows/list.yml",
            "line": 1,
            "message": "a workflow must be a mapping, not a list",
        }
    ]


def test_broken_yaml_is_located(git_repo: GitRepo) -> None:
    commit = git_repo.commit("bad", {".github/workflows/bad.yml": "on: push\njobs:\n  a: [\n"})
    (finding,) = facts_at(git_repo, commit)["findings"]
    assert finding["rule"] == "invalid_definition"
    assert finding["line"] == 4
    assert finding["message"].startswith("cannot be read: ")


def test_ten_thousand_jobs(git_repo: GitRepo) -> None:
    jobs = "".join(
        f"  job{i}:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: actions/checkout@v4\n"
        f"      - run: pytest tests/part{i % 7}\n"
        for i in range(10_000)
    )
    commit = git_repo.commit(
        "big", {".github/workflows/big.yml": f"on: pull_request\njobs:\n{jobs}"}
    )
    started = time.monotonic()
    facts = facts_at(git_repo, commit)
    assert time.monotonic() - started < 20
    assert (facts["jobs"], facts["steps"]) == (10_000, 20_000)
    assert facts["unpinned_actions"] == 10_000
    assert len(facts["unpinned_action_refs"]) == 100
    assert facts["unpinned_action_refs"][-1]["line"] == 3 + 99 * 5 + 3
    assert facts["tools"]["tests"] == ["pytest"]


def test_push_trigger_forms(git_repo: GitRepo) -> None:
    files: dict[str, str | bytes] = {
        ".github/workflows/a.yml": "on: push\njobs: {}\n",
        ".github/workflows/b.yml": "on: [push, workflow_dispatch, repository_dispatch]\njobs: {}\n",
        ".github/workflows/c.yml": "on:\n  push:\n    branches: [main]\n    tags: [v*]\njobs: {}\n",
        ".github/workflows/d.yml": (
            "on:\n  workflow_run:\n    workflows: [CI]\n  Bad-Name: {}\njobs: {}\n"
        ),
    }
    facts = facts_at(git_repo, git_repo.commit("triggers", files))
    triggers = {w["path"].rsplit("/", 1)[1]: w["triggers"] for w in facts["workflows"]}
    assert triggers == {
        "a.yml": ["push", "tags"],
        "b.yml": ["api", "manual", "push", "tags"],
        "c.yml": ["push", "tags"],
        "d.yml": ["workflow_run"],
    }


def test_workflow_run_checkout_and_github_script_injection(git_repo: GitRepo) -> None:
    workflow = """on:
  workflow_run:
    workflows: [CI]
    types: [completed]
jobs:
  report:
    runs-on: ubuntu-24.04
    steps:
      - run: |
          git fetch origin ${{ github.event.workflow_run.head_sha }}
          git checkout FETCH_HEAD
      - uses: actions/github-script@60a0d83039c74a4aee543508d2ffcb1c3799cdea
        with:
          script: |
            core.info("${{ github.event.workflow_run.head_branch }}")
  call:
    uses: other-org/workflows/.github/workflows/deploy.yml@main
    secrets: inherit
"""
    facts = facts_at(git_repo, git_repo.commit("wr", {".github/workflows/wr.yml": workflow}))
    found = [(f["rule"], f["line"]) for f in facts["findings"]]
    assert found == [("untrusted_checkout", 10), ("script_injection", 15), ("secrets_inherit", 18)]
    assert facts["unpinned_action_refs"] == [
        {
            "file": ".github/workflows/wr.yml",
            "line": 17,
            "uses": "other-org/workflows/.github/workflows/deploy.yml@main",
        }
    ]


def test_workspace_tables_extend_the_built_in_ones(
    sample: tuple[GitRepo, str], tmp_path: Path
) -> None:
    folder = tmp_path / "ci-tables"
    folder.mkdir()
    (folder / "house.yaml").write_text(
        """tools:
  - {name: house-scanner, category: sast, run: ['\\bhouse-scan\\b']}
  - {name: release-approver, category: deploy, uses: ['^example-org/approve-release$']}
script_rules:
  - rule: sudo_in_ci
    pattern: '\\bsudo\\b'
    message: sudo in a CI script
""",
        encoding="utf-8",
    )
    repo, _ = sample
    commit = repo.commit(
        "house",
        {
            ".github/workflows/house.yml": (
                "on: pull_request\njobs:\n  a:\n    steps:\n      - run: sudo house-scan .\n"
            )
        },
    )
    tables = workspace_table_files(tmp_path)
    assert tables == [folder / "house.yaml"]
    facts = facts_at(repo, commit, ci_tables=tuple(tables))
    assert facts["tools"]["sast"] == ["codeql", "gitlab-sast", "house-scanner"]
    assert ("sudo_in_ci", ".github/workflows/house.yml", 5) in {
        (f["rule"], f["file"], f["line"]) for f in facts["findings"]
    }
    assert "house-scanner" not in facts_at(repo, commit)["tools"]["sast"]


def test_bad_table_files_are_reported_with_lines(tmp_path: Path) -> None:
    table = tmp_path / "bad.yaml"
    table.write_text(
        "tools:\n  - {name: x, category: sast, run: ['(unclosed']}\n"
        "  - {name: Y, category: nope, run: [a]}\n"
    )
    with pytest.raises(InvalidInput) as caught:
        load_tables([table])
    lines = caught.value.diagnostics()
    assert any(line.startswith(f"{table}:3:") and "'Y' does not match" in line for line in lines)
    assert any("'nope' is not one of" in line for line in lines)
    fixed = tmp_path / "regex.yaml"
    fixed.write_text("tools:\n  - {name: x, category: sast, run: ['(unclosed']}\n")
    with pytest.raises(InvalidInput) as caught:
        load_tables([fixed])
    (problem,) = caught.value.problems
    line = str(problem)
    assert line.startswith(f"{fixed}:2:")
    assert "invalid regular expression" in line


def test_gitlab_details(git_repo: GitRepo) -> None:
    root = """include:
  - local: ci/broken.yml
  - local: ci/list.yml
  - ci/more.yml
.setup:
  script: [pip install -r requirements.txt]
lint:
  only: [merge_requests]
  script:
    - !reference [.setup, script]
    - ruff check .
release:
  only:
    refs: [tags]
  image: {name: "registry.example.org/tools@sha256:%s"}
  services: [{name: "redis:7"}]
  script: [twine upload dist/*]
stop-review:
  environment: {name: review, action: stop}
  script: [helm uninstall review]
scan:
  rules:
    - if: $CI_PIPELINE_SOURCE == "schedule"
  script: [semgrep --config auto]
""" % ("a" * 64)
    files: dict[str, str | bytes] = {
        ".gitlab-ci.yml": root,
        "ci/broken.yml": "job: [\n",
        "ci/list.yml": "- a\n- b\n",
        "ci/more.yml": "audit:\n  script: [npm audit --audit-level=high]\n",
    }
    facts = facts_at(git_repo, git_repo.commit("gitlab", files))
    assert [w["path"] for w in facts["workflows"]] == [".gitlab-ci.yml", "ci/more.yml"]
    assert facts["triggers"] == ["merge_request", "push", "schedule", "tags"]
    assert facts["tools"]["lint"] == ["ruff"]
    assert facts["tools"]["sast"] == ["semgrep"]
    assert facts["tools"]["deploy"] == ["pypi-publish"]
    # lint runs only for merge requests, audit has no rules (every pipeline), release only on
    # tags and the scan only on schedules.
    assert facts["pre_merge_tool_categories"] == ["lint", "sca"]
    assert facts["deploy_environments"] == []
    assert [(r["file"], r["image"]) for r in facts["unpinned_image_refs"]] == [
        (".gitlab-ci.yml", "redis:7")
    ]
    problems = {(f["file"], f["message"].split(":", 1)[0]) for f in facts["findings"]}
    assert problems == {
        ("ci/broken.yml", "cannot be read"),
        ("ci/list.yml", "a GitLab CI file must be a mapping, not a list"),
    }


def test_gitlab_extends_named_many_times_over_many_levels(
    git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each template extends the next one eight times over: expanded once per name, not
    once per path (8**12 paths)."""
    from assay.evidence.ci.gitlab_config import Expansion

    calls = 0
    expand = Expansion._expand

    def counted(self: Expansion, *args: Any) -> Any:
        nonlocal calls
        calls += 1
        assert calls < 10_000, "extends are expanded once per path"
        return expand(self, *args)

    monkeypatch.setattr(Expansion, "_expand", counted)
    levels = "".join(f".t{i}:\n  extends: [{', '.join([f'.t{i + 1}'] * 8)}]\n" for i in range(11))
    text = f"{levels}.t11:\n  image: python:3\nbuild:\n  extends: .t0\n  script: [pytest]\n"
    facts = facts_at(git_repo, git_repo.commit("bomb", {".gitlab-ci.yml": text}))
    assert facts["tools"]["tests"] == ["pytest"]
    assert [r["image"] for r in facts["unpinned_image_refs"]] == ["python:3"]


def test_twelve_thousand_gitlab_jobs(git_repo: GitRepo) -> None:
    jobs = "".join(
        f"job{i}:\n  before_script: [echo a]\n  script:\n    - pytest part{i}\n"
        for i in range(12_000)
    )
    commit = git_repo.commit("big", {".gitlab-ci.yml": jobs})
    started = time.monotonic()
    facts = facts_at(git_repo, commit)
    assert time.monotonic() - started < 10
    assert (facts["jobs"], facts["steps"]) == (12_000, 24_000)
