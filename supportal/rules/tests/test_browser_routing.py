"""Routing settings and the availability switch in a real browser: keyboard and axe."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from supportal.browser_testing import assert_no_axe_violations, login
from supportal.rules import routing_services
from supportal.rules.models import AgentStatus, Availability, RoutingRule
from supportal.test import PASSWORD, Personas

pytestmark = pytest.mark.browser

LANGUAGES = [code for code, _name in settings.LANGUAGES]


def focused(page: Page) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.textContent : ''")


def test_an_admin_makes_and_reorders_rules_with_the_keyboard(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    routing_services.routing_rule_save(rule=None, name="Everything", group=personas.support)
    login(page, live_server.url, personas.admin.email, PASSWORD)
    page.goto(f"{live_server.url}/en/agent/manage/rules/routing/new")
    page.get_by_label("Name").fill("Invoices")
    page.get_by_label("Put new requests in this group").select_option(label="Billing")
    page.get_by_label("Words in the subject or message").fill("invoice, refund")
    page.get_by_label("Words in the subject or message").press("Enter")
    expect(page.get_by_text("The routing rule has been saved.")).to_be_visible()
    # The new rule is last; move it up with the keyboard only.
    move_up = page.get_by_role("button", name="Move up Invoices")
    move_up.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#routing-table tbody tr").first).to_contain_text("Invoices")
    # Focus stays on the moved row (its "Move down", now that it is first); waits for the swap.
    expect(page.get_by_role("button", name="Move down Invoices")).to_be_focused()
    assert focused(page).strip().startswith("Move down")
    expect(page.locator("#routing-status")).to_have_text("“Invoices” is now number 1 in the order.")
    assert list(RoutingRule.objects.values_list("name", flat=True)) == ["Invoices", "Everything"]


def test_an_agent_sets_availability_from_the_header(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    login(page, live_server.url, personas.agent.email, PASSWORD)
    page.goto(f"{live_server.url}/en/agent/")
    switch = page.get_by_label("Your availability")
    expect(switch).to_have_value("offline")
    switch.select_option("available")
    page.get_by_role("button", name="Set").click()
    expect(page.get_by_role("status").filter(has_text="saved")).to_have_count(1)
    assert AgentStatus.objects.get(pk=personas.agent.pk).availability == Availability.AVAILABLE


# The states of these pages in one language; every page type runs in all four in
# core/tests/test_browser_every_page.py.
@pytest.mark.parametrize("lang", ["ja"])
def test_routing_pages_have_no_axe_violations(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas, lang: str
) -> None:
    rule = routing_services.routing_rule_save(
        rule=None, name="Invoices", group=personas.billing, words=["invoice"], languages=["ko"]
    )
    routing_services.routing_rule_save(rule=None, name="Everything", group=personas.support)
    login(page, live_server.url, personas.admin.email, PASSWORD, lang=lang)
    base = f"{live_server.url}/{lang}/agent"
    for label, address in {
        "routing rules": f"{base}/manage/rules/routing/",
        "routing rule form": f"{base}/manage/rules/routing/{rule.pk}",
        "delete routing rule": f"{base}/manage/rules/routing/{rule.pk}/delete",
        "automatic assignment": f"{base}/manage/rules/assignment/",
        "availability": f"{base}/availability",
    }.items():
        response = page.goto(address)
        assert response is not None and response.status == 200, label
        assert_no_axe_violations(page, f"{lang} {label}")
    page.goto(f"{base}/manage/rules/routing/new")
    page.locator("main form.settings-form button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator(".errorlist").first).to_be_visible()
    assert_no_axe_violations(page, f"{lang} routing rule form with errors")
    page.goto(f"{base}/manage/rules/assignment/")
    page.locator(f"#id_cap_{personas.support.pk}").fill("0")
    page.locator("main form.settings-form button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator(".errorlist").first).to_be_visible()
    assert_no_axe_violations(page, f"{lang} automatic assignment with errors")
