"""GitHub Actions workflow analysis: triggers, jobs, tools, pinning, permissions, dangers.

Rules, as the facts report them:

- **triggers**: the ``on:`` events, normalised (``workflow_dispatch`` is ``manual``,
  ``repository_dispatch`` is ``api``); a ``push`` with ``tags`` filters adds ``tags``
  (and only ``tags`` when it has no branch filters); an unfiltered ``push`` also fires
  for tags, so it adds both;
- **action pinning**: an external ``uses:`` (``owner/repo[/path]@ref``, a reusable
  workflow, or ``docker://``) is pinned only by a full 40-hex commit sha (a
  ``docker://`` image by ``@sha256:`` digest); a local ``./`` reference is counted apart
  (``local_refs``) and the action or workflow it names is read in its own file (see
  :mod:`github_actions`), where its own references are counted;
- **images**: job ``container:``, ``services:`` and ``docker://`` actions, pinned only by
  digest;
- **permissions**: a workflow is read-only when its top-level ``permissions:`` is
  ``read-all``, ``{}`` or grants no ``write``; with no top-level block, a workflow whose
  every job (a reusable workflow call included) declares its own ``permissions:`` counts
  as declared, read-only when every job's are; otherwise the repository default applies
  (``undeclared``); ``write-all`` and every scope granted ``write`` are counted at
  workflow and job level;
- **untrusted_checkout**: a workflow triggered by a privileged event
  (``pull_request_target``, ``workflow_run``, ``issue_comment``, ``repository_dispatch``:
  the tables' list) that checks out the pull request's code (a checkout action whose
  ``ref:`` or ``repository:`` names the PR head, its fork or ``refs/pull/...``, in any
  expression form, or a ``git``/``gh`` command fetching it);
- **script_injection**: a ``${{ }}`` expression expanded inside a ``run:`` script (or an
  ``actions/github-script`` script) whose value can carry an untrusted context (the
  tables' ``untrusted_contexts``: ``github.head_ref``, titles, bodies, commit messages,
  ``github.event.client_payload`` ...), judged on the parsed expression (see
  :mod:`expressions`): one finding per untrusted path; an expression that cannot be parsed
  is reported too, as possibly untrusted;
- **secrets_inherit**: a call of another repository's reusable workflow with
  ``secrets: inherit``, which hands it every secret.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any

from assay.evidence.ci.definitions import (
    Definition,
    action_pinned,
    image_pinned,
    normalise_trigger,
)
from assay.evidence.ci.scanning import LineFinder, expressions
from assay.evidence.ci.tables import CiTables
from assay.evidence.ci.untrusted import resolved_text, untrusted_expansion
from assay.evidence.ci.wrappers import Follower
from assay.yamlfile import JsonPath, YamlDocument

_FETCHES = re.compile(
    r"\b(git\s+(checkout|fetch|switch|pull|clone|worktree)|gh\s+pr\s+checkout)\b", re.I
)
_SCRIPT_ACTIONS = re.compile(r"^actions/github-script$", re.I)


@dataclass
class GithubDefinition(Definition):
    """A GitHub workflow or action file, with the local files it uses."""

    #: ``workflow`` (under .github/workflows) or ``action`` (an action.yml).
    role: str = "workflow"
    #: Events as written in ``on:`` (before normalising).
    events: set[str] = field(default_factory=set)
    #: Local ``./`` references: (line, action folder) of steps, (line, file) of jobs.
    local_actions: list[tuple[int, str]] = field(default_factory=list)
    local_workflows: list[tuple[int, str]] = field(default_factory=list)

    @property
    def local_refs(self) -> int:
        return len(self.local_actions) + len(self.local_workflows)


def local_path(ref: str) -> str | None:
    """``./tools/act/`` -> ``tools/act`` (``./`` -> ``""``); None if it leaves the repository."""
    path = posixpath.normpath(ref.strip().removeprefix("./").rstrip("/") or ".")
    if path == ".":
        return ""
    if path.startswith(("../", "/")) or path == ".." or "\\" in path:
        return None
    return path


def events(on: Any) -> dict[str, Any]:
    """The events of a workflow's ``on:`` value, with their configuration."""
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return {str(item): None for item in on if isinstance(item, str)}
    if isinstance(on, dict):
        return {str(key): value for key, value in on.items()}
    return {}


def triggers(on: Any) -> set[str]:
    """Normalised trigger names from a workflow's ``on:`` value."""
    found: set[str] = set()
    for event, config in events(on).items():
        if event == "push":
            found |= _push_triggers(config)
            continue
        name = normalise_trigger(event)
        if name:
            found.add(name)
    return found


def _push_triggers(config: Any) -> set[str]:
    if not isinstance(config, dict):
        return {"push", "tags"}
    has_tags = "tags" in config or "tags-ignore" in config
    has_branches = "branches" in config or "branches-ignore" in config
    if has_tags and not has_branches:
        return {"tags"}
    if has_branches and not has_tags:
        return {"push"}
    return {"push", "tags"}


def _permissions(value: Any) -> tuple[bool, int, set[str]]:
    """(read only, write-all count, write scopes) of one permissions: value."""
    if isinstance(value, str):
        if value == "write-all":
            return False, 1, set()
        return value == "read-all", 0, set()
    if isinstance(value, dict):
        scopes = {str(scope) for scope, level in value.items() if level == "write"}
        return not scopes, 0, scopes
    return False, 0, set()


class StepAnalyser:
    """Steps of a workflow's jobs or of a composite action: the checks both share."""

    def __init__(
        self,
        document: YamlDocument,
        tables: CiTables,
        text: str,
        role: str = "workflow",
        follower: Follower | None = None,
    ) -> None:
        self.doc = document
        self.tables = tables
        self.lines = text.splitlines()
        self.result = GithubDefinition(document.path, "github", role=role, follower=follower)
        self.privileged: list[str] = []

    def line(self, path: JsonPath, *, key: bool = False) -> int:
        return self.doc.locate(path, key=key)[0]

    def steps(self, path: JsonPath, steps: Any) -> None:
        if isinstance(steps, list):
            self.result.steps += len(steps)
            for index, step in enumerate(steps):
                if isinstance(step, dict):
                    self.step((*path, index), step)

    def uses(self, path: JsonPath, ref: str, *, job: bool = False) -> None:
        """An action or reusable workflow reference."""
        ref = ref.strip()
        if not ref:
            return
        result = self.result
        line = self.line(path)
        if ref.startswith("./"):
            local = local_path(ref)
            if local is not None:
                (result.local_workflows if job else result.local_actions).append((line, local))
            return
        result.action_refs += 1
        if ref.startswith("docker://"):
            if not image_pinned(ref):
                result.unpinned_actions.append((line, ref))
            result.image(line, ref.removeprefix("docker://"), self.tables)
            return
        if not action_pinned(ref):
            result.unpinned_actions.append((line, ref))
        result.tools |= self.tables.detect("uses", ref.split("@", 1)[0])

    def step(self, path: JsonPath, step: dict[str, Any]) -> None:
        uses = step.get("uses")
        with_ = step.get("with") if isinstance(step.get("with"), dict) else {}
        assert isinstance(with_, dict)
        if isinstance(uses, str):
            self.uses((*path, "uses"), uses)
            action = uses.split("@", 1)[0]
            if self.privileged and self.tables.is_checkout(action):
                for key in ("ref", "repository"):
                    value = with_.get(key)
                    if isinstance(value, str) and self.tables.untrusted_ref(resolved_text(value)):
                        self.untrusted_checkout(self.line((*path, "with", key)), value)
            script = with_.get("script")
            if _SCRIPT_ACTIONS.match(action) and isinstance(script, str):
                self.injection((*path, "with", "script"), script, "an actions/github-script script")
        run = step.get("run")
        if isinstance(run, str):
            start = self.line((*path, "run"))
            self.result.script(start, run, self.tables, self.lines)
            self.injection((*path, "run"), run, "a run: script")
            if self.privileged:
                finder = LineFinder(self.lines, start)
                for text in run.splitlines():
                    if _FETCHES.search(text) and self.tables.untrusted_ref(resolved_text(text)):
                        self.untrusted_checkout(finder.find(text), text.strip())

    def untrusted_checkout(self, line: int, what: str) -> None:
        events = " and ".join(self.privileged)
        self.result.finding(
            line,
            "untrusted_checkout",
            f"a {events} workflow checks out the pull request's code ({what[:120]}); "
            "that code then runs with the base repository's secrets and a write token",
        )

    def injection(self, path: JsonPath, script: str, where: str) -> None:
        finder = LineFinder(self.lines, self.line(path))
        for start, end, inner in expressions(script):
            expansion = untrusted_expansion(inner, self.tables)
            if expansion.error is None and not expansion.untrusted:
                continue
            line = finder.find(script[start:end])
            if expansion.error is not None:
                self.result.finding(
                    line,
                    "script_injection",
                    f"an expression that could not be parsed ({expansion.error}) is expanded "
                    f"inside {where}; it may carry untrusted text into code",
                )
            for context in expansion.untrusted:
                self.result.finding(
                    line,
                    "script_injection",
                    f"{context} is expanded inside {where}, where its text becomes code; "
                    "pass it through an environment variable instead",
                )


class _Workflow(StepAnalyser):
    """One workflow being analysed."""

    def analyse(self) -> GithubDefinition:
        data = self.doc.data
        result = self.result
        result.name = data["name"] if isinstance(data.get("name"), str) else None
        result.triggers = triggers(data.get("on"))
        result.events = set(events(data.get("on")))
        if "permissions" in data:
            read_only, write_all, scopes = _permissions(data["permissions"])
            result.permissions_declared = True
            result.permissions_read_only = read_only
            result.write_all += write_all
            result.write_scopes |= scopes
        self.privileged = sorted(
            (result.triggers | result.events) & self.tables.privileged_triggers
        )
        jobs = data.get("jobs")
        if not isinstance(jobs, dict):
            result.finding(self.line(()), "invalid_definition", "the workflow has no jobs mapping")
            return result
        result.jobs = len(jobs)
        job_permissions: list[bool | None] = []
        for name, job in jobs.items():
            if isinstance(job, dict):
                job_permissions.append(self.job(("jobs", name), job))
        every_job = bool(jobs) and len(job_permissions) == len(jobs)
        if "permissions" not in data and every_job and None not in job_permissions:
            # Every job declares its own: nothing runs with the repository default.
            result.permissions_declared = True
            result.permissions_read_only = all(job_permissions)
        return result

    def job(self, path: JsonPath, job: dict[str, Any]) -> bool | None:
        """Analyse one job; whether its own permissions are read-only (None: not declared)."""
        result = self.result
        read_only: bool | None = None
        if "permissions" in job:
            read_only, write_all, scopes = _permissions(job["permissions"])
            result.write_all += write_all
            result.write_scopes |= scopes
        uses = job.get("uses")
        if isinstance(uses, str):
            self.uses((*path, "uses"), uses, job=True)
            if job.get("secrets") == "inherit" and not uses.startswith("./"):
                result.finding(
                    self.line((*path, "secrets")),
                    "secrets_inherit",
                    f"every secret is passed to {uses.split('@', 1)[0]} with secrets: inherit; "
                    "pass only the secrets it needs",
                )
        self.containers(path, job)
        environment = job.get("environment")
        name = environment.get("name") if isinstance(environment, dict) else environment
        if isinstance(name, str) and name.strip():
            result.environments.append((name.strip(), None))
        self.steps((*path, "steps"), job.get("steps"))
        return read_only

    def containers(self, path: JsonPath, job: dict[str, Any]) -> None:
        container = job.get("container")
        image = container.get("image") if isinstance(container, dict) else container
        if isinstance(image, str) and image.strip():
            where = (
                (*path, "container", "image")
                if isinstance(container, dict)
                else (*path, "container")
            )
            self.result.image(self.line(where), image.strip(), self.tables)
        services = job.get("services")
        for service_name, service in services.items() if isinstance(services, dict) else ():
            image = service.get("image") if isinstance(service, dict) else service
            if isinstance(image, str) and image.strip():
                where = (*path, "services", service_name)
                self.result.image(self.line((*where, "image")), image.strip(), self.tables)


def analyse_workflow(
    document: YamlDocument, tables: CiTables, text: str, follower: Follower | None = None
) -> GithubDefinition:
    """Analyse one parsed ``.github/workflows/*.yml`` file (a mapping: the caller checks).

    ``follower`` reads the files that wrapper commands in ``run:`` scripts run.
    """
    return _Workflow(document, tables, text, follower=follower).analyse()
