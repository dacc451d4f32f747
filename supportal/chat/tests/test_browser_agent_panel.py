"""The agents' chat panel in a real browser. The live server has no chat process, so the
WebSocket cannot connect and the panel falls back to polling; axe on the panel and settings."""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from supportal.automation.services import macro_save
from supportal.browser_testing import assert_no_axe_violations, login
from supportal.chat import services
from supportal.chat.models import Chat, Identity
from supportal.chat.tests.conftest import ChatServer, use_chat_at
from supportal.test import PASSWORD, Personas, make_user

pytestmark = pytest.mark.browser

LANGUAGES = [code for code, _name in settings.LANGUAGES]


def start(requester: object, body: str) -> Chat:
    return services.chat_start(
        token=secrets.token_urlsafe(32),
        requester=requester,  # type: ignore[arg-type]
        identity=Identity.SIGNED_IN,
        body=body,
        language="en",
        page_url="https://shop.example.com/cart",
    )


def test_the_panel_works_live_over_the_socket(
    page: Page,
    live_server: LiveServer,
    chat_server: ChatServer,
    settings: Any,
    personas: Personas,
) -> None:
    use_chat_at(settings, chat_server.url)
    chat = services.chat_accept(chat=start(personas.customer, "My parcel"), agent=personas.agent)
    login(page, live_server.url, personas.agent.email, PASSWORD)
    address = f"{live_server.url}/en/agent/chat/?chat={chat.pk}"
    page.goto(address)

    # The visitor types, then writes: the agent sees both at once, as text; the read mark
    # follows because the page is visible.
    time.sleep(1)  # the socket opens and watches the chat
    services.chat_typing(chat=chat, agent=False, typing=True)
    expect(page.locator("#chat-typing")).to_have_text("The visitor is typing…")
    services.chat_post(chat=chat, author=personas.customer, body="Are you <b>there</b>?")
    expect(page.locator("#chat-log")).to_contain_text("Are you <b>there</b>?")
    expect(page.locator("#chat-typing")).to_have_text("")
    last = chat.ticket.messages.latest("pk").pk
    deadline = time.monotonic() + 5
    while Chat.objects.get(pk=chat.pk).agent_read != last:
        assert time.monotonic() < deadline, "no read mark"
        time.sleep(0.1)
    assert page.locator("#chat-connection").inner_text() == ""

    # The agent answers over the socket: no page load.
    page.evaluate("window.sameDocument = true")
    box = page.get_by_label("Message", exact=True)
    box.fill("It ships today.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#chat-log")).to_contain_text("It ships today.")
    expect(box).to_have_value("")
    assert page.evaluate("window.sameDocument === true")
    assert chat.ticket.messages.filter(body="It ships today.", author=personas.agent).exists()

    # A new visitor in the queue: the lists and the counts follow.
    start(make_user("sam@example.test", name="Sam Later"), "Later question")
    expect(page.locator("#chat-lists")).to_contain_text("Sam Later")
    expect(page).to_have_title(re.compile(r"^\(1\) Chats"))
    expect(page.locator("nav [data-chat-badge] [data-count]")).to_have_text("1")


def test_the_panel_follows_its_chats_by_polling(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    macro_save(
        macro=None,
        actor=personas.agent,
        title="Greeting",
        texts={"en": "Hello {{requester.first_name}}!"},
    )
    chat = services.chat_accept(chat=start(personas.customer, "My parcel"), agent=personas.agent)
    login(page, live_server.url, personas.agent.email, PASSWORD)
    page.goto(f"{live_server.url}/en/agent/chat/?chat={chat.pk}")
    expect(page.locator("#chat-connection")).to_contain_text("every few seconds", timeout=10_000)
    expect(page.get_by_label("Play a sound for new chats and messages")).to_be_visible()

    services.chat_post(chat=chat, author=personas.customer, body="Are you <b>there</b>?")
    expect(page.locator("#chat-log")).to_contain_text("Are you <b>there</b>?", timeout=10_000)
    expect(page).to_have_title(re.compile(r"^\(2\) Chats"), timeout=10_000)
    expect(page.locator("#chat-panel h1 [data-count]")).to_have_text("2")

    start(make_user("sam@example.test", name="Sam Later"), "Later question")
    expect(page.locator("#chat-lists")).to_contain_text("Sam Later", timeout=10_000)
    expect(page).to_have_title(re.compile(r"^\(3\) Chats"), timeout=10_000)

    page.get_by_role("button", name="Insert its text").click()
    expect(page.get_by_label("Message", exact=True)).to_have_value("Hello Casey!")


def test_without_javascript_the_forms_still_work(
    browser: object, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    chat = start(personas.customer, "No script here")
    context = browser.new_context(java_script_enabled=False)  # type: ignore[attr-defined]
    try:
        page = context.new_page()
        login(page, live_server.url, personas.agent.email, PASSWORD)
        page.goto(f"{live_server.url}/en/agent/chat/?chat={chat.pk}")
        # The sound needs the script, so the option is not offered (it is rendered with the
        # page and shown by CSS when scripts run, so that nothing moves when it appears).
        expect(page.get_by_label("Play a sound for new chats and messages")).to_be_hidden()
        page.get_by_role("button", name="Accept this chat").click()
        expect(page.get_by_text("You are now chatting with Casey Customer.")).to_be_visible()
        page.get_by_label("Message", exact=True).fill("Hello from a plain form")
        page.get_by_role("button", name="Send", exact=True).click()
        expect(page.locator("#chat-log")).to_contain_text("Hello from a plain form")
    finally:
        context.close()


# The states of these pages in one language; every page type runs in all four in
# core/tests/test_browser_every_page.py.
@pytest.mark.parametrize("lang", ["zh-hans"])
def test_the_panel_and_the_settings_have_no_axe_violations(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas, lang: str
) -> None:
    start(personas.colleague, "Waiting")
    chat = services.chat_accept(chat=start(personas.customer, "Hello"), agent=personas.admin)
    services.chat_post(chat=chat, author=personas.admin, body="Hi, how can I help?")
    login(page, live_server.url, personas.admin.email, PASSWORD, lang=lang)
    for label, address in {
        "chat panel": f"/{lang}/agent/chat/",
        "one chat": f"/{lang}/agent/chat/?chat={chat.pk}",
        "chat settings": f"/{lang}/agent/manage/chat/",
    }.items():
        response = page.goto(live_server.url + address)
        assert response is not None and response.status == 200, label
        assert_no_axe_violations(page, f"{lang} {label}")
