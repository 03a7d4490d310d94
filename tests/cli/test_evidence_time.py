"""Evidence time through the commands: claimed times are claims, "latest" is ledger order."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from assay.cli.app import app
from assay.durations import CLOCK_SKEW, utc_now
from assay.evidence.store import open_store
from tests.cli.sample import Sample, good_drafts, make_sample
from tests.support.gitrepo import GitRepo
from tests.support.paths import DATA, ROOT


@pytest.fixture
def sample(tmp_path: Path) -> Sample:
    return make_sample(tmp_path / "ws")


def invoke(runner: CliRunner, sample: Sample, *args: str) -> Result:
    return runner.invoke(app, [*args, "-w", str(sample.root)])


def gate(runner: CliRunner, sample: Sample, *args: str) -> Result:
    return invoke(runner, sample, "gate", "--service", "payments", "--stage", "release", *args)


def stored_counts(sample: Sample) -> tuple[int, int]:
    with open_store(sample.url) as store:
        counts = store.counts()
    return counts.evidence, counts.assessments


@pytest.mark.parametrize("command", ["gate", "check"])
def test_recording_commands_refuse_an_as_of_in_the_future(
    runner: CliRunner, sample: Sample, command: str
) -> None:
    sample.good_evidence()
    before = stored_counts(sample)
    args = ("-s", "payments") if command == "check" else ()
    run = gate if command == "gate" else lambda r, s, *a: invoke(r, s, "check", *args, *a)
    result = run(runner, sample, "--as-of", "2999-12-31")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: --as-of 2999-12-31T23:59:59Z is in the future")
    assert "Traceback" not in result.output
    assert stored_counts(sample) == before  # nothing recorded


def test_as_of_within_the_clock_skew_is_accepted(runner: CliRunner, sample: Sample) -> None:
    sample.good_evidence()
    soon = (utc_now() + CLOCK_SKEW - timedelta(seconds=30)).isoformat()
    result = invoke(runner, sample, "check", "-s", "payments", "--as-of", soon, "--no-fail")
    assert result.exit_code == 0, result.output
    later = (utc_now() + CLOCK_SKEW + timedelta(minutes=1)).isoformat()
    refused = invoke(runner, sample, "check", "-s", "payments", "--as-of", later)
    assert refused.exit_code == 2, refused.output


JUNIT = """<?xml version="1.0"?>
<testsuite name="unit" tests="2" failures="{failures}" timestamp="{stamp}">
  <testcase classname="a" name="one"/>
  <testcase classname="a" name="two">{failure}</testcase>
</testsuite>
"""


def junit(sample: Sample, stamp: str, failures: int) -> None:
    failure = '<failure message="boom"/>' if failures else ""
    sample.write("reports/junit.xml", JUNIT.format(stamp=stamp, failures=failures, failure=failure))


LOCAL_SERVICE = """\
id: payments
name: payments service
owner: team@example.org
tier: 2
repos:
  - name: api
    path: repos/api
"""


def local_repo(sample: Sample) -> GitRepo:
    """The service's repository as a local clone with one reviewed commit."""
    sample.write("services/payments.yaml", LOCAL_SERVICE)
    repo = GitRepo.init(sample.root / "repos" / "api")
    repo.commit("Start (#1)\n\nReviewed-by: Bob <bob@example.com>", {"README.md": "api\n"})
    return repo


def collect_reports(runner: CliRunner, sample: Sample) -> Result:
    reports = str(sample.root / "reports")
    return invoke(runner, sample, "collect", "-s", "payments", "--artefacts", reports, "-f", "json")


def latest_tests(sample: Sample) -> list[int]:
    with open_store(sample.url) as store:
        return [r.facts["failures"] for r in store.latest("payments", ["test.results"])]


def test_an_artefact_claiming_a_future_time_is_refused_by_name(
    runner: CliRunner, sample: Sample
) -> None:
    sample.empty_store()
    local_repo(sample)
    junit(sample, "2099-01-01T00:00:00", failures=0)
    result = collect_reports(runner, sample)
    assert result.exit_code == 2, result.output
    assert "junit.xml: states the time 2099-01-01T00:00:00Z, after the collection time" in (
        result.stderr
    )
    assert "Traceback" not in result.output
    assert latest_tests(sample) == []


def test_the_latest_report_is_the_last_collected_not_the_latest_claimed(
    runner: CliRunner, sample: Sample
) -> None:
    """An honest failing report collected after one claiming a later time is the latest."""
    sample.empty_store()
    local_repo(sample)
    soon = (utc_now() + CLOCK_SKEW - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S")
    junit(sample, soon, failures=0)
    assert collect_reports(runner, sample).exit_code == 0
    earlier = (utc_now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    junit(sample, earlier, failures=1)
    assert collect_reports(runner, sample).exit_code == 0
    assert latest_tests(sample) == [1]


def ai_workspace(sample: Sample) -> None:
    """payments as an AI service with AI-04 (evaluated within 7 days) in its library."""
    sample.write("services/payments.yaml", LOCAL_SERVICE + "tags: [ai]\n")
    sample.write(
        "controls/ai-04.yaml", (ROOT / "src/assay/controls/library/AI-04.yaml").read_text()
    )
    repo = GitRepo.init(sample.root / "repos" / "api")
    repo.commit("Start (#1)\n\nReviewed-by: Bob <bob@example.com>", {"README.md": "api\n"})


def outcome_of(runner: CliRunner, sample: Sample, control: str, test: str) -> tuple[str, str]:
    """The status and summary of one test of ``control``, as ``assay check`` decides it."""
    result = invoke(runner, sample, "check", "-s", "payments", "-f", "json", "--no-fail")
    assert result.exit_code == 0, result.output
    (document,) = json.loads(result.stdout)
    (found,) = [r for r in document["results"] if r["control"] == control]
    (outcome,) = [t for t in found["tests"] if t["test"] == test]
    return outcome["status"], outcome["summary"]


def test_recollecting_an_old_evaluation_does_not_make_it_fresh(
    runner: CliRunner, sample: Sample
) -> None:
    sample.empty_store()
    ai_workspace(sample)
    evaluation = json.loads((DATA / "artefacts/ai/evaluation.json").read_text())
    evaluation["metrics"][-1].update(threshold=0.05, baseline=0.03)
    old = utc_now() - timedelta(days=315)
    evaluation["evaluated_at"] = old.strftime("%Y-%m-%dT%H:%M:%SZ")
    sample.write("reports/evaluation.json", json.dumps(evaluation))
    for _ in range(2):
        assert collect_reports(runner, sample).exit_code == 0
    status, reasons = outcome_of(runner, sample, "AI-04", "thresholds-met")
    assert status == "stale"
    assert f"ai.evaluation evidence for pipeline artefacts was observed {old.date()}" in reasons
    evaluation["evaluated_at"] = utc_now().strftime("%Y-%m-%dT%H:%M:%SZ")
    sample.write("reports/evaluation.json", json.dumps(evaluation))
    assert collect_reports(runner, sample).exit_code == 0
    assert outcome_of(runner, sample, "AI-04", "thresholds-met")[0] == "pass"


def test_state_evidence_is_as_fresh_as_its_latest_collection(
    runner: CliRunner, sample: Sample
) -> None:
    """An unchanged head, collected again, confirms its repository evidence again."""
    ai_workspace(sample)
    old = utc_now() - timedelta(days=45)
    (history,) = [d for d in good_drafts() if d.kind == "git.history"]
    sample.record(replace(history, observed_at=old), collected_at=old)
    assert outcome_of(runner, sample, "CHG-01", "reviewed")[0] == "stale"
    sample.record(replace(history, observed_at=old))
    assert outcome_of(runner, sample, "CHG-01", "reviewed")[0] == "pass"


def collect_repo(runner: CliRunner, sample: Sample, *args: str) -> dict[str, Any]:
    result = invoke(runner, sample, "collect", "-s", "payments", "-f", "json", *args)
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def history_of(document: dict[str, Any]) -> dict[str, Any]:
    found: list[dict[str, Any]] = [e for e in document["evidence"] if e["kind"] == "git.history"]
    assert len(found) == 1
    return found[0]


def test_a_commit_off_the_branch_never_stands_for_the_branch(
    runner: CliRunner, sample: Sample
) -> None:
    sample.empty_store()
    repo = local_repo(sample)
    repo.checkout("feature", new=True)
    side = repo.commit("Side (#2)\n\nReviewed-by: Bob <bob@example.com>", {"a.txt": "a\n"})
    repo.checkout("main")
    repo.commit("Direct push", {"b.txt": "b\n"})
    on_main = history_of(collect_repo(runner, sample))
    assert on_main["subject"]["branch"] == "main"
    assert outcome_of(runner, sample, "CHG-01", "reviewed")[0] == "fail"
    off = history_of(collect_repo(runner, sample, "--repo", str(repo.path), "--commit", side))
    assert off["subject"] == {"repo": "api", "branch": None, "commit": side, "on_branch": False}
    assert off["facts"]["branch"] == "HEAD"
    assert outcome_of(runner, sample, "CHG-01", "reviewed")[0] == "fail"
    with open_store(sample.url) as store:
        latest = {r.subject_key: r.id for r in store.latest("payments", ["git.history"])}
    assert latest == {"repo:api": on_main["id"], f"commit:api@{side}": off["id"]}


def test_an_older_commit_of_the_branch_is_still_on_it(runner: CliRunner, sample: Sample) -> None:
    sample.empty_store()
    repo = local_repo(sample)
    first = repo.head()
    repo.commit("Next (#2)\n\nReviewed-by: Bob <bob@example.com>", {"a.txt": "a\n"})
    history = history_of(collect_repo(runner, sample, "--repo", str(repo.path), "--commit", first))
    assert history["subject"] == {"repo": "api", "branch": "main", "commit": first}


def test_a_narrower_window_never_replaces_the_configured_one(
    runner: CliRunner, sample: Sample
) -> None:
    """Re-collecting the same head over one minute does not hide a direct push."""
    sample.empty_store()
    repo = local_repo(sample)
    repo.commit("Direct push", {"b.txt": "b\n"})
    repo.commit("Reviewed (#3)\n\nReviewed-by: Bob <bob@example.com>", {"c.txt": "c\n"})
    wide = history_of(collect_repo(runner, sample))
    assert outcome_of(runner, sample, "CHG-01", "reviewed")[0] == "fail"
    narrow = history_of(collect_repo(runner, sample, "--since", "PT1M"))
    assert narrow["subject"]["full_window"] is False
    assert narrow["subject"]["window"] == "PT1M"
    assert outcome_of(runner, sample, "CHG-01", "reviewed")[0] == "fail"
    with open_store(sample.url) as store:
        latest = {r.subject_key: r.id for r in store.latest("payments", ["git.history"])}
    assert latest == {"repo:api": wide["id"], "window:api@PT1M": narrow["id"]}
    wider = history_of(collect_repo(runner, sample, "--since", "P3650D"))
    assert "full_window" not in wider["subject"]


def test_a_commit_dated_ahead_does_not_hide_the_head_collected_after_it(
    runner: CliRunner, sample: Sample
) -> None:
    """A parent dated three days ahead; the head after it deletes SECURITY.md and pipes
    curl into sh. The head git names at collection is what the branch's evidence shows."""
    sample.empty_store()
    repo = local_repo(sample)
    workflow = (DATA / "ci/github/ci.yml").read_text(encoding="utf-8")
    repo.clock = int((utc_now() + timedelta(days=3)).timestamp())
    ahead = repo.commit(
        "Policy (#2)\n\nReviewed-by: Bob <bob@example.com>",
        {"SECURITY.md": "Report to security@example.org\n", ".github/workflows/ci.yml": workflow},
    )
    first = collect_repo(runner, sample)
    assert {e["subject"]["commit"] for e in first["evidence"]} == {ahead}
    assert outcome_of(runner, sample, "SDL-03", "pinned")[0] == "pass"
    repo.clock = int((utc_now() - timedelta(hours=1)).timestamp())
    (repo.path / "SECURITY.md").unlink()
    risky = workflow + "  install:\n    runs-on: ubuntu-24.04\n    steps:\n"
    risky += "      - run: curl -sSL https://example.org/install.sh | sh\n"
    head = repo.commit("Simplify (#3)", {".github/workflows/ci.yml": risky})
    second = collect_repo(runner, sample)
    with open_store(sample.url) as store:
        latest = store.latest("payments", ["ci.workflows", "repo.files", "git.history"])
    assert {r.subject["commit"] for r in latest} == {head}
    (files,) = [r for r in latest if r.kind == "repo.files"]
    assert files.facts["files"]["security_policy"]["present"] is False
    assert outcome_of(runner, sample, "SDL-03", "pinned")[0] == "fail"
    with open_store(sample.url) as store:
        dated = store.get(history_of(first)["id"])
        later = store.get(history_of(second)["id"])
    assert dated is not None
    assert later is not None
    assert dated.observed_at > utc_now() + timedelta(days=2)  # recorded as git says
    assert dated.observed_at > later.observed_at


def test_a_ci_run_claiming_a_future_start_is_refused(tmp_path: Path, runner: CliRunner) -> None:
    from tests.cli.test_collect import github_env, setup

    root, head, _ = setup(tmp_path)
    env = {**github_env(head), "ASSAY_CI_STARTED_AT": "2099-01-01T00:00:00Z"}
    result = runner.invoke(app, ["collect", "-w", str(root)], env=env)
    assert result.exit_code == 2, result.output
    assert "CI run context (" in result.stderr
    assert "states the time 2099-01-01T00:00:00Z" in result.stderr
