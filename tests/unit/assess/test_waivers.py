"""Waiver files: required expiry, at most a year, known controls and services, states."""

from __future__ import annotations

import textwrap
from datetime import date, timedelta
from pathlib import Path

import pytest

from assay.assess.waivers import Waiver, WaiverBook, load_waivers, one_year_after
from assay.errors import InvalidInput

GOOD = """\
service: payments
control: CHG-01
reason: Pairing replaces review during the migration.
approver: Ada Lovelace
created: "2026-01-10"
expires: "2026-04-01"
ticket: GOV-7
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load(folder: Path) -> list[Waiver]:
    return load_waivers(
        folder,
        display=lambda p: f"waivers/{p.name}",
        controls={"CHG-01", "SEC-02"},
        services={"payments", "search"},
    )


def problems(folder: Path) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        load(folder)
    return [str(p) for p in caught.value.problems]


def test_a_good_waiver_loads(tmp_path: Path) -> None:
    write(tmp_path, "chg.yaml", GOOD)
    (waiver,) = load(tmp_path)
    assert waiver.service == "payments"
    assert waiver.created == date(2026, 1, 10)
    assert waiver.expires == date(2026, 4, 1)
    assert waiver.ticket == "GOV-7"
    assert waiver.source == "waivers/chg.yaml"


def test_waiver_without_expiry_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "chg.yaml", GOOD.replace('expires: "2026-04-01"\n', ""))
    assert problems(tmp_path) == ["waivers/chg.yaml:1:1: missing required field 'expires'"]


def test_expiry_more_than_a_year_ahead_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "chg.yaml", GOOD.replace("2026-04-01", "2027-01-11"))
    assert problems(tmp_path) == [
        "waivers/chg.yaml:6:10: expires 2027-01-11 is more than one year after created "
        "2026-01-10; a waiver may run until 2027-01-10 at most"
    ]


def test_dates_off_the_calendar_are_refused_not_raised(tmp_path: Path) -> None:
    far = GOOD.replace("2026-01-10", "9999-06-01").replace("2026-04-01", "9999-12-01")
    write(tmp_path, "chg.yaml", far)
    assert problems(tmp_path) == [
        "waivers/chg.yaml:5:10: created: '9999-06-01' is not a date between 1970 and 2999",
        "waivers/chg.yaml:6:10: expires: '9999-12-01' is not a date between 1970 and 2999",
    ]


def test_expiry_before_creation_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "chg.yaml", GOOD.replace("2026-04-01", "2025-12-31"))
    assert problems(tmp_path) == [
        "waivers/chg.yaml:6:10: expires 2025-12-31 is before created 2026-01-10"
    ]


def test_unknown_control_and_service_are_refused_with_every_problem(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD.replace("CHG-01", "CHG-99"))
    write(tmp_path, "b.yaml", GOOD.replace("service: payments", "service: paymnts"))
    write(tmp_path, "c.yaml", GOOD.replace('created: "2026-01-10"', "created: soon"))
    assert problems(tmp_path) == [
        "waivers/a.yaml:2:10: waiver names unknown control 'CHG-99'",
        "waivers/b.yaml:1:10: waiver names unknown service 'paymnts' (services: payments, search)",
        "waivers/c.yaml:5:10: created: 'soon' is not a 'date'",
    ]


def test_wildcard_service_is_allowed(tmp_path: Path) -> None:
    write(tmp_path, "all.yaml", GOOD.replace("service: payments", 'service: "*"'))
    assert load(tmp_path)[0].service == "*"


def test_missing_folder_means_no_waivers(tmp_path: Path) -> None:
    assert load(tmp_path / "none") == []


def make(service: str, expires: date, created: date = date(2026, 1, 1)) -> Waiver:
    return Waiver(service, "CHG-01", "reason enough", "Ada", created, expires, source=service)


def test_book_prefers_the_services_own_active_waiver() -> None:
    day = date(2026, 2, 1)
    book = WaiverBook([make("*", date(2026, 6, 1)), make("payments", date(2026, 3, 1))])
    found = book.find("payments", "CHG-01", day)
    assert found is not None
    assert (found.source, found.state) == ("payments", "active")
    other = book.find("search", "CHG-01", day)
    assert other is not None
    assert other.source == "*"
    assert book.find("payments", "SEC-02", day) is None


def test_book_reports_expired_and_ignores_pending() -> None:
    book = WaiverBook([make("payments", date(2026, 1, 31))])
    found = book.find("payments", "CHG-01", date(2026, 2, 1))
    assert found is not None
    assert found.state == "expired"
    active_on_last_day = book.find("payments", "CHG-01", date(2026, 1, 31))
    assert active_on_last_day is not None
    assert active_on_last_day.state == "active"
    assert book.find("payments", "CHG-01", date(2025, 12, 31)) is None


def test_listing_expiring_within() -> None:
    day = date(2026, 3, 1)
    soon, later, gone = (
        make("a", date(2026, 3, 20)),
        make("b", date(2026, 9, 1)),
        make("c", date(2026, 2, 1)),
    )
    book = WaiverBook([later, gone, soon])
    assert book.listing(day) == [gone, soon, later]
    assert book.listing(day, expiring_within=timedelta(days=30)) == [soon]
    assert soon.days_left(day) == 19
    assert gone.to_dict(day)["state"] == "expired"


def test_one_year_after_a_leap_day() -> None:
    assert one_year_after(date(2028, 2, 29)) == date(2029, 2, 28)
    assert one_year_after(date(2026, 5, 4)) == date(2027, 5, 4)
