"""A whole chat in two Chromium contexts against the web and chat servers: the visitor on the
help center, the agent in the chat panel (pre-chat form, queue, accept, typing both ways, a
file, transfer, end, rating, transcript by email)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from supportal.browser_testing import NetworkLog, assert_no_axe_violations, login
from supportal.chat import services
from supportal.chat.models import Chat, ChatState
from supportal.chat.tests.conftest import ChatServer, use_chat_at
from supportal.core.models import OutboundEmail
from supportal.rules.assignment import availability_set
from supportal.rules.models import Availability
from supportal.satisfaction.models import Rating
from supportal.test import PASSWORD, Personas

pytestmark = pytest.mark.browser


@pytest.fixture
def agent_page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    log = NetworkLog(origin=live_server.url)
    log.watch(context)
    try:
        yield context.new_page()
    finally:
        context.close()
    assert log.problems() == []


def png(tmp_path: Any) -> str:
    path = tmp_path / "receipt.png"
    Image.new("RGB", (8, 8), "blue").save(path, "PNG")
    return str(path)


def test_a_whole_chat_between_a_visitor_and_agents(
    page: Page,
    agent_page: Page,
    live_server: LiveServer,
    chat_server: ChatServer,
    settings: Any,
    personas: Personas,
    tmp_path: Any,
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    use_chat_at(settings, chat_server.url)
    services.chat_settings_save(values={"auto_assign": False})
    availability_set(user=personas.agent, availability=Availability.AVAILABLE)

    # The visitor fills in the pre-chat form and waits in the queue.
    page.goto(f"{live_server.url}/en/help/")
    page.locator("[data-chat-launch]").click()
    widget = page.frame_locator("iframe")
    widget.get_by_label("Your name").fill("Mina")
    widget.get_by_label("Your email").fill("mina@example.com")
    widget.get_by_label("How can we help?").fill("My parcel is late")
    widget.get_by_role("button", name="Start chat").click()
    expect(widget.locator("#chat-status")).to_contain_text("You are next in line.")
    chat = Chat.objects.get()
    assert chat.state == ChatState.QUEUED

    # The agent sees it in the queue and accepts it; the visitor is told who answers.
    login(agent_page, live_server.url, personas.agent.email, PASSWORD)
    agent_page.goto(f"{live_server.url}/en/agent/chat/")
    with agent_page.expect_navigation():
        agent_page.locator("#chat-lists a", has_text="Mina").click()
    with agent_page.expect_navigation():
        agent_page.get_by_role("button", name="Accept this chat").click()
    expect(agent_page.get_by_label("Message", exact=True)).to_be_visible()
    expect(widget.locator("#chat-status")).to_contain_text("You are chatting with Jiwoo Agent.")
    # Both sides are live over their WebSockets, not the polling fallback.
    expect(widget.locator("[data-transport]")).to_have_attribute("data-transport", "socket")
    assert_no_axe_violations(agent_page, "agent chat panel, in a chat")

    # Typing both ways, then a reply from the agent.
    widget.get_by_label("Message").press_sequentially("Any news", delay=30)
    expect(agent_page.locator("#chat-typing")).to_have_text("The visitor is typing…")
    widget.get_by_label("Message").press("Enter")
    expect(agent_page.locator("#chat-log")).to_contain_text("Any news")
    expect(agent_page.locator("#chat-connection")).to_have_text("")
    reply = agent_page.get_by_label("Message", exact=True)
    reply.press_sequentially("Let me check", delay=30)
    expect(widget.locator("#chat-typing")).to_have_text("The agent is typing…")
    agent_page.get_by_role("button", name="Send", exact=True).click()
    expect(widget.locator(".chat-message-agent", has_text="Let me check")).to_be_visible()

    # The visitor sends a file (checked like a request's); the agent gets it.
    widget.get_by_label("Message").fill("Here is my receipt")
    widget.get_by_label("Attach files").set_input_files(png(tmp_path))
    widget.get_by_role("button", name="Send").click()
    expect(widget.locator(".chat-file a", has_text="receipt.png")).to_be_visible()
    expect(agent_page.locator("#chat-log")).to_contain_text("receipt.png")

    # Transfer to another agent with a note the visitor never sees.
    availability_set(user=personas.other_agent, availability=Availability.AVAILABLE)
    agent_page.get_by_text("Transfer", exact=True).click()
    agent_page.get_by_label("To an agent").select_option(label=personas.other_agent.name)
    agent_page.get_by_label("Note for the next agent (internal)").fill("Wants a refund")
    agent_page.get_by_role("button", name="Transfer the chat").click()
    expect(widget.locator("#chat-status")).to_contain_text(personas.other_agent.name)
    assert "Wants a refund" not in widget.locator("body").inner_text()
    chat.refresh_from_db()
    assert chat.agent == personas.other_agent

    # The new agent ends it; the visitor rates it and asks for the transcript.
    services.chat_end(chat=chat, actor=personas.other_agent)
    widget.get_by_label("Good").check()
    widget.get_by_role("button", name="Send rating").click()
    expect(widget.get_by_text("Thank you for your rating.")).to_be_visible()
    widget.get_by_role("button", name="Email me the transcript").click()
    expect(widget.get_by_text("The transcript is on its way to mina@example.com.")).to_be_visible()
    chat.refresh_from_db()
    assert chat.ticket.status == "solved"
    assert Rating.objects.get(ticket=chat.ticket).score == "good"
    mail = OutboundEmail.objects.get(to__icontains="mina@example.com")
    assert "Any news" in mail.body_text and "Let me check" in mail.body_text
    assert "Wants a refund" not in mail.body_text
