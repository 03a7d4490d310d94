"""ci.run from GitHub Actions, GitLab CI and generic environments."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from assay.errors import CollectorError
from assay.evidence.collectors.ci_run import CiRunCollector, run_context
from assay.evidence.collectors.interface import EnvironmentTarget
from assay.evidence.kinds import kind_validator
from assay.evidence.model import EvidenceDraft
from assay.evidence.registry import collectors_for
from tests.unit.evidence.artefacts.helpers import context

SHA = "1a954628a960aaef81d7b2d4521929579f3541e6"
COLLECTOR = CiRunCollector()

GITHUB = {
    "CI": "true",
    "GITHUB_ACTIONS": "true",
    "GITHUB_REPOSITORY": "example-org/payments-api",
    "GITHUB_RUN_ID": "8259391021",
    "GITHUB_RUN_ATTEMPT": "2",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_WORKFLOW": "CI",
    "GITHUB_JOB": "test",
    "GITHUB_SHA": SHA,
    "GITHUB_REF": "refs/pull/881/merge",
    "GITHUB_EVENT_NAME": "pull_request",
    "GITHUB_ACTOR": "jlindqvist",
    "GITHUB_TRIGGERING_ACTOR": "a-okafor",
}
GITLAB = {
    "CI": "true",
    "GITLAB_CI": "true",
    "CI_PROJECT_PATH": "example-org/payments-api",
    "CI_PIPELINE_ID": "1203344",
    "CI_PIPELINE_URL": "https://gitlab.example.org/example-org/payments-api/-/pipelines/1203344",
    "CI_PIPELINE_NAME": "release",
    "CI_JOB_NAME": "collect-evidence",
    "CI_COMMIT_SHA": SHA,
    "CI_COMMIT_TAG": "v1.4.0",
    "CI_COMMIT_REF_NAME": "v1.4.0",
    "CI_COMMIT_REF_PROTECTED": "true",
    "CI_PIPELINE_SOURCE": "push",
    "GITLAB_USER_LOGIN": "mchen",
    "CI_PIPELINE_CREATED_AT": "2026-03-12T22:00:05Z",
}


def drafts(environ: dict[str, str], **fields: Any) -> list[EvidenceDraft]:
    found = list(COLLECTOR.collect(EnvironmentTarget(environ), context(**fields)))
    for draft in found:
        assert list(kind_validator("ci.run").iter_errors(draft.facts)) == []
    return found


def test_github_actions_run(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"updated_at": "2026-03-12T21:59:30Z"}}))
    (draft,) = COLLECTOR.collect(
        EnvironmentTarget({**GITHUB, "GITHUB_EVENT_PATH": str(event)}), context()
    )
    assert draft.facts == {
        "provider": "github",
        "repository": "example-org/payments-api",
        "run_id": "8259391021",
        "run_url": "https://github.com/example-org/payments-api/actions/runs/8259391021/attempts/2",
        "attempt": 2,
        "workflow": "CI",
        "job": "test",
        "commit": SHA,
        "ref": "refs/pull/881/merge",
        "ref_protected": None,
        "event": "pull_request",
        "pull_request": 881,
        "actor": "a-okafor",
        "started_at": None,
    }
    assert draft.subject == {"pipeline": "github", "run_id": "8259391021", "commit": SHA}
    # GitHub gives no start time: the event payload dates the evidence.
    assert draft.observed_at == datetime(2026, 3, 12, 21, 59, 30, tzinfo=UTC)


def test_github_tag_push_and_manual_runs() -> None:
    tag = run_context({**GITHUB, "GITHUB_REF": "refs/tags/v1.4.0", "GITHUB_EVENT_NAME": "push"})
    assert tag is not None
    assert (tag["event"], tag["pull_request"]) == ("tags", None)
    manual = run_context({**GITHUB, "GITHUB_EVENT_NAME": "workflow_dispatch"})
    assert manual is not None
    assert manual["event"] == "manual"
    target = run_context({**GITHUB, "GITHUB_EVENT_NAME": "pull_request_target"})
    assert target is not None
    assert target["event"] == "pull_request_target"


def test_gitlab_pipeline() -> None:
    (draft,) = drafts(GITLAB, pipeline="release")
    facts = draft.facts
    assert facts["provider"] == "gitlab"
    assert (facts["ref"], facts["event"], facts["ref_protected"]) == (
        "refs/tags/v1.4.0",
        "tags",
        True,
    )
    assert facts["started_at"] == "2026-03-12T22:00:05Z"
    assert facts["run_url"].endswith("/pipelines/1203344")
    assert draft.subject == {"pipeline": "release", "run_id": "1203344", "commit": SHA}


def test_gitlab_merge_request_pipeline() -> None:
    environ = {
        **GITLAB,
        "CI_COMMIT_TAG": "",
        "CI_COMMIT_REF_NAME": "feature/x",
        "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_MERGE_REQUEST_IID": "42",
        "CI_COMMIT_REF_PROTECTED": "false",
    }
    facts = run_context(environ)
    assert facts is not None
    assert (facts["event"], facts["pull_request"]) == ("merge_request", 42)
    assert (facts["ref"], facts["ref_protected"]) == ("refs/merge-requests/42/head", False)


def test_generic_ci_and_start_time_override() -> None:
    environ = {
        "ASSAY_CI_RUN_ID": "build-77",
        "ASSAY_CI_COMMIT": SHA.upper(),
        "ASSAY_CI_REF": "refs/heads/main",
        "ASSAY_CI_RUN_URL": "https://ci.example.org/builds/77",
        "ASSAY_CI_STARTED_AT": "2026-03-12T23:00:00+01:00",
    }
    (draft,) = drafts(environ)
    facts = draft.facts
    assert (facts["provider"], facts["event"], facts["attempt"]) == ("generic", "push", 1)
    assert facts["commit"] == SHA
    assert facts["started_at"] == "2026-03-12T22:00:00Z"


def test_outside_ci_there_is_no_run() -> None:
    assert run_context({"HOME": "/root", "CI": "true"}) is None
    assert drafts({"PATH": "/bin"}) == []
    assert not COLLECTOR.accepts(EnvironmentTarget({}))
    assert COLLECTOR.accepts(EnvironmentTarget(GITHUB))


def test_incomplete_or_wrong_context_is_an_error() -> None:
    with pytest.raises(CollectorError) as caught:
        run_context({"GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "1"})
    assert caught.value.diagnostics() == [
        "error: GitHub Actions CI run context is incomplete: GITHUB_SHA, GITHUB_REF not set",
        "hint: run assay collect inside the CI job, or set the ASSAY_CI_* variables",
    ]
    with pytest.raises(CollectorError, match="'abc123' is not a full commit id"):
        run_context({**GITHUB, "GITHUB_SHA": "abc123"})


def test_no_start_time_anywhere_is_an_error_not_the_clock() -> None:
    with pytest.raises(CollectorError, match="cannot tell when github run 8259391021 started"):
        drafts(GITHUB)
    (draft,) = drafts(GITHUB, commit_time=datetime(2026, 3, 12, 20, tzinfo=UTC))
    assert draft.observed_at == datetime(2026, 3, 12, 20, tzinfo=UTC)


def test_hostile_run_url_is_dropped() -> None:
    facts = run_context({**GITLAB, "CI_PIPELINE_URL": "javascript:alert(1)"})
    assert facts is not None
    assert facts["run_url"] is None


def test_registered_as_the_environment_collector() -> None:
    assert "ci.run" in {c.name for c in collectors_for("environment")}
