"""Which platform a repository lives on, its API base, and the token to read it with.

A service's repository may say so itself (``platform: {provider, project, api_url}``);
otherwise a recognisable URL gives it: ``github.com/OWNER/REPO`` and ``gitlab.com/GROUP/../
PROJECT`` over https or ssh. Self-hosted GitHub Enterprise Server and GitLab need the
``platform:`` entry (with ``api_url``), since a host name alone does not say which it is.

Inside GitHub Actions and GitLab CI, the API base comes from the job's own environment
(``GITHUB_API_URL``, ``CI_API_V4_URL``) when the job runs on the same host as the repository.

Tokens come from the environment only: ``GITHUB_TOKEN`` (then ``GH_TOKEN``) for GitHub;
``GITLAB_TOKEN`` for GitLab, else the job's ``CI_JOB_TOKEN`` inside GitLab CI. A token is
never written anywhere: :class:`Credentials` does not show it in ``repr``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

Provider = Literal["github", "gitlab"]
PROVIDERS: tuple[Provider, ...] = ("github", "gitlab")

GITHUB_API = "https://api.github.com"
GITLAB_API = "https://gitlab.com/api/v4"

_SCP_LIKE = re.compile(r"^(?:[\w.-]+@)?(?P<host>[\w.-]+):(?P<path>[^/].*)$")
_SEGMENT = re.compile(r"^[A-Za-z0-9_.][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class Platform:
    """A repository's project on a code platform: ``project`` is ``owner/repo`` on GitHub
    and the full path (``group/subgroup/project``) on GitLab."""

    provider: Provider
    project: str
    api_url: str

    @property
    def label(self) -> str:
        return f"{self.provider}:{self.project}"


@dataclass(frozen=True)
class Credentials:
    """A token and the header it travels in; ``source`` names the variable it came from."""

    header: str
    token: str = field(repr=False)
    source: str

    def headers(self) -> dict[str, str]:
        if self.header == "Authorization":
            return {"Authorization": f"Bearer {self.token}"}
        return {self.header: self.token}


def _host_and_path(url: str) -> tuple[str, str] | None:
    scp = _SCP_LIKE.match(url)
    if scp and "://" not in url:
        return scp.group("host").lower(), scp.group("path")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http", "ssh", "git") or not parts.hostname:
        return None
    return parts.hostname.lower(), parts.path


def project_path(path: str) -> str | None:
    """``owner/repo`` from a URL path: no ``.git``, no empty or dot-dot segments."""
    path = path.strip("/")
    if path.endswith(".git"):
        path = path[:-4]
    segments = path.split("/")
    if len(segments) < 2 or any(not _SEGMENT.match(s) or s in (".", "..") for s in segments):
        return None
    return "/".join(segments)


def from_url(url: str | None) -> Platform | None:
    """The platform of a github.com or gitlab.com URL; None for any other host."""
    if not url:
        return None
    found = _host_and_path(url)
    if found is None:
        return None
    host, path = found
    project = project_path(path)
    if project is None:
        return None
    if host in ("github.com", "www.github.com"):
        if project.count("/") != 1:
            return None
        return Platform("github", project, GITHUB_API)
    if host in ("gitlab.com", "www.gitlab.com"):
        return Platform("gitlab", project, GITLAB_API)
    return None


def resolve(
    declared: Mapping[str, str] | None, url: str | None, environ: Mapping[str, str]
) -> Platform | None:
    """The repository's platform: its ``platform:`` entry, else one read from its URL; the
    API base from the entry, else the CI job's own variable, else the public default."""
    found: Platform | None
    if declared:
        provider = declared["provider"]
        assert provider in PROVIDERS  # the service schema allows only these
        default_api = GITHUB_API if provider == "github" else GITLAB_API
        found = Platform(provider, declared["project"], declared.get("api_url") or default_api)
        if declared.get("api_url"):
            return found
    else:
        found = from_url(url)
        if found is None:
            return None
    ci_api = _ci_api(found.provider, environ)
    if ci_api and (declared is not None or _same_host(ci_api, found.api_url)):
        return Platform(found.provider, found.project, ci_api)
    return found


def _ci_api(provider: Provider, environ: Mapping[str, str]) -> str | None:
    if provider == "github" and environ.get("GITHUB_ACTIONS") == "true":
        return environ.get("GITHUB_API_URL") or None
    if provider == "gitlab" and environ.get("GITLAB_CI") == "true":
        return environ.get("CI_API_V4_URL") or None
    return None


def _same_host(first: str, second: str) -> bool:
    return urlsplit(first).hostname == urlsplit(second).hostname


def credentials(provider: Provider, environ: Mapping[str, str]) -> Credentials | None:
    """The token for ``provider`` from the environment, or None."""
    if provider == "github":
        for name in ("GITHUB_TOKEN", "GH_TOKEN"):
            token = environ.get(name, "").strip()
            if token:
                return Credentials("Authorization", token, name)
        return None
    token = environ.get("GITLAB_TOKEN", "").strip()
    if token:
        return Credentials("PRIVATE-TOKEN", token, "GITLAB_TOKEN")
    job_token = environ.get("CI_JOB_TOKEN", "").strip()
    if job_token and environ.get("GITLAB_CI") == "true":
        return Credentials("JOB-TOKEN", job_token, "CI_JOB_TOKEN")
    return None


def token_help(provider: Provider) -> str:
    """How to give Assay a token for ``provider``, for evidence and messages."""
    if provider == "github":
        return (
            "set GITHUB_TOKEN to a token that can read the repository's pull requests and "
            "administration settings (fine-grained, read-only: Pull requests, Contents, "
            "Administration and Actions; classic: repo)"
        )
    return (
        "set GITLAB_TOKEN to a token with the read_api scope from a member with at least the "
        "Maintainer role (protected branch and approval settings need it)"
    )
