"""The agent inbox in a real browser: worked with the keyboard only, and axe in every language."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from supportal.browser_testing import assert_no_axe_violations, login
from supportal.test import PASSWORD, Personas
from supportal.tickets.tests.test_inbox_fixtures import build_world, saved_view

pytestmark = pytest.mark.browser

LANGUAGES = [code for code, _name in settings.LANGUAGES]


def focused_text(page: Page) -> str:
    return page.evaluate("document.activeElement ? document.activeElement.textContent : ''").strip()


def test_an_agent_works_the_inbox_with_the_keyboard_only(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    world = build_world(personas)
    login(page, live_server.url, personas.agent.email, PASSWORD)
    page.goto(f"{live_server.url}/en/agent/views/open")
    rows = page.locator("[data-inbox-row]")
    expect(rows).to_have_count(5)
    subjects = [rows.nth(i).locator("[data-row-link]").inner_text() for i in range(5)]

    # j/k move a visible selection between rows.
    page.keyboard.press("j")
    assert focused_text(page) == subjects[0]
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert focused_text(page) == subjects[1]
    expect(rows.nth(1)).to_have_class(re.compile(r"\bis-current\b"))
    expect(rows.nth(0)).not_to_have_class(re.compile(r"\bis-current\b"))

    # x ticks the current row's checkbox, and again unticks it.
    page.keyboard.press("x")
    expect(rows.nth(1).locator("input[type=checkbox]")).to_be_checked()
    page.keyboard.press("j")
    page.keyboard.press("x")
    page.keyboard.press("x")
    expect(rows.nth(2).locator("input[type=checkbox]")).not_to_be_checked()

    # "?" shows the list of shortcuts; Escape closes it and focus comes back.
    page.keyboard.press("?")
    dialog = page.locator("#shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_text("Open the selected request")).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert focused_text(page) == subjects[2]

    page.keyboard.press("/")
    search = page.locator("#inbox-search-q")
    expect(search).to_be_focused()
    assert search.input_value() == ""  # the "/" was not typed into the box
    page.keyboard.type("printer")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/en/agent/search?q=printer" in page.url
    expect(page.locator("[data-inbox-row]")).to_have_count(1)

    # In the results, j selects the first row and o opens it.
    page.keyboard.press("j")
    with page.expect_navigation():
        page.keyboard.press("o")
    assert page.url == f"{live_server.url}/en/agent/requests/{world.support_new.pk}/"

    # Back in the inbox, Enter opens the selected request within its view.
    page.goto(f"{live_server.url}/en/agent/views/open")
    page.keyboard.press("j")
    page.keyboard.press("j")
    second = page.locator("[data-inbox-row]").nth(1).locator("[data-row-link]")
    href = second.get_attribute("href")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{live_server.url}{href}"
    assert href is not None and href.endswith("?view=open")


def test_shortcuts_leave_typing_alone_and_select_all_works(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    build_world(personas)
    login(page, live_server.url, personas.agent.email, PASSWORD)
    page.goto(f"{live_server.url}/en/agent/views/open")
    page.locator("#inbox-search-q").focus()
    page.keyboard.type("j/x?")
    assert page.locator("#inbox-search-q").input_value() == "j/x?"
    expect(page.locator("#shortcuts")).to_be_hidden()
    page.locator("[data-select-all]").check()
    expect(page.locator("tbody input[type=checkbox]:checked")).to_have_count(5)
    # The shortcuts button opens the same list for people who do not know "?".
    page.get_by_role("button", name="Keyboard shortcuts").click()
    expect(page.locator("#shortcuts")).to_be_visible()
    page.get_by_role("button", name="Close").click()
    expect(page.locator("#shortcuts")).to_be_hidden()


def test_an_agent_can_turn_the_single_key_shortcuts_off(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    # WCAG 2.1.4: speech input types letters; an agent may turn the shortcuts off.
    build_world(personas)
    login(page, live_server.url, personas.agent.email, PASSWORD)
    page.goto(f"{live_server.url}/en/accounts/profile/")
    box = page.get_by_label("Use single-key shortcuts on agent pages")
    expect(box).to_be_checked()
    assert_no_axe_violations(page, "an agent's profile")  # the page sweep signs in customers
    box.uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your profile has been saved.")).to_be_visible()
    expect(page.get_by_label("Use single-key shortcuts on agent pages")).not_to_be_checked()

    page.goto(f"{live_server.url}/en/agent/views/open")
    rows = page.locator("[data-inbox-row]")
    expect(rows).to_have_count(5)
    for key in ("j", "x", "?", "/"):
        page.keyboard.press(key)
    expect(page.locator("#shortcuts")).to_be_hidden()
    expect(page.locator(".is-current")).to_have_count(0)
    expect(page.locator("tbody input[type=checkbox]:checked")).to_have_count(0)
    assert page.evaluate("document.activeElement === document.body")
    expect(page.get_by_role("button", name="Keyboard shortcuts")).to_have_count(0)

    # On a request, "r" and "n" do nothing either; the reply box keeps its place.
    rows.first.locator("[data-row-link]").click()
    page.wait_for_url(re.compile(r"/agent/requests/\d+/"))
    page.keyboard.press("n")
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement === document.body")


def test_the_inbox_fits_a_narrow_screen(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    build_world(personas)
    login(page, live_server.url, personas.agent.email, PASSWORD)
    page.set_viewport_size({"width": 320, "height": 640})
    for path in ("/en/agent/views/open", "/en/agent/views/new", "/en/agent/search?q=casey"):
        page.goto(f"{live_server.url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"{path} is {width} px wide"


# The states of these pages in one language; every page type runs in all four in
# core/tests/test_browser_every_page.py.
@pytest.mark.parametrize("lang", ["ja"])
def test_inbox_pages_have_no_axe_violations(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas, lang: str
) -> None:
    build_world(personas)
    saved = saved_view(personas.agent, "Waiting", status=["pending"])
    login(page, live_server.url, personas.agent.email, PASSWORD, lang=lang)
    base = f"{live_server.url}/{lang}/agent"
    page.goto(f"{base}/views/open")
    page.locator("details.inbox-bulk summary").click()
    assert_no_axe_violations(page, f"{lang} inbox with the bulk actions open")
    page.keyboard.press("?")
    expect(page.locator("#shortcuts")).to_be_visible()
    assert_no_axe_violations(page, f"{lang} keyboard shortcuts")
    page.keyboard.press("Escape")
    # A failed bulk action shows its errors on the page.
    page.locator("details.inbox-bulk").get_by_role("button").nth(0).click()
    page.wait_for_load_state()
    expect(page.locator(".errorlist").first).to_be_visible()
    assert_no_axe_violations(page, f"{lang} bulk action with errors")
    pages = {
        "saved view": f"{base}/views/saved/{saved.pk}",
        "new saved view": f"{base}/views/new",
        "saved view form": f"{base}/views/saved/{saved.pk}/edit",
        "search results": f"{base}/search?q=casey",
        "empty search": f"{base}/search?q=zebra",
    }
    for label, address in pages.items():
        response = page.goto(address)
        assert response is not None and response.status == 200, label
        assert_no_axe_violations(page, f"{lang} {label}")
    page.goto(f"{base}/views/new")
    page.locator("main form.saved-view-form button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator("#form-errors")).to_be_visible()
    assert_no_axe_violations(page, f"{lang} saved view form with errors")
