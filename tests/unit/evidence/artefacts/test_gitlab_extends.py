"""GitLab jobs expanded as GitLab does: ``extends:``, ``!reference`` tags, ``default:``."""

from __future__ import annotations

from typing import Any

from tests.support.gitrepo import GitRepo
from tests.unit.evidence.artefacts.test_ci_wrappers import collect, tst01_passes

MR_ONLY = "workflow:\n  rules:\n    - if: $CI_PIPELINE_SOURCE == 'merge_request_event'\n"


def findings(facts: dict[str, Any]) -> list[tuple[str, int, str]]:
    return [(f["file"], f["line"], f["message"]) for f in facts["findings"]]


def test_rules_from_a_reference_put_a_job_before_merge(git_repo: GitRepo) -> None:
    pipeline = """\
.mr_rules:
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH

unit:
  rules:
    - !reference [.mr_rules, rules]
  script:
    - pytest -q

deploy:
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
  script:
    - ruff check .
"""
    facts = collect(git_repo, {".gitlab-ci.yml": pipeline})
    assert tst01_passes(facts)
    assert facts["pre_merge_tool_categories"] == ["tests"], "deploy runs on the branch only"
    assert facts["triggers"] == ["merge_request", "push", "tags"]


def test_a_whole_rules_key_from_a_reference(git_repo: GitRepo) -> None:
    pipeline = """\
.never_in_mr:
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
      when: never
    - when: always
unit:
  rules: !reference [.never_in_mr, rules]
  script: [pytest]
lint:
  rules:
    - if: $CI_MERGE_REQUEST_IID
  script: [ruff check]
"""
    facts = collect(git_repo, {".gitlab-ci.yml": pipeline})
    assert facts["pre_merge_tool_categories"] == ["lint"]
    assert not tst01_passes(facts)


def test_script_from_an_extended_template_in_an_included_file(git_repo: GitRepo) -> None:
    files: dict[str, str | bytes] = {
        ".gitlab-ci.yml": MR_ONLY
        + "include:\n  - local: ci/templates.yml\nunit:\n  extends: .python\n  variables:\n"
        "    B: '2'\n",
        "ci/templates.yml": ".base:\n  variables:\n    A: '1'\n"
        "  before_script: [pip install -e .]\n"
        ".python:\n  extends: .base\n  script:\n    - make test\n",
        "Makefile": "test:\n\tpytest tests\n",
    }
    facts = collect(git_repo, files)
    assert tst01_passes(facts)
    (entry,) = facts["wrappers"]
    assert (entry["file"], entry["line"], entry["read"]) == ("ci/templates.yml", 8, "Makefile")
    assert entry["summary"] == "make test -> pytest at Makefile:2"
    by_path = {w["path"]: w for w in facts["workflows"]}
    assert by_path[".gitlab-ci.yml"]["jobs"] == 1
    assert by_path[".gitlab-ci.yml"]["steps"] == 2, "before_script through two levels"


def test_hashes_merge_and_arrays_are_replaced(git_repo: GitRepo) -> None:
    pipeline = (
        MR_ONLY + ".a:\n  script: [pytest]\n  image: {name: 'python:3.12', entrypoint: ['']}\n"
        ".b:\n  script: [ruff check]\n"
        "job:\n  extends: [.a, .b]\n  image: {entrypoint: ['/bin/sh']}\n"
    )
    facts = collect(git_repo, {".gitlab-ci.yml": pipeline})
    # .b (listed last) replaces .a's script array: no pytest; .a's image name survives the
    # job's image hash, merged key by key.
    assert facts["pre_merge_tool_categories"] == ["lint"]
    assert facts["tools"]["tests"] == []


def test_reference_splices_lines_into_a_script_with_their_lines(git_repo: GitRepo) -> None:
    pipeline = (
        MR_ONLY
        + ".setup:\n  script:\n    - curl -sL https://get.example.com | sh\n"
        + ".tests:\n  script:\n    - !reference [.setup, script]\n    - go test ./...\n"
        + "unit:\n  script:\n    - !reference [.tests, script]\n    - echo done\n"
    )
    facts = collect(git_repo, {".gitlab-ci.yml": pipeline})
    assert tst01_passes(facts)
    assert [(f["rule"], f["line"]) for f in facts["findings"]] == [("curl_pipe_shell", 6)]
    assert facts["steps"] == 3


def test_default_before_script_and_inherit(git_repo: GitRepo) -> None:
    pipeline = (
        MR_ONLY
        + "default:\n  before_script: [tox -e py311]\n"
        + "a:\n  script: [echo a]\n"
        + "b:\n  inherit:\n    default: false\n  script: [echo b]\n"
    )
    files: dict[str, str | bytes] = {
        ".gitlab-ci.yml": pipeline,
        "tox.ini": "[testenv]\ncommands = pytest\n",
    }
    facts = collect(git_repo, files)
    assert tst01_passes(facts)
    assert facts["steps"] == 3, "a: before_script and script; b: script only"


def test_extends_cycle_is_a_located_finding(git_repo: GitRepo) -> None:
    pipeline = ".a:\n  extends: .b\n  script: [pytest]\n.b:\n  extends: .a\njob:\n  extends: .a\n"
    facts = collect(git_repo, {".gitlab-ci.yml": pipeline})
    assert (".gitlab-ci.yml", 5, "extends forms a cycle: job -> .a -> .b -> .a") in findings(facts)
    assert facts["tools"]["tests"] == ["pytest"], "the rest still resolves"


def test_unknown_parent_and_reference_are_findings(git_repo: GitRepo) -> None:
    pipeline = "job:\n  extends: .missing\n  script:\n    - !reference [.nowhere, script]\n"
    facts = collect(git_repo, {".gitlab-ci.yml": pipeline})
    assert findings(facts) == [
        (".gitlab-ci.yml", 2, "job job extends .missing, which is not defined"),
        (".gitlab-ci.yml", 4, "!reference [.nowhere, script] names nothing that is defined"),
    ]


def test_circular_references_stop_with_a_finding(git_repo: GitRepo) -> None:
    pipeline = (
        ".a:\n  script:\n    - !reference [.b, script]\n"
        ".b:\n  script:\n    - !reference [.a, script]\n"
        "job:\n  script:\n    - !reference [.a, script]\n    - pytest\n"
    )
    facts = collect(git_repo, {".gitlab-ci.yml": pipeline})
    assert facts["tools"]["tests"] == ["pytest"]
    assert any("is circular or nested more than 10 levels" in m for _, _, m in findings(facts))


def test_references_nest_ten_levels_and_no_more(git_repo: GitRepo) -> None:
    def chain(levels: int) -> str:
        text = ".r0:\n  script: [pytest]\n"
        for i in range(1, levels + 1):
            text += f".r{i}:\n  script:\n    - !reference [.r{i - 1}, script]\n"
        return text + f"job:\n  script:\n    - !reference [.r{levels}, script]\n"

    ten = collect(git_repo, {".gitlab-ci.yml": chain(9)})
    assert ten["tools"]["tests"] == ["pytest"]
    assert ten["findings"] == []
    deep = collect(git_repo, {".gitlab-ci.yml": chain(12)})
    assert deep["tools"]["tests"] == []
    assert any("nested more than 10 levels" in m for _, _, m in findings(deep))


def test_extends_deeper_than_eleven_levels_is_a_finding(git_repo: GitRepo) -> None:
    text = ".t0:\n  script: [pytest]\n"
    for i in range(1, 14):
        text += f".t{i}:\n  extends: .t{i - 1}\n"
    text += "job:\n  extends: .t13\n"
    facts = collect(git_repo, {".gitlab-ci.yml": text})
    assert any("extends nests more than 11 levels" in m for _, _, m in findings(facts))


def test_reference_bomb_is_bounded(git_repo: GitRepo) -> None:
    text = ".r0:\n  script: [" + ", ".join(["echo x"] * 50) + "]\n"
    for i in range(1, 6):
        refs = "".join(f"    - !reference [.r{i - 1}, script]\n" for _ in range(50))
        text += f".r{i}:\n  script:\n{refs}"
    text += "job:\n  script:\n    - !reference [.r5, script]\n"
    facts = collect(git_repo, {".gitlab-ci.yml": text})
    assert any("expand to more than 100,000 items" in m for _, _, m in findings(facts))
    assert facts["steps"] <= 100_000


def test_malformed_reference_is_ignored_not_fatal(git_repo: GitRepo) -> None:
    pipeline = MR_ONLY + "job:\n  script:\n    - !reference {a: b}\n    - pytest\n"
    facts = collect(git_repo, {".gitlab-ci.yml": pipeline})
    assert tst01_passes(facts)
