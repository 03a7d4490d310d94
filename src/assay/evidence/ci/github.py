"""GitHub Actions workflow analysis: triggers, jobs, tools, pinning, permissions, dangers.

Rules, as the facts report them:

- **triggers**: the ``on:`` events, normalised (``workflow_dispatch`` is ``manual``,
  ``repository_dispatch`` is ``api``); a ``push`` with ``tags`` filters adds ``tags``
  (and only ``tags`` when it has no branch filters); an unfiltered ``push`` also fires
  for tags, so it adds both;
- **action pinning**: an external ``uses:`` (``owner/repo[/path]@ref``, a reusable
  workflow, or ``docker://``) is pinned only by a full 40-hex commit sha (a
  ``docker://`` image by ``@sha256:`` digest); local ``./`` references are not counted;
- **images**: job ``container:``, ``services:`` and ``docker://`` actions, pinned only by
  digest;
- **permissions**: a workflow is read-only when its top-level ``permissions:`` is
  ``read-all``, ``{}`` or grants no ``write``; missing means the repository default
  applies (``undeclared``); ``write-all`` and every scope granted ``write`` are counted
  at workflow and job level;
- **untrusted_checkout**: a workflow triggered by a privileged event
  (``pull_request_target``, ``workflow_run``) that checks out the pull request's code
  (a checkout action whose ``ref:`` is the PR head, or a ``git``/``gh`` command fetching
  it);
- **script_injection**: an untrusted ``${{ github.event.* }}`` field or
  ``github.head_ref`` expanded inside a ``run:`` script (or an ``actions/github-script``
  script), where it becomes code;
- **secrets_inherit**: a call of another repository's reusable workflow with
  ``secrets: inherit``, which hands it every secret.
"""

from __future__ import annotations

import re
from typing import Any

from assay.evidence.ci.definitions import (
    Definition,
    action_pinned,
    image_pinned,
    normalise_trigger,
)
from assay.evidence.ci.scanning import LineFinder, expressions
from assay.evidence.ci.tables import CiTables
from assay.evidence.ci.wrappers import Follower
from assay.yamlfile import JsonPath, YamlDocument

_FETCHES = re.compile(
    r"\b(git\s+(checkout|fetch|switch|pull|clone|worktree)|gh\s+pr\s+checkout)\b", re.I
)
_SCRIPT_ACTIONS = re.compile(r"^actions/github-script$", re.I)


def triggers(on: Any) -> set[str]:
    """Normalised trigger names from a workflow's ``on:`` value."""
    events: dict[str, Any]
    if isinstance(on, str):
        events = {on: None}
    elif isinstance(on, list):
        events = {str(item): None for item in on if isinstance(item, str)}
    elif isinstance(on, dict):
        events = {str(key): value for key, value in on.items()}
    else:
        return set()
    found: set[str] = set()
    for event, config in events.items():
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


class _Workflow:
    """One workflow being analysed."""

    def __init__(
        self, document: YamlDocument, tables: CiTables, text: str, follower: Follower | None
    ) -> None:
        self.doc = document
        self.tables = tables
        self.lines = text.splitlines()
        self.result = Definition(document.path, "github", follower=follower)
        self.privileged: list[str] = []

    def line(self, path: JsonPath, *, key: bool = False) -> int:
        return self.doc.locate(path, key=key)[0]

    def analyse(self) -> Definition:
        data = self.doc.data
        result = self.result
        result.name = data["name"] if isinstance(data.get("name"), str) else None
        result.triggers = triggers(data.get("on"))
        if "permissions" in data:
            read_only, write_all, scopes = _permissions(data["permissions"])
            result.permissions_declared = True
            result.permissions_read_only = read_only
            result.write_all += write_all
            result.write_scopes |= scopes
        self.privileged = sorted(result.triggers & self.tables.privileged_triggers)
        jobs = data.get("jobs")
        if not isinstance(jobs, dict):
            result.finding(self.line(()), "invalid_definition", "the workflow has no jobs mapping")
            return result
        result.jobs = len(jobs)
        for name, job in jobs.items():
            if isinstance(job, dict):
                self.job(("jobs", name), job)
        return result

    def job(self, path: JsonPath, job: dict[str, Any]) -> None:
        result = self.result
        if "permissions" in job:
            _, write_all, scopes = _permissions(job["permissions"])
            result.write_all += write_all
            result.write_scopes |= scopes
        uses = job.get("uses")
        if isinstance(uses, str):
            self.uses((*path, "uses"), uses)
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
        steps = job.get("steps")
        if isinstance(steps, list):
            result.steps += len(steps)
            for index, step in enumerate(steps):
                if isinstance(step, dict):
                    self.step((*path, "steps", index), step)

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

    def uses(self, path: JsonPath, ref: str) -> None:
        """An action or reusable workflow reference."""
        ref = ref.strip()
        if ref.startswith("./") or not ref:
            return
        result = self.result
        result.action_refs += 1
        line = self.line(path)
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
                ref = with_.get("ref")
                if isinstance(ref, str) and self.tables.untrusted_ref(ref):
                    self.untrusted_checkout(self.line((*path, "with", "ref")), ref)
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
                    if _FETCHES.search(text) and self.tables.untrusted_ref(text):
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
            found = self.tables.untrusted_input(inner)
            if found is None:
                continue
            self.result.finding(
                finder.find(script[start:end]),
                "script_injection",
                f"{found.group(0)} is expanded inside {where}, where its text becomes code; "
                "pass it through an environment variable instead",
            )


def analyse_workflow(
    document: YamlDocument, tables: CiTables, text: str, follower: Follower | None = None
) -> Definition:
    """Analyse one parsed ``.github/workflows/*.yml`` file (a mapping: the caller checks).

    ``follower`` reads the files that wrapper commands in ``run:`` scripts run.
    """
    return _Workflow(document, tables, text, follower).analyse()
