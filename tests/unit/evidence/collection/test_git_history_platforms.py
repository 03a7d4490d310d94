"""git.history as code hosts write history: platform commits, local merges, web-flow
signatures, approvals judged against the merged branch's authors."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from assay.evidence.collectors.git_history import GitHistoryCollector
from assay.evidence.git.platforms import is_platform_committer
from assay.evidence.git.policy import Git
from assay.evidence.git.walk import walk
from tests.support.gitrepo import GitRepo
from tests.unit.evidence.collection.helpers import context, only, sign_config, ssh_key, target
from tests.unit.evidence.collection.test_git_history import history

GITHUB = "GitHub <noreply@github.com>"
GHES = "GitHub Enterprise <noreply@git.corp.example>"
GITLAB = "GitLab <noreply@gitlab.com>"
BOB = "Bob Builder <bob@example.com>"
CAROL = "Carol Check <carol@example.com>"
MIA = "Mia Maintainer <mia@example.com>"
RENOVATE = "renovate[bot] <bot@renovateapp.com>"


@pytest.mark.parametrize(
    ("committer", "expected"),
    [
        (f"{GITHUB} 1767225600 +0000", True),
        (f"{GHES} 1767225600 +0000", True),
        (f"{GITLAB} 1767225600 +0000", True),
        ("GitLab <no-reply@gitlab.example.org> 1767225600 +0000", True),
        ("web-flow <noreply@github.com> 1767225600 +0000", True),
        ("Alice <alice@example.com> 1767225600 +0000", False),
        ("GitHub <support@github.com> 1767225600 +0000", False),
        ("Mallory <noreply@github.com.evil.example> 1767225600 +0000", False),
        ("GitLab Fan <noreply@gitlab.com> 1767225600 +0000", False),
    ],
)
def test_platform_committers(committer: str, expected: bool) -> None:
    assert is_platform_committer(committer.encode()) is expected


def test_platform_committed_squash_and_rebase_merges_are_not_direct_pushes(
    git_repo: GitRepo,
) -> None:
    git_repo.commit("Initial import")  # direct
    squash = git_repo.commit("Add refunds", {"r": "1"}, author=BOB, committer=GITHUB)
    git_repo.commit("Rebased one", {"a": "1"}, author=CAROL, committer=GITHUB)
    git_repo.commit("Rebased two", {"a": "2"}, author=CAROL, committer=GITHUB)
    git_repo.commit("Enterprise squash", {"e": "1"}, author=BOB, committer=GHES)
    git_repo.commit("Web commit", {"w": "1"}, author=BOB, committer=GITLAB)
    git_repo.commit("Titled squash (#8)", {"t": "1"}, author=BOB)  # the reference suffices
    pushed = git_repo.commit("Hotfix", {"h": "1"}, author=BOB, committer=BOB)
    facts = history(git_repo)
    assert facts["change_sets"] == 8
    assert facts["direct_commits"] == 2  # the initial import and the hotfix
    assert facts["platform_change_sets"] == 6
    assert facts["unreviewed_platform_change_sets"] == 6  # git shows no review of any
    unreviewed = facts["unreviewed_shas"]
    assert isinstance(unreviewed, list)
    assert unreviewed[0] == pushed
    assert squash in unreviewed
    assert (facts["merges"], facts["platform_merges"], facts["local_merges"]) == (0, 0, 0)


def test_local_merges_are_direct_pushes_and_platform_merges_are_not(git_repo: GitRepo) -> None:
    git_repo.commit("base")
    for number, message, committer in (
        (1, "Merge branch 'topic-1'", None),  # made locally, pushed
        (2, "Merge pull request #2 from org/topic-2", None),
        (3, "Merge branch 'topic-3' into 'main'\n\nSee merge request grp/app!3", MIA),
        (4, "Merge branch 'topic-4'", GITHUB),  # the host made it, message edited
        (5, "Merge remote-tracking branch 'origin/topic-5'", None),
    ):
        git_repo.checkout(f"topic-{number}", new=True)
        git_repo.commit(f"work {number}", {f"f{number}": "x"}, author=BOB)
        git_repo.checkout("main")
        git_repo.merge(f"topic-{number}", message, author=MIA, committer=committer)
    facts = history(git_repo)
    assert (facts["merges"], facts["platform_merges"], facts["local_merges"]) == (5, 3, 2)
    assert facts["direct_commits"] == 3  # base and the two local merges
    assert facts["platform_change_sets"] == 3
    assert facts["change_sets"] == facts["platform_change_sets"] + facts["direct_commits"]


def test_platform_signatures_are_reported_apart(git_repo: GitRepo, tmp_path: Path) -> None:
    developer = ssh_key(tmp_path / "developer")
    web_flow = ssh_key(tmp_path / "web-flow")
    git_repo.commit("unsigned (#1)")
    sign_config(git_repo, developer)
    git_repo.commit("signed by Alice (#2)", sign=True)
    git_repo.checkout("topic", new=True)
    git_repo.commit("signed on a branch", {"t": "1"}, author=BOB, sign=True)
    git_repo.checkout("main")
    git_repo.git("config", "user.signingkey", str(web_flow))
    git_repo.commit("squash (#3)", {"s": "1"}, author=BOB, committer=GITHUB, sign=True)
    git_repo.merge("topic", "Merge pull request #4 from org/topic", committer=GITHUB)
    git_repo.git("config", "user.signingkey", str(developer))
    git_repo.commit(
        "GitHub by name only (#5)", author=BOB, committer="GitHub <x@example.com>", sign=True
    )
    facts = history(git_repo)
    assert facts["commits"] == 6
    assert (facts["signed_commits"], facts["signed_ratio"]) == (4, 0.6667)
    assert (facts["platform_signed_commits"], facts["platform_signed_ratio"]) == (1, 0.1667)
    assert (facts["developer_signed_commits"], facts["developer_signed_ratio"]) == (3, 0.5)
    # The merge committed by the host carries no signature: a host committer alone is
    # not a platform signature.
    signers = tmp_path / "allowed_signers"
    public = web_flow.with_suffix(".pub").read_text().strip()
    signers.write_text(f'noreply@github.com namespaces="git" {public}\n')
    checked = only(
        GitHistoryCollector().collect(target(git_repo, allowed_signers=signers), context())
    ).facts
    assert checked["verified_commits"] == 1  # the host's signature, checked against its key
    assert checked["platform_signed_commits"] == 1


def gitlab_merge(repo: GitRepo, branch: str, number: int, *approvers: str) -> str:
    """A merge as GitLab writes it when a maintainer merges: committed by the merger, the
    request named, the approvals as trailers."""
    trailers = "\n".join(f"Approved-by: {who}" for who in approvers)
    message = f"Merge branch '{branch}' into 'main'\n\nSee merge request grp/app!{number}"
    return repo.merge(branch, f"{message}\n\n{trailers}", author=MIA)


def test_approvals_are_judged_against_the_merged_branch_authors(git_repo: GitRepo) -> None:
    git_repo.commit("base")
    # A bot's branch, approved and merged by the maintainer: an independent review.
    git_repo.checkout("renovate", new=True)
    git_repo.commit("Update dependency x", {"deps": "1"}, author=RENOVATE)
    git_repo.checkout("main")
    bot = gitlab_merge(git_repo, "renovate", 1, MIA)
    # The maintainer's own branch, approved by herself: no review.
    git_repo.checkout("own", new=True)
    git_repo.commit("Mia's change", {"own": "1"}, author=MIA)
    git_repo.checkout("main")
    own = gitlab_merge(git_repo, "own", 2, MIA)
    # A branch by two people, approved by one of them and by someone who wrote none of it.
    git_repo.checkout("pair", new=True)
    git_repo.commit("Bob's half", {"p": "1"}, author=BOB)
    git_repo.commit("Carol's half", {"p": "2"}, author=CAROL)
    git_repo.checkout("main")
    paired = gitlab_merge(git_repo, "pair", 3, CAROL)
    git_repo.checkout("pair2", new=True)
    git_repo.commit("Bob again", {"q": "1"}, author=BOB)
    git_repo.commit("Carol again", {"q": "2"}, author=CAROL)
    git_repo.checkout("main")
    reviewed_pair = gitlab_merge(git_repo, "pair2", 4, CAROL, MIA)
    facts = history(git_repo)
    unreviewed = facts["unreviewed_shas"]
    assert isinstance(unreviewed, list)
    assert bot not in unreviewed
    assert reviewed_pair not in unreviewed
    assert unreviewed[:2] == [paired, own]  # newest first, merges among the others
    assert facts["reviewed_change_sets"] == 2
    assert facts["unreviewed_platform_change_sets"] == 2


def test_a_branch_merged_twice_brings_in_only_its_new_commits(git_repo: GitRepo) -> None:
    git_repo.commit("base")
    git_repo.checkout("topic", new=True)
    git_repo.commit("Bob starts", {"t": "1"}, author=BOB)
    git_repo.checkout("main")
    git_repo.merge("topic", "Merge pull request #1 from org/topic", author=MIA)
    git_repo.commit("Bob on main (#2)", {"m": "1"}, author=BOB)
    git_repo.checkout("topic")
    git_repo.merge("main", "Merge branch 'main' into topic", author=CAROL)
    git_repo.commit("Carol goes on", {"t": "2"}, author=CAROL)
    git_repo.checkout("main")
    second = git_repo.merge(
        "topic",
        "Merge pull request #3 from org/topic\n\nReviewed-by: Bob Builder <bob@example.com>",
        author=MIA,
    )
    facts = history(git_repo)
    # Bob wrote nothing the second merge brought in (his commits came in before it, or
    # are on the main line), so his review of Carol's work counts.
    unreviewed = facts["unreviewed_shas"]
    assert isinstance(unreviewed, list)
    assert second not in unreviewed
    assert (facts["reviewed_change_sets"], len(unreviewed)) == (1, 3)


def test_merged_authors_match_git_log_on_a_random_history(git_repo: GitRepo) -> None:
    rng = random.Random(11)
    people = [BOB, CAROL, MIA, RENOVATE]
    git_repo.commit("root")
    branches: list[str] = []
    for number in range(90):
        roll = rng.random()
        if roll < 0.3 or not branches:
            name = f"b{number}"
            git_repo.checkout(name, new=True)
            branches.append(name)
            git_repo.commit(f"start {number}", {f"f{number}": "1"}, author=rng.choice(people))
            git_repo.checkout("main")
        elif roll < 0.55:
            name = rng.choice(branches)
            git_repo.checkout(name)
            if rng.random() < 0.3:
                git_repo.merge("main", f"sync {number}", author=rng.choice(people))
            git_repo.commit(f"more {number}", {f"g{number}": "1"}, author=rng.choice(people))
            if rng.random() < 0.2 and len(branches) > 1:  # a branch built on another
                other = rng.choice([b for b in branches if b != name])
                git_repo.merge(other, f"stack {number}", author=rng.choice(people))
            git_repo.checkout("main")
        elif roll < 0.92:
            name = rng.choice(branches)
            git_repo.merge(name, f"Merge pull request #{number}", author=MIA)
            if rng.random() < 0.5:
                branches.remove(name)
        else:
            git_repo.commit(f"direct {number}", {"main": str(number)}, author=rng.choice(people))
    git = Git(git_repo.path, "repos/api")
    found = walk(git, git_repo.head(), 0, 2**40)
    merges = set(found.line_merges[::2])
    assert len(merges) > 10
    merged = dict(found.merged_authors(merges))
    for merge in merges:
        first, *rest = git_repo.git("rev-parse", f"{merge.decode()}^@").split()
        log = git_repo.git("log", "--format=%an <%ae>", *rest, f"^{first}")
        assert merged[merge] == {line.encode() for line in log.splitlines()}, merge


def test_a_merge_whose_branch_is_older_than_the_window_is_judged_against_its_author(
    git_repo: GitRepo,
) -> None:
    git_repo.commit("base")
    git_repo.checkout("old", new=True)
    git_repo.commit("Bob's old work", {"o": "1"}, author=BOB)
    git_repo.checkout("main")
    git_repo.tick(200 * 86400)  # the branch is merged long after it was written
    by_bob = "Merge pull request #1 from org/old\n\nReviewed-by: Bob Builder <bob@example.com>"
    merge = git_repo.merge("old", by_bob, author=MIA)
    facts = history(git_repo)
    assert (facts["commits"], facts["change_sets"]) == (1, 1)  # Bob's commit is outside
    assert facts["reviewed_change_sets"] == 1  # Bob is not the merge's author
    git_repo.git("reset", "-q", "--hard", "HEAD^")
    by_mia = "Merge pull request #1 from org/old\n\nReviewed-by: Mia Maintainer <mia@example.com>"
    merge = git_repo.merge("old", by_mia, author=MIA)
    facts = history(git_repo)
    assert (facts["reviewed_change_sets"], facts["unreviewed_shas"]) == (0, [merge])


def test_unreviewed_shas_are_the_newest_fifty_with_merges_among_them(git_repo: GitRepo) -> None:
    git_repo.commit("base")
    for number in range(35):
        git_repo.checkout(f"t{number}", new=True)
        git_repo.commit(f"work {number}", {f"t{number}": "1"}, author=MIA)
        git_repo.checkout("main")
        self_approved = f"Merge branch 't{number}'\n\nApproved-by: Mia Maintainer <mia@example.com>"
        git_repo.merge(f"t{number}", self_approved, author=MIA)
        git_repo.commit(f"direct {number}", {"d": str(number)})
    facts = history(git_repo)
    line = git_repo.git("rev-list", "--first-parent", "HEAD").split()
    assert facts["unreviewed_change_sets"] == len(line) == 71
    assert facts["unreviewed_shas"] == line[:50]
    assert (facts["local_merges"], facts["direct_commits"]) == (35, 71)
