"""The customer's tasks with the keyboard alone (issue 14).

After `page.goto` and signing in, every step is a key press. After each htmx swap the focus must
be on an element with a focus ring, in or on the part that was swapped; after each form that
reloads the page, the next Tab must continue from the result (the new reply, the CC list), not
from the top of the page.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from pytest_django.live_server_helper import LiveServer

from supportal.browser_testing import assert_focus_in, login, tab_to
from supportal.helpcenter.models import ArticleVote
from supportal.helpcenter.tests.test_pages_fixtures import BODY_WITH_TOC
from supportal.test import PASSWORD, Personas, make_ticket
from supportal.tickets import services
from supportal.tickets.models import Ticket
from supportal.tickets.tests.test_customer_fixtures import PNG, make_article

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _media(settings: pytest.FixtureRequest, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]


def press_and_wait_for_swap(page: Page, key: str) -> None:
    """Presses `key`, which sends an htmx request, and waits until its answer is swapped in."""
    page.evaluate(
        "() => { window.swapSettled = false; document.body.addEventListener("
        "'htmx:afterSettle', () => { window.swapSettled = true; }, { once: true }); }"
    )
    with page.expect_response(lambda r: r.request.headers.get("hx-request") == "true") as sent:
        page.keyboard.press(key)
    try:
        page.wait_for_function("() => window.swapSettled === true", timeout=5000)
    except PlaywrightTimeoutError:
        answer = sent.value
        message = f"The {answer.status} answer to {answer.url} was never swapped in"
        pytest.fail(message, pytrace=False)


class HelpCenterKeyboardTests:
    def test_it_goes_from_a_search_to_reading_and_voting_with_a_comment(
        self, page: Page, live_server: LiveServer, transactional_db: None
    ) -> None:
        article = make_article("Reset your password", BODY_WITH_TOC)
        page.goto(f"{live_server.url}/en/help/")
        tab_to(page, "#hc-search")
        page.keyboard.type("reset pass", delay=20)
        option = page.locator("#hc-search-listbox [role=option]", has_text="Reset your password")
        expect(option).to_be_visible()
        # The suggestions were swapped in beside the box; the focus stayed in the box.
        assert_focus_in(page, "#hc-search", "after the suggestions were swapped in")
        page.keyboard.press("ArrowDown")
        expect(option).to_have_attribute("aria-selected", "true")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url.endswith(f"/en/help/articles/{article.pk}/")
        expect(page.locator("h1")).to_have_text("Reset your password")
        # Reading: the skip link comes first and leads into the article.
        page.keyboard.press("Tab")
        assert_focus_in(page, ".skip-link", "first Tab on the article")
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        assert_focus_in(page, ".hc-toc", "first Tab after the skip link")
        page.keyboard.press("Enter")
        assert page.url.endswith("#first-step")
        expect(page.locator("#first-step")).to_be_in_viewport()

        # Voting: No, then a comment; each answer replaces the feedback box.
        tab_to(page, "#article-feedback button[value=no]")
        press_and_wait_for_swap(page, "Enter")
        feedback = page.locator("#article-feedback")
        expect(feedback.locator("h2")).to_have_text("Thank you. How could we improve this article?")
        assert_focus_in(page, "#article-feedback", "after voting No")
        tab_to(page, "#article-feedback textarea")
        page.keyboard.type("Say where the sign-in page is.")
        tab_to(page, "#article-feedback button[type=submit]")
        press_and_wait_for_swap(page, "Enter")
        expect(feedback.locator("h2")).to_have_text("Thank you for your feedback.")
        assert_focus_in(page, "#article-feedback", "after sending the comment")
        vote = ArticleVote.objects.get()
        assert (vote.helpful, vote.comment) == (False, "Say where the sign-in page is.")

    def test_it_votes_yes_from_the_keyboard(
        self, page: Page, live_server: LiveServer, transactional_db: None
    ) -> None:
        article = make_article("Change your language", "Choose it in your profile.")
        page.goto(f"{live_server.url}/en/help/articles/{article.pk}/")
        tab_to(page, "#article-feedback button[value=yes]")
        press_and_wait_for_swap(page, "Enter")
        expect(page.locator("#article-feedback h2")).to_have_text("Thank you for your feedback.")
        assert_focus_in(page, "#article-feedback", "after voting Yes")
        assert ArticleVote.objects.get().helpful is True

    def test_it_shows_an_expired_feedback_link_in_the_box(
        self, page: Page, live_server: LiveServer, transactional_db: None
    ) -> None:
        article = make_article("Change your language", "Choose it in your profile.")
        page.goto(f"{live_server.url}/en/help/articles/{article.pk}/")
        tab_to(page, "#article-feedback button[value=no]")
        press_and_wait_for_swap(page, "Enter")
        tab_to(page, "#article-feedback textarea")
        page.keyboard.type("Too short.")
        ArticleVote.objects.all().delete()  # as if the link in the form had expired
        tab_to(page, "#article-feedback button[type=submit]")
        press_and_wait_for_swap(page, "Enter")
        expect(page.locator("#article-feedback")).to_contain_text(
            "This feedback link has expired. Please vote again."
        )
        assert_focus_in(page, "#article-feedback", "after the comment was refused")


class RequestKeyboardTests:
    def test_it_submits_a_request_with_a_file(
        self, page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
    ) -> None:
        make_article("Reset your password")
        # Playwright turns on the interception of file choosers when the first listener is added,
        # without waiting; added just before the key press, it can lose the race with the press.
        page.on("filechooser", lambda _chooser: None)
        login(page, live_server.url, personas.customer.email, PASSWORD)
        page.goto(f"{live_server.url}/en/requests/new")
        tab_to(page, "#id_subject")
        page.keyboard.type("reset my passw", delay=20)
        expect(page.locator("#request-suggestions a").first).to_be_visible()
        # The suggestions were swapped in below the field; the focus stayed in the field.
        assert_focus_in(page, "#id_subject", "after the suggestions were swapped in")
        tab_to(page, "#id_description")
        page.keyboard.type("The reset email never arrives.")
        tab_to(page, "#id_attachments")
        with page.expect_file_chooser() as chooser:
            page.keyboard.press("Space")
        chooser.value.set_files({"name": "screenshot.png", "mimeType": "image/png", "buffer": PNG})
        assert_focus_in(page, "#id_attachments", "after choosing a file")
        tab_to(page, "form.request-form button[type=submit]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        ticket = Ticket.objects.get()
        assert page.url.endswith(f"/en/requests/{ticket.pk}/")
        expect(page.locator("h1")).to_have_text(f"#{ticket.pk} reset my passw")
        expect(page.get_by_role("status")).to_contain_text(
            f"Your request #{ticket.pk} has been received."
        )
        expect(page.locator("#latest").get_by_role("link", name="screenshot.png")).to_be_visible()

    def test_it_solves_rates_reopens_replies_and_manages_the_cc(
        self, page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, "Invoice is wrong", "The total is off by one.")
        services.ticket_reply(ticket=ticket, author=personas.agent, body="Fixed, I think.")
        login(page, live_server.url, personas.customer.email, PASSWORD)
        page.goto(f"{live_server.url}/en/requests/{ticket.pk}/")

        # Mark as solved, then rate the support.
        tab_to(page, "form.request-state button[type=submit]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_contain_text("The request is marked as solved.")
        expect(page.locator(".request-status")).to_have_text("Solved")
        tab_to(page, "#rating_score_0")
        page.keyboard.press("Space")
        tab_to(page, "#rating button[type=submit]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_contain_text("Thank you for your rating.")
        expect(page.locator("#rating")).to_contain_text("Your current rating: Good.")
        page.keyboard.press("Tab")
        assert_focus_in(page, "#rating", "first Tab after rating")

        # Reopen, going back up from the rating.
        tab_to(page, "form.request-state button[type=submit]", backwards=True)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_contain_text("The request is open again.")
        expect(page.locator(".request-status")).to_have_text("Open")

        # Reply.
        tab_to(page, "#reply_body")
        page.keyboard.type("It is still off by one.")
        tab_to(page, "#reply button[type=submit]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_contain_text("Your reply has been added.")
        expect(page.locator("#latest")).to_contain_text("It is still off by one.")
        page.keyboard.press("Tab")
        assert_focus_in(page, "#reply", "first Tab after replying")

        # Add someone in CC, then remove them.
        tab_to(page, "#cc_email")
        page.keyboard.type("robin@acme.test")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_contain_text("robin@acme.test is now in CC")
        cc_list = page.locator("#cc .cc-list")
        expect(cc_list).to_contain_text("robin@acme.test")
        page.keyboard.press("Tab")
        assert_focus_in(page, "#cc .cc-list button", "first Tab after adding to CC")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_contain_text("robin@acme.test is no longer in CC.")
        expect(page.locator("#cc")).to_contain_text("No one is in CC.")
        page.keyboard.press("Tab")
        assert_focus_in(page, "#cc_email", "first Tab after removing from CC")
        assert list(ticket.cc_rows.values_list("user__email", flat=True)) == []
