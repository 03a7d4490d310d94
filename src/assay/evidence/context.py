"""Who and where a collection ran: the ``context`` every ledger entry records.

In CI that is the run (provider, repository, run id and URL, commit); elsewhere the
user and host. It is provenance for auditors, not part of the evidence id, so the same
commit collected on a laptop and in CI is still the same evidence.
"""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Mapping
from typing import Any


def _github(env: Mapping[str, str]) -> dict[str, Any]:
    server = env.get("GITHUB_SERVER_URL", "https://github.com")
    repository = env.get("GITHUB_REPOSITORY")
    run_id = env.get("GITHUB_RUN_ID")
    url = f"{server}/{repository}/actions/runs/{run_id}" if repository and run_id else None
    return {
        "ci": "github",
        "repository": repository,
        "run_id": run_id,
        "run_attempt": env.get("GITHUB_RUN_ATTEMPT"),
        "run_url": url,
        "workflow": env.get("GITHUB_WORKFLOW"),
        "job": env.get("GITHUB_JOB"),
        "commit": env.get("GITHUB_SHA"),
        "actor": env.get("GITHUB_ACTOR"),
    }


def _gitlab(env: Mapping[str, str]) -> dict[str, Any]:
    return {
        "ci": "gitlab",
        "repository": env.get("CI_PROJECT_PATH"),
        "run_id": env.get("CI_PIPELINE_ID"),
        "run_url": env.get("CI_PIPELINE_URL"),
        "job": env.get("CI_JOB_NAME"),
        "job_url": env.get("CI_JOB_URL"),
        "commit": env.get("CI_COMMIT_SHA"),
        "actor": env.get("GITLAB_USER_LOGIN"),
    }


#: Variables whose value (anything but empty, 0 or false) says a CI system runs us.
CI_MARKERS = ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "BUILD_ID", "TF_BUILD", "JENKINS_URL")


def _set(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() not in ("", "0", "false")


def ci_provider(env: Mapping[str, str]) -> str | None:
    """Which CI runs this process: ``github``, ``gitlab``, ``generic`` (``ASSAY_CI_RUN_ID``
    describes the run), ``unknown`` (another CI system), or ``None`` outside CI.

    The one reading of the environment that collection, ``ci.run`` and ledger contexts use.
    """
    if env.get("GITHUB_ACTIONS", "").strip().lower() == "true":
        return "github"
    if env.get("GITLAB_CI", "").strip().lower() == "true":
        return "gitlab"
    if env.get("ASSAY_CI_RUN_ID", "").strip():
        return "generic"
    if any(_set(env, name) for name in CI_MARKERS):
        return "unknown"
    return None


def collection_context(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The context for ledger entries written by this process.

    Only values are kept that say who or where; secrets and tokens are never read.
    """
    env = os.environ if environ is None else environ
    provider = ci_provider(env)
    if provider == "github":
        found = _github(env)
    elif provider == "gitlab":
        found = _gitlab(env)
    elif provider is not None:
        run_id = env.get("ASSAY_CI_RUN_ID") or env.get("BUILD_ID") or env.get("RUN_ID")
        found = {"ci": provider, "run_id": run_id, "run_url": env.get("ASSAY_CI_RUN_URL")}
    else:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "unknown"
        found = {"user": user, "host": socket.gethostname()}
    return {key: value for key, value in found.items() if value is not None}
