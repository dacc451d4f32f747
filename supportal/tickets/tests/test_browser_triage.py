"""Triage suggestions on the request page and the content gaps page in a real browser:
applying a suggestion, and axe-core in every language."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from supportal.browser_testing import assert_no_axe_violations, login
from supportal.helpcenter import gaps
from supportal.helpcenter.models import SearchLog
from supportal.semantic import index
from supportal.test import PASSWORD, Personas
from supportal.tickets.models import Ticket
from supportal.tickets.tests.test_customer_fixtures import make_article
from supportal.tickets.tests.test_triage import make_solved, new_billing_request

pytestmark = pytest.mark.browser

LANGUAGES = [code for code, _name in settings.LANGUAGES]


@pytest.fixture(autouse=True)
def _fresh() -> None:
    index.clear()


# The states of these pages in one language; every page type runs in all four in
# core/tests/test_browser_every_page.py.
@pytest.mark.parametrize("lang", ["en"])
def test_triage_panel_and_content_gaps_have_no_axe_violations(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas, lang: str
) -> None:
    types = make_solved(personas)
    ticket = new_billing_request(personas)
    login(page, live_server.url, personas.admin.email, PASSWORD, lang=lang)
    page.goto(f"{live_server.url}/{lang}/agent/requests/{ticket.pk}/")
    panel = page.locator("section[aria-labelledby=triage-title]")
    panel.locator("li").first.wait_for()
    assert "%" in panel.inner_text()
    assert_no_axe_violations(page, f"{lang} request page with triage suggestions")
    with page.expect_navigation():
        panel.locator("button").first.click()
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.type_id == types["billing"].pk
    assert_no_axe_violations(page, f"{lang} request page after applying a suggestion")

    make_article("Reset your password", "Open the sign-in page and choose Forgot password.")
    for query in ("Export invoices to Excel", "Can I bring my dog to the office?"):
        SearchLog.objects.create(query=query, locale="en", results=0)
    gaps.refresh()
    page.goto(f"{live_server.url}/{lang}/agent/help/gaps/")
    page.get_by_text("Export invoices to Excel").first.wait_for()
    assert_no_axe_violations(page, f"{lang} content gaps")
