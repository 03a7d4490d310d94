"""Reading GitLab's answers: project ids, times, shapes, bots and refusals.

Shared by :mod:`~assay.platforms.gitlab_reviews` and
:mod:`~assay.platforms.gitlab_protection`. A GitLab answer that does not have the shape
its documentation gives raises :class:`~assay.platforms.transport.PlatformError` with the
endpoint's name; a refusal (401, 403, 404) is an :class:`~assay.platforms.model.Access`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from assay.platforms.identity import token_help
from assay.platforms.model import Access
from assay.platforms.transport import PlatformError, Response

#: GitLab's bot users: project and group access tokens (``project_42_bot``,
#: ``group_7_bot_<hash>``), service accounts named ``*_bot``/``*-bot``, and the usual
#: dependency updaters.
_BOT_NAME = re.compile(
    r"(?:^(?:project|group)_\d+_bot(?:_[0-9a-f]+)?$)|(?:[_-]bot$)|(?:\[bot\]$)"
    r"|(?:^(?:renovate|dependabot|renovate-bot|dependabot-bot)(?:[_-].*)?$)",
    re.IGNORECASE,
)


def project_id(project: str) -> str:
    """The project's path as GitLab takes it in a REST URL: ``group%2Fsub%2Fproject``."""
    return quote(project, safe="")


def encoded(name: str) -> str:
    """A branch or environment name as one URL path segment."""
    return quote(name, safe="")


def is_bot(username: str | None, flagged: object = False) -> bool:
    """Whether a GitLab user is automation: GitLab says so (``bot: true``) or the name
    is a bot user's (access-token bots, ``*_bot``, Renovate, Dependabot)."""
    if flagged is True:
        return True
    return bool(username) and bool(_BOT_NAME.search(username or ""))


def parse_time(value: object, where: str) -> datetime | None:
    """A GitLab timestamp (``2026-01-31T12:00:00.123Z`` or with an offset), UTC."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise PlatformError(f"{where}: a time that is not text")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise PlatformError(f"{where}: {value[:40]!r} is not a time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def gitlab_time(moment: datetime) -> str:
    """A time as GitLab's GraphQL ``Time`` scalar takes it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def mapping(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PlatformError(f"{where}: expected an object in GitLab's answer")
    return value


def listing(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise PlatformError(f"{where}: expected a list in GitLab's answer")
    return value


def text(value: object, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise PlatformError(f"{where}: expected text in GitLab's answer")


def username(user: object, where: str) -> tuple[str | None, bool]:
    """The ``username`` and bot flag of a GitLab user object (None when absent)."""
    if user is None:
        return None, False
    found = mapping(user, where)
    name = text(found.get("username"), where)
    return name, is_bot(name, found.get("bot"))


REFUSALS = (401, 403, 404)


def refused(response: Response, what: str, *, plan_note: bool = False) -> Access:
    """The Access for a refused answer: what was refused, why, and how to give access."""
    reason = f"GitLab answered {response.status} to {what}"
    if response.status == 401:
        reason += " (the token is missing, expired or revoked)"
    elif response.status == 403:
        reason += " (the token's user lacks the role, or the token lacks read_api)"
    else:
        reason += " (no access to the project, or no such resource)"
    if plan_note:
        reason += "; this setting needs GitLab Premium or Ultimate, which the plan may not offer"
    return Access("refused", reason, token_help("gitlab"))


def check_answer(response: Response, what: str) -> None:
    """Raise for an answer that is neither a success nor a refusal."""
    if not response.ok and response.status not in REFUSALS:
        raise PlatformError(f"{what}: GitLab answered HTTP {response.status}")
