"""The audit log and a person's page in a real browser: axe in every language, with filters,
changes shown as old → new, and a refused change."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from supportal.audit.services import audit_record
from supportal.browser_testing import assert_no_axe_violations, login
from supportal.test import PASSWORD, Personas

pytestmark = pytest.mark.browser

LANGUAGES = [code for code, _name in settings.LANGUAGES]


# The states of these pages in one language; every page type runs in all four in
# core/tests/test_browser_every_page.py.
@pytest.mark.parametrize("lang", ["ko"])
def test_audit_and_people_pages_have_no_axe_violations(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas, lang: str
) -> None:
    audit_record(
        action="mailbox.change",
        actor=personas.admin,
        target=personas.support,
        before={"name": "Old", "active": True},
        after={"name": "New", "active": False},
        note="imap_password changed",
    )
    login(page, live_server.url, personas.admin.email, PASSWORD, lang=lang)
    base = f"{live_server.url}/{lang}/agent/manage"
    pages = {
        "audit log": f"{base}/audit/",
        "filtered audit log": f"{base}/audit/?action=mailbox.change&actor=alex",
        "audit log with a bad filter": f"{base}/audit/?date_from=2026-05-02&date_to=2026-05-01",
        "people": f"{base}/people/",
        "people search": f"{base}/people/?q=acme&role=customer",
        "person": f"{base}/people/{personas.agent.pk}/",
    }
    for label, address in pages.items():
        response = page.goto(address)
        assert response is not None and response.status == 200, label
        assert_no_axe_violations(page, f"{lang} {label}")

    # Taking away one's own admin role is refused, with the error announced.
    page.goto(f"{base}/people/{personas.admin.pk}/")
    page.locator("#id_role").select_option("agent")
    page.locator("main form[method=post] button[type=submit]").first.click()
    page.wait_for_load_state()
    expect(page.locator("#form-errors")).to_be_visible()
    assert_no_axe_violations(page, f"{lang} person with an error")


def test_an_admin_changes_a_role_and_finds_it_in_the_log(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    login(page, live_server.url, personas.admin.email, PASSWORD)
    page.goto(f"{live_server.url}/en/agent/manage/people/")
    page.get_by_label("Name, email or phone").fill("casey")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Casey Customer").click()
    page.get_by_label("Role", exact=True).select_option("agent")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("The changes have been saved.")).to_be_visible()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="Audit log").click()
    row = page.locator("tbody tr").filter(has_text="Account changed").first
    expect(row).to_contain_text("alex@support.test")
    expect(row).to_contain_text("Casey Customer")
    expect(row.locator("del")).to_contain_text("Customer")
    expect(row.locator("ins").first).to_contain_text("Agent")
