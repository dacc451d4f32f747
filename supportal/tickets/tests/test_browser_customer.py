"""The customer request pages in a real browser: deflection, replying with a file, axe."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from supportal.browser_testing import assert_no_axe_violations, login
from supportal.test import PASSWORD, Personas, make_ticket
from supportal.tickets import services
from supportal.tickets.models import Deflection, Ticket
from supportal.tickets.tests.test_customer_fixtures import PNG, make_article, upload

pytestmark = pytest.mark.browser

LANGUAGES = [code for code, _name in settings.LANGUAGES]


@pytest.fixture(autouse=True)
def _media(settings: pytest.FixtureRequest, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]


def test_a_customer_opens_a_suggested_article_then_submits_the_request(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    article = make_article("Reset your password", "Choose Forgot password on the sign-in page.")
    login(page, live_server.url, personas.customer.email, PASSWORD)
    page.goto(f"{live_server.url}/en/requests/new")
    page.get_by_label("Subject").press_sequentially("reset my passw", delay=20)
    suggestion = page.locator("#request-suggestions a", has_text="Reset your password")
    suggestion.wait_for()
    assert "opens in a new tab" in suggestion.inner_text()
    with page.expect_popup() as opened:
        suggestion.click()
    article_page = opened.value
    article_page.wait_for_load_state()
    assert article_page.url.endswith(f"/en/help/articles/{article.pk}/")
    assert article_page.locator("h1").inner_text() == "Reset your password"
    article_page.close()
    assert Deflection.objects.get().submitted is False
    page.get_by_label("Description").fill("The reset email never arrives.")
    with page.expect_navigation():
        page.get_by_role("button", name="Submit request").click()
    ticket = Ticket.objects.get()
    assert page.url.endswith(f"/en/requests/{ticket.pk}/")
    assert page.locator("h1").inner_text() == f"#{ticket.pk} reset my passw"
    assert page.get_by_text("The reset email never arrives.").is_visible()
    assert Deflection.objects.get().submitted is True


def test_a_customer_replies_with_an_attachment(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    ticket = make_ticket(personas.customer, "Invoice is wrong", "The total is off by one.")
    login(page, live_server.url, personas.customer.email, PASSWORD)
    page.goto(f"{live_server.url}/en/requests/{ticket.pk}/")
    page.get_by_label("Your reply").fill("Here is a screenshot.")
    page.locator("#reply_attachments").set_input_files(
        [
            {"name": "screenshot.png", "mimeType": "image/png", "buffer": PNG},
            {"name": "invoice.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 tiny"},
        ]
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Send reply").click()
    latest = page.locator("#latest")
    assert "Here is a screenshot." in latest.inner_text()
    assert latest.get_by_role("link", name="invoice.pdf").is_visible()
    image = latest.locator("img")
    assert image.evaluate("img => img.complete && img.naturalWidth >= 0")
    assert page.get_by_text("Your reply has been added.").is_visible()


def test_a_too_large_file_is_refused_before_upload(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    ticket = make_ticket(personas.customer)
    login(page, live_server.url, personas.customer.email, PASSWORD)
    page.goto(f"{live_server.url}/en/requests/{ticket.pk}/")
    page.get_by_label("Your reply").fill("A big file.")
    big = b"x" * (settings.ATTACHMENT_MAX_MB * 1024 * 1024 + 1)
    files = page.locator("#reply_attachments")
    files.set_input_files([{"name": "huge.log", "mimeType": "text/plain", "buffer": big}])
    problem = page.locator("#reply_attachments_checks")
    assert f"“huge.log” is larger than {settings.ATTACHMENT_MAX_MB} MB." in problem.inner_text()
    page.get_by_role("button", name="Send reply").click()
    assert page.evaluate("document.activeElement.id") == "reply_attachments"
    assert page.url.endswith(f"/en/requests/{ticket.pk}/")
    assert ticket.messages.count() == 1


def _fits(page: Page, width: int = 320) -> bool:
    page.set_viewport_size({"width": width, "height": 800})
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 1280, "height": 800})
    return bool(fits)


# The states of these pages in one language; every page type runs in all four in
# core/tests/test_browser_every_page.py.
@pytest.mark.parametrize("lang", ["zh-hans"])
def test_customer_request_pages_have_no_axe_violations(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas, lang: str
) -> None:
    make_article("Reset your password", locales=tuple({"en", lang}))
    base = f"{live_server.url}/{lang}/requests"
    # A visitor: the form, the form with errors, the confirmation, the emailed link's pages.
    page.goto(f"{base}/new")
    assert_no_axe_violations(page, f"{lang} new request form")
    assert _fits(page), f"{lang} new request form is wider than 320 px"
    with page.expect_navigation():
        page.locator("form.request-form button[type=submit]").click()
    assert page.locator("#form-errors").is_visible()
    assert_no_axe_violations(page, f"{lang} new request form with errors")
    page.locator("#id_email").fill("robin@example.test")
    page.locator("#id_subject").press_sequentially("reset password", delay=20)
    page.locator("#request-suggestions a").first.wait_for()
    assert_no_axe_violations(page, f"{lang} new request form with suggestions")
    page.locator("#id_description").fill("I cannot sign in.")
    with page.expect_navigation():
        page.locator("form.request-form button[type=submit]").click()
    assert page.locator("h1").count() == 1
    assert_no_axe_violations(page, f"{lang} check your email")
    page.goto(f"{base}/access/not-a-real-token")
    assert_no_axe_violations(page, f"{lang} open your request")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert_no_axe_violations(page, f"{lang} link problem")
    assert _fits(page), f"{lang} link problem page is wider than 320 px"
    # A customer: My requests and a request page with a reply, files and a person in CC.
    ticket = make_ticket(
        personas.customer,
        "Printer on fire",
        "Smoke everywhere.\nPlease help.",
        attachments=[upload("photo.png", PNG), upload("log.txt")],
    )
    services.ticket_reply(ticket=ticket, author=personas.agent, body="On our way.")
    services.ticket_add_cc(ticket=ticket, actor=personas.customer, email="minseo@acme.test")
    make_ticket(personas.colleague, "Colleague's request")
    login(page, live_server.url, personas.customer.email, PASSWORD, lang=lang)
    page.goto(f"{base}/")
    assert_no_axe_violations(page, f"{lang} my requests")
    assert _fits(page), f"{lang} my requests is wider than 320 px"
    page.goto(f"{base}/?scope=organization&q=zebra")
    assert_no_axe_violations(page, f"{lang} my requests, nothing found")
    page.goto(f"{base}/{ticket.pk}/")
    assert_no_axe_violations(page, f"{lang} request page")
    assert _fits(page), f"{lang} request page is wider than 320 px"
    with page.expect_navigation():
        page.locator("form.cc-add button[type=submit]").click()
    assert page.locator("#form-errors").is_visible()
    assert_no_axe_violations(page, f"{lang} request page with an error")
