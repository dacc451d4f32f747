"""Macros in a real browser: applied from the keyboard on a request, and axe-core on every page."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from supportal.automation.models import Macro
from supportal.automation.tests.fixtures import make_article, make_macro
from supportal.browser_testing import assert_no_axe_violations, login
from supportal.test import PASSWORD, Personas, make_ticket
from supportal.tickets.models import CustomField, Message, Status

pytestmark = pytest.mark.browser

LANGUAGES = [code for code, _name in settings.LANGUAGES]


def _tab_to(page: Page, text: str, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement && document.activeElement.textContent")
        if focused and focused.strip() == text:
            return
    pytest.fail(f"Tab never reached {text!r}", pytrace=False)


def test_an_agent_previews_edits_and_applies_a_macro_with_the_keyboard(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    ticket = make_ticket(personas.customer, "Locked out", group=personas.support)
    make_macro(personas.agent, "Greeting", texts={"en": "Hi!"})
    macro = make_macro(
        personas.admin,
        "Password reset",
        shared=True,
        texts={"en": "Hello {{requester.first_name}}, here is how."},
        changes={"status": "pending", "add_tags": ["password"]},
    )
    Macro.objects.filter(pk=macro.pk).update(usage_count=3)  # listed first
    login(page, live_server.url, personas.agent.email, PASSWORD)
    page.goto(f"{live_server.url}/en/agent/requests/{ticket.pk}/")

    # "m" focuses the macro picker; the most used macro comes first.
    page.keyboard.press("m")
    assert page.evaluate("document.activeElement.id") == "macro-choice"
    assert page.locator("#macro-choice").input_value() == str(macro.pk)
    page.keyboard.press("Tab")
    with page.expect_response(lambda response: "/macro?" in response.url):
        page.keyboard.press("Enter")
    preview = page.locator("#macro-preview-content")
    preview.wait_for()
    assert page.url.endswith(f"/requests/{ticket.pk}/")  # htmx: still on the request page
    # Arrows and signs for the eye, words for screen readers.
    changes = " ".join(preview.locator(".macro-changes").inner_text().split())
    assert changes == "Status: New → to Pending Tags: + add password"
    # The text is filled in, focused and editable.
    body = page.locator("#macro_body")
    expect(body).to_be_focused()
    assert body.input_value() == "Hello Casey, here is how."
    page.keyboard.press("Control+End")
    page.keyboard.type(" Write back if it does not work.")
    assert Message.objects.filter(ticket=ticket).count() == 1  # nothing sent by the preview
    _tab_to(page, "Apply")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.get_by_text("The macro “Password reset” has been applied.").wait_for()
    page.get_by_text("Hello Casey, here is how. Write back if it does not work.").wait_for()
    assert page.locator(".ticket-meta .status-badge").inner_text() == "Pending"
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    macro.refresh_from_db()
    assert macro.usage_count == 4


# The states of these pages in one language; every page type runs in all four in
# core/tests/test_browser_every_page.py.
@pytest.mark.parametrize("lang", ["zh-hans"])
def test_macro_pages_have_no_axe_violations(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas, lang: str
) -> None:
    CustomField.objects.create(
        key="plan",
        labels={"en": "Plan", "ko": "요금제"},
        kind=CustomField.Kind.DROPDOWN,
        choices=[{"value": "pro", "labels": {"en": "Professional"}}],
    )
    CustomField.objects.create(key="renewal", labels={"en": "Renewal"}, kind="date")
    article = make_article()
    macro = make_macro(
        personas.admin,
        "Password reset",
        shared=True,
        group=personas.support,
        texts={lang: f"{{{{requester.name}}}} {{{{article:{article.pk}}}}}"},
        changes={"status": "pending", "add_tags": ["password"], "fields": {"plan": "pro"}},
    )
    make_macro(personas.admin, "Personal note", public=False, active=False)
    ticket = make_ticket(personas.customer, "Locked out", group=personas.support)
    login(page, live_server.url, personas.admin.email, PASSWORD, lang=lang)
    base = f"{live_server.url}/{lang}/agent"
    pages = {
        "macro list": f"{base}/manage/macros/",
        "macro form": f"{base}/manage/macros/{macro.pk}",
        "macro delete confirmation": f"{base}/manage/macros/{macro.pk}/delete",
        "macro preview page": f"{base}/requests/{ticket.pk}/macro?macro={macro.pk}",
    }
    for label, address in pages.items():
        response = page.goto(address)
        assert response is not None and response.status == 200, label
        assert_no_axe_violations(page, f"{lang} {label}")

    page.goto(f"{base}/manage/macros/new")
    page.locator(f"#id_text_{lang}").fill("{{requester.nmae}}")
    page.locator("#id_title").fill("Broken")
    with page.expect_navigation():
        page.locator("main form.macro-form button[type=submit]").click()
    page.locator("#form-errors").wait_for()
    assert "{{requester.nmae}}" in page.locator(".errorlist").first.inner_text()
    assert_no_axe_violations(page, f"{lang} macro form with errors")

    page.goto(f"{base}/requests/{ticket.pk}/")
    with page.expect_response(lambda response: "/macro?" in response.url):
        page.locator(".macro-picker-form button[type=submit]").click()
    page.locator("#macro-preview-content").wait_for()
    assert_no_axe_violations(page, f"{lang} request page with a macro preview")
