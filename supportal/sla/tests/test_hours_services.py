"""Business-hours services, the engine's selector and its invalidation, and the demo hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db.models.signals import post_migrate

from supportal.core.copies import SharedCopy
from supportal.lib import businesstime
from supportal.lib.businesstime import Interval
from supportal.sla import hours_services, selectors
from supportal.sla.demo import load_demo_hours
from supportal.sla.models import GroupSchedule, Holiday, Schedule
from supportal.sla.tests.test_hours_views import make_schedule, weekdays
from supportal.test import Personas

pytestmark = pytest.mark.django_db


class ScheduleServiceTests:
    def test_it_saves_hours_default_and_groups(self, personas: Personas) -> None:
        seoul = make_schedule(is_default=True, groups=[personas.support])
        assert seoul.as_business().intervals == tuple(
            weekdays((time(9), time(12)), (time(13), time(18)))
        )
        london = make_schedule(
            "London support",
            time_zone="Europe/London",
            is_default=True,
            groups=[personas.support, personas.billing],
            intervals=weekdays((time(9), time(17, 30))),
        )
        seoul.refresh_from_db()
        assert not seoul.is_default and london.is_default
        assert {link.group for link in london.group_links.all()} == {
            personas.support,
            personas.billing,
        }
        assert not seoul.group_links.exists()
        hours_services.schedule_save(
            schedule=london,
            name="London support",
            time_zone="Europe/London",
            is_default=True,
            groups=[personas.billing],
            intervals=[Interval(0, time(8), time(16))],
        )
        assert list(GroupSchedule.objects.values_list("group__name", flat=True)) == ["Billing"]
        assert london.intervals.count() == 1

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"time_zone": "Mars/Olympus"}, "Choose a time zone from the list."),
            ({"intervals": []}, "A schedule needs some business hours."),
            (
                {"intervals": [Interval(0, time(10), time(9))]},
                "The closing time must be after the opening time. "
                "To stay open until midnight, enter 00:00 as the closing time.",
            ),
            (
                {"intervals": [Interval(0, time(9), time(12)), Interval(0, time(11), time(13))]},
                "These hours overlap 09:00–12:00 on the same day.",
            ),
            ({"intervals": [Interval(7, time(9), time(12))]}, "Choose a day of the week."),
            ({"name": "  "}, "Enter a name."),
            ({"name": "seoul SUPPORT"}, "There is already a schedule with this name."),
        ],
    )
    def test_it_refuses_an_unusable_schedule(
        self, personas: Personas, overrides: dict[str, Any], message: str
    ) -> None:
        make_schedule()
        fields: dict[str, Any] = {
            "schedule": None,
            "name": "Other",
            "time_zone": "UTC",
            "is_default": False,
            "groups": [],
            "intervals": [Interval(0, time(9), time(17))],
            **overrides,
        }
        with pytest.raises(ValidationError) as caught:
            hours_services.schedule_save(**fields)
        assert message in caught.value.messages
        assert Schedule.objects.count() == 1

    def test_deleting_a_schedule_leaves_its_groups_to_the_default(self, personas: Personas) -> None:
        seoul = make_schedule(groups=[personas.support])
        hours_services.holiday_add(schedule=seoul, day=date(2026, 1, 1), name="", yearly=True)
        hours_services.schedule_delete(schedule=seoul)
        assert not GroupSchedule.objects.exists() and not Holiday.objects.exists()


class HolidayServiceTests:
    def test_it_refuses_a_second_holiday_on_a_date(self, personas: Personas) -> None:
        seoul = make_schedule()
        hours_services.holiday_add(schedule=seoul, day=date(2026, 5, 5), name="A", yearly=False)
        with pytest.raises(ValidationError) as caught:
            hours_services.holiday_add(schedule=seoul, day=date(2026, 5, 5), name="B", yearly=True)
        assert caught.value.messages == ["There is already a holiday on this date."]

    def test_it_imports_korean_public_holidays_with_seollal(self, personas: Personas) -> None:
        seoul = make_schedule()
        added = hours_services.holidays_import(
            schedule=seoul, country="KR", first_year=2026, last_year=2026, language="en"
        )
        names = dict(seoul.holidays.values_list("date", "name"))
        assert added == len(names) > 10
        assert names[date(2026, 2, 17)] == "Korean New Year"
        assert names[date(2026, 9, 25)] == "Chuseok"
        assert not seoul.holidays.filter(yearly=True).exists()

    @pytest.mark.parametrize(
        ("language", "country", "day", "name"),
        [
            ("ko", "KR", date(2026, 2, 17), "설날"),
            ("ja", "JP", date(2026, 1, 1), "元日"),
            ("zh-hans", "CN", date(2026, 10, 1), "国庆节"),
            ("en", "JP", date(2026, 1, 1), "New Year's Day"),
            # The holidays package has no Korean for the UK: American English instead.
            ("ko", "GB", date(2026, 12, 25), "Christmas Day"),
        ],
    )
    def test_it_names_holidays_in_the_admins_language(
        self, personas: Personas, language: str, country: str, day: date, name: str
    ) -> None:
        schedule = make_schedule()
        hours_services.holidays_import(
            schedule=schedule, country=country, first_year=2026, last_year=2026, language=language
        )
        assert schedule.holidays.get(date=day).name == name

    def test_it_skips_dates_already_there(self, personas: Personas) -> None:
        seoul = make_schedule()
        hours_services.holiday_add(
            schedule=seoul, day=date(2026, 2, 17), name="Company day", yearly=False
        )
        hours_services.holiday_add(schedule=seoul, day=date(2020, 3, 1), name="March", yearly=True)
        first = hours_services.holidays_import(
            schedule=seoul, country="KR", first_year=2026, last_year=2027, language="en"
        )
        assert seoul.holidays.get(date=date(2026, 2, 17)).name == "Company day"
        assert not seoul.holidays.filter(date=date(2026, 3, 1)).exists()
        assert seoul.holidays.filter(date__year=2027).exists()
        again = hours_services.holidays_import(
            schedule=seoul, country="KR", first_year=2025, last_year=2027, language="en"
        )
        assert first > 20 and 0 < again < first
        assert (
            hours_services.holidays_import(
                schedule=seoul, country="KR", first_year=2025, last_year=2027, language="ko"
            )
            == 0
        )

    @pytest.mark.parametrize(
        ("country", "first", "last", "message"),
        [
            ("XX", 2026, 2026, "Choose a country from the list."),
            ("KR", 2027, 2026, "The last year must not be before the first year."),
            ("KR", 2026, 2036, "Import at most 10 years at a time."),
            ("KR", 1900, 1901, "Enter years between 1950 and 2100."),
        ],
    )
    def test_it_refuses_a_bad_import(
        self, personas: Personas, country: str, first: int, last: int, message: str
    ) -> None:
        seoul = make_schedule()
        with pytest.raises(ValidationError) as caught:
            hours_services.holidays_import(
                schedule=seoul, country=country, first_year=first, last_year=last, language="en"
            )
        assert caught.value.messages == [message]

    def test_a_ten_year_import_works(self, personas: Personas) -> None:
        seoul = make_schedule()
        hours_services.holidays_import(
            schedule=seoul, country="US", first_year=2026, last_year=2035, language="en"
        )
        assert seoul.holidays.filter(date__year=2035).exists()


class ScheduleSelectorTests:
    def test_without_schedules_time_is_calendar_time(self, personas: Personas) -> None:
        assert selectors.schedule_for_group(None) is None
        assert selectors.schedule_for_group(personas.support.pk) is None

    def test_it_picks_the_groups_schedule_else_the_default(
        self, personas: Personas, django_capture_on_commit_callbacks: Any
    ) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            make_schedule(is_default=True)
            make_schedule(
                "London support",
                time_zone="Europe/London",
                groups=[personas.billing],
                intervals=weekdays((time(9), time(17, 30))),
            )
        assert selectors.schedule_for_group(personas.billing.pk).tz == "Europe/London"  # type: ignore[union-attr]
        assert selectors.schedule_for_group(personas.support.pk).tz == "Asia/Seoul"  # type: ignore[union-attr]
        assert selectors.schedule_for_group(None).tz == "Asia/Seoul"  # type: ignore[union-attr]

    def test_it_sees_changes_made_through_the_services(
        self, personas: Personas, django_capture_on_commit_callbacks: Any
    ) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            seoul = make_schedule(is_default=True)
        before = selectors.schedule_for_group(None)
        assert before is not None and date(2026, 5, 5) not in before.holidays
        # Unchanged: the same object from this process's copy, no rebuild.
        assert selectors.schedule_for_group(None) is before

        with django_capture_on_commit_callbacks(execute=True):
            holiday = hours_services.holiday_add(
                schedule=seoul, day=date(2026, 5, 5), name="Children's Day", yearly=False
            )
        assert date(2026, 5, 5) in selectors.schedule_for_group(None).holidays  # type: ignore[union-attr]

        with django_capture_on_commit_callbacks(execute=True):
            hours_services.holiday_remove(holiday=holiday)
            london = make_schedule("London", time_zone="Europe/London", groups=[personas.support])
        assert date(2026, 5, 5) not in selectors.schedule_for_group(None).holidays  # type: ignore[union-attr]
        assert selectors.schedule_for_group(personas.support.pk).tz == "Europe/London"  # type: ignore[union-attr]

        with django_capture_on_commit_callbacks(execute=True):
            hours_services.schedule_delete(schedule=london)
        assert selectors.schedule_for_group(personas.support.pk).tz == "Asia/Seoul"  # type: ignore[union-attr]

    def test_another_process_sees_the_change_through_the_shared_version(
        self, personas: Personas, django_capture_on_commit_callbacks: Any
    ) -> None:
        # Another process's copy of the same schedules, checking the shared token every time.
        other = SharedCopy("sla:business-hours", selectors._build, empty=None, recheck=0)
        with django_capture_on_commit_callbacks(execute=True):
            seoul = make_schedule(is_default=True)
        before = other.get()
        assert before is not None and before.default.tz == "Asia/Seoul"  # type: ignore[union-attr]
        assert other.get() is before  # same token: no rebuild
        with django_capture_on_commit_callbacks(execute=True):
            hours_services.schedule_save(
                schedule=seoul,
                name="Seoul support",
                time_zone="Asia/Tokyo",
                is_default=True,
                groups=[],
                intervals=weekdays((time(9), time(18))),
            )
        after = other.get()
        assert after is not None and after.default.tz == "Asia/Tokyo"  # type: ignore[union-attr]

    def test_reads_between_checks_cost_no_query(
        self, personas: Personas, django_assert_num_queries: Any
    ) -> None:
        make_schedule(is_default=True, groups=[personas.support])
        selectors.schedule_for_group(None)
        with django_assert_num_queries(0):
            for _ in range(100):
                assert selectors.schedule_for_group(personas.support.pk) is not None

    def test_a_migrate_or_database_flush_drops_every_copy(self, personas: Personas) -> None:
        seoul = make_schedule(is_default=True)
        assert selectors.schedule_for_group(None).tz == "Asia/Seoul"  # type: ignore[union-attr]
        Schedule.objects.filter(pk=seoul.pk).update(time_zone="Asia/Tokyo")
        config = django_apps.get_app_config("sla")
        post_migrate.send(sender=config, app_config=config, verbosity=0, interactive=False)
        assert selectors.schedule_for_group(None).tz == "Asia/Tokyo"  # type: ignore[union-attr]

    def test_the_selected_schedule_drives_the_arithmetic(
        self, personas: Personas, django_capture_on_commit_callbacks: Any
    ) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            seoul = make_schedule(is_default=True)
            hours_services.holiday_add(
                schedule=seoul, day=date(2026, 12, 25), name="Christmas", yearly=True
            )
        schedule = selectors.schedule_for_group(personas.support.pk)
        assert schedule is not None
        # Thursday 24 December 2026, 17:30 in Seoul: half an hour that day, then Christmas Day
        # (a holiday) and the weekend, so one business hour ends on Monday at 09:30.
        start = datetime(2026, 12, 24, 8, 30, tzinfo=UTC)
        end = businesstime.add_business_time(start, timedelta(hours=1), schedule)
        assert end == datetime(2026, 12, 28, 0, 30, tzinfo=UTC)

    def test_yearly_holidays_follow_the_year(
        self, personas: Personas, django_capture_on_commit_callbacks: Any
    ) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            seoul = make_schedule(is_default=True)
            hours_services.holiday_add(schedule=seoul, day=date(2020, 1, 1), name="", yearly=True)
        with time_machine.travel(datetime(2031, 6, 1, tzinfo=UTC)):
            holidays = selectors.schedule_for_group(None).holidays  # type: ignore[union-attr]
        assert {date(2030, 1, 1), date(2036, 1, 1)} <= holidays
        assert date(2029, 1, 1) not in holidays and date(2037, 1, 1) not in holidays
        assert date(2026, 1, 1) in selectors.schedule_for_group(None).holidays  # type: ignore[union-attr]


class DemoHoursTests:
    def test_it_loads_seoul_and_london_once(self, personas: Personas) -> None:
        with time_machine.travel(datetime(2026, 3, 1, tzinfo=UTC)):
            load_demo_hours()
            counts = dict(Schedule.objects.values_list("name", "holidays__date__year"))
            total = Holiday.objects.count()
            load_demo_hours()
        assert Holiday.objects.count() == total
        assert set(counts) == {"Seoul support", "London support"}
        seoul = Schedule.objects.get(name="Seoul support")
        assert seoul.is_default and seoul.time_zone == "Asia/Seoul"
        assert seoul.holidays.filter(date=date(2026, 2, 17)).exists()
        assert seoul.holidays.filter(date__year=2027).exists()
        assert seoul.intervals.count() == 10
        london = Schedule.objects.get(name="London support")
        assert not london.is_default and london.time_zone == "Europe/London"
        assert [(i.start, i.end) for i in london.intervals.all()][:1] == [(time(9), time(17, 30))]
        assert london.holidays.filter(date=date(2026, 12, 28), name__contains="Boxing").exists()
