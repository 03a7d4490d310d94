"""git.history: counts on real repositories, review rules, windows, odd repositories."""

from __future__ import annotations

import random
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from assay.errors import CollectorError
from assay.evidence.collectors.git_history import GitHistoryCollector
from assay.evidence.collectors.interface import CollectContext
from assay.evidence.git import messages
from assay.evidence.kinds import kind_validator
from tests.support.gitrepo import GitRepo
from tests.unit.evidence.collection.helpers import (
    context,
    only,
    sign_config,
    signed_commit,
    ssh_key,
    target,
)

BOB = "Bob Builder <bob@example.com>"
CAROL = "Carol Check <carol@example.com>"


def history(
    repo: GitRepo, approvals: Mapping[str, Sequence[str]] | None = None, **options: object
) -> dict[str, object]:
    ctx = replace(context(**options), approvals=approvals or {})
    draft = only(GitHistoryCollector().collect(target(repo), ctx))
    assert list(kind_validator("git.history").iter_errors(draft.facts)) == []
    assert len(draft.id) == 64  # the canonical JSON of the facts encodes
    return draft.facts


def test_counts_change_sets_merges_reviews_and_direct_pushes(git_repo: GitRepo) -> None:
    first = git_repo.commit("Initial import")
    git_repo.checkout("feature", new=True)
    git_repo.commit("ABC-12 add feature", {"a.txt": "a"}, author=BOB)
    git_repo.commit("ABC-12 tests", {"b.txt": "b"}, author=BOB)
    git_repo.checkout("main")
    merge = git_repo.merge(
        "feature", "Merge pull request #3 from org/feature\n\nReviewed-by: Carol <carol@x.org>"
    )
    squash = git_repo.commit(
        "Squashed change (#5)\n\nApproved-by: Bob Builder <bob@example.com>", {"c.txt": "c"}
    )
    self_reviewed = git_repo.commit(
        "Tidy (#6)\n\nReviewed-by: Alice Example <alice@example.com>", {"d.txt": "d"}
    )
    facts = history(git_repo)
    assert facts["commits"] == 6
    assert facts["change_sets"] == 4  # first, merge, squash, self_reviewed
    assert facts["merges"] == 1
    assert facts["reviewed_change_sets"] == 2  # the merge and the squash
    assert facts["unreviewed_shas"] == [self_reviewed, first]
    assert facts["unreviewed_change_sets"] == 2
    assert facts["review_ratio"] == 0.5
    assert facts["direct_commits"] == 1  # only the initial import has no PR reference
    assert facts["change_sets_with_ticket_ref"] == 3  # #3, #5, #6 (ABC-12 is on the branch)
    assert facts["authors"] == 2
    assert facts["head"] == self_reviewed
    assert facts["branch"] == "main"
    assert facts["shallow"] is False
    assert facts["first_commit_at"] == "2026-01-01T01:00:00Z"
    assert facts["last_commit_at"] == "2026-01-01T06:00:00Z"
    assert facts["period"] == {"since": "2025-10-03T06:00:00Z", "until": "2026-01-01T06:00:00Z"}
    assert facts["active_weeks"] == 1
    assert merge not in facts["unreviewed_shas"]
    assert squash not in facts["unreviewed_shas"]
    assert "verified_commits" not in facts


def test_window_ends_at_the_commit_and_ids_repeat(git_repo: GitRepo) -> None:
    git_repo.commit("old", {"a": "1"})
    git_repo.tick(200 * 86400)  # 200 days later
    git_repo.commit("new one", {"a": "2"})
    git_repo.commit("new two", {"a": "3"})
    facts = history(git_repo)
    assert (facts["commits"], facts["change_sets"]) == (2, 2)
    wide = CollectContext(service="svc", since=__import__("datetime").timedelta(days=400))
    wide_facts = only(GitHistoryCollector().collect(target(git_repo), wide)).facts
    assert wide_facts["commits"] == 3
    first = only(GitHistoryCollector().collect(target(git_repo), context()))
    second = only(GitHistoryCollector().collect(target(git_repo), context()))
    assert first.id == second.id
    assert first.observed_at.isoformat() == "2026-07-20T03:00:00+00:00"


def test_signed_commits_are_counted_and_verified_against_allowed_signers(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    key = ssh_key(tmp_path)
    sign_config(git_repo, key)
    git_repo.commit("unsigned (#1)")
    signed_commit(git_repo, "signed (#2)")
    signed_commit(git_repo, "signed too (#3)")
    facts = history(git_repo)
    assert (facts["signed_commits"], facts["signed_ratio"]) == (2, 0.6667)
    signers = tmp_path / "allowed_signers"
    public = key.with_suffix(".pub").read_text().strip()
    signers.write_text(f'signer@example.com namespaces="git" {public}\n')
    verified = only(
        GitHistoryCollector().collect(target(git_repo, allowed_signers=signers), context())
    ).facts
    assert (verified["verified_commits"], verified["verified_ratio"]) == (2, 0.6667)
    other = ssh_key(tmp_path / "other")
    signers.write_text(
        f'signer@example.com namespaces="git" {other.with_suffix(".pub").read_text().strip()}\n'
    )
    untrusted = only(
        GitHistoryCollector().collect(target(git_repo, allowed_signers=signers), context())
    ).facts
    assert untrusted["verified_commits"] == 0
    assert untrusted["signed_commits"] == 2


def test_approvals_from_reviews_evidence_count_but_not_self_approvals(git_repo: GitRepo) -> None:
    one = git_repo.commit("change one (#1)", {"a": "1"})
    two = git_repo.commit("change two (#2)", {"a": "2"})
    three = git_repo.commit("change three (#3)", {"a": "3"})
    approvals = {one: ["carol"], two: ["alice@example.com"], three: []}
    facts = history(git_repo, approvals=approvals)
    assert facts["reviewed_change_sets"] == 1
    assert facts["unreviewed_shas"] == [three, two]


def test_approval_of_the_merged_branch_head_reviews_the_merge(git_repo: GitRepo) -> None:
    git_repo.commit("base")
    git_repo.checkout("topic", new=True)
    tip = git_repo.commit("topic work", {"t": "1"}, author=BOB)
    git_repo.checkout("main")
    git_repo.merge("topic", "Merge pull request #9 from org/topic")
    facts = history(git_repo, approvals={tip: ["Carol"]})
    assert facts["reviewed_change_sets"] == 1
    assert history(git_repo)["reviewed_change_sets"] == 0


def test_matches_git_log_first_parent_on_a_random_history(git_repo: GitRepo) -> None:
    rng = random.Random(7)
    git_repo.commit("root")
    for number in range(40):
        if rng.random() < 0.4:
            git_repo.checkout(f"b{number}", new=True)
            for _ in range(rng.randint(1, 3)):
                git_repo.commit(f"work {number}", {f"f{number}": str(rng.random())}, author=BOB)
            git_repo.checkout("main")
            git_repo.merge(f"b{number}", f"Merge pull request #{number}")
        else:
            git_repo.commit(f"direct {number}", {"main.txt": str(number)}, author=CAROL)
    facts = history(git_repo)
    log = git_repo.git("log", "--first-parent", "--format=%H %P")
    lines = [line.split() for line in log.splitlines()]
    assert facts["change_sets"] == len(lines)
    assert facts["merges"] == sum(1 for parts in lines if len(parts) > 2)
    assert facts["commits"] == int(git_repo.git("rev-list", "--count", "HEAD"))


def test_shallow_clone_is_reported(git_repo: GitRepo, tmp_path: Path) -> None:
    for number in range(5):
        git_repo.commit(f"c{number}", {"a": str(number)})
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "2", f"file://{git_repo.path}", str(clone)],
        check=True,
        capture_output=True,
    )
    facts = history(GitRepo(clone))
    assert facts["shallow"] is True
    assert facts["commits"] == 2


def test_detached_head_without_a_configured_branch_is_labelled_head(git_repo: GitRepo) -> None:
    first = git_repo.commit("one")
    git_repo.commit("two")
    git_repo.git("checkout", "-q", "--detach", first)
    facts = history(git_repo)
    assert (facts["branch"], facts["head"], facts["change_sets"]) == ("HEAD", first, 1)
    configured = only(
        GitHistoryCollector().collect(target(git_repo, branch="main"), context())
    ).facts
    assert (configured["branch"], configured["change_sets"]) == ("main", 2)


def test_missing_branch_empty_repo_and_non_repository(git_repo: GitRepo, tmp_path: Path) -> None:
    with pytest.raises(CollectorError, match=r"^repos/api: repository is empty$"):
        target(git_repo)
    git_repo.commit("one")
    with pytest.raises(CollectorError, match=r"^branch 'release' not found in repos/api$"):
        target(git_repo, branch="release")
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(CollectorError, match=r"^repos/api: not a git repository$"):
        target(GitRepo(plain))
    inside = git_repo.path / "sub"
    inside.mkdir()
    with pytest.raises(CollectorError, match=r"^repos/api: not a git repository$"):
        target(GitRepo(inside))


def test_non_utf8_and_huge_messages(git_repo: GitRepo) -> None:
    git_repo.git("config", "i18n.commitEncoding", "ISO-8859-1")
    message = "Caf\xe9 cr\xe8me (#4)\n\nReviewed-by: Bob <bob@example.com>\n".encode("latin-1")
    date = git_repo.tick()
    env = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    git_repo.git("commit", "-q", "--allow-empty", "-F", "-", env=env, stdin=message)
    body = ("x" * 1000 + "\n") * 1100  # about 1.1 MB
    huge = f"Huge (#5)\n\n{body}\nReviewed-by: Carol <carol@example.com>\n"
    git_repo.commit(huge)
    facts = history(git_repo)
    assert facts["change_sets"] == 2
    assert facts["reviewed_change_sets"] == 2


def test_commit_message_with_a_fake_record_cannot_add_commits(git_repo: GitRepo) -> None:
    fake = "0" * 40
    git_repo.commit(f"honest\n\n{fake}\ntree {fake}\nReviewed-by: Mallory <m@x>")
    facts = history(git_repo)
    assert (facts["commits"], facts["reviewed_change_sets"]) == (1, 0)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Subject only: Reviewed-by: Bob", []),
        ("Subject\n\nReviewed-by: Bob <b@x>\nSigned-off-by: A <a@x>", ["Bob <b@x>"]),
        ("Subject\n\nSome prose here.\nReviewed-by: Bob", []),
        ("Subject\n\nline one\nline two\nline three\nReviewed-by: Bob\nSigned-off-by: A", ["Bob"]),
        ("Subject\n\nReviewed-by: Bob\n  continued\n", ["Bob continued"]),
        ("Subject\n\nreviewed-BY: Bob\n\n", ["Bob"]),
        ("Subject\n\nReviewed-by: Bob\n\nLast paragraph of prose.", []),
    ],
)
def test_trailer_rules(message: str, expected: list[str]) -> None:
    assert messages.raw_reviewers(raw(message)) == expected


def raw(message: str) -> bytes:
    """``message`` as git's raw format shows it: every line indented by four spaces."""
    return "".join(f"    {line}\n" for line in message.split("\n")).encode()


def test_pull_request_and_ticket_references() -> None:
    assert messages.raw_has_pr_ref(raw("Fix parser (#12)"))
    merged = "Merge branch 'x' into 'main'\n\nSee merge request grp/app!34"
    assert messages.raw_has_pr_ref(raw(merged))
    assert messages.raw_has_pr_ref(raw("Merged PR 77: thing"))
    assert not messages.raw_has_pr_ref(raw("Fix parser #12"))
    assert messages.raw_has_ticket_ref(raw("PAY-12 add refunds"))
    assert messages.raw_has_ticket_ref(raw("fixes #3"))
    assert messages.raw_has_ticket_ref(raw("SHA-256 for PAY-12"))
    assert not messages.raw_has_ticket_ref(raw("Use UTF-8 and SHA-256 everywhere"))
