"""The GitLab provider (gitlab.com and self-managed instances).

The project is its full path (``group/subgroup/project``); REST URLs carry it URL-encoded
(``group%2Fsubgroup%2Fproject``) and GraphQL takes it as ``fullPath``. The GraphQL
endpoint is the REST base's sibling: ``https://host/prefix/api/v4`` reads GraphQL at
``https://host/prefix/api/graphql``.

Reviews: :mod:`~assay.platforms.gitlab_reviews`. Protection:
:mod:`~assay.platforms.gitlab_protection`. CI pipelines:
:mod:`~assay.platforms.gitlab_pipelines`. Without a token nothing is sent and every
read answers ``no_token``.
"""

from __future__ import annotations

from datetime import datetime

from assay.platforms import gitlab_pipelines
from assay.platforms.ci_model import CiArtefact, CiRun, Download, RunList
from assay.platforms.gitlab_protection import read_protection
from assay.platforms.gitlab_reviews import LIMIT, PAGE, read_reviews
from assay.platforms.identity import Platform, token_help
from assay.platforms.model import Access, Protection, Reviews
from assay.platforms.transport import Transport


class GitLabProvider:
    """Reads one GitLab project: merged merge requests and branch protection."""

    def __init__(
        self, platform: Platform, transport: Transport, *, page_size: int = PAGE, limit: int = LIMIT
    ) -> None:
        if platform.provider != "gitlab":
            raise ValueError(f"{platform.label} is not a GitLab project")
        self.platform = platform
        self.transport = transport
        self.page_size = page_size
        self.limit = limit

    def _no_token(self) -> Access | None:
        if self.transport.credentials is None:
            return Access("no_token", "no GitLab token was given", token_help("gitlab"))
        return None

    def reviews(self, branch: str, since: datetime, until: datetime) -> Reviews:
        missing = self._no_token()
        if missing is not None:
            return Reviews(missing, branch, since, until)
        return read_reviews(
            self.transport,
            self.platform.project,
            branch,
            since,
            until,
            page_size=self.page_size,
            limit=self.limit,
        )

    def protection(self, branch: str) -> Protection:
        missing = self._no_token()
        if missing is not None:
            return Protection(missing, branch, environments_access=missing)
        return read_protection(self.transport, self.platform.project, branch)

    def ci_runs(self, branch: str | None, commit: str) -> RunList:
        """The pipelines of ``commit`` on ``branch`` (:mod:`.gitlab_pipelines`)."""
        missing = self._no_token()
        if missing is not None:
            return RunList(missing)
        return gitlab_pipelines.list_runs(self.transport, self.platform.project, branch, commit)

    def ci_details(self, run: CiRun) -> CiRun | Access:
        return gitlab_pipelines.details(self.transport, self.platform.project, run)

    def ci_download(self, artefact: CiArtefact, max_bytes: int) -> Download:
        return self.transport.download(artefact.download, max_bytes)
