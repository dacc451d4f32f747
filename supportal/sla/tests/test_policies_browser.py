"""Service level policies and SLA display in a real browser: axe in every language on the
policy pages, the inbox's SLA column and the request page's clocks; and an admin creating and
reordering a policy from the keyboard."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from supportal.browser_testing import assert_no_axe_violations, login
from supportal.sla.models import SlaPolicy, SlaTimer, TicketSla
from supportal.sla.tests.helpers import make_policy
from supportal.test import PASSWORD, Personas, make_ticket
from supportal.tickets.models import Priority

pytestmark = pytest.mark.browser

LANGUAGES = [code for code, _name in settings.LANGUAGES]
SETTLING = re.compile(r"htmx-(settling|added|swapping)")


def sla_world(personas: Personas) -> tuple[int, SlaPolicy]:
    gold = make_policy(
        "Gold",
        priorities=[Priority.URGENT, Priority.HIGH],
        groups=[personas.support],
        targets=[(4, "first_reply", 60, False), (3, "resolution", 480, True)],
    )
    make_policy("Standard", targets=[(2, "first_reply", 240, True)])
    now = timezone.now()
    rows = []
    for subject, minutes in (("Printer on fire", -30), ("VPN drops", 20), ("New laptop", 300)):
        ticket = make_ticket(personas.customer, subject, group=personas.support)
        SlaTimer.objects.filter(ticket=ticket).delete()
        SlaTimer.objects.create(
            ticket=ticket,
            policy=gold,
            metric="first_reply",
            target_minutes=60,
            started_at=now - timedelta(minutes=60),
            due_at=now + timedelta(minutes=minutes),
        )
        TicketSla.objects.update_or_create(
            ticket=ticket,
            defaults={
                "policy": gold,
                "next_due_at": now + timedelta(minutes=minutes),
                "next_metric": "first_reply",
            },
        )
        rows.append(ticket.pk)
    return rows[0], gold


# The states of these pages in one language; every page type runs in all four in
# core/tests/test_browser_every_page.py.
@pytest.mark.parametrize("lang", ["zh-hans"])
def test_sla_pages_have_no_axe_violations(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas, lang: str
) -> None:
    number, gold = sla_world(personas)
    login(page, live_server.url, personas.admin.email, PASSWORD, lang=lang)
    base = f"{live_server.url}/{lang}/agent/manage/sla"
    pages = {
        "policies": f"{base}/",
        "new policy": f"{base}/new",
        "edit policy": f"{base}/{gold.pk}",
        "delete policy": f"{base}/{gold.pk}/delete",
        "group leads": f"{base}/leads",
        "test view": f"{base}/test?number={number}",
        "inbox with SLA": f"{live_server.url}/{lang}/agent/views/open",
        "breaching view": f"{live_server.url}/{lang}/agent/views/breaching",
        "request page": f"{live_server.url}/{lang}/agent/requests/{number}/",
    }
    for label, address in pages.items():
        response = page.goto(address)
        assert response is not None and response.status == 200, label
        assert_no_axe_violations(page, f"{lang} {label}")

    page.goto(f"{base}/{gold.pk}")
    page.locator("#id_target_4_first_reply").fill("soon")
    page.locator("#id_field_values").fill("colour = red")
    with page.expect_navigation():
        page.locator(".sla-policy-form .actions button[type=submit]").click()
    expect(page.locator("#form-errors")).to_be_visible()
    expect(page.locator("#id_target_4_first_reply_error")).to_be_visible()
    expect(page.locator("#id_field_values_error")).to_be_visible()
    assert_no_axe_violations(page, f"{lang} policy form with errors")

    page.goto(f"{base}/test?number=abc")
    expect(page.locator("#test-number-error")).to_be_visible()
    assert_no_axe_violations(page, f"{lang} test view with an error")


def test_an_admin_creates_and_reorders_a_policy_from_the_keyboard(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    make_policy("Standard", targets=[(2, "first_reply", 240, True)])
    login(page, live_server.url, personas.admin.email, PASSWORD)
    page.goto(f"{live_server.url}/en/agent/manage/sla/")
    page.get_by_role("link", name="New policy").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.locator("#id_name").focus()
    page.keyboard.type("VIP")
    page.keyboard.press("Tab")
    page.keyboard.type("Our biggest customers")
    page.locator("#id_priorities_0").focus()  # Urgent
    page.keyboard.press("Space")
    page.locator("#id_target_4_first_reply").focus()
    page.keyboard.type("30m")
    page.keyboard.press("Tab")
    page.keyboard.type("1h")  # next reply
    page.locator("#id_target_4_first_reply").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text("The policy has been saved.")
    vip = SlaPolicy.objects.get(name="VIP")
    assert vip.priorities == [4] and vip.position == 1
    assert {(t.metric, t.minutes) for t in vip.targets.all()} == {
        ("first_reply", 30),
        ("next_reply", 60),
    }

    # Move it above Standard from the keyboard: the table is swapped by htmx, and focus lands
    # on the moved row's remaining button (it is first now, so "Move down").
    page.locator(f"#move-{vip.pk}-up").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#policy-table tbody tr").first).to_have_id(f"policy-{vip.pk}")
    # The browser's own autofocus can act before htmx has wired up the new forms: wait for
    # htmx to settle, as a person would, before pressing a key again.
    expect(page.locator("#policy-table")).not_to_have_class(SETTLING)
    expect(page.locator(f"#move-{vip.pk}-down")).to_be_focused()
    assert page.evaluate("document.activeElement.id") == f"move-{vip.pk}-down"
    expect(page.locator("#policy-status")).to_contain_text("“VIP” is now number 1 in the order.")
    assert list(SlaPolicy.objects.values_list("name", flat=True)) == ["VIP", "Standard"]

    page.keyboard.press("Enter")  # and back down
    expect(page.locator("#policy-table tbody tr").last).to_have_id(f"policy-{vip.pk}")
    expect(page.locator("#policy-table")).not_to_have_class(SETTLING)
    expect(page.locator(f"#move-{vip.pk}-up")).to_be_focused()
    assert list(SlaPolicy.objects.values_list("name", flat=True)) == ["Standard", "VIP"]
