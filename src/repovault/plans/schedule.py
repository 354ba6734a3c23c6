"""When a plan runs next, and which backup kind it takes.

A schedule (the plan DTO's `schedule`) holds options; each enabled option (`trigger` 1)
names local wall-clock times in the server's time zone:

    frequency 0  once, at the first startAt after the schedule was set (its anchor)
    frequency 1  weekly on `days` at each startAt, every `interval` weeks (0 = 1), the weeks
                 counted from the anchor's week (weeks start on Sunday, day 0)
    frequency 2  monthly on the `nthDayOfWeek`-th (1..4, 5 = last) of each day in `days`
    frequency 3  daily on `days` at each startAt
    frequency 4  on `days`, every `interval` hours from the first startAt (00:00 if none)
    frequency 5  on `days`, every `interval` minutes from the first startAt (00:00 if none)

Daylight-saving changes: a wall time that does not exist (the clock jumps forward) runs at
the first instant after the jump; a wall time that happens twice (the clock goes back) runs
once, at its first occurrence. Scheme 1 (manual only) never runs on its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from repovault.common.enums import Scheme, Trigger

ONCE, WEEKLY, MONTHLY, DAILY, HOURLY, MINUTELY = range(6)
KIND_NAMES = {1: "full", 2: "differential", 3: "incremental"}
KIND_RANK = {"incremental": 0, "differential": 1, "full": 2}
# Far enough ahead for any schedule: monthly needs at most 5 weeks, weekly with an interval
# at most `interval` weeks; nothing beyond this horizon means "never".
HORIZON_DAYS = 800


@dataclass(frozen=True)
class Due:
    at: datetime  # aware, UTC
    kind: str | None  # the option's own kind (full/differential/incremental), None: the scheme's


def _py_weekday(day: int) -> int:
    """The schedule's day (0 Sunday .. 6 Saturday) as Python's weekday (0 Monday)."""
    return (day - 1) % 7


def _sunday_of(day: date) -> date:
    return day - timedelta(days=(day.weekday() + 1) % 7)


def _nth_weekday(day: date, nth: int) -> bool:
    if nth == 5:
        return (day + timedelta(days=7)).month != day.month
    return (day.day - 1) // 7 + 1 == nth


def day_matches(option: dict[str, Any], day: date, anchor: date) -> bool:
    frequency = option.get("frequency", 0)
    days = {_py_weekday(d) for d in option.get("days") or []}
    if frequency == ONCE:
        return True
    if day.weekday() not in days:
        return False
    if frequency == WEEKLY:
        interval = max(option.get("interval") or 1, 1)
        weeks = (_sunday_of(day) - _sunday_of(anchor)).days // 7
        return weeks % interval == 0
    if frequency == MONTHLY:
        return _nth_weekday(day, option.get("nthDayOfWeek") or 0)
    return True


def times_of_day(option: dict[str, Any]) -> list[time]:
    """The wall times at which the option runs on a matching day, sorted."""
    starts = [time(s["hour"], s["minute"]) for s in option.get("startAt") or []]
    frequency = option.get("frequency", 0)
    if frequency == ONCE:
        return starts[:1]
    if frequency in (HOURLY, MINUTELY):
        first = starts[0] if starts else time(0, 0)
        step = (option.get("interval") or 1) * (60 if frequency == HOURLY else 1)
        minutes = range(first.hour * 60 + first.minute, 24 * 60, max(step, 1))
        return [time(m // 60, m % 60) for m in minutes]
    return sorted(set(starts))


def to_instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall time; a time skipped by a DST jump moves past it."""
    local = datetime.combine(day, wall, tzinfo=zone)  # fold=0: the first of two occurrences
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        # The wall time does not exist: its fold=0 reading lands after the jump; the run
        # happens at the jump itself (the first existing instant after the gap).
        back = instant.astimezone(zone).replace(tzinfo=None) - local.replace(tzinfo=None)
        instant -= back
        while instant.astimezone(zone).replace(tzinfo=None) < local.replace(tzinfo=None):
            instant += timedelta(minutes=1)
    return instant


def _option_runs(
    option: dict[str, Any], after: datetime, anchor: datetime, zone: ZoneInfo
) -> Iterator[datetime]:
    """The option's run instants after `after`, in order (ascending per day)."""
    start_day = after.astimezone(zone).date()
    anchor_day = anchor.astimezone(zone).date()
    if option.get("frequency", 0) == ONCE:
        start_day, last = anchor_day, anchor_day + timedelta(days=1)
    else:
        last = start_day + timedelta(days=HORIZON_DAYS)
    walls = times_of_day(option)
    day = start_day
    while day <= last:
        if day_matches(option, day, anchor_day):
            for wall in walls:
                instant = to_instant(day, wall, zone)
                if option.get("frequency", 0) == ONCE and instant <= anchor:
                    continue
                if instant > after:
                    yield instant
                    if option.get("frequency", 0) == ONCE:
                        return
        if option.get("frequency", 0) == ONCE and day > anchor_day:
            return
        day += timedelta(days=1)


def next_due(
    schedule: dict[str, Any] | None, *, after: datetime, anchor: datetime, zone: ZoneInfo
) -> Due | None:
    """The first run strictly after `after`, or None (manual plans, nothing enabled).

    When several options fall on the same instant the strongest kind wins (full over
    differential over incremental)."""
    if not schedule or schedule.get("scheme", Scheme.MANUAL) == Scheme.MANUAL:
        return None
    best: Due | None = None
    for option in schedule.get("options") or []:
        if option.get("trigger", Trigger.TIME) != Trigger.TIME:
            continue
        first = next(_option_runs(option, after, anchor, zone), None)
        if first is None:
            continue
        kind = KIND_NAMES.get(option.get("type", 0))
        if (
            best is None
            or first < best.at
            or (
                first == best.at
                and KIND_RANK.get(kind or "", -1) > KIND_RANK.get(best.kind or "", -1)
            )
        ):
            best = Due(first, kind)
    return best


def scheme_kind(
    scheme: int,
    option_kind: str | None,
    *,
    at: datetime,
    zone: ZoneInfo,
    last_full: int,
    last_differential: int,
) -> str:
    """The backup kind of a run: the option's own, else the scheme's.

    GFS (scheme 5): the first run of a calendar month is full, the first of a week (Sunday
    based) differential, the others incremental. Forever incremental and the rest take
    incremental, which the engine makes full when there is nothing to build on."""
    if option_kind:
        return option_kind
    if scheme != Scheme.GFS:
        return "incremental"
    local = at.astimezone(zone)

    def since(ms: int) -> datetime | None:
        return datetime.fromtimestamp(ms / 1000, UTC).astimezone(zone) if ms else None

    full = since(last_full)
    if full is None or (full.year, full.month) != (local.year, local.month):
        return "full"
    strongest = max(full, since(last_differential) or full)
    if _sunday_of(strongest.date()) != _sunday_of(local.date()):
        return "differential"
    return "incremental"


def window_allows(window: list[list[int]] | None, at: datetime, zone: ZoneInfo) -> bool:
    """Whether the backup window (7 rows Sunday..Saturday, 24 hours each, 1 = not allowed)
    allows the hour of `at`."""
    if not window:
        return True
    local = at.astimezone(zone)
    return window[(local.weekday() + 1) % 7][local.hour] == 0


def next_window_opening(
    window: list[list[int]] | None, at: datetime, zone: ZoneInfo
) -> datetime | None:
    """The first instant at or after `at` that the window allows; None if it allows none."""
    if window_allows(window, at, zone):
        return at
    if not window or not any(0 in row for row in window):
        return None
    local = at.astimezone(zone).replace(minute=0, second=0, microsecond=0)
    for _ in range(24 * 8):
        local = (local + timedelta(hours=1)).astimezone(zone)
        local = local.replace(minute=0, second=0, microsecond=0)
        if window_allows(window, local, zone):
            return local.astimezone(UTC)
    return None
