"""Rating in a real browser: with the keyboard on the request page, from the mailed link, and
axe-core on every satisfaction page in every language."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from supportal.browser_testing import assert_no_axe_violations, login
from supportal.satisfaction.models import Rating
from supportal.satisfaction.tests.helpers import (
    mails_to,
    path_of,
    rate,
    solved_ticket,
    survey_links,
)
from supportal.test import PASSWORD, Personas

pytestmark = pytest.mark.browser

LANGUAGES = [code for code, _name in settings.LANGUAGES]


def test_a_customer_rates_with_the_keyboard_then_from_the_mail(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    ticket = solved_ticket(personas)
    login(page, live_server.url, personas.customer.email, PASSWORD)
    page.goto(f"{live_server.url}/en/requests/{ticket.pk}/")
    good = page.get_by_role("radio", name="Good, I'm satisfied")
    good.focus()
    page.keyboard.press("ArrowDown")  # radios move and select with the arrow keys
    expect(page.get_by_role("radio", name="Bad, I'm unsatisfied")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Comment (optional)")).to_be_focused()
    page.keyboard.type("Slow first answer.")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Send rating")).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_text("Your current rating: Bad.")).to_be_visible()
    rating = Rating.objects.get()
    assert (rating.score, rating.comment) == ("bad", "Slow first answer.")

    # The link from the mail, signed out: GET shows the choice, the button records it.
    page.context.clear_cookies()
    link = path_of(survey_links(mails_to(personas.customer)[-1])["good"])
    page.goto(live_server.url + link)
    expect(page.get_by_role("radio", name="Good, I'm satisfied")).to_be_checked()
    assert Rating.objects.get().score == "bad"
    page.get_by_label("Comment (optional)").fill("Solved in the end, thank you.")
    with page.expect_navigation():
        page.get_by_role("button", name="Send rating").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your rating")
    assert Rating.objects.get().score == "good"


# The states of these pages in one language; every page type runs in all four in
# core/tests/test_browser_every_page.py.
@pytest.mark.parametrize("lang", ["ja"])
def test_the_satisfaction_pages_pass_axe(
    page: Page,
    live_server: LiveServer,
    transactional_db: None,
    personas: Personas,
    lang: str,
) -> None:
    ticket = solved_ticket(personas)
    link = path_of(survey_links(mails_to(personas.customer)[-1])["good"])
    link = link.replace("/en/", f"/{lang}/", 1)
    page.goto(live_server.url + link)
    assert_no_axe_violations(page, f"{lang} rating confirmation")
    with page.expect_navigation():
        page.locator("form.rating-form button[type=submit]").click()
    assert_no_axe_violations(page, f"{lang} thank-you page")
    response = page.goto(f"{live_server.url}/{lang}/requests/{ticket.pk}/rate/not-a-token")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_count(1)
    assert_no_axe_violations(page, f"{lang} a rating link that is not valid")

    other = solved_ticket(personas, subject="Second")
    login(page, live_server.url, personas.customer.email, PASSWORD, lang)
    page.goto(f"{live_server.url}/{lang}/requests/{other.pk}/")
    expect(page.locator("#rating")).to_be_visible()
    assert_no_axe_violations(page, f"{lang} request page with the rating form")
    with page.expect_navigation():
        page.locator("form.rating-form button[type=submit]").click()  # no choice: errors
    expect(page.locator("#id_score_error, #rating_score_error")).to_be_visible()
    assert_no_axe_violations(page, f"{lang} rating form with a problem")

    rate(other, "bad", "Too slow")
    page.context.clear_cookies()
    login(page, live_server.url, personas.agent.email, PASSWORD, lang)
    page.goto(f"{live_server.url}/{lang}/agent/satisfaction/")
    expect(page.locator(".rating-badge")).to_have_count(2)
    assert_no_axe_violations(page, f"{lang} satisfaction report")
    page.goto(f"{live_server.url}/{lang}/agent/requests/{ticket.pk}/")
    expect(page.locator("#satisfaction")).to_be_visible()
    assert_no_axe_violations(page, f"{lang} agent request page with the rating")
