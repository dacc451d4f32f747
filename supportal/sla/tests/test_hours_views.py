"""Business-hours settings pages for admins: schedules, weekly hours, groups and holidays."""

from __future__ import annotations

import re
from datetime import date, time
from typing import Any

import pytest
from django.test import Client

from supportal.lib.businesstime import FRIDAY, MONDAY, Interval
from supportal.sla import hours_services
from supportal.sla.models import GroupSchedule, Holiday, Schedule
from supportal.test import Personas, session_queries

pytestmark = pytest.mark.django_db

BASE = "/en/agent/manage/hours"


def weekdays(*hours: tuple[time, time]) -> list[Interval]:
    return [Interval(day, start, end) for day in range(MONDAY, FRIDAY + 1) for start, end in hours]


def make_schedule(name: str = "Seoul support", **overrides: Any) -> Schedule:
    fields: dict[str, Any] = {
        "schedule": None,
        "name": name,
        "time_zone": "Asia/Seoul",
        "is_default": False,
        "groups": [],
        "intervals": weekdays((time(9), time(12)), (time(13), time(18))),
    }
    fields.update(overrides)
    return hours_services.schedule_save(**fields)


def form_data(**overrides: Any) -> dict[str, Any]:
    """A posted schedule form: Monday 09:00-12:00 and 13:00-18:00, two rows every day."""
    data: dict[str, Any] = {"name": "Seoul support", "time_zone": "Asia/Seoul"}
    for day in range(7):
        data[f"rows_{day}"] = "2"
    data.update({"d0_0_start": "09:00", "d0_0_end": "12:00"})
    data.update({"d0_1_start": "13:00", "d0_1_end": "18:00"})
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


class ScheduleListTests:
    def test_it_lists_schedules_with_hours_groups_and_holidays(
        self, client: Client, personas: Personas
    ) -> None:
        seoul = make_schedule(is_default=True, groups=[personas.support, personas.billing])
        hours_services.holiday_add(schedule=seoul, day=date(2026, 1, 1), name="New", yearly=True)
        make_schedule(
            "London support",
            time_zone="Europe/London",
            intervals=[*weekdays((time(9), time(17, 30))), Interval(5, time(10), time(0))],
        )
        client.force_login(personas.admin)
        page = client.get(f"{BASE}/").content.decode()
        assert "Seoul support" in page and "Asia/Seoul" in page and "Europe/London" in page
        assert "Mon–Fri 09:00–12:00, 13:00–18:00" in page
        assert "Mon–Fri 09:00–17:30; Sat 10:00–24:00" in page
        assert "Billing, Support" in page
        assert "1 holiday" in page and "0 holidays" in page
        assert f'href="{BASE}/new"' in page
        assert 'aria-current="page">Business hours</a>' in page
        assert 'aria-current="page">Settings</a>' in page

    def test_it_says_when_there_are_no_schedules(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        page = client.get(f"{BASE}/").content.decode()
        assert "No schedules yet: service-level timers count every hour of every day." in page

    def test_the_list_keeps_its_query_count(
        self, client: Client, personas: Personas, django_assert_num_queries: Any
    ) -> None:
        make_schedule(groups=[personas.support])
        client.force_login(personas.admin)
        client.get(f"{BASE}/")
        # The user, the schedules with their holiday counts, their hours and their groups.
        with django_assert_num_queries(session_queries() + 4):
            assert client.get(f"{BASE}/").status_code == 200
        for number in range(5):
            schedule = make_schedule(f"Team {number}")
            hours_services.holiday_add(
                schedule=schedule, day=date(2026, 5, 5), name="Day", yearly=False
            )
        make_schedule("Billing team", groups=[personas.billing])
        with django_assert_num_queries(session_queries() + 4):
            page = client.get(f"{BASE}/").content.decode()
        assert "Team 4" in page and "Billing team" in page


class ScheduleFormTests:
    def test_it_creates_a_schedule_with_a_lunch_break(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        response = client.post(
            f"{BASE}/new",
            form_data(
                is_default="on", groups=[personas.support.pk], d4_0_start="10:00", d4_0_end="16:00"
            ),
            follow=False,
        )
        assert response.status_code == 302
        assert response["Location"] == f"{BASE}/"
        schedule = Schedule.objects.get()
        assert (schedule.name, schedule.time_zone, schedule.is_default) == (
            "Seoul support",
            "Asia/Seoul",
            True,
        )
        assert [(i.weekday, i.start, i.end) for i in schedule.intervals.all()] == [
            (0, time(9), time(12)),
            (0, time(13), time(18)),
            (4, time(10), time(16)),
        ]
        assert GroupSchedule.objects.get().group == personas.support
        listing = client.get(response["Location"]).content.decode()
        assert "The schedule has been saved." in listing

    def test_it_shows_and_edits_the_saved_hours(self, client: Client, personas: Personas) -> None:
        schedule = make_schedule(groups=[personas.support])
        client.force_login(personas.admin)
        page = client.get(f"{BASE}/{schedule.pk}").content.decode()
        assert 'value="Seoul support"' in page
        assert 'name="d4_1_start" value="13:00"' in page
        assert '<option value="Asia/Seoul" selected>' in page
        data = form_data(name="Seoul team", d0_1_start="", d0_1_end="", d6_0_end="00:00")
        data["d6_0_start"] = "22:00"
        response = client.post(f"{BASE}/{schedule.pk}", data)
        assert response.status_code == 302
        schedule.refresh_from_db()
        assert schedule.name == "Seoul team"
        assert [(i.weekday, i.start, i.end) for i in schedule.intervals.all()] == [
            (0, time(9), time(12)),
            (6, time(22), time(0)),
        ]
        assert not GroupSchedule.objects.exists()

    def test_choosing_the_default_moves_the_flag(self, client: Client, personas: Personas) -> None:
        london = make_schedule("London support", is_default=True)
        client.force_login(personas.admin)
        page = client.get(f"{BASE}/new").content.decode()
        assert "choosing this one replaces “London support”" in page
        assert client.post(f"{BASE}/new", form_data(is_default="on")).status_code == 302
        london.refresh_from_db()
        assert not london.is_default
        assert Schedule.objects.get(is_default=True).name == "Seoul support"

    def test_a_first_schedule_is_the_default_unless_unticked(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        page = client.get(f"{BASE}/new").content.decode()
        assert 'aria-describedby="id_is_default_helptext" id="id_is_default" checked>' in page
        assert "Without one they count every hour of every day." in page
        client.post(f"{BASE}/new", form_data())
        assert Schedule.objects.get().is_default is False

    def test_choosing_a_group_of_another_schedule_moves_it_and_says_so(
        self, client: Client, personas: Personas
    ) -> None:
        london = make_schedule("London support", groups=[personas.billing])
        client.force_login(personas.admin)
        page = client.get(f"{BASE}/new").content.decode()
        assert "(uses “London support” now; choosing it moves it here)" in page
        response = client.post(f"{BASE}/new", form_data(groups=[personas.billing.pk]), follow=True)
        assert (
            "The group “Billing” now uses this schedule instead of “London support”."
            in response.content.decode()
        )
        link = GroupSchedule.objects.get(group=personas.billing)
        assert link.schedule.name == "Seoul support"
        assert not london.group_links.exists()

    def test_add_hours_shows_one_more_row_and_keeps_what_was_typed(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        response = client.post(f"{BASE}/new", form_data(name="Draft", add_row="2"))
        assert response.status_code == 200
        page = response.content.decode()
        assert 'name="d2_2_start"' in page and 'name="d2_3_start"' not in page
        assert 'name="d1_2_start"' not in page
        assert 'name="rows_2" value="3"' in page
        assert 'value="Draft"' in page and 'value="13:00"' in page
        assert "errorlist" not in page
        assert not Schedule.objects.exists()

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            (
                {"d0_0_end": "08:00"},
                "d0_0_end",
                "The closing time must be after the opening time. "
                "To stay open until midnight, enter 00:00 as the closing time.",
            ),
            (
                {"d0_1_start": "11:00"},
                "d0_1_start",
                "These hours overlap 09:00–12:00 on the same day.",
            ),
            ({"d0_1_end": ""}, "d0_1_end", "Enter both the opening and the closing time."),
            ({"d0_0_start": "9 am"}, "d0_0_start", "Enter a time such as 09:00."),
            ({"time_zone": "Mars/Olympus"}, "time_zone", "Choose a time zone from the list."),
            ({"time_zone": ""}, "time_zone", "This field is required."),
            ({"name": ""}, "name", "This field is required."),
        ],
    )
    def test_it_refuses_bad_hours_with_a_message_on_the_field(
        self,
        client: Client,
        personas: Personas,
        overrides: dict[str, str],
        field: str,
        message: str,
    ) -> None:
        client.force_login(personas.admin)
        response = client.post(f"{BASE}/new", form_data(**{"name": "Kept name", **overrides}))
        assert response.status_code == 400
        page = response.content.decode()
        assert f'<ul class="errorlist" id="id_{field}_error"><li>{message}</li>' in page
        assert re.search(f'aria-describedby="[^"]*id_{field}_error"', page)
        assert "Please correct the problems below." in page
        if field != "name":
            assert 'value="Kept name"' in page
        assert not Schedule.objects.exists()

    def test_it_needs_some_hours(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        data = form_data(d0_0_start="", d0_0_end="", d0_1_start="", d0_1_end="")
        response = client.post(f"{BASE}/new", data)
        assert response.status_code == 400
        page = response.content.decode()
        assert (
            '<ul class="errorlist" id="hours-error"><li>A schedule needs some business hours.'
            in (page)
        )
        assert 'aria-describedby="hours-help hours-error"' in page

    def test_it_refuses_a_taken_name(self, client: Client, personas: Personas) -> None:
        make_schedule("London support")
        client.force_login(personas.admin)
        response = client.post(f"{BASE}/new", form_data(name="london SUPPORT"))
        assert response.status_code == 400
        assert "There is already a schedule with this name." in response.content.decode()

    def test_it_shows_the_page_in_korean(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        assert client.get("/ko/agent/manage/hours/new").status_code == 200


class ScheduleDeleteTests:
    def test_it_asks_then_deletes_and_groups_fall_back(
        self, client: Client, personas: Personas
    ) -> None:
        seoul = make_schedule(groups=[personas.support])
        client.force_login(personas.admin)
        page = client.get(f"{BASE}/{seoul.pk}/delete").content.decode()
        assert "Delete “Seoul support”?" in page
        assert "These groups will count by the default schedule instead: Support." in page
        response = client.post(f"{BASE}/{seoul.pk}/delete")
        assert response.status_code == 302 and response["Location"] == f"{BASE}/"
        assert not Schedule.objects.exists() and not GroupSchedule.objects.exists()
        assert "The schedule has been deleted." in client.get(f"{BASE}/").content.decode()


class HolidayPageTests:
    def test_it_adds_lists_and_removes_a_holiday_with_a_confirmation(
        self, client: Client, personas: Personas
    ) -> None:
        schedule = make_schedule()
        client.force_login(personas.admin)
        url = f"{BASE}/{schedule.pk}/holidays/"
        assert "No holidays yet." in client.get(url).content.decode()
        response = client.post(
            f"{url}add",
            {"holiday-day": "2026-12-31", "holiday-name": "Year end", "holiday-yearly": "on"},
        )
        assert response.status_code == 302 and response["Location"] == url
        page = client.get(url).content.decode()
        assert "The holiday has been added." in page
        assert "Year end" in page and "Every year" in page
        holiday = Holiday.objects.get()
        assert (holiday.date, holiday.yearly) == (date(2026, 12, 31), True)

        ask = client.post(f"{url}{holiday.pk}/remove")
        assert ask.status_code == 200
        assert "Remove this holiday?" in ask.content.decode()
        assert 'name="confirm" value="yes"' in ask.content.decode()
        assert Holiday.objects.exists()
        done = client.post(f"{url}{holiday.pk}/remove", {"confirm": "yes"})
        assert done.status_code == 302 and not Holiday.objects.exists()

    @pytest.mark.parametrize(
        ("data", "field", "message"),
        [
            ({"holiday-day": ""}, "holiday-day", "Enter a date."),
            ({"holiday-day": "31/12/2026"}, "holiday-day", "Enter a date such as 2026-12-25."),
            (
                {"holiday-day": "2026-05-05"},
                "holiday-day",
                "There is already a holiday on this date.",
            ),
        ],
    )
    def test_it_refuses_a_bad_holiday(
        self, client: Client, personas: Personas, data: dict[str, str], field: str, message: str
    ) -> None:
        schedule = make_schedule()
        hours_services.holiday_add(schedule=schedule, day=date(2026, 5, 5), name="", yearly=False)
        client.force_login(personas.admin)
        response = client.post(
            f"{BASE}/{schedule.pk}/holidays/add", {"holiday-name": "Kept", **data}
        )
        assert response.status_code == 400
        page = response.content.decode()
        assert f'<ul class="errorlist" id="id_{field}_error"><li>{message}</li>' in page
        assert 'value="Kept"' in page

    def test_it_loads_korean_public_holidays_in_the_admins_language(
        self, client: Client, personas: Personas
    ) -> None:
        schedule = make_schedule()
        client.force_login(personas.admin)
        url = f"/ko/agent/manage/hours/{schedule.pk}/holidays/"
        page = client.get(url).content.decode()
        # The schedule is in Asia/Seoul: South Korea is chosen to start with.
        assert '<option value="KR" selected>' in page
        data = {"import-country": "KR", "import-first_year": "2026", "import-last_year": "2026"}
        response = client.post(f"{url}import", data)
        assert response.status_code == 302
        assert Holiday.objects.get(date=date(2026, 2, 17)).name == "설날"
        count = Holiday.objects.count()
        assert count > 10
        page = client.get(url).content.decode()
        assert "설날" in page
        again = client.post(f"{url}import", data, follow=True)
        assert Holiday.objects.count() == count
        assert again.status_code == 200

    def test_it_says_how_many_were_added_in_english(
        self, client: Client, personas: Personas
    ) -> None:
        schedule = make_schedule()
        hours_services.holiday_add(schedule=schedule, day=date(2026, 12, 25), name="X", yearly=True)
        client.force_login(personas.admin)
        url = f"{BASE}/{schedule.pk}/holidays/"
        data = {"import-country": "GB", "import-first_year": "2026", "import-last_year": "2026"}
        page = client.post(f"{url}import", data, follow=True).content.decode()
        # The UK-wide bank holidays of 2026, less Christmas Day, already there every year.
        assert "6 public holidays have been added." in page
        assert "Boxing Day" in page
        page = client.post(f"{url}import", data, follow=True).content.decode()
        assert "No public holidays were added: the schedule has them all already." in page

    @pytest.mark.parametrize(
        ("data", "field", "message"),
        [
            ({"import-country": "XX"}, "import-country", "Choose a country from the list."),
            (
                {"import-last_year": "2025"},
                "import-last_year",
                "The last year must not be before the first year.",
            ),
            (
                {"import-last_year": "2040"},
                "import-last_year",
                "Import at most 10 years at a time.",
            ),
            (
                {"import-first_year": "1800"},
                "import-first_year",
                "Enter a year between 1950 and 2100.",
            ),
            ({"import-first_year": "soon"}, "import-first_year", "Enter a year such as 2026."),
            ({"import-last_year": ""}, "import-last_year", "Enter a year."),
        ],
    )
    def test_it_refuses_a_bad_import(
        self, client: Client, personas: Personas, data: dict[str, str], field: str, message: str
    ) -> None:
        schedule = make_schedule()
        client.force_login(personas.admin)
        posted = {"import-country": "JP", "import-first_year": "2026", "import-last_year": "2027"}
        response = client.post(f"{BASE}/{schedule.pk}/holidays/import", {**posted, **data})
        assert response.status_code == 400
        page = response.content.decode()
        assert f'<ul class="errorlist" id="id_{field}_error"><li>{message}</li>' in page
        assert not Holiday.objects.exists()


class PermissionTests:
    def urls(self, schedule: Schedule, holiday: Holiday) -> dict[str, str]:
        return {
            "list": f"{BASE}/",
            "new": f"{BASE}/new",
            "edit": f"{BASE}/{schedule.pk}",
            "delete": f"{BASE}/{schedule.pk}/delete",
            "holidays": f"{BASE}/{schedule.pk}/holidays/",
        }

    def post_urls(self, schedule: Schedule, holiday: Holiday) -> list[str]:
        return [
            f"{BASE}/{schedule.pk}/holidays/add",
            f"{BASE}/{schedule.pk}/holidays/import",
            f"{BASE}/{schedule.pk}/holidays/{holiday.pk}/remove",
        ]

    def setup(self) -> tuple[Schedule, Holiday]:
        schedule = make_schedule()
        holiday = hours_services.holiday_add(
            schedule=schedule, day=date(2026, 1, 1), name="New Year", yearly=True
        )
        return schedule, holiday

    def test_admins_open_every_page(self, client: Client, personas: Personas) -> None:
        schedule, holiday = self.setup()
        client.force_login(personas.admin)
        for name, url in self.urls(schedule, holiday).items():
            assert client.get(url).status_code == 200, name

    @pytest.mark.parametrize("persona", ["agent", "customer"])
    def test_agents_and_customers_get_403(
        self, client: Client, personas: Personas, persona: str
    ) -> None:
        schedule, holiday = self.setup()
        client.force_login(getattr(personas, persona))
        for name, url in self.urls(schedule, holiday).items():
            assert client.get(url).status_code == 403, name
        for url in self.post_urls(schedule, holiday):
            assert client.post(url, {"confirm": "yes"}).status_code == 403, url
        assert Schedule.objects.exists() and Holiday.objects.exists()

    def test_anonymous_visitors_are_sent_to_sign_in(
        self, client: Client, personas: Personas
    ) -> None:
        schedule, holiday = self.setup()
        for url in [*self.urls(schedule, holiday).values(), *self.post_urls(schedule, holiday)]:
            response = (
                client.post(url) if url in self.post_urls(schedule, holiday) else client.get(url)
            )
            assert response.status_code == 302, url
            assert response["Location"].startswith("/en/accounts/login/"), url

    def test_wrong_methods_get_405(self, client: Client, personas: Personas) -> None:
        schedule, holiday = self.setup()
        client.force_login(personas.admin)
        assert client.post(f"{BASE}/").status_code == 405
        assert client.post(f"{BASE}/{schedule.pk}/holidays/").status_code == 405
        assert client.put(f"{BASE}/{schedule.pk}").status_code == 405
        assert client.delete(f"{BASE}/{schedule.pk}/delete").status_code == 405
        for url in self.post_urls(schedule, holiday):
            assert client.get(url).status_code == 405, url

    def test_unknown_ids_get_404(self, client: Client, personas: Personas) -> None:
        schedule, holiday = self.setup()
        other = make_schedule("Other")
        client.force_login(personas.admin)
        missing = schedule.pk + other.pk + 100
        for url in [
            f"{BASE}/{missing}",
            f"{BASE}/{missing}/delete",
            f"{BASE}/{missing}/holidays/",
        ]:
            assert client.get(url).status_code == 404, url
        # A holiday of another schedule is not found through this one.
        wrong = client.post(f"{BASE}/{other.pk}/holidays/{holiday.pk}/remove", {"confirm": "yes"})
        assert wrong.status_code == 404
        assert client.post(f"{BASE}/{missing}/holidays/add").status_code == 404
        assert Holiday.objects.filter(pk=holiday.pk).exists()


class HolidayListQueryTests:
    def test_the_holidays_page_costs_the_same_with_more_holidays(
        self, client: Client, personas: Personas
    ) -> None:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        schedule = make_schedule()
        client.force_login(personas.admin)
        url = f"{BASE}/{schedule.pk}/holidays/"

        def queries() -> int:
            client.get(url)  # the page shell's cached parts, read once
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            return len(captured)

        hours_services.holiday_add(schedule=schedule, day=date(2026, 1, 1), name="A", yearly=True)
        few = queries()
        for day in range(2, 12):
            hours_services.holiday_add(
                schedule=schedule, day=date(2026, 3, day), name=f"Day {day}", yearly=False
            )
        assert queries() == few
