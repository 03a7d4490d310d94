"""GitHub action files (``action.yml``) and the local references that tie them to workflows.

A step's ``uses: ./path`` runs the action defined in ``path/action.yml`` (or
``action.yaml``) of the same repository at the same commit; a job's ``uses:
./.github/workflows/other.yml`` runs another workflow of it. Both are read, not trusted:

- the action files workflows reach (and the root ``action.yml``, the action the repository
  publishes) are analysed once each, in their own file (:func:`analyse_action`):
  a composite action's steps as workflow steps (unpinned ``uses:``, ``run:`` injection of
  untrusted contexts, script rules, tools, its own local actions), a Docker action's
  ``image: docker://...`` for its digest. Findings and pinning are reported at the action
  file and line, once however many workflows use it;
- :func:`link` then gives each workflow (and action) the tools of the local actions and
  workflows it reaches, following references up to :data:`MAX_DEPTH` levels and never
  twice through the same file, so tests in a composite action or a called workflow count
  for the caller's triggers (a ``pull_request`` workflow that calls them runs them before
  merge).

An action file that a reference names but the commit lacks (one checked out from elsewhere
at run time) cannot be read and is not reported.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence

from assay.evidence.ci.github import GithubDefinition, StepAnalyser
from assay.evidence.ci.tables import CiTables
from assay.evidence.ci.wrappers import Follower
from assay.yamlfile import YamlDocument

#: How many local references deep tools are followed from a workflow.
MAX_DEPTH = 8
#: Action folders read at one commit.
MAX_ACTIONS = 200
ACTION_FILES = ("action.yml", "action.yaml")


class _Action(StepAnalyser):
    def analyse(self) -> GithubDefinition:
        data = self.doc.data
        result = self.result
        result.name = data["name"] if isinstance(data.get("name"), str) else None
        runs = data.get("runs")
        if not isinstance(runs, dict):
            result.finding(self.line(()), "invalid_definition", "the action has no runs mapping")
            return result
        using = str(runs.get("using", "")).strip().lower()
        if using == "composite":
            self.steps(("runs", "steps"), runs.get("steps"))
        elif using == "docker":
            image = runs.get("image")
            if isinstance(image, str) and image.strip().startswith("docker://"):
                self.uses(("runs", "image"), image)
        return result


def analyse_action(
    document: YamlDocument, tables: CiTables, text: str, follower: Follower | None = None
) -> GithubDefinition:
    """Analyse one parsed ``action.yml`` (a mapping: the caller checks)."""
    return _Action(document, tables, text, role="action", follower=follower).analyse()


def _targets(definition: GithubDefinition, actions: dict[str, str]) -> list[str]:
    """Paths of the definition files ``definition`` references locally."""
    found = [actions[folder] for _, folder in definition.local_actions if folder in actions]
    found += [path for _, path in definition.local_workflows]
    return found


def link(definitions: Sequence[GithubDefinition]) -> None:
    """Add to each definition the tools of every local file it reaches (see module doc)."""
    by_path = {d.path: d for d in definitions}
    actions = {posixpath.dirname(d.path): d.path for d in definitions if d.role == "action"}
    edges = {d.path: _targets(d, actions) for d in definitions}
    own = {d.path: frozenset(d.tools) for d in definitions}
    for definition in definitions:
        seen = {definition.path}
        level = [definition.path]
        for _ in range(MAX_DEPTH):
            level = [t for path in level for t in edges.get(path, ()) if t not in seen]
            if not level:
                break
            seen.update(level)
            for path in level:
                if path in by_path:
                    definition.tools |= own[path]
