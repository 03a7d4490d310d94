"""``ci.run``: the CI run this collection happens in, read from the job's environment.

Providers, tried in order:

- **GitHub Actions** (``GITHUB_ACTIONS=true``): ``GITHUB_REPOSITORY``, ``GITHUB_RUN_ID``,
  ``GITHUB_RUN_ATTEMPT``, ``GITHUB_SERVER_URL`` (for the run URL), ``GITHUB_WORKFLOW``,
  ``GITHUB_JOB``, ``GITHUB_SHA``, ``GITHUB_REF``, ``GITHUB_EVENT_NAME``,
  ``GITHUB_TRIGGERING_ACTOR`` (else ``GITHUB_ACTOR``); the pull request number from a
  ``refs/pull/<n>/...`` ref. GitHub exposes no run start time, so ``started_at`` is null
  unless ``ASSAY_CI_STARTED_AT`` is set; the evidence is then dated from the event
  payload (``GITHUB_EVENT_PATH``: the pushed head commit's time, or the pull request's
  last update), read size-capped.
- **GitLab CI** (``GITLAB_CI=true``): ``CI_PROJECT_PATH``, ``CI_PIPELINE_ID``,
  ``CI_PIPELINE_URL``, ``CI_PIPELINE_NAME``, ``CI_JOB_NAME``, ``CI_COMMIT_SHA``,
  ``CI_COMMIT_TAG``/``CI_COMMIT_BRANCH``/``CI_COMMIT_REF_NAME``,
  ``CI_COMMIT_REF_PROTECTED``, ``CI_PIPELINE_SOURCE``, ``CI_MERGE_REQUEST_IID``,
  ``GITLAB_USER_LOGIN``, ``CI_PIPELINE_CREATED_AT``.
- **Generic** (``ASSAY_CI_RUN_ID`` set, for any other CI system): ``ASSAY_CI_RUN_ID``,
  ``ASSAY_CI_COMMIT``, ``ASSAY_CI_REF``, ``ASSAY_CI_EVENT``, and optionally
  ``ASSAY_CI_RUN_URL``, ``ASSAY_CI_REPOSITORY``, ``ASSAY_CI_WORKFLOW``, ``ASSAY_CI_JOB``,
  ``ASSAY_CI_ACTOR``, ``ASSAY_CI_ATTEMPT``, ``ASSAY_CI_PULL_REQUEST``,
  ``ASSAY_CI_STARTED_AT``.

The evidence subject is ``{"pipeline": ..., "run_id": ..., "commit": ...}``; the pipeline
is ``CollectContext.pipeline`` when given, else the provider name. The facts
are what ``assay collect`` binds every artefact of the same run to.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from assay.durations import isoformat
from assay.errors import CollectorError
from assay.evidence.collectors.interface import CollectContext, Collector, EnvironmentTarget
from assay.evidence.context import ci_provider
from assay.evidence.model import EvidenceDraft
from assay.evidence.parsing.values import COMMIT_ID, parse_time

MAX_EVENT_BYTES = 8 * 1024 * 1024
_PULL = re.compile(r"^refs/pull/(\d+)/")

_GITHUB_EVENTS = {
    "workflow_dispatch": "manual",
    "repository_dispatch": "api",
    "merge_group": "merge_group",
}
_GITLAB_SOURCES = {
    "merge_request_event": "merge_request",
    "external_pull_request_event": "pull_request",
    "web": "manual",
    "trigger": "api",
    "parent_pipeline": "pipeline",
}


def provider_of(environ: Mapping[str, str]) -> str | None:
    """``github``, ``gitlab``, ``generic`` or None when no CI run this collector can describe
    is visible (another CI system says nothing it reads unless ``ASSAY_CI_*`` is set)."""
    provider = ci_provider(environ)
    return None if provider == "unknown" else provider


def _get(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def _positive(value: str | None, default: int | None) -> int | None:
    return int(value) if value and value.isdigit() and int(value) > 0 else default


def _require(environ: Mapping[str, str], provider: str, names: Iterable[str]) -> None:
    missing = [name for name in names if not _get(environ, name)]
    if missing:
        raise CollectorError(
            f"{provider} CI run context is incomplete: {', '.join(missing)} not set",
            hint="run assay collect inside the CI job, or set the ASSAY_CI_* variables",
        )


def _github(environ: Mapping[str, str]) -> dict[str, Any]:
    _require(environ, "GitHub Actions", ("GITHUB_RUN_ID", "GITHUB_SHA", "GITHUB_REF"))
    repository = _get(environ, "GITHUB_REPOSITORY")
    run_id = environ["GITHUB_RUN_ID"].strip()
    attempt = _positive(_get(environ, "GITHUB_RUN_ATTEMPT"), 1)
    server = (_get(environ, "GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
    url = f"{server}/{repository}/actions/runs/{run_id}" if repository else None
    if url and attempt and attempt > 1:
        url += f"/attempts/{attempt}"
    ref = environ["GITHUB_REF"].strip()
    event = _get(environ, "GITHUB_EVENT_NAME") or "push"
    if event == "push" and ref.startswith("refs/tags/"):
        event = "tags"
    pull = _PULL.match(ref)
    return {
        "provider": "github",
        "repository": repository,
        "run_id": run_id,
        "run_url": url,
        "attempt": attempt,
        "workflow": _get(environ, "GITHUB_WORKFLOW"),
        "job": _get(environ, "GITHUB_JOB"),
        "commit": environ["GITHUB_SHA"].strip().lower(),
        "ref": ref,
        "ref_protected": None,
        "event": _GITHUB_EVENTS.get(event, event),
        "pull_request": int(pull.group(1)) if pull and int(pull.group(1)) > 0 else None,
        "actor": _get(environ, "GITHUB_TRIGGERING_ACTOR") or _get(environ, "GITHUB_ACTOR"),
        "started_at": None,
    }


def _gitlab(environ: Mapping[str, str]) -> dict[str, Any]:
    _require(environ, "GitLab CI", ("CI_PIPELINE_ID", "CI_COMMIT_SHA"))
    tag = _get(environ, "CI_COMMIT_TAG")
    branch = _get(environ, "CI_COMMIT_BRANCH") or _get(environ, "CI_COMMIT_REF_NAME")
    mr = _get(environ, "CI_MERGE_REQUEST_IID")
    if tag:
        ref = f"refs/tags/{tag}"
    elif mr and not _get(environ, "CI_COMMIT_BRANCH"):
        ref = f"refs/merge-requests/{mr}/head"
    elif branch:
        ref = f"refs/heads/{branch}"
    else:
        raise CollectorError(
            "GitLab CI run context is incomplete: CI_COMMIT_TAG, CI_COMMIT_BRANCH and "
            "CI_COMMIT_REF_NAME are all unset"
        )
    source = _get(environ, "CI_PIPELINE_SOURCE") or "push"
    event = "tags" if source == "push" and tag else _GITLAB_SOURCES.get(source, source)
    protected = _get(environ, "CI_COMMIT_REF_PROTECTED")
    started = parse_time(_get(environ, "CI_PIPELINE_CREATED_AT"))
    return {
        "provider": "gitlab",
        "repository": _get(environ, "CI_PROJECT_PATH"),
        "run_id": environ["CI_PIPELINE_ID"].strip(),
        "run_url": _get(environ, "CI_PIPELINE_URL"),
        "attempt": 1,
        "workflow": _get(environ, "CI_PIPELINE_NAME"),
        "job": _get(environ, "CI_JOB_NAME"),
        "commit": environ["CI_COMMIT_SHA"].strip().lower(),
        "ref": ref,
        "ref_protected": None if protected is None else protected.lower() == "true",
        "event": event,
        "pull_request": _positive(mr, None),
        "actor": _get(environ, "GITLAB_USER_LOGIN"),
        "started_at": isoformat(started) if started else None,
    }


def _generic(environ: Mapping[str, str]) -> dict[str, Any]:
    _require(environ, "generic", ("ASSAY_CI_RUN_ID", "ASSAY_CI_COMMIT", "ASSAY_CI_REF"))
    return {
        "provider": "generic",
        "repository": _get(environ, "ASSAY_CI_REPOSITORY"),
        "run_id": environ["ASSAY_CI_RUN_ID"].strip(),
        "run_url": _get(environ, "ASSAY_CI_RUN_URL"),
        "attempt": _positive(_get(environ, "ASSAY_CI_ATTEMPT"), 1),
        "workflow": _get(environ, "ASSAY_CI_WORKFLOW"),
        "job": _get(environ, "ASSAY_CI_JOB"),
        "commit": environ["ASSAY_CI_COMMIT"].strip().lower(),
        "ref": environ["ASSAY_CI_REF"].strip(),
        "ref_protected": None,
        "event": _get(environ, "ASSAY_CI_EVENT") or "push",
        "pull_request": _positive(_get(environ, "ASSAY_CI_PULL_REQUEST"), None),
        "actor": _get(environ, "ASSAY_CI_ACTOR"),
        "started_at": None,
    }


def run_context(environ: Mapping[str, str]) -> dict[str, Any] | None:
    """The ``ci.run`` facts of the run in ``environ``, or None outside CI.

    Raises :class:`CollectorError` when a CI system is detected but its variables are
    incomplete or malformed (a run must not be recorded against the wrong commit).
    """
    provider = provider_of(environ)
    if provider is None:
        return None
    facts = {"github": _github, "gitlab": _gitlab, "generic": _generic}[provider](environ)
    if not COMMIT_ID.match(facts["commit"]):
        raise CollectorError(f"{provider} CI run: {facts['commit']!r} is not a full commit id")
    override = parse_time(_get(environ, "ASSAY_CI_STARTED_AT"))
    if override is not None:
        facts["started_at"] = isoformat(override)
    url = facts["run_url"]
    if url is not None and not re.match(r"^https?://\S+$", url):
        facts["run_url"] = None
    return facts


def _event_time(environ: Mapping[str, str]) -> datetime | None:
    """A time from GitHub's event payload file: the head commit's, or the PR's last update."""
    path = _get(environ, "GITHUB_EVENT_PATH")
    if path is None:
        return None
    try:
        with Path(path).open("rb") as handle:
            raw = handle.read(MAX_EVENT_BYTES + 1)
        if len(raw) > MAX_EVENT_BYTES:
            return None
        event = json.loads(raw)
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(event, dict):
        return None
    candidates = [
        ("head_commit", "timestamp"),
        ("pull_request", "updated_at"),
        ("workflow_run", "created_at"),
        ("release", "published_at"),
        ("repository", "pushed_at"),
    ]
    for outer, inner in candidates:
        holder = event.get(outer)
        stamp = parse_time(holder.get(inner)) if isinstance(holder, dict) else None
        if stamp is not None:
            return stamp
    return None


def run_time(facts: Mapping[str, Any], environ: Mapping[str, str]) -> datetime | None:
    """When the run happened: its start, else the time its triggering event states."""
    return parse_time(facts.get("started_at")) or _event_time(environ)


class CiRunCollector(Collector):
    """The CI run context from the environment -> ``ci.run``."""

    name = "ci.run"
    version = "1.0.0"
    kinds = ("ci.run",)
    target = "environment"

    def accepts(self, target: Any) -> bool:
        return isinstance(target, EnvironmentTarget) and provider_of(target.environ) is not None

    def collect(
        self, target: EnvironmentTarget, context: CollectContext
    ) -> Iterable[EvidenceDraft]:
        facts = run_context(target.environ)
        if facts is None:
            return []
        observed = run_time(facts, target.environ) or context.commit_time
        if observed is None:
            raise CollectorError(
                f"cannot tell when {facts['provider']} run {facts['run_id']} started",
                hint="set ASSAY_CI_STARTED_AT to the run's start time (ISO 8601)",
            )
        pipeline = context.pipeline or str(facts["provider"])
        return [
            EvidenceDraft(
                kind="ci.run",
                service=context.service,
                subject={
                    "pipeline": pipeline,
                    "run_id": facts["run_id"],
                    "commit": facts["commit"],
                },
                observed_at=observed.replace(microsecond=0),
                collector=self.ident,
                facts=facts,
            )
        ]
