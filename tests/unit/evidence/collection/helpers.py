"""Helpers for collection tests: workspaces with services, targets for real repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from assay.evidence.collectors.interface import CollectContext, RepoTarget
from assay.evidence.git.clones import prepare_repo
from assay.evidence.model import EvidenceDraft
from assay.workspace import RepoRef
from tests.support.gitrepo import BASE_ENV, GitRepo


def target(repo: GitRepo, name: str = "api", **ref: Any) -> RepoTarget:
    """The resolved target of ``repo`` as a service repo named ``name``."""
    return prepare_repo(
        RepoRef(name=name, path=repo.path, **ref),
        service="svc",
        root=repo.path.parent,
        display=f"repos/{name}",
    )


def only(drafts: Any) -> EvidenceDraft:
    found = list(drafts)
    assert len(found) == 1
    draft = found[0]
    assert isinstance(draft, EvidenceDraft)
    return draft


def context(**options: Any) -> CollectContext:
    return CollectContext(service="svc", options=options)


def workspace(root: Path, services: dict[str, dict[str, Any]], toml: str = "") -> Path:
    """A workspace at ``root`` with ``services/<id>.yaml`` for each entry."""
    (root / "services").mkdir(parents=True, exist_ok=True)
    (root / "assay.toml").write_text(toml, encoding="utf-8")
    for service_id, extra in services.items():
        document = {"id": service_id, "name": service_id, "owner": "team@example.org", "tier": 2}
        document.update(extra)
        (root / "services" / f"{service_id}.yaml").write_text(yaml.safe_dump(document))
    return root


def ssh_key(folder: Path) -> Path:
    """A passphrase-less ed25519 key for signing test commits."""
    folder.mkdir(parents=True, exist_ok=True)
    key = folder / "signing-key"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "signer@example.com", "-f", str(key)],
        check=True,
        capture_output=True,
    )
    return key


def sign_config(repo: GitRepo, key: Path) -> None:
    """Make ``repo`` sign commits and tags with ``key`` (gpg.format=ssh)."""
    repo.git("config", "gpg.format", "ssh")
    repo.git("config", "user.signingkey", str(key))


def signed_commit(repo: GitRepo, message: str, files: dict[str, str] | None = None) -> str:
    for relpath, content in (files or {}).items():
        repo.write(relpath, content)
    repo.git("add", "-A")
    date = repo.tick()
    env = {**BASE_ENV, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    repo.git("commit", "-q", "-S", "--allow-empty", "-m", message, env=env)
    return repo.head()


def platform_collectors() -> dict[str, Any]:
    """The collectors a platform collection test runs: history and both platform kinds."""
    from assay.evidence.collectors.git_history import GitHistoryCollector
    from assay.evidence.collectors.platform import (
        PlatformProtectionCollector,
        PlatformReviewsCollector,
    )

    return {
        "git.history": GitHistoryCollector(),
        "platform.reviews": PlatformReviewsCollector(),
        "platform.protection": PlatformProtectionCollector(),
    }


def collect_with(root: Path, store_path: Path, environ: dict[str, str]) -> Any:
    """Collect the workspace at ``root`` into a SQLite store with the platform collectors."""
    from assay.evidence.collect import CollectOptions, collect
    from assay.evidence.store import open_store
    from assay.workspace import open_workspace

    with open_store(f"sqlite:///{store_path}") as store:
        return collect(
            open_workspace(root),
            store,
            CollectOptions(environ=environ, in_ci=False),
            collectors=platform_collectors(),
        )


def facts_of(report: Any, kind: str) -> dict[str, Any]:
    """The facts of the one record of ``kind`` a collection made."""
    (found,) = [c for c in report.collected if c.kind == kind]
    return dict(found.facts)
