"""ISO 8601 durations (``P90D``, ``PT12H``, ``P1Y``) and dates, parsed strictly."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

_DURATION = re.compile(
    r"^P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)

#: The longest duration accepted (freshness, waiver windows, --since): 100 years. Longer
#: ones mean nothing here, and date arithmetic with them leaves the calendar.
MAX_DURATION = timedelta(days=36500)
#: Instants outside these years are refused: arithmetic with them overflows the calendar.
YEARS = (1970, 2999)
#: How far a claimed time (an input's timestamp, a commit time, a recording command's
#: ``--as-of``) may lie after the collection clock before it is refused: clocks of CI
#: runners and of the machine running assay drift by seconds, not by minutes.
CLOCK_SKEW = timedelta(minutes=5)


def parse_duration(text: str) -> timedelta:
    """Parse an ISO 8601 duration. A year counts 365 days and a month 30 days.

    Raises ``ValueError`` with a plain message on anything else, or on anything longer
    than :data:`MAX_DURATION`.
    """
    match = _DURATION.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"{text!r} is not an ISO 8601 duration such as P90D or PT12H")
    parts = {key: int(value) for key, value in match.groupdict().items() if value}
    days = parts.get("years", 0) * 365 + parts.get("months", 0) * 30 + parts.get("days", 0)
    try:
        delta = timedelta(
            weeks=parts.get("weeks", 0),
            days=days,
            hours=parts.get("hours", 0),
            minutes=parts.get("minutes", 0),
            seconds=parts.get("seconds", 0),
        )
    except OverflowError:
        delta = MAX_DURATION + MAX_DURATION
    if delta > MAX_DURATION:
        raise ValueError(f"{text!r} is longer than 100 years")
    return delta


def parse_instant(text: str) -> datetime:
    """Parse a date (``2026-03-01``, taken as the end of that day, UTC) or a date-time.

    A date-time without an offset is taken as UTC. Raises ``ValueError``.
    """
    value = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        day = date.fromisoformat(value)
        if not YEARS[0] <= day.year <= YEARS[1]:
            raise ValueError(f"{text!r} is outside the years {YEARS[0]} to {YEARS[1]}")
        return datetime(day.year, day.month, day.day, 23, 59, 59, 999999, tzinfo=UTC)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD) or an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not YEARS[0] <= moment.year <= YEARS[1]:
        raise ValueError(f"{text!r} is outside the years {YEARS[0]} to {YEARS[1]}")
    return moment.astimezone(UTC)


def utc_now() -> datetime:
    """The current time, UTC, to the microsecond."""
    return datetime.now(UTC)


def not_after_now(moment: datetime, now: datetime | None = None) -> bool:
    """Whether ``moment`` is no later than ``now`` (default: the current time) plus
    :data:`CLOCK_SKEW`."""
    return moment <= (now or utc_now()) + CLOCK_SKEW


def isoformat(moment: datetime) -> str:
    """A UTC timestamp as ``2026-01-31T12:00:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def date_after(day: date, text: str) -> date:
    """``day`` plus a duration in calendar terms: ``P1Y`` from 2026-03-01 is 2027-03-01.

    Years and months move the calendar date (a day past the month's end becomes its last
    day); weeks and days are added as days. Time parts are refused. Raises ``ValueError``.
    """
    parse_duration(text)  # the same checks and messages
    match = _DURATION.match(text.strip())
    assert match is not None  # parse_duration accepted it
    parts = {key: int(value) for key, value in match.groupdict().items() if value}
    if any(parts.get(key) for key in ("hours", "minutes", "seconds")):
        raise ValueError(f"{text!r} has a time part; use days, weeks, months or years")
    months = day.month - 1 + parts.get("months", 0) + 12 * parts.get("years", 0)
    year, month = day.year + months // 12, months % 12 + 1
    if year > YEARS[1]:
        raise ValueError(f"{text!r} after {day} is beyond the year {YEARS[1]}")
    last = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    moved = date(year, month, min(day.day, last))
    return moved + timedelta(weeks=parts.get("weeks", 0), days=parts.get("days", 0))
