"""repo.files: governance files read from git objects, their parsed facts, hostile trees."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from assay.errors import CollectorError
from assay.evidence.collectors.repo_files import RepoFilesCollector
from assay.evidence.kinds import kind_validator
from assay.evidence.repofiles import file_facts
from tests.support.gitrepo import GitRepo
from tests.unit.evidence.collection.helpers import context, only, target

OPENSLO = """\
apiVersion: openslo/v1
kind: SLO
metadata: {name: availability}
spec:
  timeWindow: [{duration: 28d, isRolling: true}]
  objectives:
    - target: 0.999
    - target: 0.99
---
apiVersion: openslo/v1
kind: SLO
metadata: {name: latency}
spec:
  timeWindow: [{duration: 7d, isRolling: true}]
  objectives:
    - target: 0.95
"""


def files(repo: GitRepo, **ref: Any) -> dict[str, Any]:
    draft = only(RepoFilesCollector().collect(target(repo, **ref), context()))
    assert list(kind_validator("repo.files").iter_errors(draft.facts)) == []
    assert len(draft.id) == 64  # the canonical JSON of the facts encodes
    return draft.facts


def test_a_well_governed_tree(git_repo: GitRepo) -> None:
    git_repo.commit(
        "governance",
        {
            "README.md": "# App",
            ".github/CODEOWNERS": "* @org/team\n/docs/ @org/docs alice@example.com\n",
            "SECURITY.md": "Email security@example.com",
            "LICENSE.txt": "SPDX-License-Identifier: EUPL-1.2\n",
            "CONTRIBUTING.md": "PRs welcome",
            ".github/dependabot.yml": "version: 2\n",
            "renovate.json": "{}",
            "web/package-lock.json": "{}",
            "requirements.txt": "a==1 --hash=sha256:00\n",
            "requirements-dev.txt": "pytest\n",
            ".pre-commit-config.yaml": "repos: []\n",
            "slo/service.yaml": OPENSLO,
            "runbooks/README.md": "index",
            "runbooks/restart.md": "steps",
            "runbooks/failover.md": "steps",
            "docs/adr/0001-use-x.md": "x",
            "docs/postmortems/2026-01.md": "x",
            "THREAT_MODEL.md": "x",
            "ACCESSIBILITY.md": "x",
        },
    )
    git_repo.tick(10 * 86400)
    head = git_repo.commit("later", {"src/app.py": "print()\n"})
    facts = files(git_repo)
    entries = facts["files"]
    present = sorted(key for key, entry in entries.items() if entry["present"])
    assert present == sorted(
        [
            "readme", "codeowners", "security_policy", "license", "contributing",
            "dependency_updates", "lockfiles", "pre_commit", "slo_definitions", "runbooks",
            "adrs", "postmortems", "threat_model", "accessibility_statement",
        ]
    )  # fmt: skip
    codeowners = entries["codeowners"]
    assert codeowners["path"] == ".github/CODEOWNERS"
    assert codeowners["blob_sha"] == git_repo.git("rev-parse", f"{head}:.github/CODEOWNERS")
    assert codeowners["size"] == 47
    assert codeowners["last_changed"] == "2026-01-01T01:00:00Z"
    assert codeowners["age_days"] == 10
    assert entries["runbooks"]["path"] == "runbooks"
    assert entries["runbooks"]["size"] is None
    assert entries["lockfiles"]["paths"] == ["requirements.txt", "web/package-lock.json"]
    assert facts["codeowners"] == {
        "rules": 2,
        "every_path_owned": True,
        "owners": 3,
        "patterns": ["*", "/docs/"],
        "errors": 0,
    }
    assert facts["security_contact"] is True
    assert facts["license_id"] == "EUPL-1.2"
    assert facts["dependency_update_tools"] == ["dependabot", "renovate"]
    assert facts["lockfile_ecosystems"] == ["npm", "pypi"]
    assert facts["slo_objectives"] == 3
    assert (facts["runbook_count"], facts["adr_count"], facts["postmortem_count"]) == (2, 1, 1)
    assert entries["model_card"] == {
        "present": False,
        "path": None,
        "paths": [],
        "count": 0,
        "blob_sha": None,
        "size": None,
        "is_symlink": False,
        "last_changed": None,
        "age_days": None,
    }


def test_working_tree_is_never_read(git_repo: GitRepo) -> None:
    git_repo.commit("one", {"README.md": "x"})
    git_repo.write("CODEOWNERS", "* @someone\n")  # not committed
    git_repo.write("README.md", "changed")  # not committed
    facts = files(git_repo)
    assert facts["files"]["codeowners"]["present"] is False
    assert facts["files"]["readme"]["size"] == 1


def test_symlinked_codeowners_is_reported_and_never_followed(git_repo: GitRepo) -> None:
    (git_repo.path / "CODEOWNERS").symlink_to("/etc/passwd")
    git_repo.commit("link")
    facts = files(git_repo)
    entry = facts["files"]["codeowners"]
    assert (entry["present"], entry["is_symlink"], entry["path"]) == (False, True, "CODEOWNERS")
    assert entry["size"] == len("/etc/passwd")
    assert facts["codeowners"]["rules"] == 0
    assert facts["codeowners"]["patterns"] == []


def test_paths_can_be_configured_per_service(git_repo: GitRepo) -> None:
    git_repo.commit(
        "custom", {"config/OWNERS": "* @org/a\n", "ops/playbooks/one.md": "x", "CODEOWNERS": ""}
    )
    facts = files(git_repo, files={"codeowners": "config/OWNERS", "runbooks": "ops/playbooks"})
    assert facts["files"]["codeowners"]["path"] == "config/OWNERS"
    assert facts["codeowners"]["rules"] == 1
    assert facts["files"]["runbooks"]["paths"] == ["ops/playbooks/one.md"]
    assert facts["runbook_count"] == 1
    with pytest.raises(CollectorError, match="unknown governance file key"):
        files(git_repo, files={"codeowner": "x"})


def test_binaries_are_found_by_content(git_repo: GitRepo) -> None:
    git_repo.commit(
        "assets",
        {
            "tool.exe": b"MZ\x90\x00\x03\x00",
            "logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0d",
            "gradle/wrapper/gradle-wrapper.jar": b"PK\x03\x04\x00\x00",
            "data.bin.txt": b"text\x00with nul",
            "notes.txt": "plain",
        },
    )
    assert files(git_repo)["binaries"] == {"count": 2, "paths": ["data.bin.txt", "tool.exe"]}


def test_submodules_and_odd_file_names(git_repo: GitRepo, tmp_path: Path) -> None:
    other = GitRepo.init(tmp_path / "other")
    other.commit("lib")
    git_repo.commit("one", {"README.md": "x"})
    subprocess.run(
        [
            "git",
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "-q",
            str(other.path),
            "lib",
        ],
        cwd=git_repo.path,
        check=True,
        capture_output=True,
    )
    name = b"caf\xe9-\xff.md"
    (git_repo.path / os.fsdecode(b"docs")).mkdir()
    (git_repo.path / os.fsdecode(b"docs/" + name)).write_text("x")
    git_repo.commit("submodule and latin-1 name")
    facts = files(git_repo)
    assert facts["files"]["readme"]["present"] is True
    assert facts["binaries"]["count"] == 0


@pytest.mark.parametrize(
    ("text", "owned", "rules", "errors"),
    [
        ("* @a\n/docs/\n", False, 2, 0),  # a later rule with no owner un-owns docs
        ("/docs/\n* @a\n", True, 2, 0),  # the catch-all comes last and wins
        ("*.js @a\n", False, 1, 0),
        ("* not-an-owner\n", False, 1, 1),
        ("[Docs] @org/docs\n/docs/\n* @a # comment\n", True, 2, 0),
        ("# only comments\n\n", False, 0, 0),
        ("!negated @a\n** @b\n", True, 2, 1),
    ],
)
def test_codeowners_rules(text: str, owned: bool, rules: int, errors: int) -> None:
    parsed = file_facts.parse_codeowners(text)
    assert (parsed["every_path_owned"], parsed["rules"], parsed["errors"]) == (owned, rules, errors)


@pytest.mark.parametrize(
    ("text", "spdx"),
    [
        ("Apache License\n Version 2.0, January 2004", "Apache-2.0"),
        ("MIT License\n\nPermission is hereby granted, free of charge, to any person", "MIT"),
        ("GNU LESSER GENERAL PUBLIC LICENSE\nVersion 3, 29 June 2007", "LGPL-3.0-only"),
        ("GNU GENERAL PUBLIC LICENSE\nVersion 3, 29 June 2007", "GPL-3.0-only"),
        ("Open Government Licence v3.0", "OGL-UK-3.0"),
        ("All rights reserved.", None),
    ],
)
def test_licence_recognition(text: str, spdx: str | None) -> None:
    assert file_facts.license_id(text) == spdx


def test_model_card_sections_markdown_and_yaml() -> None:
    markdown = "# Card\n## 1. Model Details\n## Bias, Risks, and Limitations\n### How to use\n"
    assert file_facts.model_card_sections(markdown, "MODEL_CARD.md") == [
        "model_details", "limitations", "bias_risks", "how_to_use",
    ]  # fmt: skip
    yaml_card = "model_details:\n  name: x\nintended_use: y\nmetrics: []\n"
    assert file_facts.model_card_sections(yaml_card, "model-card.yaml") == [
        "model_details", "intended_use", "metrics",
    ]  # fmt: skip


def test_slo_objectives_are_counted_as_slo_definitions_reads_them() -> None:
    from assay.evidence.collectors.repo_files import _slo_objectives

    sloth = (
        "version: prometheus/v1\nservice: x\nslos:\n"
        "  - name: a\n    objective: 99\n  - name: b\n    objective: 99.9\n"
    )
    simple = "slos:\n  - {name: availability, objective: 0.999, window: P28D}\n"
    assert _slo_objectives({"slos/x.yaml": sloth}) == 2
    assert _slo_objectives({"slo.yaml": simple}) == 1
    assert _slo_objectives({"slo/a.yaml": OPENSLO}) == 3
    assert _slo_objectives({"slo/bad.yaml": "key: [unclosed"}) == 0
    # What the two collectors used to disagree on: an out-of-range target, a commented
    # separator, an SLO with no objectives and a bare objective key.
    assert _slo_objectives({"slo.yaml": "slos:\n  - {name: a, objective: 5, window: P28D}\n"}) == 0
    assert _slo_objectives({"slo.yaml": f"{simple}--- # next\n{simple}"}) == 2
    assert _slo_objectives({"slo.yaml": "objective: 0.99\n"}) == 0


def test_codeowners_must_be_spelt_as_code_hosts_read_it(git_repo: GitRepo) -> None:
    git_repo.commit("lower case", {"codeowners": "* @a\n", "License.md": "MIT License"})
    facts = files(git_repo)
    assert facts["files"]["codeowners"]["present"] is False
    assert facts["files"]["license"]["path"] == "License.md"  # other names ignore case


def test_compiled_requirements_in_a_requirements_folder_are_lockfiles(git_repo: GitRepo) -> None:
    git_repo.commit(
        "locks",
        {
            "requirements/runtime.txt": "a==1 \\\n    --hash=sha256:00\n",
            "requirements/base.txt": "a>=1\n",
            "requirements/build.in": "hatchling\n",
            "docs/requirements/notes.md": "x",
        },
    )
    facts = files(git_repo)
    assert facts["files"]["lockfiles"]["paths"] == ["requirements/runtime.txt"]
    assert facts["lockfile_ecosystems"] == ["pypi"]
