from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets
from django.conf import settings
from django.test import Client
from django.urls import reverse

from supportal.chat import services
from supportal.chat.consumers import VISITOR_COOKIE
from supportal.chat.models import Chat
from supportal.chat.tests.conftest import ChatServer, run
from supportal.rules.assignment import availability_set
from supportal.rules.models import Availability
from supportal.test import Personas

ORIGIN = "http://127.0.0.1:8000"


def start_chat(client: Client, body: str = "My order has not arrived", **extra: str) -> str:
    """Starts a chat through the widget's form; returns the visitor's cookie."""
    response = client.post(
        reverse("chat:start"),
        {"name": "Mina", "email": "mina@example.com", "message": body, **extra},
        HTTP_ORIGIN=settings.SITE_URL,
    )
    assert response.status_code == 302, response.content.decode()[:500]
    return response.cookies[VISITOR_COOKIE].value


async def frames_until(ws: Any, predicate: Any, timeout: float = 15.0) -> dict[str, Any]:
    async def wait() -> dict[str, Any]:
        while True:
            frame = json.loads(await ws.recv())
            if predicate(frame):
                return frame

    return await asyncio.wait_for(wait(), timeout)


def is_message(body: str) -> Any:
    return lambda f: f.get("type") == "event" and f["event"]["data"].get("body") == body


def visitor(server: ChatServer, token: str, after: int = 0, origin: str = ORIGIN) -> Any:
    return websockets.connect(
        f"{server.url}/ws/chat/visitor/?after={after}",
        additional_headers={"Cookie": f"{VISITOR_COOKIE}={token}", "Origin": origin},
        max_size=2**20,
    )


def agent_socket(server: ChatServer, client: Client) -> Any:
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    return websockets.connect(
        f"{server.url}/ws/chat/agent/",
        additional_headers={"Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}", "Origin": ORIGIN},
    )


async def send_over_http(http: Client, **fields: str) -> Any:
    """A message sent as the widget's polling fallback sends it."""
    return await asyncio.to_thread(
        http.post,
        reverse("chat:send"),
        fields,
        HTTP_ORIGIN=settings.SITE_URL,
        HTTP_ACCEPT="application/json",
    )


@pytest.fixture
def available_agent(personas: Personas) -> Any:
    availability_set(user=personas.agent, availability=Availability.AVAILABLE)
    return personas.agent


class ChatSocketTests:
    def test_it_carries_a_whole_conversation_both_ways(
        self, chat_server: ChatServer, personas: Personas, available_agent: Any, client: Client
    ) -> None:
        token = start_chat(client)
        chat = Chat.objects.get()
        assert chat.agent == available_agent  # assigned at once: the agent was available
        agent_client = Client()
        agent_client.force_login(available_agent)

        async def scenario() -> None:
            async with (
                visitor(chat_server, token) as v,
                agent_socket(chat_server, agent_client) as a,
            ):
                await frames_until(v, is_message("My order has not arrived"))  # replayed
                await a.send(json.dumps({"type": "watch", "chat": chat.pk}))
                await frames_until(a, is_message("My order has not arrived"))
                await a.send(json.dumps({"type": "typing", "chat": chat.pk, "on": True}))
                typing = await frames_until(v, lambda f: f.get("type") == "typing")
                assert typing["side"] == "agent" and typing["on"] is True
                await a.send(json.dumps({"type": "message", "chat": chat.pk, "body": "<b>Hi</b>"}))
                await frames_until(v, is_message("<b>Hi</b>"))
                await v.send(json.dumps({"type": "message", "body": "Thanks", "client": "c1"}))
                got = await frames_until(a, is_message("Thanks"))
                assert got["event"]["data"]["author"] == "visitor"

        run(scenario())
        bodies = list(chat.ticket.messages.order_by("pk").values_list("body", "channel"))
        assert bodies == [
            ("My order has not arrived", "chat"),
            ("<b>Hi</b>", "chat"),
            ("Thanks", "chat"),
        ]

    def test_messages_sent_over_http_reach_the_sockets(
        self, chat_server: ChatServer, personas: Personas, available_agent: Any, client: Client
    ) -> None:
        # The polling fallback posts to the web process; the chat process must deliver it.
        token = start_chat(client)
        chat = Chat.objects.get()
        agent_client = Client()
        agent_client.force_login(available_agent)

        async def scenario() -> None:
            async with agent_socket(chat_server, agent_client) as a:
                await a.send(json.dumps({"type": "watch", "chat": chat.pk}))
                await frames_until(a, is_message("My order has not arrived"))
                response = await send_over_http(client, body="Sent by polling")
                assert response.status_code == 200
                await frames_until(a, is_message("Sent by polling"))

        run(scenario())
        assert token

    def test_a_message_sent_again_after_a_drop_is_stored_once(
        self, chat_server: ChatServer, personas: Personas, available_agent: Any, client: Client
    ) -> None:
        # The socket dropped before the visitor saw their message come back: the widget sends it
        # again, over HTTP while polling and over the new socket; the agent sees it once.
        token = start_chat(client)
        chat = Chat.objects.get()
        agent_client = Client()
        agent_client.force_login(available_agent)
        frame = json.dumps({"type": "message", "body": "Did this arrive?", "client": "c-again"})

        async def scenario() -> list[str]:
            async with agent_socket(chat_server, agent_client) as a:
                await a.send(json.dumps({"type": "watch", "chat": chat.pk}))
                await frames_until(a, is_message("My order has not arrived"))
                async with visitor(chat_server, token) as v:
                    await v.send(frame)
                response = await send_over_http(client, body="Did this arrive?", client="c-again")
                assert response.status_code == 200
                async with visitor(chat_server, token) as v:
                    await v.send(frame)
                    await v.send(json.dumps({"type": "message", "body": "Next", "client": "c2"}))
                    await frames_until(v, is_message("Next"))
                seen = []
                while not seen or seen[-1] != "Next":
                    got = await frames_until(a, lambda f: f.get("type") == "event")
                    if got["event"]["kind"] == "message":
                        seen.append(got["event"]["data"]["body"])
                return seen

        assert run(scenario()) == ["Did this arrive?", "Next"]
        bodies = list(chat.ticket.messages.order_by("pk").values_list("body", flat=True))
        assert bodies == ["My order has not arrived", "Did this arrive?", "Next"]

    def test_a_reconnecting_visitor_gets_what_was_missed(
        self, chat_server: ChatServer, personas: Personas, available_agent: Any, client: Client
    ) -> None:
        token = start_chat(client)
        chat = Chat.objects.get()
        last = chat.events.order_by("-id").first().pk
        services.chat_post(chat=chat, author=available_agent, body="While you were away")

        async def scenario() -> None:
            async with visitor(chat_server, token, after=last) as v:
                await frames_until(v, is_message("While you were away"))

        run(scenario())

    def test_a_visitor_never_sees_another_chat(
        self, chat_server: ChatServer, personas: Personas, available_agent: Any
    ) -> None:
        mine, theirs = Client(), Client()
        my_token = start_chat(mine, "Mine")
        start_chat(theirs, "Theirs secret")
        other = Chat.objects.get(ticket__subject="Theirs secret")
        services.chat_post(chat=other, author=available_agent, body="Reply to them only")

        async def scenario() -> list[str]:
            seen = []
            async with visitor(chat_server, my_token) as v:
                # Asking about another chat's id does nothing; only this chat's events come.
                await v.send(json.dumps({"type": "read", "up_to": 10**6, "chat": other.pk}))
                try:
                    while True:
                        frame = json.loads(await asyncio.wait_for(v.recv(), 1.0))
                        if frame.get("type") == "event":
                            seen.append(frame["event"]["data"].get("body", ""))
                except TimeoutError:
                    pass
            return seen

        seen = run(scenario())
        assert "Mine" in seen
        assert "Theirs secret" not in seen and "Reply to them only" not in seen
        # Without the cookie, or with a made-up one, the socket is refused.
        for token in ("", "guessed-token"):
            with pytest.raises(websockets.exceptions.InvalidStatus):
                run(_open(visitor(chat_server, token)))
        # And over HTTP, another chat's files are a 404.
        attachment_url = reverse("chat:attachment", args=[other.ticket.messages.first().pk])
        assert mine.get(attachment_url).status_code == 404

    def test_it_refuses_sockets_from_other_sites_and_agents_sockets_to_customers(
        self, chat_server: ChatServer, personas: Personas, available_agent: Any, client: Client
    ) -> None:
        token = start_chat(client)
        with pytest.raises(websockets.exceptions.InvalidStatus):
            run(_open(visitor(chat_server, token, origin="https://evil.example")))
        customer = Client()
        customer.force_login(personas.customer)
        with pytest.raises(websockets.exceptions.InvalidStatus):
            run(_open(agent_socket(chat_server, customer)))

    def test_agents_only_follow_chats_they_may_see(
        self, chat_server: ChatServer, personas: Personas, available_agent: Any, client: Client
    ) -> None:
        services.chat_settings_save(values={"group": personas.support})
        start_chat(client)
        chat = Chat.objects.get()
        outsider_agent = Client()
        outsider_agent.force_login(personas.other_agent)  # Billing only

        async def scenario() -> dict[str, Any]:
            async with agent_socket(chat_server, outsider_agent) as a:
                await a.send(json.dumps({"type": "watch", "chat": chat.pk}))
                return await frames_until(a, lambda f: f["type"] in ("error", "event"))

        assert run(scenario()) == {"type": "error", "code": "not_found", "text": ""}

    def test_it_answers_bad_frames_and_closes_on_abuse(
        self, chat_server: ChatServer, personas: Personas, available_agent: Any, client: Client
    ) -> None:
        token = start_chat(client)

        async def scenario() -> tuple[list[str], int, int]:
            codes = []
            async with visitor(chat_server, token) as v:
                await v.send("{not json")
                codes.append((await frames_until(v, lambda f: f["type"] == "error"))["code"])
                await v.send(json.dumps({"type": "message", "body": "x" * 20_000}))
                codes.append((await frames_until(v, lambda f: f["type"] == "error"))["code"])
                await v.send(json.dumps({"type": "message", "body": "y" * 4001}))
                refused = await frames_until(v, lambda f: f["type"] == "error")
                codes.append(refused["code"])
            async with visitor(chat_server, token) as v:
                await v.send(b"\x00\x01binary")
                await asyncio.wait_for(v.wait_closed(), 15)
                binary = v.close_code
            async with visitor(chat_server, token) as v:
                with pytest.raises(websockets.exceptions.ConnectionClosed):
                    for _n in range(200):
                        await v.send('{"type": "ping"}')
                    while True:  # the pongs it answered before closing
                        await asyncio.wait_for(v.recv(), 15)
                flood = v.close_code
            return codes, binary, flood

        codes, binary, flood = run(scenario())
        assert codes == ["malformed", "too_long", "refused"]
        assert binary == 4408 and flood == 4408
        # Nothing was stored from any of it.
        assert Chat.objects.get().ticket.messages.count() == 1


async def _open(connection: Any) -> None:
    async with connection:
        pass
