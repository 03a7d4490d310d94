"""git.tags: annotated, lightweight, signed, reachable, patterns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assay.evidence.collectors.git_tags import GitTagsCollector
from assay.evidence.collectors.interface import CollectContext
from assay.evidence.kinds import kind_validator
from tests.support.gitrepo import GitRepo
from tests.unit.evidence.collection.helpers import only, sign_config, ssh_key, target


def tags(repo: GitRepo, pattern: str = "v*", **ref: Any) -> dict[str, Any]:
    context = CollectContext(service="svc", tag_pattern=pattern)
    draft = only(GitTagsCollector().collect(target(repo, **ref), context))
    assert list(kind_validator("git.tags").iter_errors(draft.facts)) == []
    assert draft.subject == {
        "repo": "api",
        "branch": "main",
        "commit": repo.git("rev-parse", "main"),
    }
    return draft.facts


def tag(repo: GitRepo, *args: str) -> None:
    date = repo.tick(60)
    repo.git("tag", *args, env={"GIT_COMMITTER_DATE": date})


def test_tag_kinds_reachability_and_order(git_repo: GitRepo, tmp_path: Path) -> None:
    sign_config(git_repo, ssh_key(tmp_path))
    first = git_repo.commit("one")
    tag(git_repo, "v0.1", first)  # lightweight
    git_repo.checkout("abandoned", new=True)
    lost = git_repo.commit("abandoned work")
    tag(git_repo, "-a", "-m", "hotfix", "v0.2-hotfix", lost)
    git_repo.checkout("main")
    second = git_repo.commit("two")
    tag(git_repo, "-s", "-m", "release 1", "v1.0", second)
    tag(git_repo, "-a", "-m", "not a release", "nightly-5", second)
    facts = tags(git_repo)
    assert facts["counts"] == {"total": 3, "annotated": 2, "signed": 1, "reachable": 2}
    assert [t["name"] for t in facts["tags"]] == ["v1.0", "v0.2-hotfix", "v0.1"]
    by_name = {t["name"]: t for t in facts["tags"]}
    assert by_name["v1.0"] == {
        "name": "v1.0",
        "commit": second,
        "annotated": True,
        "signed": True,
        "reachable": True,
        "tagged_at": by_name["v1.0"]["tagged_at"],
    }
    assert by_name["v0.2-hotfix"]["reachable"] is False
    assert by_name["v0.1"]["tagged_at"] == "2026-01-01T01:00:00Z"  # the commit's time
    assert (facts["latest"], facts["latest_signed"], facts["signed_ratio"]) == (
        "v1.0",
        True,
        0.3333,
    )
    assert tags(git_repo, pattern="nightly-*")["counts"]["total"] == 1


def test_no_tags_and_repo_level_pattern(git_repo: GitRepo) -> None:
    git_repo.commit("one")
    facts = tags(git_repo)
    assert facts["tags"] == []
    assert (facts["latest"], facts["latest_signed"], facts["signed_ratio"]) == (None, None, 1.0)
    tag(git_repo, "release-7")
    assert tags(git_repo, tag_pattern="release-*")["latest"] == "release-7"


def test_tag_of_a_tag_is_peeled_and_tag_of_a_tree_is_ignored(git_repo: GitRepo) -> None:
    commit = git_repo.commit("one")
    tag(git_repo, "-a", "-m", "inner", "v1-inner", commit)
    tag(git_repo, "-a", "-m", "outer", "v1-outer", "v1-inner")
    tree = git_repo.git("rev-parse", "HEAD^{tree}")
    tag(git_repo, "v-tree", tree)
    facts = tags(git_repo)
    assert sorted(t["name"] for t in facts["tags"]) == ["v1-inner", "v1-outer"]
    assert {t["commit"] for t in facts["tags"]} == {commit}
