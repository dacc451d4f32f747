"""An HTML email in the conversation, in a real browser: readable, quote folded, axe-clean."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from supportal.browser_testing import assert_no_axe_violations, login
from supportal.mail.tests.factories import email, ingest, make_mailbox
from supportal.test import PASSWORD, Personas
from supportal.tickets.models import Ticket

pytestmark = pytest.mark.browser

LANGUAGES = [code for code, _name in settings.LANGUAGES]

HTML = (
    "<p>Hello,</p><p>the <b>printer in room 4</b> is on fire:</p>"
    "<ul><li>smoke</li><li>a smell of toner</li></ul>"
    '<p>Photo: <img src="https://tracker.example/pixel.gif" alt="tracking"></p>'
    '<div class="gmail_quote"><div class="gmail_attr">On Mon, 30 Nov 2026 at 10:00, Support '
    "&lt;help@support.test&gt; wrote:</div><blockquote>Have you tried turning it off?"
    "</blockquote></div>"
)
TEXT = (
    "Hello,\n\nthe printer in room 4 is on fire:\n\n- smoke\n- a smell of toner\n\n"
    "On Mon, 30 Nov 2026 at 10:00, Support <help@support.test> wrote:\n"
    "> Have you tried turning it off?\n"
)


def html_request(personas: Personas) -> Ticket:
    row = ingest(email(body=TEXT, html=HTML), make_mailbox(group=personas.support))
    return Ticket.objects.get(pk=row.ticket_id)


def test_an_agent_reads_an_html_email_and_unfolds_the_quote(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    ticket = html_request(personas)
    login(page, live_server.url, personas.agent.email, PASSWORD)
    page.goto(f"{live_server.url}/en/agent/requests/{ticket.pk}/")
    entry = page.locator(".email-html").first
    assert entry.locator("b").inner_text() == "printer in room 4"
    assert entry.locator("li").all_inner_texts() == ["smoke", "a smell of toner"]
    assert entry.locator("img").count() == 0
    page.get_by_text("Images from other websites were not loaded").wait_for()
    quoted = page.get_by_text("Have you tried turning it off?")
    assert not quoted.is_visible()
    summary = page.locator(".email-quoted summary")
    summary.focus()
    page.keyboard.press("Enter")
    quoted.wait_for(state="visible")


# The states of these pages in one language; every page type runs in all four in
# core/tests/test_browser_every_page.py.
@pytest.mark.parametrize("lang", ["ko"])
def test_email_conversations_have_no_axe_violations(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas, lang: str
) -> None:
    ticket = html_request(personas)
    login(page, live_server.url, personas.agent.email, PASSWORD, lang=lang)
    page.goto(f"{live_server.url}/{lang}/agent/requests/{ticket.pk}/")
    page.locator(".email-quoted summary").click()
    assert_no_axe_violations(page, f"{lang} agent request page with an HTML email")
    page.context.clear_cookies()
    login(page, live_server.url, personas.customer.email, PASSWORD, lang=lang)
    page.goto(f"{live_server.url}/{lang}/requests/{ticket.pk}/")
    page.locator(".email-html").first.wait_for()
    assert_no_axe_violations(page, f"{lang} customer request page with an HTML email")
