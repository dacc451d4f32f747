from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from supportal.lib.businesstime import (
    FRIDAY,
    MONDAY,
    SEARCH_DAYS,
    SUNDAY,
    TUESDAY,
    Interval,
    Problem,
    ProblemCode,
    Schedule,
    add_business_time,
    business_time_between,
    is_open,
    next_opening,
    public_holidays,
)

SEOUL = ZoneInfo("Asia/Seoul")
NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
H = timedelta(hours=1)
# 2026 clock changes, all on Sundays.
US_SPRING, US_FALL = date(2026, 3, 8), date(2026, 11, 1)
UK_SPRING, UK_FALL = date(2026, 3, 29), date(2026, 10, 25)


def _schedule(
    tz: str,
    *hours: tuple[time, time],
    days: Iterable[int] = range(5),
    holidays: Iterable[date] = (),
) -> Schedule:
    """Same hours on each of `days`, 09:00-18:00 unless given."""
    spans = hours or ((time(9), time(18)),)
    intervals = tuple(Interval(day, start, end) for day in days for start, end in spans)
    return Schedule(tz, intervals, frozenset(holidays))


def _whole_day(tz: str, day: date) -> timedelta:
    """Business time of a schedule open 00:00-24:00 on `day`'s weekday, on that date only."""
    schedule = _schedule(tz, (time(0), time(0)), days=[day.weekday()])
    zone = ZoneInfo(tz)
    around = datetime.combine(day, time(12), zone)
    return business_time_between(around - 3 * H * 24, around + 3 * H * 24, schedule)


SEOUL_9_TO_6 = _schedule("Asia/Seoul")
SEOUL_LUNCH = _schedule("Asia/Seoul", (time(9), time(12)), (time(13), time(18)))


class ScheduleTests:
    def test_it_accepts_a_valid_schedule(self) -> None:
        assert SEOUL_LUNCH.validate() == []
        assert Schedule.always().validate() == []

    def test_it_reports_no_hours(self) -> None:
        assert Schedule("Asia/Seoul", ()).validate() == [Problem(ProblemCode.NO_HOURS)]

    def test_it_reports_an_end_not_after_its_start(self) -> None:
        schedule = Schedule(
            "Asia/Seoul",
            (
                Interval(MONDAY, time(9), time(9)),
                Interval(TUESDAY, time(18), time(9)),
                Interval(FRIDAY, time(9), time(18)),
            ),
        )
        assert schedule.validate() == [
            Problem(ProblemCode.END_NOT_AFTER_START, (0,)),
            Problem(ProblemCode.END_NOT_AFTER_START, (1,)),
        ]

    def test_it_reports_no_hours_when_no_interval_is_usable(self) -> None:
        schedule = Schedule("Asia/Seoul", (Interval(MONDAY, time(18), time(9)),))
        assert [p.code for p in schedule.validate()] == [
            ProblemCode.END_NOT_AFTER_START,
            ProblemCode.NO_HOURS,
        ]

    def test_it_reports_overlapping_intervals_on_the_same_day(self) -> None:
        schedule = Schedule(
            "Asia/Seoul",
            (
                Interval(MONDAY, time(9), time(18)),
                Interval(MONDAY, time(17), time(19)),
                Interval(TUESDAY, time(17), time(19)),  # another day: fine
                Interval(MONDAY, time(18), time(20)),  # overlaps 17-19 only
            ),
        )
        assert schedule.validate() == [
            Problem(ProblemCode.OVERLAP, (0, 1)),
            Problem(ProblemCode.OVERLAP, (1, 3)),
        ]

    def test_it_allows_touching_intervals_and_joins_them(self) -> None:
        schedule = _schedule("Asia/Seoul", (time(9), time(12)), (time(12), time(18)))
        assert schedule.validate() == []
        start = datetime(2026, 1, 5, 11, tzinfo=SEOUL)
        assert add_business_time(start, 2 * H, schedule) == start + 2 * H

    def test_it_reports_a_contained_interval_as_overlapping(self) -> None:
        schedule = Schedule(
            "UTC",
            (Interval(MONDAY, time(8), time(20)), Interval(MONDAY, time(9), time(10))),
        )
        assert schedule.validate() == [Problem(ProblemCode.OVERLAP, (0, 1))]

    def test_it_reports_an_unknown_timezone(self) -> None:
        for tz in ("Mars/Olympus", "", "../etc/passwd"):
            problems = Schedule(tz, SEOUL_9_TO_6.intervals).validate()
            assert problems == [Problem(ProblemCode.UNKNOWN_TIMEZONE)], tz

    def test_it_reports_a_bad_weekday(self) -> None:
        schedule = Schedule("UTC", (Interval(7, time(9), time(18)),))
        assert schedule.validate() == [
            Problem(ProblemCode.BAD_WEEKDAY, (0,)),
            Problem(ProblemCode.NO_HOURS),
        ]

    def test_it_uses_plain_string_codes(self) -> None:
        assert ProblemCode.OVERLAP == "overlap"
        assert {c.value for c in ProblemCode} == {
            "unknown_timezone", "no_hours", "bad_weekday", "end_not_after_start", "overlap",
        }  # fmt: skip

    def test_it_refuses_to_compute_with_an_invalid_schedule(self) -> None:
        start = datetime(2026, 1, 5, 9, tzinfo=SEOUL)
        for schedule in (
            Schedule("Asia/Seoul", ()),
            Schedule("Mars/Olympus", SEOUL_9_TO_6.intervals),
        ):
            with pytest.raises(ValueError, match="invalid schedule"):
                add_business_time(start, H, schedule)
            with pytest.raises(ValueError, match="invalid schedule"):
                business_time_between(start, start + H, schedule)
            with pytest.raises(ValueError, match="invalid schedule"):
                is_open(start, schedule)
            with pytest.raises(ValueError, match="invalid schedule"):
                next_opening(start, schedule)

    def test_it_reads_midnight_as_the_end_of_the_day(self) -> None:
        assert Interval(MONDAY, time(22), time(0)).bounds == (22 * 3600 * 10**6, 24 * 3600 * 10**6)
        assert Interval(MONDAY, time(0), time(0)).bounds == (0, 24 * 3600 * 10**6)

    def test_it_is_hashable_and_takes_lists_and_sets(self) -> None:
        hours = [Interval(MONDAY, time(9), time(18))]
        a = Schedule("UTC", hours, {date(2026, 1, 1)})  # type: ignore[arg-type]
        b = Schedule("UTC", (Interval(MONDAY, time(9), time(18)),), frozenset({date(2026, 1, 1)}))
        assert a == b
        assert hash(a) == hash(b)
        assert isinstance(a.intervals, tuple)
        assert isinstance(a.holidays, frozenset)

    def test_it_builds_a_24x7_schedule(self) -> None:
        always = Schedule.always("Asia/Seoul")
        assert always.tz == "Asia/Seoul"
        assert sorted(i.weekday for i in always.intervals) == list(range(7))
        assert Schedule.always().tz == "UTC"


class AddBusinessTimeTests:
    def test_it_adds_within_one_day(self) -> None:
        start = datetime(2026, 1, 5, 10, tzinfo=SEOUL)  # a Monday
        assert add_business_time(start, 3 * H, SEOUL_9_TO_6) == datetime(
            2026, 1, 5, 13, tzinfo=SEOUL
        )

    def test_it_returns_aware_utc(self) -> None:
        result = add_business_time(datetime(2026, 1, 5, 10, tzinfo=SEOUL), H, SEOUL_9_TO_6)
        assert result.tzinfo is UTC
        assert result == datetime(2026, 1, 5, 2, tzinfo=UTC)

    def test_it_accepts_a_start_in_any_timezone(self) -> None:
        start = datetime(2026, 1, 5, 1, tzinfo=UTC)  # 10:00 in Seoul
        assert add_business_time(start, 3 * H, SEOUL_9_TO_6) == datetime(2026, 1, 5, 4, tzinfo=UTC)

    def test_it_starts_counting_at_the_opening_before_hours(self) -> None:
        start = datetime(2026, 1, 5, 7, 30, tzinfo=SEOUL)
        assert add_business_time(start, H, SEOUL_9_TO_6) == datetime(2026, 1, 5, 10, tzinfo=SEOUL)

    def test_it_starts_counting_at_the_next_opening_after_hours(self) -> None:
        start = datetime(2026, 1, 5, 20, tzinfo=SEOUL)
        assert add_business_time(start, H, SEOUL_9_TO_6) == datetime(2026, 1, 6, 10, tzinfo=SEOUL)

    def test_it_counts_from_a_start_exactly_at_opening(self) -> None:
        start = datetime(2026, 1, 5, 9, tzinfo=SEOUL)
        assert add_business_time(start, H, SEOUL_9_TO_6) == datetime(2026, 1, 5, 10, tzinfo=SEOUL)

    def test_it_counts_from_the_next_day_for_a_start_exactly_at_closing(self) -> None:
        start = datetime(2026, 1, 5, 18, tzinfo=SEOUL)
        assert add_business_time(start, H, SEOUL_9_TO_6) == datetime(2026, 1, 6, 10, tzinfo=SEOUL)

    def test_it_ends_at_closing_when_the_time_runs_out_there(self) -> None:
        start = datetime(2026, 1, 5, 9, tzinfo=SEOUL)
        assert add_business_time(start, 9 * H, SEOUL_9_TO_6) == datetime(
            2026, 1, 5, 18, tzinfo=SEOUL
        )

    def test_it_skips_the_lunch_gap(self) -> None:
        start = datetime(2026, 1, 5, 11, tzinfo=SEOUL)
        assert add_business_time(start, 2 * H, SEOUL_LUNCH) == datetime(
            2026, 1, 5, 14, tzinfo=SEOUL
        )
        lunch = datetime(2026, 1, 5, 12, 30, tzinfo=SEOUL)
        assert add_business_time(lunch, H, SEOUL_LUNCH) == datetime(2026, 1, 5, 14, tzinfo=SEOUL)

    def test_it_skips_the_weekend(self) -> None:
        friday = datetime(2026, 1, 9, 17, tzinfo=SEOUL)
        assert add_business_time(friday, 2 * H, SEOUL_9_TO_6) == datetime(
            2026, 1, 12, 10, tzinfo=SEOUL
        )
        saturday = datetime(2026, 1, 10, 12, tzinfo=SEOUL)
        assert add_business_time(saturday, H, SEOUL_9_TO_6) == datetime(
            2026, 1, 12, 10, tzinfo=SEOUL
        )

    def test_it_skips_a_holiday_on_the_friday_before_a_weekend(self) -> None:
        schedule = _schedule("Asia/Seoul", holidays=[date(2026, 5, 1)])  # a Friday
        thursday = datetime(2026, 4, 30, 17, tzinfo=SEOUL)
        assert add_business_time(thursday, 2 * H, schedule) == datetime(
            2026, 5, 4, 10, tzinfo=SEOUL
        )

    def test_it_takes_holidays_as_local_dates(self) -> None:
        schedule = _schedule("Asia/Seoul", (time(0), time(0)), holidays=[date(2026, 1, 5)])
        start = datetime(2026, 1, 4, 16, tzinfo=UTC)  # 01:00 on the Monday holiday in Seoul
        assert not is_open(start, schedule)
        assert is_open(datetime(2026, 1, 5, 16, tzinfo=UTC), schedule)  # 01:00 Tuesday in Seoul
        assert add_business_time(start, H, schedule) == datetime(2026, 1, 6, 1, tzinfo=SEOUL)

    def test_it_spans_weeks(self) -> None:
        start = datetime(2026, 1, 5, 9, tzinfo=SEOUL)  # 45 business hours a week
        assert add_business_time(start, 450 * H, SEOUL_9_TO_6) == datetime(
            2026, 3, 13, 18, tzinfo=SEOUL
        )
        assert add_business_time(start, 451 * H, SEOUL_9_TO_6) == datetime(
            2026, 3, 16, 10, tzinfo=SEOUL
        )

    def test_it_returns_the_start_for_a_zero_duration(self) -> None:
        inside = datetime(2026, 1, 5, 10, tzinfo=SEOUL)
        outside = datetime(2026, 1, 10, 3, tzinfo=SEOUL)  # a Saturday night
        for start in (inside, outside):
            result = add_business_time(start, timedelta(0), SEOUL_9_TO_6)
            assert result == start
            assert result.tzinfo is UTC

    def test_it_keeps_microseconds(self) -> None:
        start = datetime(2026, 1, 5, 17, 59, 59, 999_999, tzinfo=SEOUL)
        step = timedelta(microseconds=2)
        assert add_business_time(start, step, SEOUL_9_TO_6) == datetime(
            2026, 1, 6, 9, 0, 0, 1, tzinfo=SEOUL
        )

    def test_it_refuses_a_negative_duration(self) -> None:
        with pytest.raises(ValueError, match="negative"):
            add_business_time(datetime(2026, 1, 5, tzinfo=SEOUL), -H, SEOUL_9_TO_6)

    def test_it_refuses_naive_datetimes(self) -> None:
        naive = datetime(2026, 1, 5, 10)  # noqa: DTZ001
        with pytest.raises(ValueError, match="naive"):
            add_business_time(naive, H, SEOUL_9_TO_6)
        with pytest.raises(ValueError, match="naive"):
            business_time_between(naive, naive + H, SEOUL_9_TO_6)
        with pytest.raises(ValueError, match="naive"):
            is_open(naive, SEOUL_9_TO_6)

    def test_it_equals_calendar_time_when_always_open(self) -> None:
        for tz in ("UTC", "America/New_York", "Europe/London", "Asia/Seoul"):
            always = Schedule.always(tz)
            start = datetime(2026, 3, 7, 12, 34, 56, tzinfo=UTC)
            for duration in (H, 25 * H, timedelta(days=400), timedelta(seconds=1)):
                assert add_business_time(start, duration, always) == start + duration, tz

    def test_it_runs_through_an_interval_ending_at_midnight(self) -> None:
        schedule = Schedule(
            "Asia/Seoul",
            (Interval(MONDAY, time(22), time(0)), Interval(TUESDAY, time(0), time(2))),
        )
        monday = datetime(2026, 1, 5, 23, tzinfo=SEOUL)
        assert add_business_time(monday, 2 * H, schedule) == datetime(2026, 1, 6, 1, tzinfo=SEOUL)
        assert is_open(datetime(2026, 1, 6, 0, tzinfo=SEOUL), schedule)
        assert add_business_time(monday, 3 * H, schedule) == datetime(2026, 1, 6, 2, tzinfo=SEOUL)
        assert add_business_time(monday, 4 * H, schedule) == datetime(2026, 1, 12, 23, tzinfo=SEOUL)

    def test_it_gives_up_after_the_search_horizon(self) -> None:
        mondays = {date(2026, 1, 5) + timedelta(weeks=w) for w in range(SEARCH_DAYS // 7 + 60)}
        schedule = _schedule("Asia/Seoul", days=[MONDAY], holidays=mondays)
        start = datetime(2026, 1, 1, tzinfo=SEOUL)
        with pytest.raises(ValueError, match="horizon"):
            add_business_time(start, H, schedule)
        with pytest.raises(ValueError, match="horizon"):
            next_opening(start, schedule)
        assert business_time_between(start, start + timedelta(days=365), schedule) == timedelta(0)

    def test_it_finds_hours_just_inside_the_search_horizon(self) -> None:
        first_open = date(2026, 1, 5) + timedelta(weeks=500)  # about 9.6 years ahead
        holidays = {date(2026, 1, 5) + timedelta(weeks=w) for w in range(500)}
        schedule = _schedule("Asia/Seoul", days=[MONDAY], holidays=holidays)
        start = datetime(2026, 1, 1, tzinfo=SEOUL)
        expected = datetime.combine(first_open, time(10), SEOUL)
        assert add_business_time(start, H, schedule) == expected


class BusinessTimeBetweenTests:
    def test_it_is_zero_when_the_end_is_not_after_the_start(self) -> None:
        start = datetime(2026, 1, 5, 10, tzinfo=SEOUL)
        assert business_time_between(start, start, SEOUL_9_TO_6) == timedelta(0)
        assert business_time_between(start, start - H, SEOUL_9_TO_6) == timedelta(0)

    def test_it_counts_within_a_day(self) -> None:
        start = datetime(2026, 1, 5, 10, tzinfo=SEOUL)
        assert business_time_between(start, start + 150 * timedelta(minutes=1), SEOUL_9_TO_6) == (
            timedelta(minutes=150)
        )

    def test_it_ignores_time_outside_hours(self) -> None:
        start = datetime(2026, 1, 5, 6, tzinfo=SEOUL)
        end = datetime(2026, 1, 6, 10, tzinfo=SEOUL)
        assert business_time_between(start, end, SEOUL_9_TO_6) == 10 * H
        assert business_time_between(start, end, SEOUL_LUNCH) == 9 * H

    def test_it_ignores_weekends_and_holidays(self) -> None:
        schedule = _schedule("Asia/Seoul", holidays=[date(2026, 5, 1)])
        start = datetime(2026, 4, 30, 17, tzinfo=SEOUL)
        end = datetime(2026, 5, 4, 10, tzinfo=SEOUL)
        assert business_time_between(start, end, schedule) == 2 * H
        assert business_time_between(start, end, SEOUL_9_TO_6) == 11 * H

    def test_it_spans_weeks(self) -> None:
        start = datetime(2026, 1, 5, 9, tzinfo=SEOUL)
        end = datetime(2026, 3, 16, 9, tzinfo=SEOUL)
        assert business_time_between(start, end, SEOUL_9_TO_6) == 450 * H

    def test_it_accepts_ends_in_different_timezones(self) -> None:
        start = datetime(2026, 1, 5, 0, tzinfo=UTC)  # 09:00 Seoul
        end = datetime(2026, 1, 5, 14, tzinfo=LONDON)  # 23:00 Seoul
        assert business_time_between(start, end, SEOUL_9_TO_6) == 9 * H

    def test_it_equals_calendar_time_when_always_open(self) -> None:
        start = datetime(2026, 3, 1, tzinfo=NEW_YORK)
        end = datetime(2026, 11, 30, tzinfo=NEW_YORK)
        assert business_time_between(start, end, Schedule.always("America/New_York")) == end - start


class OpeningTests:
    def test_it_is_open_from_opening_until_just_before_closing(self) -> None:
        assert is_open(datetime(2026, 1, 5, 9, tzinfo=SEOUL), SEOUL_LUNCH)
        assert is_open(datetime(2026, 1, 5, 11, 59, 59, tzinfo=SEOUL), SEOUL_LUNCH)
        assert not is_open(datetime(2026, 1, 5, 12, tzinfo=SEOUL), SEOUL_LUNCH)
        assert not is_open(datetime(2026, 1, 5, 18, tzinfo=SEOUL), SEOUL_LUNCH)
        assert not is_open(datetime(2026, 1, 5, 8, 59, tzinfo=SEOUL), SEOUL_LUNCH)

    def test_it_is_closed_on_weekends_and_holidays(self) -> None:
        schedule = _schedule("Asia/Seoul", holidays=[date(2026, 5, 1)])
        assert not is_open(datetime(2026, 5, 1, 10, tzinfo=SEOUL), schedule)
        assert not is_open(datetime(2026, 5, 2, 10, tzinfo=SEOUL), schedule)
        assert is_open(datetime(2026, 5, 4, 10, tzinfo=SEOUL), schedule)

    def test_it_gives_the_instant_itself_when_open(self) -> None:
        at = datetime(2026, 1, 5, 10, 15, tzinfo=SEOUL)
        assert next_opening(at, SEOUL_LUNCH) == at
        assert next_opening(at, SEOUL_LUNCH).tzinfo is UTC

    def test_it_gives_the_next_opening_when_closed(self) -> None:
        lunch = datetime(2026, 1, 5, 12, 15, tzinfo=SEOUL)
        assert next_opening(lunch, SEOUL_LUNCH) == datetime(2026, 1, 5, 13, tzinfo=SEOUL)
        friday = datetime(2026, 1, 9, 18, tzinfo=SEOUL)
        assert next_opening(friday, SEOUL_LUNCH) == datetime(2026, 1, 12, 9, tzinfo=SEOUL)
        schedule = _schedule("Asia/Seoul", holidays=[date(2026, 5, 1)])
        thursday = datetime(2026, 4, 30, 20, tzinfo=SEOUL)
        assert next_opening(thursday, schedule) == datetime(2026, 5, 4, 9, tzinfo=SEOUL)


class DaylightSavingTests:
    @pytest.mark.parametrize(
        ("tz", "day", "hours"),
        [
            ("America/New_York", US_SPRING, 23),
            ("America/New_York", US_FALL, 25),
            ("Europe/London", UK_SPRING, 23),
            ("Europe/London", UK_FALL, 25),
            ("America/New_York", date(2026, 3, 15), 24),
            ("Asia/Seoul", US_SPRING, 24),
        ],
    )
    def test_it_counts_real_time_in_a_whole_day(self, tz: str, day: date, hours: int) -> None:
        assert _whole_day(tz, day) == hours * H

    @pytest.mark.parametrize(
        ("tz", "day"),
        [
            ("America/New_York", US_SPRING),
            ("America/New_York", US_FALL),
            ("Europe/London", UK_SPRING),
            ("Europe/London", UK_FALL),
        ],
    )
    def test_it_keeps_a_nine_to_six_day_at_nine_hours(self, tz: str, day: date) -> None:
        schedule = _schedule(tz, days=range(7))
        zone = ZoneInfo(tz)
        start = datetime.combine(day, time(0), zone)
        end = datetime.combine(day + timedelta(days=1), time(0), zone)
        assert business_time_between(start, end, schedule) == 9 * H
        assert add_business_time(start, 9 * H, schedule) == datetime.combine(day, time(18), zone)

    def test_it_counts_nothing_for_wall_times_skipped_in_spring(self) -> None:
        skipped = _schedule("America/New_York", (time(2), time(3)), days=[SUNDAY])
        assert _whole_day("America/New_York", US_SPRING) == 23 * H  # sanity: the gap is there
        start = datetime(2026, 3, 7, tzinfo=NEW_YORK)
        assert business_time_between(start, start + 48 * H, skipped) == timedelta(0)
        across = _schedule("America/New_York", (time(1), time(3)), days=[SUNDAY])
        assert business_time_between(start, start + 48 * H, across) == H

    def test_it_opens_at_the_jump_when_the_opening_time_is_skipped(self) -> None:
        schedule = _schedule("America/New_York", (time(2, 30), time(18)), days=[SUNDAY])
        at = datetime(2026, 3, 8, 1, tzinfo=NEW_YORK)
        opening = next_opening(at, schedule)
        assert opening == datetime(2026, 3, 8, 7, tzinfo=UTC)  # 03:00 EDT
        assert opening.astimezone(NEW_YORK).time() == time(3)
        assert add_business_time(at, H, schedule) == datetime(2026, 3, 8, 4, tzinfo=NEW_YORK)

    def test_it_counts_both_readings_of_repeated_wall_times_in_autumn(self) -> None:
        schedule = _schedule("America/New_York", (time(1, 30), time(3)), days=[SUNDAY])
        start = datetime(2026, 10, 31, tzinfo=NEW_YORK)
        assert business_time_between(start, start + 48 * H, schedule) == 2 * H
        # 01:15 and 01:45 each happen twice: 05:15/05:45 UTC in EDT, 06:15/06:45 UTC in EST.
        assert not is_open(datetime(2026, 11, 1, 5, 15, tzinfo=UTC), schedule)
        assert is_open(datetime(2026, 11, 1, 5, 45, tzinfo=UTC), schedule)
        assert not is_open(datetime(2026, 11, 1, 6, 15, tzinfo=UTC), schedule)
        assert is_open(datetime(2026, 11, 1, 6, 45, tzinfo=UTC), schedule)
        assert next_opening(datetime(2026, 11, 1, 6, tzinfo=UTC), schedule) == datetime(
            2026, 11, 1, 6, 30, tzinfo=UTC
        )

    def test_it_crosses_a_spring_weekend_in_new_york(self) -> None:
        friday = datetime(2026, 3, 6, 17, tzinfo=NEW_YORK)  # EST
        monday = datetime(2026, 3, 9, 10, tzinfo=NEW_YORK)  # EDT
        schedule = _schedule("America/New_York")
        assert add_business_time(friday, 2 * H, schedule) == monday
        assert monday == datetime(2026, 3, 9, 14, tzinfo=UTC)
        assert business_time_between(friday, monday, schedule) == 2 * H

    def test_it_crosses_an_autumn_weekend_in_london(self) -> None:
        friday = datetime(2026, 10, 23, 17, tzinfo=LONDON)  # BST
        monday = datetime(2026, 10, 26, 10, tzinfo=LONDON)  # GMT
        schedule = _schedule("Europe/London")
        assert add_business_time(friday, 2 * H, schedule) == monday
        assert monday == datetime(2026, 10, 26, 10, tzinfo=UTC)

    def test_it_crosses_a_spring_weekend_in_london(self) -> None:
        friday = datetime(2026, 3, 27, 17, tzinfo=LONDON)  # GMT
        schedule = _schedule("Europe/London")
        assert add_business_time(friday, 2 * H, schedule) == datetime(2026, 3, 30, 9, tzinfo=UTC)

    def test_it_crosses_an_autumn_weekend_in_new_york(self) -> None:
        friday = datetime(2026, 10, 30, 17, tzinfo=NEW_YORK)  # EDT
        schedule = _schedule("America/New_York")
        assert add_business_time(friday, 2 * H, schedule) == datetime(2026, 11, 2, 15, tzinfo=UTC)

    def test_it_adds_real_hours_across_a_change_when_always_open(self) -> None:
        always = Schedule.always("America/New_York")
        midnight = datetime(2026, 11, 1, tzinfo=NEW_YORK)
        assert add_business_time(midnight, 24 * H, always).astimezone(NEW_YORK) == datetime(
            2026, 11, 1, 23, tzinfo=NEW_YORK
        )

    def test_it_keeps_seoul_days_even(self) -> None:
        # No DST in Seoul: 09:00-18:00 KST is always 00:00-09:00 UTC.
        schedule = _schedule("Asia/Seoul", days=range(7))
        for day in (US_SPRING, US_FALL, UK_SPRING, UK_FALL):
            start = datetime.combine(day, time(9), SEOUL)
            assert start.astimezone(UTC).time() == time(0)
            assert add_business_time(start, 9 * H, schedule) == start + 9 * H

    def test_it_counts_nothing_for_a_date_the_zone_skipped(self) -> None:
        # Samoa moved across the date line: 2011-12-30 never happened in Apia.
        schedule = _schedule("Pacific/Apia", days=range(7))
        start = datetime(2011, 12, 29, tzinfo=ZoneInfo("Pacific/Apia"))
        end = datetime(2012, 1, 1, tzinfo=ZoneInfo("Pacific/Apia"))
        assert business_time_between(start, end, schedule) == 18 * H


def _reference_minutes(start: datetime, end: datetime, schedule: Schedule) -> timedelta:
    """Business time by walking every minute and reading the local wall clock."""
    zone = ZoneInfo(schedule.tz)
    minutes = 0
    at = start
    while at < end:
        local = at.astimezone(zone)
        if local.date() not in schedule.holidays:
            for interval in schedule.intervals:
                low, high = interval.bounds
                now = ((local.hour * 60 + local.minute) * 60 + local.second) * 10**6
                if interval.weekday == local.weekday() and low <= now < high:
                    minutes += 1
                    break
        at += timedelta(minutes=1)
    return timedelta(minutes=minutes)


PROPERTY_SCHEDULES = [
    SEOUL_LUNCH,
    _schedule(
        "America/New_York",
        (time(8), time(12, 30)),
        (time(13, 15), time(17, 45)),
        holidays=[date(2026, 1, 1), date(2026, 5, 25), date(2026, 7, 3), date(2026, 11, 26)],
    ),
    _schedule("Europe/London", (time(0, 30), time(2, 30)), (time(20), time(0)), days=range(7)),
    Schedule(
        "America/New_York",
        (Interval(SUNDAY, time(1, 30), time(3)), Interval(SUNDAY, time(22), time(0))),
    ),
    Schedule.always("Europe/London"),
]


class PropertyTests:
    @pytest.mark.parametrize("schedule", PROPERTY_SCHEDULES, ids=lambda s: s.tz)
    def test_it_round_trips_random_durations(self, schedule: Schedule) -> None:
        rng = random.Random(20260308)
        origin = datetime(2025, 12, 1, tzinfo=UTC)
        for _ in range(300):
            start = origin + timedelta(microseconds=rng.randrange(400 * 86400 * 10**6))
            duration = timedelta(microseconds=rng.randrange(600 * 3600 * 10**6))
            if rng.random() < 0.1:
                duration = timedelta(0)
            end = add_business_time(start, duration, schedule)
            assert end >= start
            assert business_time_between(start, end, schedule) == duration
            if duration:
                # Earliest: a microsecond sooner is not enough.
                tick = timedelta(microseconds=1)
                assert business_time_between(start, end - tick, schedule) == duration - tick

    @pytest.mark.parametrize("schedule", PROPERTY_SCHEDULES, ids=lambda s: s.tz)
    def test_it_adds_back_what_it_measured(self, schedule: Schedule) -> None:
        rng = random.Random(20261101)
        origin = datetime(2026, 1, 1, tzinfo=UTC)
        for _ in range(200):
            start = origin + timedelta(seconds=rng.randrange(365 * 86400))
            end = start + timedelta(seconds=rng.randrange(30 * 86400))
            elapsed = business_time_between(start, end, schedule)
            reached = add_business_time(start, elapsed, schedule)
            assert reached <= end
            assert business_time_between(reached, end, schedule) == timedelta(0)
            if elapsed and is_open(end - timedelta(microseconds=1), schedule):
                assert reached == end

    @pytest.mark.parametrize("schedule", PROPERTY_SCHEDULES, ids=lambda s: s.tz)
    def test_it_opens_at_next_opening(self, schedule: Schedule) -> None:
        rng = random.Random(7)
        origin = datetime(2026, 1, 1, tzinfo=UTC)
        for _ in range(200):
            at = origin + timedelta(seconds=rng.randrange(365 * 86400))
            opening = next_opening(at, schedule)
            assert is_open(opening, schedule)
            assert opening >= at
            assert (opening == at) == is_open(at, schedule)
            assert business_time_between(at, opening, schedule) == timedelta(0)

    @pytest.mark.parametrize("schedule", PROPERTY_SCHEDULES[1:4], ids=lambda s: s.tz)
    @pytest.mark.parametrize("day", [US_SPRING, US_FALL, UK_SPRING, UK_FALL])
    def test_it_agrees_with_the_wall_clock_minute_by_minute(
        self, schedule: Schedule, day: date
    ) -> None:
        rng = random.Random(day.toordinal())
        origin = datetime.combine(day, time(0), UTC) - timedelta(days=2)
        for _ in range(5):
            start = origin + timedelta(minutes=rng.randrange(3 * 1440))
            end = start + timedelta(minutes=rng.randrange(2 * 1440))
            assert business_time_between(start, end, schedule) == _reference_minutes(
                start, end, schedule
            )


class PublicHolidaysTests:
    def test_it_lists_korean_holidays(self) -> None:
        table = public_holidays("KR", [2026])
        assert table[date(2026, 1, 1)] == "New Year's Day"
        assert {date(2026, 2, 16), date(2026, 2, 17), date(2026, 2, 18)} <= set(table)
        assert "Korean New Year" in table[date(2026, 2, 17)]
        assert all(day.year == 2026 for day in table)
        assert list(table) == sorted(table)

    def test_it_lists_japanese_holidays(self) -> None:
        table = public_holidays("JP", [2026])
        assert {date(2026, 1, 1), date(2026, 2, 11), date(2026, 5, 3), date(2026, 11, 3)} <= set(
            table
        )
        assert table[date(2026, 2, 11)] == "Foundation Day"

    @pytest.mark.parametrize("country", ["KR", "JP", "CN", "GB", "US"])
    def test_it_knows_the_countries_we_serve(self, country: str) -> None:
        table = public_holidays(country, range(2025, 2028))
        assert date(2026, 1, 1) in table
        assert {day.year for day in table} == {2025, 2026, 2027}
        assert all(isinstance(name, str) and name for name in table.values())

    def test_it_takes_lowercase_codes_and_subdivisions(self) -> None:
        assert public_holidays("kr", [2026]) == public_holidays("KR", [2026])
        scotland = public_holidays("GB", [2026], "sct")
        assert date(2026, 1, 2) in scotland
        assert date(2026, 1, 2) not in public_holidays("GB", [2026])

    def test_it_names_holidays_in_the_asked_language(self) -> None:
        assert public_holidays("KR", [2026], language="ko")[date(2026, 2, 17)] == "설날"

    def test_it_refuses_an_unknown_country_or_subdivision(self) -> None:
        with pytest.raises(ValueError, match="XX"):
            public_holidays("XX", [2026])
        with pytest.raises(ValueError, match="ZZ"):
            public_holidays("US", [2026], "ZZ")

    def test_it_feeds_a_schedule(self) -> None:
        schedule = _schedule("Asia/Seoul", holidays=public_holidays("KR", [2026]))
        friday = datetime(2026, 2, 13, 17, tzinfo=SEOUL)  # before the Seollal break
        assert add_business_time(friday, 2 * H, schedule) == datetime(2026, 2, 19, 10, tzinfo=SEOUL)
