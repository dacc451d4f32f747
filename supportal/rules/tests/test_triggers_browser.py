"""Trigger and automation settings in a real browser: axe in every language on the lists and
forms (also with errors), and an admin creating and reordering from the keyboard."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from supportal.browser_testing import assert_no_axe_violations, login
from supportal.rules.models import Automation, Trigger
from supportal.rules.tests.helpers import act, cond, make_automation, make_trigger
from supportal.test import PASSWORD, Personas
from supportal.tickets.models import Status

pytestmark = pytest.mark.browser

LANGUAGES = [code for code, _name in settings.LANGUAGES]


# The states of these pages in one language; every page type runs in all four in
# core/tests/test_browser_every_page.py.
@pytest.mark.parametrize("lang", ["ko"])
def test_trigger_pages_have_no_axe_violations(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas, lang: str
) -> None:
    trigger = make_trigger(
        "Billing",
        all=[cond("group", "is", personas.billing.pk)],
        actions=[act("notify_group", personas.billing.pk, subject="New", body="{{ticket.url}}")],
    )
    make_trigger(
        "Urgent", any=[cond("subject", "contains", "urgent")], actions=[act("set_priority", 4)]
    )
    automation = make_automation(
        "Close", all=[cond("hours_since_solved", "gte", 96)], actions=[act("set_status", "closed")]
    )
    login(page, live_server.url, personas.admin.email, PASSWORD, lang=lang)
    base = f"{live_server.url}/{lang}/agent/manage/rules"
    pages = {
        "triggers": f"{base}/triggers/",
        "new trigger": f"{base}/triggers/new",
        "edit trigger": f"{base}/triggers/{trigger.pk}",
        "delete trigger": f"{base}/triggers/{trigger.pk}/delete",
        "automations": f"{base}/automations/",
        "new automation": f"{base}/automations/new",
        "edit automation": f"{base}/automations/{automation.pk}",
    }
    for label, address in pages.items():
        response = page.goto(address)
        assert response is not None and response.status == 200, label
        assert_no_axe_violations(page, f"{lang} {label}")

    page.goto(f"{base}/automations/new")
    page.locator("#id_name").fill("Broken")
    page.locator("#id_all-0-field").select_option("hours_since_created")
    page.locator("#id_all-0-op").select_option("gte")
    page.locator("#id_all-0-text").fill("0")
    page.locator(".rule-form .actions button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator("#form-errors")).to_be_visible()
    expect(page.locator("#id_all-0-error")).to_be_visible()
    assert_no_axe_violations(page, f"{lang} automation form with errors")


def test_an_admin_creates_and_reorders_rules_from_the_keyboard(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    make_trigger("Existing", all=[cond("status", "is", Status.NEW)], actions=[act("add_tags", "a")])
    login(page, live_server.url, personas.admin.email, PASSWORD)
    page.goto(f"{live_server.url}/en/agent/manage/rules/triggers/")
    page.get_by_role("link", name="New trigger").focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    page.locator("#id_name").focus()
    page.keyboard.type("Refunds")
    page.locator("#id_all-0-field").focus()
    page.locator("#id_all-0-field").select_option("status")
    # The page's script lists only the chosen field's values, and hides the text box.
    expect(page.locator("#id_all-0-text")).to_be_hidden()
    assert page.locator("#id_all-0-value option[value='status:open']").is_enabled()
    assert page.locator(
        f"#id_all-0-value option[value='group:{personas.support.pk}']"
    ).is_disabled()
    page.locator("#id_all-0-field").select_option("subject")
    expect(page.locator("#id_all-0-value")).to_be_hidden()
    page.locator("#id_all-0-op").select_option("contains")
    page.locator("#id_all-0-text").focus()
    page.keyboard.type("refund")
    page.locator("#id_act-0-action").select_option("add_tags")
    page.locator("#id_act-0-text").focus()
    page.keyboard.type("refund")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text("“Refunds” has been saved.")
    refunds = Trigger.objects.get(name="Refunds")
    assert refunds.conditions_all == [cond("subject", "contains", "refund")]

    page.locator(f"#move-{refunds.pk}-up").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#rule-table tbody tr").first).to_have_id(f"trigger-{refunds.pk}")
    expect(page.locator(f"#move-{refunds.pk}-down")).to_be_focused()
    assert page.evaluate("document.activeElement.id") == f"move-{refunds.pk}-down"
    expect(page.locator("#rule-status")).to_contain_text("“Refunds” is now number 1 in the order.")
    assert list(Trigger.objects.values_list("name", flat=True)) == ["Refunds", "Existing"]

    # An automation, from the keyboard too.
    page.goto(f"{live_server.url}/en/agent/manage/rules/automations/new")
    page.locator("#id_name").focus()
    page.keyboard.type("Chase")
    page.locator("#id_all-0-field").select_option("hours_since_pending")
    page.locator("#id_all-0-op").select_option("gte")
    page.locator("#id_all-0-text").focus()
    page.keyboard.type("72")
    page.locator("#id_act-0-action").select_option("notify_requester")
    page.locator("#id_email_subject").focus()
    page.keyboard.type("Still there?")
    page.locator("#id_email_body").focus()
    page.keyboard.type("Hello {{requester.first_name}}")
    page.locator("#id_email_subject").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text("“Chase” has been saved.")
    assert Automation.objects.get(name="Chase").actions[0]["subject"] == "Still there?"
