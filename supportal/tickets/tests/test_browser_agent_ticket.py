"""The agent's request page and the request settings in a real browser: keyboard and axe-core."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from supportal.browser_testing import assert_no_axe_violations, login
from supportal.test import PASSWORD, Personas, make_ticket
from supportal.tickets.models import CustomField, Message, RequestType, Ticket
from supportal.tickets.services import ticket_link, ticket_reply

pytestmark = pytest.mark.browser

LANGUAGES = [code for code, _name in settings.LANGUAGES]


def busy_ticket(personas: Personas) -> Ticket:
    """A request with a reply, an internal note, an attachment, a link and custom fields."""
    CustomField.objects.create(
        key="plan",
        labels={"en": "Plan", "ko": "요금제"},
        kind=CustomField.Kind.DROPDOWN,
        choices=[{"value": "pro", "labels": {"en": "Professional"}}],
        customer_visible=False,
    )
    CustomField.objects.create(key="renewal", labels={"en": "Renewal"}, kind="date")
    CustomField.objects.create(key="vip", labels={"en": "VIP"}, kind="checkbox")
    RequestType.objects.create(names={"en": "Question", "ko": "질문"})
    ticket = make_ticket(personas.customer, "Printer on fire", group=personas.support)
    other = make_ticket(personas.customer, "Smoke alarm", group=personas.support)
    ticket_link(ticket=ticket, other=other, actor=personas.agent)
    ticket_reply(ticket=ticket, author=personas.agent, body="We are looking into it.")
    ticket_reply(
        ticket=ticket, author=personas.agent, body="Call the fire brigade first.", public=False
    )
    return ticket


def _tab_to(page: Page, text: str, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement && document.activeElement.textContent")
        if focused and focused.strip() == text:
            return
    pytest.fail(f"Tab never reached {text!r}", pytrace=False)


def test_an_agent_works_a_request_with_the_keyboard(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    ticket = busy_ticket(personas)
    login(page, live_server.url, personas.agent.email, PASSWORD)
    page.goto(f"{live_server.url}/en/agent/requests/{ticket.pk}/")
    body = page.locator("#reply_body")

    # "n": an internal note, focus in the box.
    page.keyboard.press("n")
    assert page.locator("#reply_kind_1").is_checked()
    assert page.evaluate("document.activeElement.id") == "reply_body"
    assert page.locator("[data-send-button]").inner_text() == "Add internal note"

    # "r" (from outside the box): back to a public reply; type it and send it.
    page.locator("h1").click()
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.id") == "reply_body"
    assert page.locator("#reply_kind_0").is_checked()
    page.keyboard.type("The brigade is on its way.")
    assert body.input_value() == "The brigade is on its way."
    _tab_to(page, "Send public reply")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.get_by_text("Your reply has been sent.").wait_for()
    assert Message.objects.filter(ticket=ticket, body="The brigade is on its way.").exists()

    # "a": assign to me.
    with page.expect_navigation():
        page.keyboard.press("a")
    page.get_by_text("The request is assigned to you.").wait_for()
    ticket.refresh_from_db()
    assert ticket.assignee == personas.agent

    # "s": the status, changed and saved from the keyboard.
    page.keyboard.press("s")
    assert page.evaluate("document.activeElement.id") == "id_status"
    page.locator("#id_status").select_option("pending")
    _tab_to(page, "Save changes")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    ticket.refresh_from_db()
    assert ticket.status == "pending"

    # The page fits a 320 px wide screen without sideways scrolling.
    page.set_viewport_size({"width": 320, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


def test_the_presence_line_names_another_viewer(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    ticket = make_ticket(personas.customer, "Shared request")  # no group: both agents see it
    login(page, live_server.url, personas.other_agent.email, PASSWORD)
    with page.expect_response(lambda response: "/presence" in response.url):
        page.goto(f"{live_server.url}/en/agent/requests/{ticket.pk}/")
    page.context.clear_cookies()
    login(page, live_server.url, personas.agent.email, PASSWORD)
    page.goto(f"{live_server.url}/en/agent/requests/{ticket.pk}/")
    page.locator("#presence").get_by_text("Also viewing: Kenji Billing").wait_for()


# The states of these pages in one language; every page type runs in all four in
# core/tests/test_browser_every_page.py.
@pytest.mark.parametrize("lang", ["ko"])
def test_request_page_and_settings_have_no_axe_violations(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas, lang: str
) -> None:
    ticket = busy_ticket(personas)
    login(page, live_server.url, personas.admin.email, PASSWORD, lang=lang)
    base = f"{live_server.url}/{lang}/agent"
    page.goto(f"{base}/requests/{ticket.pk}/")
    page.locator(".entry-note").wait_for()
    assert_no_axe_violations(page, f"{lang} request page with a note")

    # Someone writes while the admin types: the page warns instead of sending.
    page.locator("#reply_body").fill("Draft that waits")
    ticket_reply(ticket=ticket, author=personas.customer, body="Is anyone there?")
    with page.expect_navigation():
        page.locator("#reply-form button[type=submit]").click()
    page.locator("#collision-warning").wait_for()
    assert page.locator("#reply_body").input_value() == "Draft that waits"
    assert_no_axe_violations(page, f"{lang} request page with a collision warning")

    page.goto(f"{base}/requests/{ticket.pk}/")
    page.locator("#merge_target").fill("999999")
    with page.expect_navigation():
        page.locator("#merge_target").press("Enter")
    assert_no_axe_violations(page, f"{lang} request page with a merge error")

    target = make_ticket(personas.colleague, "Same printer", group=personas.support)
    page.locator("#merge_target").fill(str(target.pk))
    with page.expect_navigation():
        page.locator("#merge_target").press("Enter")
    page.get_by_role("button", name=f"#{target.pk}").wait_for()
    assert_no_axe_violations(page, f"{lang} merge confirmation")

    field = CustomField.objects.get(key="plan")
    pages = {
        "groups": f"{base}/manage/groups/",
        "group form": f"{base}/manage/groups/{personas.support.pk}",
        "custom fields": f"{base}/manage/fields/",
        "custom field form": f"{base}/manage/fields/{field.pk}",
        "request types": f"{base}/manage/types/",
        "request type form": f"{base}/manage/types/new",
    }
    for label, address in pages.items():
        response = page.goto(address)
        assert response is not None and response.status == 200, label
        assert_no_axe_violations(page, f"{lang} {label}")
    page.locator("main form.settings-form button[type=submit]").click()
    page.locator("#form-errors").wait_for()
    assert_no_axe_violations(page, f"{lang} request type form with errors")
