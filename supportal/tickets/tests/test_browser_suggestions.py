"""The request page's suggestions in a real browser: they load after the page, an article's
link goes into the reply with the keyboard, a duplicate's merge button, axe-core in every
language."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from supportal.browser_testing import assert_no_axe_violations, login
from supportal.semantic import index
from supportal.test import PASSWORD, Personas, make_ticket
from supportal.tickets.models import Status, Ticket
from supportal.tickets.services import ticket_reply
from supportal.tickets.tests.test_customer_fixtures import make_article

pytestmark = pytest.mark.browser

LANGUAGES = [code for code, _name in settings.LANGUAGES]


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    index.clear()
    yield
    index.clear()


def requests_with_suggestions(personas: Personas) -> tuple[Ticket, Ticket, Ticket]:
    """A request, a solved similar one and an open duplicate (vectors made on commit)."""
    make_article("Reset your password", "Choose Forgot password on the sign-in page.")
    ticket = make_ticket(
        personas.customer,
        "Cannot sign in",
        "The sign-in page says my password is wrong.",
        group=personas.support,
    )
    solved = make_ticket(
        personas.outsider,
        "Login fails",
        "My password is rejected every time I try to log in.",
        group=personas.support,
    )
    ticket_reply(
        ticket=solved,
        author=personas.agent,
        body="Reset it from the sign-in page.",
        status=Status.SOLVED,
    )
    again = make_ticket(
        personas.customer,
        "Login not working",
        "I type my password and it keeps saying it is incorrect.",
        group=personas.support,
    )
    return ticket, solved, again


# The states of these pages in one language; every page type runs in all four in
# core/tests/test_browser_every_page.py.
@pytest.mark.parametrize("lang", ["zh-hans"])
def test_the_suggestions_have_no_axe_violations(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas, lang: str
) -> None:
    ticket, solved, again = requests_with_suggestions(personas)
    login(page, live_server.url, personas.agent.email, PASSWORD, lang=lang)
    page.goto(f"{live_server.url}/{lang}/agent/requests/{ticket.pk}/")
    panels = page.locator("#suggestions")
    panels.locator("[data-insert-article]").wait_for()
    assert panels.locator(f'a[href="/{lang}/agent/requests/{solved.pk}/"]').count() == 1
    assert panels.locator(f'form[action^="/{lang}/agent/requests/{again.pk}/merge"]').count() == 1
    assert page.locator("#suggestions[aria-busy]").count() == 0
    assert_no_axe_violations(page, f"{lang} request page with suggestions")

    # The duplicate's merge button leads to the usual confirmation.
    with page.expect_navigation():
        panels.locator(f'form[action^="/{lang}/agent/requests/{again.pk}/merge"] button').click()
    page.get_by_role("button", name=f"#{ticket.pk}").wait_for()
    assert_no_axe_violations(page, f"{lang} merge confirmation from the suggestions")

    # Without JavaScript the panels are a page of their own.
    page.goto(f"{live_server.url}/{lang}/agent/requests/{ticket.pk}/suggestions")
    page.locator("#suggestions").wait_for()
    assert_no_axe_violations(page, f"{lang} suggestions page")


def test_an_agent_puts_an_article_into_the_reply_with_the_keyboard(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    ticket, _solved, _again = requests_with_suggestions(personas)
    login(page, live_server.url, personas.agent.email, PASSWORD)
    page.goto(f"{live_server.url}/en/agent/requests/{ticket.pk}/")
    button = page.locator("#suggestions [data-insert-article]")
    button.wait_for()
    url = button.get_attribute("data-url")
    assert url and "/en/help/articles/" in url
    page.locator("#reply_body").fill("Hello,")
    page.locator("#reply_body").focus()
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.hasAttribute('data-insert-article')"):
            break
    else:
        pytest.fail("Tab never reached the Insert link button", pytrace=False)
    page.keyboard.press("Enter")
    assert page.locator("#reply_body").input_value() == f"Hello,\nReset your password: {url}\n"
    page.locator("#suggestions [role=status]").get_by_text(
        "The link was added to your reply."
    ).wait_for()
    # The focus stays on the button: a second article can follow.
    assert page.evaluate("document.activeElement.hasAttribute('data-insert-article')")
    page.keyboard.press("Space")
    assert page.locator("#reply_body").input_value().count(url) == 2
