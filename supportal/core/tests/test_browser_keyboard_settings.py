"""Every settings form with the keyboard alone (issue 14).

From the top of each page, Tab reaches every field of the form and its buttons in the order of the
page, each with a focus ring, and Tab leaves the form again (no keyboard trap). A few forms are
also filled and sent with the keyboard. A new settings form is one more line in FORMS.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from supportal.browser_testing import assert_focus_visible, focused, login, tab_to
from supportal.helpcenter import services as helpcenter_services
from supportal.legal import services as legal_services
from supportal.sla.models import Schedule
from supportal.test import PASSWORD, Personas

pytestmark = pytest.mark.browser

# (what, address under /en/, the form). "{...}" in an address names an object made by `world`.
FORMS = [
    ("group", "agent/manage/groups/new", "main form.settings-form"),
    ("custom field", "agent/manage/fields/new", "main form.settings-form"),
    ("request type", "agent/manage/types/new", "main form.settings-form"),
    ("macro", "agent/manage/macros/new", "main form.macro-form"),
    ("business hours", "agent/manage/hours/new", "#schedule-form"),
    ("holiday", "agent/manage/hours/{schedule}/holidays/", "main form[action$='/add']"),
    ("SLA policy", "agent/manage/sla/new", "main form.sla-policy-form"),
    ("SLA test", "agent/manage/sla/test", "main form.settings-form"),
    ("SLA group leads", "agent/manage/sla/leads", "main form.settings-form"),
    ("routing rule", "agent/manage/rules/routing/new", "main form.settings-form"),
    ("assignment", "agent/manage/rules/assignment/", "main form.settings-form"),
    ("trigger", "agent/manage/rules/triggers/new", "main form.rule-form"),
    ("automation", "agent/manage/rules/automations/new", "main form.rule-form"),
    ("mailbox", "agent/manage/mail/new", "#mailbox-form"),
    ("legal version", "agent/manage/legal/{legal}/", "main form[method=post]"),
    ("notice", "agent/help/notices/new/", "main form[method=post]"),
    ("category", "agent/help/categories/", "main form[method=post]"),
    ("section", "agent/help/sections/new/", "main form[method=post]"),
    ("article", "agent/help/articles/new/", "main form[method=post]"),
    ("saved view", "agent/views/new", "main form.saved-view-form"),
    ("retention", "agent/manage/personal-data/retention/", "main form.settings-form"),
    ("security policy", "accounts/manage/security/", "main form.settings-form"),
    ("chat settings", "agent/manage/chat/", "main form.settings-form"),
    ("maintenance", "agent/manage/maintenance/", "main form.settings-form"),
    ("request from a call", "agent/calls/new", "main form.call-form"),
]

# The elements Tab may stop at; of those in the form, the test expects the ones that should.
_TABBABLE = (
    "a[href], button, input, select, textarea, summary, iframe, [contenteditable], [tabindex]"
)
# Numbers every candidate in the form (data-tab-stop), so that elements the page adds later
# (the availability switch in the header) do not shift the count; returns the numbers Tab
# should stop at, in page order, and a name for every candidate.
_EXPECTED_JS = """
([form, tabbable]) => {
  const box = document.querySelector(form);
  if (!box) return null;
  const radios = new Set();
  const stops = [];
  const names = [];
  box.querySelectorAll(tabbable).forEach((el, n) => {
    el.dataset.tabStop = n;
    names.push(el.tagName.toLowerCase() + (el.name ? `[name=${el.name}]` : "")
      + (el.id ? `#${el.id}` : ""));
    if (el.disabled || el.type === "hidden" || el.tabIndex < 0) return;
    if (el.closest("[inert]") || !el.checkVisibility({visibilityProperty: true})) return;
    if (el.type === "radio") {
      // One stop per group of radio buttons: the checked one, else the first.
      if (radios.has(el.name)) return;
      const group = [...box.querySelectorAll(`input[type=radio][name="${el.name}"]`)];
      if ((group.find((r) => r.checked) || group[0]) !== el) return;
      radios.add(el.name);
    }
    stops.push(n);
  });
  return [stops, names];
}
"""
_WHERE_JS = """
(form) => {
  const el = document.activeElement;
  if (!document.querySelector(form).contains(el)) return null;
  return el.dataset.tabStop === undefined ? -1 : Number(el.dataset.tabStop);
}
"""


def tab_through(page: Page, form: str) -> list[str]:
    """Tabs from the top of the page through `form` and out again; the problems found."""
    found = page.evaluate(_EXPECTED_JS, [form, _TABBABLE])
    if not found or not found[0]:
        return [f"no form {form}, or nothing in it to Tab to"]
    expected, names = found
    problems: list[str] = []
    visited: list[int] = []
    for _n in range(150 + 4 * len(expected)):
        page.keyboard.press("Tab")
        stop = page.evaluate(_WHERE_JS, form)
        if stop is None:
            if visited:
                break  # Tab left the form again
            continue
        state = focused(page)
        if state is None or not state["visible"]:
            problems.append(f"{state and state['name']} has the focus but shows no focus ring")
        if not visited or visited[-1] != stop:  # a date or time field takes several Tabs
            visited.append(stop)
    else:
        problems.append("Tab never left the form (a keyboard trap?)" if visited else "never in")
    if visited != expected:
        missed = [names[n] for n in expected if n not in visited]
        extra = [
            names[n] if n >= 0 else "an element added later" for n in visited if n not in expected
        ]
        order = "" if missed or extra else "; in another order"
        problems.append(f"Tab missed {missed}, stopped at {extra} as well{order}")
    return problems


def world(personas: Personas) -> dict[str, Any]:
    schedule = Schedule.objects.create(name="Seoul office", time_zone="Asia/Seoul")
    legal = legal_services.version_draft(kind="privacy", actor=personas.admin)
    category = helpcenter_services.category_create(names={"en": "Accounts"})
    helpcenter_services.section_create(category=category, names={"en": "Passwords"})
    return {"schedule": schedule.pk, "legal": legal.pk}


class SettingsKeyboardTests:
    def test_it_tabs_through_every_settings_form(
        self, page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
    ) -> None:
        objects = world(personas)
        login(page, live_server.url, personas.admin.email, PASSWORD)
        problems: list[str] = []
        for what, address, form in FORMS:
            response = page.goto(f"{live_server.url}/en/{address.format(**objects)}")
            assert response is not None and response.status == 200, what
            problems += [f"{what} ({address}): {problem}" for problem in tab_through(page, form)]
        assert not problems, "\n".join(problems)

    def test_it_adds_a_group_a_macro_and_business_hours(
        self, page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
    ) -> None:
        login(page, live_server.url, personas.admin.email, PASSWORD)
        base = f"{live_server.url}/en/agent/manage"

        page.goto(f"{base}/groups/new")
        tab_to(page, "#id_name")
        page.keyboard.type("Escalations")
        tab_to(page, "#id_description")
        page.keyboard.type("When it is on fire")
        tab_to(page, "main form.settings-form button[type=submit]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        expect(page.locator("main table")).to_contain_text("Escalations")
        assert_focus_visible(page, "after adding the group")
        assert focused(page)["name"].startswith("div#messages")

        page.goto(f"{base}/macros/new")
        tab_to(page, "#id_title")
        page.keyboard.type("Fire drill")
        tab_to(page, "#id_text_en")
        page.keyboard.type("Leave the building by the stairs.")
        tab_to(page, "main form.macro-form button[type=submit]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        expect(page.locator("main")).to_contain_text("Fire drill")
        assert_focus_visible(page, "after adding the macro")

        page.goto(f"{base}/hours/new")
        tab_to(page, "#id_name")
        page.keyboard.type("Seoul office")
        # Monday 9 to 5, typed into the time fields' parts (hours, minutes, AM/PM).
        tab_to(page, "#id_d0_0_start")
        page.keyboard.type("0900A")
        tab_to(page, "#id_d0_0_end")
        page.keyboard.type("0500P")
        tab_to(page, "#schedule-form button.button:not([name])", limit=300)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        expect(page.locator("main")).to_contain_text("Seoul office")
        assert_focus_visible(page, "after adding the business hours")
        assert Schedule.objects.filter(name="Seoul office").exists()
