"""Which class reads which platform, and the session that opens them for a collection.

:data:`PROVIDERS` is the one place a provider is registered: the name a service's
``platform: {provider: ...}`` entry uses, mapped to the class that reads it.

A :class:`PlatformSession` is what the collectors are given: it opens a provider for a
repository's :class:`~assay.platforms.identity.Platform` with the token from the
environment (:func:`~assay.platforms.identity.credentials`) and a response cache in the
workspace (``.assay/cache/http``). The environment is held, never shown: its ``repr``
names only the cache folder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from assay.platforms.cache import ResponseCache
from assay.platforms.github import GitHubProvider
from assay.platforms.gitlab import GitLabProvider
from assay.platforms.identity import Platform, credentials
from assay.platforms.provider import PlatformProvider
from assay.platforms.transport import Transport

ProviderFactory = Callable[[Platform, Transport], PlatformProvider]

#: Provider name -> the class reading it.
PROVIDERS: dict[str, ProviderFactory] = {
    "github": GitHubProvider,
    "gitlab": GitLabProvider,
}


def cache_folder(workspace_root: Path) -> Path:
    """Where a workspace keeps platform answers: ``.assay/cache/http`` (ignored by git)."""
    return workspace_root / ".assay" / "cache" / "http"


@dataclass(frozen=True)
class PlatformSession:
    """Opens providers with the environment's tokens; ``cache`` is None for no caching."""

    environ: Mapping[str, str] = field(repr=False)
    cache: Path | None = None

    def supports(self, platform: Platform) -> bool:
        return platform.provider in PROVIDERS

    @contextmanager
    def open(self, platform: Platform) -> Iterator[PlatformProvider]:
        """A provider for ``platform``, its transport closed on leaving."""
        factory = PROVIDERS[platform.provider]
        transport = Transport(
            platform.api_url,
            credentials(platform.provider, self.environ),
            cache=ResponseCache(self.cache) if self.cache is not None else None,
        )
        with transport:
            yield factory(platform, transport)
