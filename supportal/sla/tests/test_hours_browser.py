"""The business-hours pages in a real browser: axe in every language, and an admin setting up a
schedule with a lunch break and Korean public holidays from the keyboard."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from supportal.browser_testing import assert_no_axe_violations, login
from supportal.sla import hours_services
from supportal.sla.models import Holiday, Schedule
from supportal.sla.tests.test_hours_views import make_schedule, weekdays
from supportal.test import PASSWORD, Personas

pytestmark = pytest.mark.browser

LANGUAGES = [code for code, _name in settings.LANGUAGES]


# The states of these pages in one language; every page type runs in all four in
# core/tests/test_browser_every_page.py.
@pytest.mark.parametrize("lang", ["ko"])
def test_business_hours_pages_have_no_axe_violations(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas, lang: str
) -> None:
    seoul = make_schedule(is_default=True, groups=[personas.support])
    make_schedule(
        "London support",
        time_zone="Europe/London",
        groups=[personas.billing],
        intervals=weekdays((time(9), time(17, 30))),
    )
    hours_services.holidays_import(
        schedule=seoul, country="KR", first_year=2026, last_year=2026, language=lang
    )
    holiday = hours_services.holiday_add(
        schedule=seoul, day=date(2026, 12, 31), name="Year end", yearly=True
    )
    login(page, live_server.url, personas.admin.email, PASSWORD, lang=lang)
    base = f"{live_server.url}/{lang}/agent/manage/hours"
    pages = {
        "schedules": f"{base}/",
        "new schedule": f"{base}/new",
        "edit schedule": f"{base}/{seoul.pk}",
        "delete schedule": f"{base}/{seoul.pk}/delete",
        "holidays": f"{base}/{seoul.pk}/holidays/",
    }
    for label, address in pages.items():
        response = page.goto(address)
        assert response is not None and response.status == 200, label
        assert_no_axe_violations(page, f"{lang} {label}")

    # The form refusing what was typed: hours that end before they start, and overlap.
    page.goto(f"{base}/{seoul.pk}")
    page.locator("#id_d2_0_end").fill("08:00")
    page.locator("#id_d3_1_start").fill("11:00")
    page.locator("#schedule-form .actions button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator("#form-errors")).to_be_visible()
    expect(page.locator("#id_d2_0_end_error")).to_be_visible()
    expect(page.locator("#id_d3_1_start_error")).to_be_visible()
    assert_no_axe_violations(page, f"{lang} schedule with errors")

    # The holiday forms refusing what was typed, and the confirmation before removing one.
    page.goto(f"{base}/{seoul.pk}/holidays/")
    page.locator("#id_import-last_year").fill("2040")
    page.locator("form[action$='/import'] button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator("#id_import-last_year_error")).to_be_visible()
    assert_no_axe_violations(page, f"{lang} holiday import with errors")
    page.locator(f"form[action$='/{holiday.pk}/remove'] button").click()
    page.wait_for_load_state()
    expect(page.locator("input[name=confirm]")).to_have_count(1)
    assert_no_axe_violations(page, f"{lang} remove holiday")


def test_an_admin_sets_up_a_lunch_break_and_korean_holidays_from_the_keyboard(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    login(page, live_server.url, personas.admin.email, PASSWORD)
    page.goto(f"{live_server.url}/en/agent/manage/hours/")
    page.get_by_role("link", name="New schedule").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")

    page.get_by_label("Name").focus()
    page.keyboard.type("Seoul support")
    page.locator("#id_time_zone").select_option("Asia/Seoul")
    page.get_by_role("checkbox", name="Support").check()
    monday = page.get_by_role("group", name="Monday", exact=True)
    monday.get_by_label("Opens").nth(0).fill("09:00")
    monday.get_by_label("Closes").nth(0).fill("12:00")
    monday.get_by_label("Opens").nth(1).fill("13:00")
    monday.get_by_label("Closes").nth(1).fill("18:00")
    # A third row on Tuesday, without losing what was typed.
    page.get_by_role("button", name="Add hours on Tuesday").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tuesday = page.get_by_role("group", name="Tuesday", exact=True)
    expect(tuesday.get_by_label("Opens")).to_have_count(3)
    expect(page.get_by_label("Name")).to_have_value("Seoul support")
    expect(monday.get_by_label("Closes").nth(1)).to_have_value("18:00")
    tuesday.get_by_label("Opens").nth(2).fill("19:00")
    tuesday.get_by_label("Closes").nth(2).fill("21:00")

    # Enter in a text field saves (the form's default button), it does not add a row.
    page.get_by_label("Name").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text("The schedule has been saved.")
    expect(page.locator("main table")).to_contain_text("Mon 09:00–12:00, 13:00–18:00")
    expect(page.locator("main table")).to_contain_text("Tue 19:00–21:00")
    schedule = Schedule.objects.get()
    assert schedule.is_default and schedule.intervals.count() == 3

    page.get_by_role("link", name="0 holidays").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.locator("#id_import-country").select_option("KR")
    page.get_by_label("From year").fill("2026")
    page.get_by_label("To year").fill("2026")
    page.get_by_role("button", name="Load public holidays").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    count = Holiday.objects.filter(schedule=schedule).count()
    assert count > 10
    expect(page.locator(".messages")).to_contain_text(f"{count} public holidays have been added.")
    expect(page.locator("main table")).to_contain_text("Korean New Year")
    assert_no_axe_violations(page, "holidays after the import")
