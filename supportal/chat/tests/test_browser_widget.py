"""The visitor's chat widget in Chromium, against the web (live server) and chat (uvicorn)
servers: launcher, pre-chat form with suggested articles, a conversation with an agent,
the polling fallback, keyboard use, 320 px, and axe in four languages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import Frame, FrameLocator, Page, expect
from pytest_django.live_server_helper import LiveServer

from supportal.browser_testing import assert_no_axe_violations, tab_to
from supportal.chat import services
from supportal.chat.models import Chat, ChatEvent
from supportal.chat.tests.conftest import ChatServer, free_port, use_chat_at
from supportal.rules.assignment import availability_set
from supportal.rules.models import Availability
from supportal.test import Personas
from supportal.tickets.tests.test_customer_fixtures import make_article

pytestmark = pytest.mark.browser
LANGUAGES = [code for code, _name in settings.LANGUAGES]


@pytest.fixture
def agent(personas: Personas) -> Any:
    availability_set(user=personas.agent, availability=Availability.AVAILABLE)
    return personas.agent


def open_widget(page: Page, live_server: LiveServer, lang: str = "en") -> FrameLocator:
    page.goto(f"{live_server.url}/{lang}/help/")
    page.locator("[data-chat-launch]").click()
    return page.frame_locator("iframe")


def chatting_in_widget(page: Page, live_server: LiveServer) -> tuple[FrameLocator, Frame]:
    """Opens the widget and starts a chat (an agent is available): its locator and frame."""
    widget = open_widget(page, live_server)
    widget.get_by_label("Your name").fill("Mina")
    widget.get_by_label("Your email").fill("mina@example.com")
    widget.get_by_label("How can we help?").fill("Hello")
    widget.get_by_role("button", name="Start chat").click()
    expect(widget.locator("#chat-status")).to_contain_text("Jiwoo Agent")
    handle = page.locator("iframe").element_handle()
    frame = handle.content_frame() if handle else None
    assert frame is not None
    return widget, frame


def test_a_visitor_chats_with_an_agent_from_the_help_center(
    page: Page,
    live_server: LiveServer,
    chat_server: ChatServer,
    settings: Any,
    agent: Any,
) -> None:
    use_chat_at(settings, chat_server.url)
    make_article("Track your parcel", "Open My orders and choose Track.")
    widget = open_widget(page, live_server)
    widget.get_by_label("Your name").fill("Mina")
    widget.get_by_label("Your email").fill("mina@example.com")
    widget.get_by_label("How can we help?").press_sequentially("track parcel", delay=20)
    suggested = widget.locator("#chat-suggestions a", has_text="Track your parcel")
    expect(suggested).to_be_visible()
    # Opened from the form: recorded with its key (tickets.Deflection), as on the request form.
    key = widget.locator("input[name=key]").input_value()
    assert f"form={key}" in (suggested.get_attribute("href") or "")
    assert_no_axe_violations(page, "chat widget: pre-chat form with suggestions")
    widget.get_by_role("button", name="Start chat").click()
    expect(widget.locator("#chat-status")).to_contain_text("You are chatting with Jiwoo Agent.")
    expect(widget.locator("[data-transport]")).to_have_attribute("data-transport", "socket")
    chat = Chat.objects.select_related("ticket").get()
    assert chat.page_url.endswith("/en/help/")

    # The agent types and answers: the visitor sees both live (an ARIA live region).
    services.chat_typing(chat=chat, agent=True, typing=True)
    expect(widget.locator("#chat-typing")).to_have_text("The agent is typing…")
    services.chat_post(chat=chat, author=agent, body="Your parcel <b>ships</b> today.")
    message = widget.locator(".chat-message-agent", has_text="Your parcel <b>ships</b> today.")
    expect(message).to_be_visible()  # as text, never as markup
    assert widget.locator("#chat-log").get_attribute("aria-live") == "polite"

    # The visitor answers with the keyboard; the agent reads it, and the mark says so.
    box = widget.get_by_label("Message")
    box.fill("Thank you!")
    box.press("Enter")
    expect(widget.locator(".chat-message-visitor", has_text="Thank you!")).to_be_visible()
    expect(box).to_be_focused()
    last = chat.ticket.messages.order_by("-pk").first()
    assert last.body == "Thank you!" and last.author == chat.ticket.requester
    services.chat_read(chat=chat, agent=True, up_to=last.pk)
    expect(
        widget.locator(".chat-message-visitor", has_text="Thank you!").locator(".chat-mark")
    ).to_have_text("Read")
    assert_no_axe_violations(page, "chat widget: in conversation")

    # The agent ends it; the visitor rates it.
    services.chat_end(chat=chat, actor=agent)
    widget.get_by_label("Good").check()
    widget.get_by_role("button", name="Send rating").click()
    expect(widget.get_by_text("Thank you for your rating.")).to_be_visible()
    assert_no_axe_violations(page, "chat widget: ended, rating")


def test_it_falls_back_to_polling_when_sockets_are_blocked(
    page: Page, live_server: LiveServer, chat_server: ChatServer, settings: Any, agent: Any
) -> None:
    # Nothing listens where the page is told to open its socket (as behind a proxy that
    # blocks WebSockets): the widget polls over HTTP and keeps working both ways.
    use_chat_at(settings, f"ws://127.0.0.1:{free_port()}")
    widget = open_widget(page, live_server)
    widget.get_by_label("Your name").fill("Jun")
    widget.get_by_label("Your email").fill("jun@example.com")
    widget.get_by_label("How can we help?").fill("Hello?")
    widget.get_by_role("button", name="Start chat").click()
    expect(widget.locator("#chat-status")).to_contain_text("Jiwoo Agent")
    chat = Chat.objects.get()
    services.chat_post(chat=chat, author=agent, body="Polled answer")
    expect(widget.locator(".chat-message-agent", has_text="Polled answer")).to_be_visible(
        timeout=10_000
    )
    box = widget.get_by_label("Message")
    box.fill("Sent without a socket")
    box.press("Enter")
    expect(widget.locator(".chat-message-visitor", has_text="Sent without a socket")).to_be_visible(
        timeout=10_000
    )


def test_the_launcher_and_widget_work_by_keyboard_at_320_px(
    page: Page, live_server: LiveServer, chat_server: ChatServer, settings: Any, agent: Any
) -> None:
    use_chat_at(settings, chat_server.url)
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(f"{live_server.url}/en/help/")
    launcher = page.locator("[data-chat-launch]")
    launcher.focus()
    page.keyboard.press("Enter")
    frame = page.locator("iframe")
    expect(frame).to_be_visible()
    box = frame.bounding_box()
    assert box is not None and box["width"] == 320  # full screen on a phone
    widget = page.frame_locator("iframe")
    name = widget.get_by_label("Your name")
    expect(name).to_be_visible()
    # The field shows before the window's deferred script has run and started keeping Tab in.
    inner = frame.element_handle().content_frame()
    assert inner is not None
    inner.wait_for_load_state()
    name.focus()
    # Tab stays inside the open widget.
    for _n in range(12):
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.tagName") == "IFRAME"
    page.keyboard.press("Escape")
    expect(frame).to_be_hidden()
    expect(launcher).to_be_focused()


# The states of these pages in one language; every page type runs in all four in
# core/tests/test_browser_every_page.py.
@pytest.mark.parametrize("lang", ["ja"])
def test_the_widget_has_no_axe_violations_in_each_language(
    page: Page,
    live_server: LiveServer,
    chat_server: ChatServer,
    settings: Any,
    personas: Personas,
    lang: str,
) -> None:
    use_chat_at(settings, chat_server.url)
    # Nobody available: the leave-a-message form.
    page.goto(f"{live_server.url}/{lang}/chat/")
    assert page.locator("html").get_attribute("lang") == lang
    assert_no_axe_violations(page, f"chat widget offline form ({lang})")
    availability_set(user=personas.agent, availability=Availability.AVAILABLE)
    page.goto(f"{live_server.url}/{lang}/chat/")
    assert_no_axe_violations(page, f"chat widget pre-chat form ({lang})")
    page.locator("input[name=name]").fill("Mina")
    page.locator("input[name=email]").fill("mina@example.com")
    page.locator("textarea[name=message]").fill("Hello")
    page.locator(".chat-start button[type=submit]").click()
    expect(page.locator(".chat-message-visitor")).to_be_visible()
    assert page.locator("html").get_attribute("lang") == lang
    assert_no_axe_violations(page, f"chat widget in conversation ({lang})")


def test_the_widget_follows_the_pages_language(
    page: Page, live_server: LiveServer, chat_server: ChatServer, settings: Any, agent: Any
) -> None:
    use_chat_at(settings, chat_server.url)
    widget = open_widget(page, live_server, lang="ko")
    assert "/ko/chat/" in (page.locator("iframe").get_attribute("src") or "")
    expect(widget.locator("html")).to_have_attribute("lang", "ko")
    expect(widget.get_by_role("button", name="채팅 시작")).to_be_visible()


def test_new_messages_scroll_into_view_without_motion_when_asked(
    page: Page, live_server: LiveServer, chat_server: ChatServer, settings: Any, agent: Any
) -> None:
    # With "reduce motion" set, a new message is in view the moment it is added: no smooth
    # scroll (the widget has no other motion).
    use_chat_at(settings, chat_server.url)
    page.emulate_media(reduced_motion="reduce")
    page.set_viewport_size({"width": 320, "height": 480})
    widget, frame = chatting_in_widget(page, live_server)
    frame.evaluate(
        """() => {
        window.outOfView = [];
        new MutationObserver((changes) => changes.forEach((change) =>
          change.addedNodes.forEach((item) => {
            const box = item.getBoundingClientRect();
            window.outOfView.push(Math.round(box.bottom - window.innerHeight));
          }))).observe(document.getElementById("chat-log"), { childList: true });
        }"""
    )
    chat = Chat.objects.get()
    for n in range(8):
        services.chat_post(chat=chat, author=agent, body=f"Line {n} of a long answer.")
        expect(widget.locator(".chat-message-agent", has_text=f"Line {n} of")).to_be_visible()
    offsets = frame.evaluate("window.outOfView")
    assert len(offsets) == 8 and max(offsets) <= 0, offsets


def test_a_message_lost_as_the_socket_drops_is_sent_again_once(
    page: Page, live_server: LiveServer, chat_server: ChatServer, settings: Any, agent: Any
) -> None:
    # The connection dies just as the visitor sends (the frame never reaches the chat server):
    # the widget sends the message again, and it arrives once.
    use_chat_at(settings, chat_server.url)
    widget, frame = chatting_in_widget(page, live_server)
    live = widget.locator("[data-transport]")
    expect(live).to_have_attribute("data-transport", "socket")
    frame.evaluate(
        """() => {
        const send = WebSocket.prototype.send;
        WebSocket.prototype.send = function (data) {
          if (!window.dropped && String(data).includes('"type":"message"')) {
            window.dropped = true;
            this.close();  // lost with the connection
            return;
          }
          return send.call(this, data);
        };
        }"""
    )
    box = widget.get_by_label("Message")
    box.fill("Did you get this?")
    box.press("Enter")
    expect(widget.locator(".chat-message-visitor", has_text="Did you get this?")).to_have_count(
        1, timeout=10_000
    )
    assert frame.evaluate("window.dropped") is True
    # Once the widget has its new socket (it sends what it has not seen back again), the
    # message is still there once.
    expect(live).to_have_attribute("data-transport", "socket", timeout=10_000)
    box.fill("And this?")
    box.press("Enter")
    expect(widget.locator(".chat-message-visitor", has_text="And this?")).to_be_visible()
    chat = Chat.objects.select_related("ticket").get()
    bodies = list(chat.ticket.messages.order_by("pk").values_list("body", flat=True))
    assert bodies == ["Hello", "Did you get this?", "And this?"]
    expect(widget.locator(".chat-message-visitor", has_text="Did you get this?")).to_have_count(1)


def test_the_visitor_is_warned_before_an_idle_chat_ends_and_keeps_it_open(
    page: Page, live_server: LiveServer, chat_server: ChatServer, settings: Any, agent: Any
) -> None:
    # WCAG 2.2.1: a warning before the chat ends on its own, and one button to keep it open.
    use_chat_at(settings, chat_server.url)
    services.chat_settings_save(values={"idle_minutes": 1})
    chatting_in_widget(page, live_server)
    # 45 seconds of silence: 15 left, inside the 30-second warning.
    earlier = timezone.now() - timedelta(seconds=45)
    Chat.objects.update(accepted_at=earlier)
    ChatEvent.objects.filter(kind="message").update(created_at=earlier)
    page.goto(f"{live_server.url}/en/chat/")
    warning = page.locator("#chat-idle-text")
    expect(warning).to_have_text(
        "Nobody has written for a while, so this chat will end in 30 seconds."
    )
    assert warning.get_attribute("role") == "alert"
    assert_no_axe_violations(page, "chat widget: the idle warning")
    tab_to(page, ".chat-idle-keep button")
    page.keyboard.press("Enter")
    expect(warning).to_be_empty()
    expect(page.get_by_role("button", name="Keep the chat open")).to_be_hidden()
    expect(page.get_by_label("Message", exact=True)).to_be_focused()
    kept = Chat.objects.get().kept_at
    assert kept is not None and kept > earlier


OVERLAP_JS = """() => {
  const launcher = document.querySelector("[data-chat-launch]").getBoundingClientRect();
  const el = document.activeElement;
  if (!el || el === document.body || el.matches("[data-chat-launch]")) { return null; }
  const box = el.getBoundingClientRect();
  const width = Math.min(box.right, launcher.right) - Math.max(box.left, launcher.left);
  const height = Math.min(box.bottom, launcher.bottom) - Math.max(box.top, launcher.top);
  return {name: el.outerHTML.slice(0, 80), covered: width > 0 && height > 0};
}"""


@pytest.mark.parametrize("size", [(320, 568), (1280, 480)])
def test_the_launcher_never_covers_the_focused_control(
    page: Page, live_server: LiveServer, transactional_db: None, size: tuple[int, int]
) -> None:
    # WCAG 2.4.11: the launcher is fixed at the bottom right; a control reached by Tab scrolls
    # clear of it, down to the last link of the footer.
    for n in range(4):
        make_article(title=f"Article number {n}")
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"{live_server.url}/en/help/")
    covered = []
    stops = 0
    for _n in range(80):
        page.keyboard.press("Tab")
        now = page.evaluate(OVERLAP_JS)
        if now is None:
            if page.evaluate("document.activeElement === document.body") and stops:
                break
            continue
        stops += 1
        if now["covered"]:
            covered.append(now["name"])
    assert stops > 10
    assert covered == []
