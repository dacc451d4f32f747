"""Calls in a real browser: "Log a call" through htmx (no page load) and without JavaScript,
and axe-core on the request page with a call and the open form, and on the new-request form."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from supportal.browser_testing import assert_no_axe_violations, login
from supportal.phone.models import Call
from supportal.phone.services import call_log
from supportal.test import PASSWORD, Personas, make_ticket
from supportal.tickets.models import Ticket

pytestmark = pytest.mark.browser

LANGUAGES = [code for code, _name in settings.LANGUAGES]


def phone_ticket(personas: Personas) -> Ticket:
    personas.customer.phone = "+821012345678"
    personas.customer.save(update_fields=["phone"])
    return make_ticket(personas.customer, "Refund please", group=personas.support)


def fill_call(page: Page) -> None:
    page.locator("#call-log summary").click()
    page.locator("label[for=call_direction_0]").click()  # inbound
    page.locator("#call_duration").fill("3:25")
    page.locator("#call_outcome").select_option("answered")
    page.locator("#call_notes").fill("Confirmed the refund on the phone.")


def test_an_agent_logs_a_call_without_leaving_the_page(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    ticket = phone_ticket(personas)
    login(page, live_server.url, personas.agent.email, PASSWORD)
    page.goto(f"{live_server.url}/en/agent/requests/{ticket.pk}/")
    expect(page.locator("#call_number")).to_have_value("+821012345678")
    page.evaluate("window.stayedOnPage = true")
    fill_call(page)
    page.locator("#call-log button[type=submit]").click()
    expect(page.locator("#call-log [role=status]")).to_have_text("The call has been logged.")
    entry = page.locator("#conversation .entry-call")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("Confirmed the refund on the phone.")
    expect(entry).to_contain_text("3:25")
    assert page.evaluate("window.stayedOnPage") is True  # htmx swapped; no page load
    expect(page.locator("#call_notes")).to_have_value("")
    call = Call.objects.get()
    assert (call.direction, call.duration) == ("inbound", 205)


def test_it_works_without_javascript(
    browser: Browser, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    ticket = phone_ticket(personas)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        login(page, live_server.url, personas.agent.email, PASSWORD)
        page.goto(f"{live_server.url}/en/agent/requests/{ticket.pk}/")
        fill_call(page)
        with page.expect_navigation():
            page.locator("#call-log button[type=submit]").click()
        expect(page.locator("#conversation .entry-call")).to_contain_text("Confirmed the refund")
        expect(page.locator("main")).to_contain_text("The call has been logged.")
    finally:
        context.close()
    assert Call.objects.count() == 1


# The states of these pages in one language; every page type runs in all four in
# core/tests/test_browser_every_page.py.
@pytest.mark.parametrize("lang", ["ja"])
def test_call_pages_have_no_axe_violations(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas, lang: str
) -> None:
    ticket = phone_ticket(personas)
    call_log(
        ticket=ticket,
        actor=personas.agent,
        direction="outbound",
        number="+821012345678",
        outcome="voicemail",
        duration=42,
        notes="Left a message.",
        recording_url="https://recordings.example.net/r1.mp3",
    )
    login(page, live_server.url, personas.agent.email, PASSWORD, lang=lang)
    page.goto(f"{live_server.url}/{lang}/agent/requests/{ticket.pk}/")
    page.locator("#call-log summary").click()
    page.locator("#call_number").fill("not a number")
    page.locator("#call-log button[type=submit]").click()
    expect(page.locator("#call-log .errorlist")).to_have_count(1)
    assert_no_axe_violations(page, f"{lang} request page with a call and the call form's error")
    page.goto(f"{live_server.url}/{lang}/agent/calls/new")
    with page.expect_navigation():
        page.locator("main form.call-form button[type=submit]").click()
    expect(page.locator("#form-errors")).to_be_visible()
    assert_no_axe_violations(page, f"{lang} new request from a call, with errors")
