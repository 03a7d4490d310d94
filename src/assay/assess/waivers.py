"""Waivers: approved, time-limited exceptions that stop a failing control from blocking.

A waiver file (``waivers/*.yaml``) names a service (or ``*``), a control, a reason, an
approver, when it was approved and when it expires. Expiry is required and at most one
year after approval, so every exception is reviewed at least yearly. A waiver applies from
its ``created`` date through its ``expires`` date inclusive; after that it is *expired*:
no longer applied, and reported as expired wherever the control is shown.

Loading checks every file against the published schema and against the workspace: a
waiver for a control or service that does not exist is refused (exit 2, located), since
a typo would otherwise silently waive nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from assay.assess.model import WaiverInfo
from assay.errors import Problem, raise_if_problems
from assay.schemas import check_mapping
from assay.yamlfile import YamlDocument, parse_folder

ACTIVE = "active"
EXPIRED = "expired"
PENDING = "pending"


@dataclass(frozen=True)
class Waiver:
    """One waiver file, validated."""

    service: str
    control: str
    reason: str
    approver: str
    created: date
    expires: date
    ticket: str | None = None
    source: str = ""
    requested_by: str | None = None

    def state(self, day: date) -> str:
        """``active`` from created to expires (inclusive), ``expired`` after, else ``pending``."""
        if day > self.expires:
            return EXPIRED
        if day < self.created:
            return PENDING
        return ACTIVE

    def days_left(self, day: date) -> int:
        """Days from ``day`` to expiry (negative once expired)."""
        return (self.expires - day).days

    def info(self, day: date) -> WaiverInfo:
        return WaiverInfo(
            service=self.service,
            control=self.control,
            reason=self.reason,
            approver=self.approver,
            created=self.created,
            expires=self.expires,
            state=self.state(day),
            source=self.source,
            ticket=self.ticket,
        )

    def to_dict(self, day: date) -> dict[str, object]:
        return {**self.info(day).to_dict(), "days_left": self.days_left(day)}


def one_year_after(day: date) -> date:
    """The same calendar date a year later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def parse_waiver(
    document: YamlDocument,
    *,
    controls: Collection[str] | None = None,
    services: Collection[str] | None = None,
) -> tuple[Waiver | None, list[Problem]]:
    """Validate one waiver document; unknown controls and services are problems."""
    data, problems = check_mapping(document, "waiver")
    if data is None:
        return None, problems
    created = date.fromisoformat(data["created"])
    expires = date.fromisoformat(data["expires"])
    if expires < created:
        problems.append(
            document.problem(("expires",), f"expires {expires} is before created {created}")
        )
    elif expires > one_year_after(created):
        problems.append(
            document.problem(
                ("expires",),
                f"expires {expires} is more than one year after created {created}; "
                f"a waiver may run until {one_year_after(created)} at most",
            )
        )
    if controls is not None and data["control"] not in controls:
        problems.append(
            document.problem(("control",), f"waiver names unknown control '{data['control']}'")
        )
    service = data["service"]
    if services is not None and service != "*" and service not in services:
        known = ", ".join(sorted(services)) or "none"
        problems.append(
            document.problem(
                ("service",), f"waiver names unknown service '{service}' (services: {known})"
            )
        )
    waiver = Waiver(
        service=service,
        control=data["control"],
        reason=data["reason"],
        approver=data["approver"],
        created=created,
        expires=expires,
        ticket=data.get("ticket"),
        source=document.path,
        requested_by=data.get("requested_by"),
    )
    return (None if problems else waiver), problems


def load_waivers(
    folder: Path,
    *,
    display: Callable[[Path], str] | None = None,
    controls: Collection[str] | None = None,
    services: Collection[str] | None = None,
) -> list[Waiver]:
    """Every waiver in ``folder``; raises :class:`InvalidInput` listing every problem.

    ``display`` turns a path into the name shown in messages (default: the path).
    """
    waivers, problems = parse_folder(
        folder,
        lambda document, _path: parse_waiver(document, controls=controls, services=services),
        display=display or str,
    )
    raise_if_problems(problems, hint="fix the waiver files listed; every waiver needs an expiry")
    return waivers


class WaiverBook:
    """Finds the waiver that governs a service's control on a given day."""

    def __init__(self, waivers: Iterable[Waiver] = ()) -> None:
        self.waivers: tuple[Waiver, ...] = tuple(waivers)
        self._by_control: dict[str, list[Waiver]] = {}
        for waiver in self.waivers:
            self._by_control.setdefault(waiver.control, []).append(waiver)

    def __len__(self) -> int:
        return len(self.waivers)

    def by_source(self, source: str) -> Waiver | None:
        """The waiver read from the file ``source``."""
        return next((w for w in self.waivers if w.source == source), None)

    def find(self, service: str, control: str, day: date) -> WaiverInfo | None:
        """The active waiver (the service's own before ``*``, then the latest expiry);
        else the most recently expired one, so it can be reported; else ``None``."""
        candidates = [w for w in self._by_control.get(control, ()) if w.service in (service, "*")]
        if not candidates:
            return None
        active = [w for w in candidates if w.state(day) == ACTIVE]
        if active:
            best = max(active, key=lambda w: (w.service == service, w.expires, w.source))
            return best.info(day)
        expired = [w for w in candidates if w.state(day) == EXPIRED]
        if expired:
            latest = max(expired, key=lambda w: (w.expires, w.service == service, w.source))
            return latest.info(day)
        return None

    def listing(self, day: date, *, expiring_within: timedelta | None = None) -> list[Waiver]:
        """Waivers sorted by expiry; with ``expiring_within``, only active ones expiring by then."""
        chosen: Sequence[Waiver] = self.waivers
        if expiring_within is not None:
            limit = day + expiring_within
            chosen = [w for w in chosen if w.state(day) == ACTIVE and w.expires <= limit]
        return sorted(chosen, key=lambda w: (w.expires, w.service, w.control, w.source))
