"""An agent works a chat with the keyboard only: accept, answer, transfer, end."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from supportal.browser_testing import login
from supportal.chat import services
from supportal.chat.models import Chat, ChatState, Identity
from supportal.test import PASSWORD, Personas

pytestmark = pytest.mark.browser


def tab_to(page: Page, selector: str, limit: int = 120) -> None:
    """Presses Tab until `selector` has the focus, which must be visible when it does."""
    for _n in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            outline = page.evaluate(
                "() => { const s = getComputedStyle(document.activeElement);"
                " return s.outlineStyle !== 'none' || s.boxShadow !== 'none'; }"
            )
            assert outline, f"{selector} has the focus but shows no focus ring"
            return
    pytest.fail(f"Tab never reached {selector}")


def test_an_agent_works_a_chat_with_the_keyboard_only(
    page: Page, live_server: LiveServer, transactional_db: None, personas: Personas
) -> None:
    services.chat_settings_save(values={"auto_assign": False})
    chat = services.chat_start(
        token=secrets.token_urlsafe(32),
        requester=personas.customer,
        identity=Identity.SIGNED_IN,
        body="Where is my parcel?",
        language="en",
    )
    login(page, live_server.url, personas.agent.email, PASSWORD)
    page.goto(f"{live_server.url}/en/agent/chat/?chat={chat.pk}")

    tab_to(page, "form[action$='/accept'] button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert Chat.objects.get(pk=chat.pk).agent == personas.agent

    tab_to(page, "#chat_reply_body")
    page.keyboard.type("It ships today.")
    tab_to(page, "form[action$='/reply'] button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator("#chat-log")).to_contain_text("It ships today.")
    assert chat.ticket.messages.filter(body="It ships today.", author=personas.agent).exists()

    tab_to(page, "form[action$='/end'] button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert Chat.objects.get(pk=chat.pk).state == ChatState.ENDED
