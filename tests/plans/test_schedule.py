"""The schedule calculation against a minute-by-minute scan, plus daylight-saving cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from repovault.common.enums import Scheme
from repovault.plans import schedule

UTC_ZONE = ZoneInfo("UTC")
WARSAW = ZoneInfo("Europe/Warsaw")
NEW_YORK = ZoneInfo("America/New_York")


def _fires_at(option: dict[str, Any], minute: datetime, anchor: datetime) -> bool:
    """The plain reading of the option for one UTC minute (zone UTC, so no DST)."""
    day = minute.date()
    days = option["days"]
    weekday = (day.weekday() + 1) % 7  # 0 = Sunday
    frequency = option["frequency"]
    if weekday not in days:
        return False
    if frequency == schedule.WEEKLY:
        sunday = day - timedelta(days=weekday)
        anchor_sunday = anchor.date() - timedelta(days=(anchor.date().weekday() + 1) % 7)
        if ((sunday - anchor_sunday).days // 7) % max(option["interval"] or 1, 1):
            return False
    if frequency == schedule.MONTHLY:
        nth = option["nthDayOfWeek"]
        if nth == 5:
            if (day + timedelta(days=7)).month == day.month:
                return False
        elif (day.day - 1) // 7 + 1 != nth:
            return False
    of_day = minute.hour * 60 + minute.minute
    starts = [s["hour"] * 60 + s["minute"] for s in option["startAt"]]
    if frequency in (schedule.HOURLY, schedule.MINUTELY):
        first = starts[0] if starts else 0
        step = option["interval"] * (60 if frequency == schedule.HOURLY else 1)
        return of_day >= first and (of_day - first) % step == 0
    return of_day in starts


start_at = st.lists(
    st.fixed_dictionaries({"hour": st.integers(0, 23), "minute": st.integers(0, 59)}),
    min_size=1,
    max_size=3,
)
days = st.lists(st.integers(0, 6), min_size=1, max_size=7, unique=True)
options = st.one_of(
    st.fixed_dictionaries(
        {
            "frequency": st.sampled_from([schedule.WEEKLY, schedule.DAILY]),
            "days": days,
            "startAt": start_at,
            "interval": st.integers(0, 3),
            "nthDayOfWeek": st.just(0),
        }
    ),
    st.fixed_dictionaries(
        {
            "frequency": st.just(schedule.MONTHLY),
            "days": days,
            "startAt": start_at,
            "interval": st.just(0),
            "nthDayOfWeek": st.integers(1, 5),
        }
    ),
    st.fixed_dictionaries(
        {
            "frequency": st.sampled_from([schedule.HOURLY, schedule.MINUTELY]),
            "days": days,
            "startAt": st.lists(
                st.fixed_dictionaries({"hour": st.integers(0, 23), "minute": st.integers(0, 59)}),
                max_size=1,
            ),
            "interval": st.integers(1, 300),
            "nthDayOfWeek": st.just(0),
        }
    ),
)
moments = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=300, deadline=None)
@given(option=options, after=moments, anchor_back=st.integers(0, 400))
def test_next_due_is_the_first_matching_minute(
    option: dict[str, Any], after: datetime, anchor_back: int
) -> None:
    anchor = after - timedelta(days=anchor_back)
    sched = {"scheme": Scheme.BASIC, "options": [{"trigger": 1, "type": 0, **option}]}
    due = schedule.next_due(sched, after=after, anchor=anchor, zone=UTC_ZONE)
    assert due is not None
    assert due.at > after
    assert due.at.second == 0
    assert _fires_at(option, due.at, anchor)
    for minute in _minutes_between(option, after, due.at):
        assert not _fires_at(option, minute, anchor), f"{minute} fires before {due.at}"


def _minutes_between(option: dict[str, Any], after: datetime, before: datetime) -> list[datetime]:
    """Every minute strictly between; for the time-of-day frequencies only the minutes a
    startAt names (no other minute can fire by `_fires_at`), to keep the scan short."""
    first = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    if option["frequency"] in (schedule.HOURLY, schedule.MINUTELY):
        count = int((before - first).total_seconds() // 60)
        return [first + timedelta(minutes=i) for i in range(max(count, 0))]
    day = datetime(after.year, after.month, after.day, tzinfo=UTC)
    found = []
    while day <= before:
        for start in option["startAt"]:
            minute = day + timedelta(hours=start["hour"], minutes=start["minute"])
            if after < minute < before:
                found.append(minute)
        day += timedelta(days=1)
    return found


@settings(max_examples=40, deadline=None)
@given(option=options, after=moments, zone=st.sampled_from([WARSAW, NEW_YORK, UTC_ZONE]))
def test_successive_runs_increase_and_land_on_allowed_days(
    option: dict[str, Any], after: datetime, zone: ZoneInfo
) -> None:
    sched = {"scheme": Scheme.BASIC, "options": [{"trigger": 1, **option}]}
    at = after
    for _ in range(5):
        due = schedule.next_due(sched, after=at, anchor=after, zone=zone)
        assert due is not None
        assert due.at > at
        weekday = (due.at.astimezone(zone).weekday() + 1) % 7
        assert weekday in option["days"]
        at = due.at


def _daily(hour: int, minute: int) -> dict[str, Any]:
    option = {"trigger": 1, "frequency": schedule.DAILY, "days": list(range(7))}
    return {"scheme": 2, "options": [{**option, "startAt": [{"hour": hour, "minute": minute}]}]}


def test_a_time_skipped_by_the_spring_change_runs_at_the_change() -> None:
    # Warsaw, 2026-03-29: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist that night.
    after = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    due = schedule.next_due(_daily(2, 30), after=after, anchor=after, zone=WARSAW)
    assert due is not None
    assert due.at == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST
    following = schedule.next_due(_daily(2, 30), after=due.at, anchor=after, zone=WARSAW)
    assert following is not None
    assert following.at == datetime(2026, 3, 30, 0, 30, tzinfo=UTC)  # 02:30 CEST


def test_a_time_repeated_by_the_autumn_change_runs_once() -> None:
    # Warsaw, 2026-10-25: 03:00 CEST goes back to 02:00 CET; 02:30 happens twice.
    after = datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
    first = schedule.next_due(_daily(2, 30), after=after, anchor=after, zone=WARSAW)
    assert first is not None
    assert first.at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # the first 02:30 (CEST)
    second = schedule.next_due(_daily(2, 30), after=first.at, anchor=after, zone=WARSAW)
    assert second is not None
    assert second.at == datetime(2026, 10, 26, 1, 30, tzinfo=UTC)  # next day, 02:30 CET


def test_manual_disabled_and_once() -> None:
    now = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    assert (
        schedule.next_due({"scheme": 1, "options": []}, after=now, anchor=now, zone=UTC_ZONE)
        is None
    )
    disabled = _daily(12, 0)
    disabled["options"][0]["trigger"] = 0
    assert schedule.next_due(disabled, after=now, anchor=now, zone=UTC_ZONE) is None
    once = {
        "scheme": 2,
        "options": [
            {"trigger": 1, "frequency": 0, "days": [], "startAt": [{"hour": 9, "minute": 0}]}
        ],
    }
    due = schedule.next_due(once, after=now, anchor=now, zone=UTC_ZONE)
    assert due is not None
    assert due.at == datetime(2026, 5, 5, 9, 0, tzinfo=UTC)  # 09:00 has passed today
    assert schedule.next_due(once, after=due.at, anchor=now, zone=UTC_ZONE) is None


def test_custom_scheme_takes_the_strongest_kind_at_the_same_time() -> None:
    at = [{"hour": 1, "minute": 0}]
    every_day = {"trigger": 1, "frequency": 3, "days": list(range(7)), "startAt": at, "type": 3}
    sundays = {"trigger": 1, "frequency": 1, "days": [0], "startAt": at, "type": 1}
    sched = {"scheme": 3, "options": [every_day, sundays]}
    saturday = datetime(2026, 5, 9, 12, 0, tzinfo=UTC)
    due = schedule.next_due(sched, after=saturday, anchor=saturday, zone=UTC_ZONE)
    assert due is not None
    assert (due.at.weekday(), due.kind) == (6, "full")  # Sunday 01:00, full wins
    monday = schedule.next_due(sched, after=due.at, anchor=saturday, zone=UTC_ZONE)
    assert monday is not None
    assert monday.kind == "incremental"


def test_gfs_is_monthly_full_weekly_differential_daily_incremental() -> None:
    def ms(d: datetime) -> int:
        return int(d.timestamp() * 1000)

    def kind(at: datetime, full: datetime | None, diff: datetime | None = None) -> str:
        return schedule.scheme_kind(
            5,
            None,
            at=at,
            zone=UTC_ZONE,
            last_full=ms(full) if full else 0,
            last_differential=ms(diff) if diff else 0,
        )

    wed = datetime(2026, 6, 3, 1, 0, tzinfo=UTC)  # Wednesday
    assert kind(wed, None) == "full"
    assert kind(wed, datetime(2026, 5, 31, 1, 0, tzinfo=UTC)) == "full"  # a new month
    assert kind(wed, datetime(2026, 6, 1, 1, 0, tzinfo=UTC)) == "incremental"  # same week
    next_week = datetime(2026, 6, 8, 1, 0, tzinfo=UTC)  # Monday of the next week
    assert kind(next_week, datetime(2026, 6, 1, 1, 0, tzinfo=UTC)) == "differential"
    assert (
        kind(next_week, datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 7, tzinfo=UTC))
        == "incremental"
    )
    assert (
        schedule.scheme_kind(5, "full", at=wed, zone=UTC_ZONE, last_full=1, last_differential=0)
        == "full"
    )
    assert (
        schedule.scheme_kind(4, None, at=wed, zone=UTC_ZONE, last_full=0, last_differential=0)
        == "incremental"
    )


def test_backup_window() -> None:
    window = [[0] * 24 for _ in range(7)]
    for hour in range(8, 18):
        window[1][hour] = 1  # Monday office hours are closed
    monday_nine = datetime(2026, 6, 8, 9, 15, tzinfo=UTC)
    assert not schedule.window_allows(window, monday_nine, UTC_ZONE)
    assert schedule.window_allows(window, monday_nine.replace(hour=19), UTC_ZONE)
    opening = schedule.next_window_opening(window, monday_nine, UTC_ZONE)
    assert opening == datetime(2026, 6, 8, 18, 0, tzinfo=UTC)
    closed = [[1] * 24 for _ in range(7)]
    assert schedule.next_window_opening(closed, monday_nine, UTC_ZONE) is None
    assert schedule.window_allows(None, monday_nine, UTC_ZONE)


def test_monthly_last_weekday_of_the_month() -> None:
    # April 2026 has 30 days; its last Friday is the 24th (the 31st would be May).
    option = {
        "trigger": 1,
        "frequency": schedule.MONTHLY,
        "days": [5],
        "nthDayOfWeek": 5,
        "startAt": [{"hour": 6, "minute": 0}],
    }
    after = datetime(2026, 4, 2, tzinfo=UTC)
    due = schedule.next_due(
        {"scheme": 2, "options": [option]}, after=after, anchor=after, zone=UTC_ZONE
    )
    assert due is not None
    assert due.at == datetime(2026, 4, 24, 6, 0, tzinfo=UTC)
    option["nthDayOfWeek"] = 2
    due = schedule.next_due(
        {"scheme": 2, "options": [option]}, after=after, anchor=after, zone=UTC_ZONE
    )
    assert due is not None
    assert due.at == datetime(2026, 4, 10, 6, 0, tzinfo=UTC)
