"""Business hours as pure functions: time zones, DST change days, night shifts, holidays."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from app.sites.hours import BusinessHours, describe, is_open, next_opening, parse

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")

OFFICE = {
    "timezone": "Europe/Paris",
    "days": {d: [["09:00", "17:30"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": ["2026-12-25"],
}


def at(zone: ZoneInfo, *args: int) -> datetime:
    """A wall-clock time in a zone, as an aware datetime."""
    return datetime(*args, tzinfo=zone)  # type: ignore[misc]


def test_none_means_always_open() -> None:
    now = datetime(2026, 12, 25, 3, tzinfo=UTC)
    assert is_open(None, now)
    assert next_opening(None, now) == now
    assert describe(None, now) == (True, None)


def test_open_within_range_in_the_sites_time_zone() -> None:
    # Monday 2026-11-30: 09:00 Paris is 08:00 UTC.
    assert not is_open(OFFICE, datetime(2026, 11, 30, 7, 59, tzinfo=UTC))
    assert is_open(OFFICE, datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    assert is_open(OFFICE, at(PARIS, 2026, 11, 30, 17, 29))
    assert not is_open(OFFICE, at(PARIS, 2026, 11, 30, 17, 30)), "the end minute is closed"
    # The same instant seen from New York is the same answer.
    assert is_open(OFFICE, at(PARIS, 2026, 11, 30, 12).astimezone(NEW_YORK))
    # Naive datetimes are UTC.
    assert is_open(OFFICE, datetime(2026, 11, 30, 8, 30))


def test_closed_days_and_next_opening_is_monday() -> None:
    friday_evening = at(PARIS, 2026, 12, 4, 18, 0)
    assert not is_open(OFFICE, friday_evening)
    assert not is_open(OFFICE, at(PARIS, 2026, 12, 5, 12))  # Saturday
    nxt = next_opening(OFFICE, friday_evening)
    assert nxt == at(PARIS, 2026, 12, 7, 9, 0)
    assert nxt is not None and nxt.tzinfo is not None and nxt.strftime("%a %H:%M") == "Mon 09:00"
    assert describe(OFFICE, friday_evening) == (False, nxt)
    # Early the same day: later today.
    assert next_opening(OFFICE, at(PARIS, 2026, 12, 7, 6, 15)) == at(PARIS, 2026, 12, 7, 9)
    # Open: now.
    now = at(PARIS, 2026, 12, 7, 10)
    assert next_opening(OFFICE, now) == now


def test_holidays_are_closed_all_day() -> None:
    christmas = at(PARIS, 2026, 12, 25, 11)  # a Friday
    assert not is_open(OFFICE, christmas)
    assert next_opening(OFFICE, christmas) == at(PARIS, 2026, 12, 28, 9)
    assert is_open(OFFICE, at(PARIS, 2026, 12, 24, 11))


def test_split_day_lunch_break() -> None:
    hours = {"timezone": "Europe/Paris", "days": {"mon": [["13:30", "17:30"], ["09:00", "12:30"]]}}
    assert parse(hours).days["mon"] == [("09:00", "12:30"), ("13:30", "17:30")]  # type: ignore[union-attr]
    assert not is_open(hours, at(PARIS, 2026, 11, 30, 13))
    assert next_opening(hours, at(PARIS, 2026, 11, 30, 13)) == at(PARIS, 2026, 11, 30, 13, 30)


def test_night_shift_across_midnight_as_two_ranges() -> None:
    hours = {
        "timezone": "America/New_York",
        "days": {"fri": [["22:00", "24:00"]], "sat": [["00:00", "02:00"]]},
    }
    assert is_open(hours, at(NEW_YORK, 2026, 12, 4, 23, 59, 59))
    assert is_open(hours, at(NEW_YORK, 2026, 12, 5, 0, 0))
    assert is_open(hours, at(NEW_YORK, 2026, 12, 5, 1, 59))
    assert not is_open(hours, at(NEW_YORK, 2026, 12, 5, 2, 0))
    assert next_opening(hours, at(NEW_YORK, 2026, 12, 5, 3)) == at(NEW_YORK, 2026, 12, 11, 22)


def test_dst_spring_forward_keeps_wall_clock_hours() -> None:
    # Europe switches to summer time on Sunday 2026-03-29 (02:00 → 03:00).
    hours = {
        "timezone": "Europe/Paris",
        "days": {"sat": [["09:00", "17:00"]], "mon": [["09:00", "17:00"]]},
    }
    # Saturday 09:00 is 08:00 UTC (winter); Monday 09:00 is 07:00 UTC (summer).
    assert is_open(hours, datetime(2026, 3, 28, 8, 0, tzinfo=UTC))
    assert not is_open(hours, datetime(2026, 3, 30, 6, 59, tzinfo=UTC))
    assert is_open(hours, datetime(2026, 3, 30, 7, 0, tzinfo=UTC))
    nxt = next_opening(hours, datetime(2026, 3, 28, 20, tzinfo=UTC))
    assert nxt is not None and nxt.astimezone(UTC) == datetime(2026, 3, 30, 7, tzinfo=UTC)


def test_dst_gap_opening_is_when_the_clocks_jump() -> None:
    # 02:30 does not exist on 2026-03-29 in Paris: the clocks go from 02:00 to 03:00,
    # at 01:00 UTC. Opening "at 02:30" means opening when the clock passes it.
    hours = {"timezone": "Europe/Paris", "days": {"sun": [["02:30", "05:00"]]}}
    assert not is_open(hours, datetime(2026, 3, 29, 0, 59, tzinfo=UTC))
    assert is_open(hours, datetime(2026, 3, 29, 1, 0, tzinfo=UTC))
    nxt = next_opening(hours, datetime(2026, 3, 28, 12, tzinfo=UTC))
    assert nxt is not None and nxt.astimezone(UTC) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_dst_fall_back_day() -> None:
    # US clocks go back on 2026-11-01 at 02:00 EDT → 01:00 EST: that Sunday has 25 hours.
    hours = {"timezone": "America/New_York", "days": {"sun": [["09:00", "17:00"]]}}
    assert not is_open(hours, datetime(2026, 11, 1, 13, 59, tzinfo=UTC))  # 08:59 EST
    assert is_open(hours, datetime(2026, 11, 1, 14, 0, tzinfo=UTC))  # 09:00 EST
    nxt = next_opening(hours, datetime(2026, 11, 1, 4, tzinfo=UTC))  # 00:00 EDT
    assert nxt is not None and nxt.astimezone(UTC) == datetime(2026, 11, 1, 14, tzinfo=UTC)


def test_never_open_has_no_next_opening() -> None:
    closed = {"timezone": "UTC", "days": {}}
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    assert not is_open(closed, now)
    assert next_opening(closed, now) is None


def test_stored_shape_round_trips() -> None:
    model = BusinessHours.model_validate(
        {
            "timezone": " Europe/Paris ",
            "days": {"tue": [["09:00", "12:00"]], "mon": [["09:00", "17:30"]], "sun": []},
            "holidays": ["2026-12-25", "2026-01-01", "2026-12-25"],
        }
    )
    assert model.stored() == {
        "timezone": "Europe/Paris",
        "days": {"mon": [["09:00", "17:30"]], "tue": [["09:00", "12:00"]]},
        "holidays": ["2026-01-01", "2026-12-25"],
    }


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ({"timezone": "Mars/Olympus_Mons", "days": {}}, "Unknown time zone"),
        ({"timezone": "", "days": {}}, "at least 1 character"),
        ({"timezone": "UTC", "days": {"monday": [["09:00", "17:00"]]}}, "'mon'"),
        ({"timezone": "UTC", "days": {"mon": [["9:00", "17:00"]]}}, "HH:MM"),
        ({"timezone": "UTC", "days": {"mon": [["09:00", "25:00"]]}}, "HH:MM"),
        ({"timezone": "UTC", "days": {"mon": [["17:00", "09:00"]]}}, "start before it ends"),
        ({"timezone": "UTC", "days": {"mon": [["09:00", "09:00"]]}}, "start before it ends"),
        ({"timezone": "UTC", "days": {"mon": [["24:00", "24:00"]]}}, "cannot start at 24:00"),
        ({"timezone": "UTC", "days": {"mon": [["09:00", "13:00"], ["12:00", "17:00"]]}}, "overlap"),
        ({"timezone": "UTC", "days": {"mon": [["09:00"]]}}, "Field required"),
        ({"timezone": "UTC", "days": {}, "holidays": ["25/12/2026"]}, "date"),
        ({"timezone": "UTC", "days": {}, "extra": 1}, "Extra inputs"),
    ],
)
def test_invalid_shapes_are_refused_with_a_clear_reason(hours: dict, message: str) -> None:
    with pytest.raises(ValidationError) as err:
        BusinessHours.model_validate(hours)
    assert message in str(err.value)
