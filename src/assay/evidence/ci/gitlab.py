"""GitLab CI analysis: ``.gitlab-ci.yml`` with its local includes, as one pipeline.

- **includes**: ``include:`` entries naming local files (a path, ``local:``, or a
  wildcard such as ``/ci/*.yml``) are read from git at the same commit and analysed, up
  to 150 files, following nested includes; ``template:`` and ``component:`` includes are
  matched against the tool table (e.g. ``Security/SAST.gitlab-ci.yml``); remote and
  other projects' files cannot be read at a commit and are not followed;
- **jobs**: top-level mappings that are not GitLab keywords; names starting with ``.``
  are templates, not counted. Each job is expanded as GitLab does (files deep-merged,
  the root last; ``extends:``; ``!reference`` tags; ``default:``): see
  :mod:`gitlab_config`. A job counts in the file that defines it last;
- **steps**: lines of a job's ``before_script``, ``script`` and ``after_script`` (its own,
  inherited through ``extends`` or ``default:``, or spliced in by ``!reference``), each
  classified where it is written; wrapper commands (``make test``, ``tox`` ...) are
  followed into the files they run when a follower is given (see :mod:`wrappers`);
- **triggers** (the pipeline's, shared by its files): sources named in
  ``workflow:rules`` and job ``rules:``/``only:`` (``$CI_PIPELINE_SOURCE == "..."``,
  ``$CI_COMMIT_TAG``, ``$CI_MERGE_REQUEST_*``, ``only: [merge_requests, tags, ...]``);
  without ``workflow:rules``, GitLab runs branch and tag pipelines, so ``push`` and
  ``tags`` are added;
- **images**: every ``image:`` and ``services:`` entry where it is written, pinned only
  by ``@sha256:`` digest;
- **deploy environments**: jobs with an ``environment:`` (other than a stop, prepare,
  access or verify action); approval is required when the job is ``when: manual``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from assay.evidence.ci.definitions import (
    Definition,
    Finding,
    image_name,
    normalise_trigger,
)
from assay.evidence.ci.gitlab_config import Expansion, LoadedFile
from assay.evidence.ci.tables import CiTables
from assay.evidence.ci.wrappers import Follower
from assay.evidence.globs import compile_glob
from assay.yamlfile import JsonPath

MAX_FILES = 150
#: Wildcard includes expanded per pipeline (each one reads every path of the tree).
MAX_WILDCARDS = 150
_SOURCE = re.compile(r"\$CI_PIPELINE_SOURCE\s*(?:==|=~|!=)\s*[\"'/]?([a-z_]+)")
_NON_DEPLOY = frozenset({"stop", "prepare", "access", "verify"})


Loader = Callable[[str], LoadedFile | None]


def _include_items(value: Any) -> Iterator[tuple[JsonPath, Any]]:
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield (index,), item
    elif value is not None:
        yield (), value


class GitlabPipeline:
    """One GitLab pipeline: its root file, the files it includes, and their jobs."""

    def __init__(
        self,
        root: str,
        load: Loader,
        list_paths: Callable[[], list[str]],
        tables: CiTables,
        follower: Follower | None = None,
    ) -> None:
        self.root = root
        self.follower = follower
        self.load = load
        self.list_paths = list_paths
        self.tables = tables
        self.files: list[LoadedFile] = []
        self.errors: list[Finding] = []
        self.definitions: dict[str, Definition] = {}
        self.template_tools: dict[str, set[tuple[str, str]]] = {}
        self.wildcards = 0
        self._by_path: dict[str, LoadedFile] = {}

    # ---------------------------------------------------------------- files

    def read_files(self) -> None:
        queue = [self.root]
        seen: set[str] = set()
        while queue and len(self.files) < MAX_FILES:
            path = queue.pop(0)
            if path in seen:
                continue
            seen.add(path)
            loaded = self.load(path)
            if loaded is None:
                continue
            if loaded.error is not None or loaded.document is None:
                if loaded.error is not None:
                    self.errors.append(loaded.error)
                continue
            data = loaded.document.data
            if not isinstance(data, dict):
                kind = "a list" if isinstance(data, list) else type(data).__name__
                self.errors.append(
                    Finding(
                        path,
                        1,
                        "invalid_definition",
                        f"a GitLab CI file must be a mapping, not {kind}",
                    )
                )
                continue
            self.files.append(loaded)
            self.definitions[path] = Definition(path, "gitlab", follower=self.follower)
            queue.extend(self._includes(loaded, data.get("include")))

    def _includes(self, loaded: LoadedFile, value: Any) -> list[str]:
        assert loaded.document is not None
        found: list[str] = []
        definition = self.definitions[loaded.path]
        for where, item in _include_items(value):
            local: Any = None
            if isinstance(item, str):
                local = None if re.match(r"^https?://", item) else item
            elif isinstance(item, dict):
                local = item.get("local")
                for key in ("template", "component"):
                    if isinstance(item.get(key), str):
                        found_tools = self.tables.detect("template", item[key])
                        definition.tools |= found_tools
                        self.template_tools.setdefault(loaded.path, set()).update(found_tools)
            if isinstance(local, str) and local.strip():
                found.extend(self._expand(loaded, where, local.strip().lstrip("/")))
        return found

    def _expand(self, loaded: LoadedFile, where: JsonPath, pattern: str) -> list[str]:
        """The include's path, or the tree's paths its wildcard matches (linear time)."""
        if "*" not in pattern:
            return [pattern]
        self.wildcards += 1
        if self.wildcards > MAX_WILDCARDS:
            if self.wildcards == MAX_WILDCARDS + 1:
                assert loaded.document is not None
                self.errors.append(
                    Finding(
                        loaded.path,
                        loaded.document.locate(("include", *where))[0],
                        "invalid_definition",
                        f"more than {MAX_WILDCARDS} wildcard includes; the rest are not followed",
                    )
                )
            return []
        glob = compile_glob(pattern)
        return sorted(p for p in self.list_paths() if glob.match(p))

    # ---------------------------------------------------------------- jobs

    def analyse(self) -> tuple[list[Definition], list[Finding]]:
        self.read_files()
        if not self.files:
            return [], self.errors
        config = Expansion(self.files)
        self._by_path = {loaded.path: loaded for loaded in self.files}
        for loaded in self.files:
            self._images(loaded)
        triggers = self._triggers(config)
        for definition in self.definitions.values():
            definition.triggers = set(triggers)
            definition.pre_merge = set()
        for name in config.jobs():
            definition = self.definitions[config.home[name].path]
            definition.jobs += 1
            job_tools = self._job(config, name, definition)
            if "merge_request" in triggers and self._in_merge_requests(config, name):
                assert definition.pre_merge is not None
                definition.pre_merge |= {category for category, _ in job_tools}
        if "merge_request" in triggers:  # template jobs run in merge request pipelines too
            for path, tools in self.template_tools.items():
                pre_merge = self.definitions[path].pre_merge
                assert pre_merge is not None
                pre_merge |= {category for category, _ in tools}
        self.errors.extend(config.findings)
        return list(self.definitions.values()), self.errors

    def _job(self, config: Expansion, name: str, definition: Definition) -> set[tuple[str, str]]:
        """Count the job's steps and deployments; return the tools it uses."""
        tools: set[tuple[str, str]] = set()
        for key in ("image", "services"):
            for value in _image_names(config.value(name, key)):
                tools |= self.tables.detect("image", image_name(value))
        by_path = self._by_path
        for key in ("before_script", "script", "after_script"):
            for line in config.script(name, key):
                definition.steps += 1
                source = by_path.get(line.file)
                if source is None:
                    continue
                written = self.definitions[source.path]
                written.script(line.line, line, self.tables, source.lines, tools=False)
                if not line.lstrip().startswith("#"):
                    tools |= written.run_tools(line.line, str(line), self.tables)
        environment = config.value(name, "environment")
        env_name = environment.get("name") if isinstance(environment, dict) else environment
        action = environment.get("action", "start") if isinstance(environment, dict) else "start"
        if isinstance(env_name, str) and env_name.strip() and action not in _NON_DEPLOY:
            definition.environments.append((env_name.strip(), self._manual(config, name)))
        definition.tools |= tools
        return tools

    def _in_merge_requests(self, config: Expansion, name: str) -> bool:
        """Whether the job runs in merge request pipelines (before changes merge)."""
        rules = config.value(name, "rules")
        if isinstance(rules, list):
            # The first rule that holds in a merge request pipeline decides (GitLab stops
            # at the first match): one without if:, or whose if: names merge requests.
            for rule in rules:
                if not isinstance(rule, dict):
                    continue
                condition = rule.get("if")
                if not isinstance(condition, str) or "merge_request" in _rule_sources(
                    {"if": condition}
                ):
                    return rule.get("when") != "never"
            return False
        only = config.value(name, "only")
        if only is not None:
            refs = (
                only
                if isinstance(only, list)
                else only.get("refs")
                if isinstance(only, dict)
                else None
            )
            return isinstance(refs, list) and "merge_requests" in refs
        return True

    def _manual(self, config: Expansion, name: str) -> bool:
        if config.value(name, "when") == "manual":
            return True
        rules = config.value(name, "rules")
        items = rules if isinstance(rules, list) else []
        active = [r for r in items if isinstance(r, dict) and r.get("when") != "never"]
        return bool(active) and all(r.get("when") == "manual" for r in active)

    def _images(self, loaded: LoadedFile) -> None:
        """Every image: and services: entry written in this file, where it is written."""
        assert loaded.document is not None
        definition = self.definitions[loaded.path]
        document = loaded.document
        holders: list[tuple[JsonPath, Any]] = [((), document.data)]
        for name, value in document.data.items():
            if isinstance(value, dict) and name not in ("variables", "workflow", "include"):
                holders.append(((name,), value))
        for path, holder in holders:
            image = holder.get("image")
            if isinstance(image, dict):
                image, where = image.get("name"), (*path, "image", "name")
            else:
                where = (*path, "image")
            if isinstance(image, str) and image.strip():
                definition.image(document.locate(where)[0], image.strip(), self.tables)
            services = holder.get("services")
            for index, service in enumerate(services if isinstance(services, list) else ()):
                name = service.get("name") if isinstance(service, dict) else service
                if isinstance(name, str) and name.strip():
                    definition.image(
                        document.locate((*path, "services", index))[0], name.strip(), self.tables
                    )

    def _triggers(self, config: Expansion) -> set[str]:
        rules = config.workflow_rules()
        found: set[str] = set()
        for rule in rules if isinstance(rules, list) else ():
            found |= _rule_sources(rule)
        if not isinstance(rules, list) or not rules:
            found |= {"push", "tags"}
        for name in config.jobs():
            job_rules = config.value(name, "rules")
            for rule in job_rules if isinstance(job_rules, list) else ():
                found |= _rule_sources(rule)
            only = config.value(name, "only")
            refs = (
                only
                if isinstance(only, list)
                else only.get("refs")
                if isinstance(only, dict)
                else None
            )
            for ref in refs if isinstance(refs, list) else ():
                mapped = normalise_trigger(str(ref))
                if mapped and ref in _ONLY_REFS:
                    found.add(mapped)
        return found


_ONLY_REFS = frozenset(
    {
        "branches",
        "tags",
        "merge_requests",
        "schedules",
        "web",
        "api",
        "triggers",
        "pipelines",
        "pushes",
        "external_pull_requests",
    }
)


def _image_names(value: Any) -> list[str]:
    """Image names from an image: or services: value (text, {name: ...}, or a list)."""
    items = value if isinstance(value, list) else [value]
    names = [item.get("name") if isinstance(item, dict) else item for item in items]
    return [name.strip() for name in names if isinstance(name, str) and name.strip()]


def _rule_sources(rule: Any) -> set[str]:
    if not isinstance(rule, dict) or rule.get("when") == "never":
        return set()
    condition = rule.get("if")
    if not isinstance(condition, str):
        return set()
    found = {normalise_trigger(source) for source in _SOURCE.findall(condition)}
    if "$CI_COMMIT_TAG" in condition:
        found.add("tags")
    if "$CI_MERGE_REQUEST_" in condition:
        found.add("merge_request")
    if "$CI_COMMIT_BRANCH" in condition:
        found.add("push")
    return {source for source in found if source}
