"""The agent's tasks with the keyboard alone (issue 14): the inbox, a request, an article.

After `page.goto` and signing in, every step is a key press. After each htmx swap the focus must
be on an element with a focus ring, in or on the part that was swapped; after each form that
reloads the page, on the message that says what the form did.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from supportal.browser_testing import assert_focus_in, assert_focus_visible, login, tab_to
from supportal.helpcenter import services as helpcenter_services
from supportal.helpcenter.models import ArticleTranslation
from supportal.phone.models import Call
from supportal.test import PASSWORD, Personas, make_ticket
from supportal.tickets.models import CustomField, Group, Message
from supportal.tickets.services import ticket_reply

pytestmark = pytest.mark.browser


def assert_done(page: Page, text: str, where: str) -> None:
    """The page reloaded after a form: it says what happened, and the focus is on that message."""
    expect(page.locator("#messages")).to_contain_text(text)
    assert_focus_in(page, "#messages", where)


def choose(page: Page, label: str) -> None:
    """Picks the option labelled `label` in the focused <select> with the arrow keys."""
    labels, index = page.evaluate(
        "() => { const s = document.activeElement;"
        " return [[...s.options].map((o) => o.textContent.trim()), s.selectedIndex]; }"
    )
    steps = labels.index(label) - index
    for _n in range(abs(steps)):
        page.keyboard.press("ArrowDown" if steps > 0 else "ArrowUp")
    assert page.evaluate("document.activeElement.selectedOptions[0].textContent.trim()") == label


class AgentKeyboardTests:
    def test_it_changes_two_requests_from_the_inbox(
        self, page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
    ) -> None:
        first = make_ticket(personas.customer, "Printer jam", group=personas.support)
        make_ticket(personas.customer, "Toner low", group=personas.support)
        third = make_ticket(personas.customer, "Paper tray", group=personas.support)
        login(page, live_server.url, personas.agent.email, PASSWORD)
        page.goto(f"{live_server.url}/en/agent/views/open")
        rows = page.locator("[data-inbox-row]")
        expect(rows).to_have_count(3)

        # Space ticks each box; j/k are not needed to get there.
        for ticket in (first, third):
            tab_to(page, f"#select-{ticket.pk}")
            page.keyboard.press("Space")
            expect(page.locator(f"#select-{ticket.pk}")).to_be_checked()
        tab_to(page, "details.inbox-bulk summary", backwards=True)
        page.keyboard.press("Enter")
        tab_to(page, "#id_status")
        choose(page, "Pending")
        page.keyboard.press("Tab")
        assert_focus_visible(page, "Tab from the status")
        assert page.evaluate("document.activeElement.textContent") == "Set status"
        with page.expect_navigation():
            page.keyboard.press("Enter")

        assert_done(page, "2 requests changed.", "after the bulk change")
        # "Open" lists open and pending requests: the two are there with their new status.
        for ticket, status in ((first, "Pending"), (third, "Pending")):
            row = rows.filter(has_text=ticket.subject)
            expect(row.locator(".status")).to_have_text(status)
        expect(rows.filter(has_text="Toner low").locator(".status")).to_have_text("New")
        # The next Tab goes on into the page, not back to the header.
        page.keyboard.press("Tab")
        assert_focus_in(page, "main", "first Tab after the bulk change")

    def test_it_works_a_request(
        self, page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
    ) -> None:
        CustomField.objects.create(
            key="plan",
            labels={"en": "Plan"},
            kind=CustomField.Kind.DROPDOWN,
            choices=[{"value": "pro", "labels": {"en": "Professional"}}],
        )
        escalations = Group.objects.create(name="Escalations")
        escalations.members.add(personas.agent)
        ticket = make_ticket(personas.customer, "Printer on fire", group=personas.support)
        target = make_ticket(personas.customer, "Smoke in the office", group=personas.support)
        ticket_reply(ticket=ticket, author=personas.customer, body="It is still burning.")
        login(page, live_server.url, personas.agent.email, PASSWORD)
        page.goto(f"{live_server.url}/en/agent/requests/{ticket.pk}/")
        conversation = page.locator("#conversation")

        # A public reply: "r" puts the focus in the box.
        page.keyboard.press("r")
        page.keyboard.type("The brigade is on its way.")
        tab_to(page, "#reply-form [data-send-button]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert_done(page, "Your reply has been sent.", "after the reply")
        expect(conversation.locator(".entry-public").last).to_contain_text("on its way")

        # An internal note: "n".
        page.keyboard.press("n")
        page.keyboard.type("Call the facilities team.")
        tab_to(page, "#reply-form [data-send-button]")
        assert page.evaluate("document.activeElement.textContent") == "Add internal note"
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert_done(page, "Your note has been added.", "after the note")
        expect(conversation.locator(".entry-note").last).to_contain_text("facilities team")
        assert Message.objects.filter(ticket=ticket, public=False).count() == 1

        # The fields: "s" goes to the status, Tab to the others.
        page.keyboard.press("s")
        choose(page, "Pending")
        tab_to(page, "#id_group")
        choose(page, "Escalations")
        tab_to(page, "#id_assignee")
        choose(page, "Jiwoo Agent")
        tab_to(page, "#id_cf_plan")
        choose(page, "Professional")
        tab_to(page, "form.fields-form button[type=submit]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert_done(page, "The request has been updated.", "after saving the fields")
        expect(page.locator(".ticket-meta .status-badge")).to_have_text("Pending")
        expect(page.locator("#id_group option:checked")).to_have_text("Escalations")
        expect(page.locator("#id_assignee option:checked")).to_have_text("Jiwoo Agent")
        expect(page.locator("#id_cf_plan option:checked")).to_have_text("Professional")
        expect(page.locator(".assigned-to-you")).to_be_visible()

        # Log a call (htmx): a mistake first, then the call.
        tab_to(page, "#call-log summary")
        page.keyboard.press("Enter")
        tab_to(page, "form.call-form button[type=submit]")
        with page.expect_response(lambda response: "/call" in response.url):
            page.keyboard.press("Enter")
        expect(page.locator("#call-log #form-errors")).to_be_visible()
        assert_focus_in(page, "#call-log", "after the call form came back with errors")
        tab_to(page, "#call_number")
        page.keyboard.type("+82 2 555 0100")
        page.keyboard.press("Tab")
        page.keyboard.type("3:25")
        tab_to(page, "form.call-form button[type=submit]")
        with page.expect_response(lambda response: "/call" in response.url):
            page.keyboard.press("Enter")
        expect(page.locator("#call-log").get_by_role("status")).to_have_text(
            "The call has been logged."
        )
        assert_focus_in(page, "#call-log", "after the call was logged")
        expect(conversation.locator(".entry-call")).to_have_count(1)
        expect(conversation.locator(".entry-call h3")).to_have_text("Outbound call")
        assert Call.objects.filter(ticket=ticket, duration=205).count() == 1

        # Merge into another request: review, then confirm.
        tab_to(page, "#merge_target")
        page.keyboard.type(str(target.pk))
        with page.expect_navigation():
            page.keyboard.press("Enter")
        tab_to(page, "main form.actions button[type=submit]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert_done(
            page, f"Request #{ticket.pk} has been merged into this request.", "after the merge"
        )
        expect(page.locator("h1")).to_contain_text(target.subject)
        ticket.refresh_from_db()
        assert ticket.merged_into_id == target.pk
        expect(page.locator("#conversation")).to_contain_text("on its way")

    def test_it_writes_and_publishes_an_article(
        self, page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
    ) -> None:
        category = helpcenter_services.category_create(names={"en": "Printing"})
        helpcenter_services.section_create(category=category, names={"en": "Printers"})
        login(page, live_server.url, personas.agent.email, PASSWORD)
        page.goto(f"{live_server.url}/en/agent/help/")

        tab_to(page, "main a[href$='/agent/help/articles/new/']")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        tab_to(page, "#id_title")
        page.keyboard.type("Put out a printer fire")
        tab_to(page, "main form button[type=submit]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert_done(page, "The article has been created as a draft.", "after creating it")

        tab_to(page, "#id_body")
        page.keyboard.type("Unplug the printer.")
        # The live preview is an htmx swap beside the box: the focus stays where it is typed.
        expect(page.locator("#preview")).to_contain_text("Unplug the printer.")
        assert_focus_in(page, "#id_body", "after the preview was swapped in")
        tab_to(page, "#id_status")
        choose(page, "Published")
        tab_to(page, "#translation-form button[value=save]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert_done(page, "The translation has been saved.", "after publishing")

        translation = ArticleTranslation.objects.get(title="Put out a printer fire")
        assert translation.status == ArticleTranslation.Status.PUBLISHED
        page.goto(f"{live_server.url}/en/help/articles/{translation.article_id}/")
        expect(page.locator("h1")).to_have_text("Put out a printer fire")
        expect(page.locator("main")).to_contain_text("Unplug the printer.")
