"""The chat's WebSockets: visitors at /ws/chat/visitor/, agents at /ws/chat/agent/.

Frames are JSON objects of at most MAX_FRAME bytes with a "type". Anything else is protocol
abuse: binary frames and floods close the connection (the reason is logged); a frame that is
merely malformed gets an error the widget shows. Every frame acts only on the connection's own
chat (the visitor's, found from the HttpOnly cookie) or, for agents, a chat they may work.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connections
from django.utils.translation import gettext as _

from supportal.chat import events, services
from supportal.chat.models import Audience, Chat, ChatState
from supportal.tickets.models import Ticket

logger = logging.getLogger(__name__)
T = TypeVar("T")

VISITOR_COOKIE = "supportal_chat"
MAX_FRAME = 16 * 1024
# A token bucket per connection: BURST frames at once, then RATE a second. An agent's panel
# watches each of its chats as it (re)connects: up to 20 at once, with a read mark each.
BURST, RATE = 20, 4.0
AGENT_BURST, AGENT_RATE = 100, 20.0
# Close codes (4000-4999 are the application's).
CLOSE_FORBIDDEN, CLOSE_ABUSE = 4403, 4408


# Chat lines are written by a small pool of threads of their own, not Channels' one database
# thread per process, so several can be written at once (on PostgreSQL; SQLite takes writers
# one at a time anyway) while that thread serves the rest.
WRITERS = 4
_writers: ThreadPoolExecutor | None = None


def _writer_pool() -> ThreadPoolExecutor:
    global _writers
    if _writers is None:
        _writers = ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="chat-writer")
    return _writers


def stop_writers() -> None:
    """Ends the writer threads (their database connections close with them); tests."""
    global _writers
    if _writers is not None:
        _writers.submit(connections.close_all)
        _writers.shutdown(wait=True)
        _writers = None


async def in_writer(work: Callable[[], T]) -> T:
    def run() -> T:
        close_old_connections()
        return work()

    return await asyncio.get_running_loop().run_in_executor(_writer_pool(), run)


class Bucket:
    def __init__(self, burst: int = BURST, rate: float = RATE) -> None:
        self.burst, self.rate = burst, rate
        self.tokens, self.at = float(burst), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class ChatSocket(AsyncWebsocketConsumer):
    is_agent = False

    async def connect(self) -> None:
        self.bucket = Bucket(AGENT_BURST, AGENT_RATE) if self.is_agent else Bucket()
        self.strikes = 0
        self.closing = False
        self.groups_joined: set[str] = set()
        events.Poller.ensure_started()
        if not await self.authorise():
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.accept()
        await self.joined()

    async def authorise(self) -> bool:
        raise NotImplementedError

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale database connections before every message, on the process's
        # one database thread; events to pass on touch no database, so they skip that queue
        # (under load they waited behind every chat line being written: docs/benchmarks.md).
        if message["type"] in ("chat.event", "chat.typing"):
            await getattr(self, message["type"].replace(".", "_"))(message)
            return
        await super().dispatch(message)

    async def joined(self) -> None:
        pass

    async def join(self, group: str) -> None:
        if group not in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.add(group)

    async def disconnect(self, code: int) -> None:
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def abuse(self, reason: str) -> None:
        if self.closing:
            return
        self.closing = True
        logger.warning(
            "chat socket closed (%s): %s", "agent" if self.is_agent else "visitor", reason
        )
        await self.close(code=CLOSE_ABUSE)

    async def error(self, code: str, text: str) -> None:
        await self.send(text_data=json.dumps({"type": "error", "code": code, "text": text}))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closing:
            return  # frames already in flight when we closed
        if bytes_data is not None or text_data is None:
            await self.abuse("binary frame")
            return
        if not self.bucket.take():
            await self.abuse("too many frames")
            return
        if len(text_data.encode()) > MAX_FRAME:
            await self.refused("too_long")
            return
        try:
            frame = json.loads(text_data)
        except ValueError:
            frame = None
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            await self.refused("malformed")
            return
        await self.handle(frame)

    async def refused(self, code: str) -> None:
        """A bad frame: told to the person; three in a row close the connection."""
        self.strikes += 1
        if self.strikes > 3:
            await self.abuse(f"repeated bad frames ({code})")
            return
        await self.error(code, "")

    async def handle(self, frame: dict[str, Any]) -> None:
        raise NotImplementedError

    async def chat_event(self, message: dict[str, Any]) -> None:
        body = message["event"]
        if body["audience"] != Audience.ALL and not self.is_agent:
            return
        if not await self.may_see(body["chat"]):
            return
        await self.send(text_data=json.dumps({"type": "event", "event": body}))

    async def chat_typing(self, message: dict[str, Any]) -> None:
        if message["sender"] == self.channel_name:
            return
        await self.send(text_data=json.dumps({"type": "typing", **message["data"]}))

    async def may_see(self, chat_id: int) -> bool:
        return True

    async def replay(self, chat_id: int, after: int) -> None:
        found = await database_sync_to_async(events.events_after)(
            chat_id, after, agent=self.is_agent
        )
        for body in found:
            await self.send(text_data=json.dumps({"type": "event", "event": body}))

    async def typing(self, chat_id: int, on: bool) -> None:
        await self.channel_layer.group_send(
            events.group_name(chat_id),
            {
                "type": "chat.typing",
                "sender": self.channel_name,
                "data": {
                    "chat": chat_id,
                    "side": "agent" if self.is_agent else "visitor",
                    "on": on,
                },
            },
        )


def _after(scope: dict[str, Any]) -> int:
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    try:
        return max(0, int(query.get("after", ["0"])[0]))
    except ValueError:
        return 0


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


class VisitorSocket(ChatSocket):
    chat: Chat

    async def authorise(self) -> bool:
        token = self.scope.get("cookies", {}).get(VISITOR_COOKIE, "")
        chat = await database_sync_to_async(services.chat_for_token)(token)
        if chat is None:
            return False
        self.chat = chat
        return True

    async def joined(self) -> None:
        await self.join(events.group_name(self.chat.pk))
        await self.replay(self.chat.pk, _after(self.scope))

    async def may_see(self, chat_id: int) -> bool:
        return chat_id == self.chat.pk

    async def handle(self, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind == "message":
            body = frame.get("body")
            if not isinstance(body, str):
                await self.refused("malformed")
                return
            await self.post(body, str(frame.get("client", ""))[:40])
        elif kind == "typing":
            await self.typing(self.chat.pk, bool(frame.get("on")))
        elif kind == "read":
            up_to = _int(frame.get("up_to"))
            if up_to is not None:
                await database_sync_to_async(services.chat_read)(
                    chat=self.chat, agent=False, up_to=up_to
                )
        elif kind == "ping":
            await self.send(text_data='{"type":"pong"}')
        else:
            await self.refused("unknown")

    async def post(self, body: str, client: str) -> None:
        chat = self.chat  # with its requester, read as the socket opened

        def write() -> str | None:
            try:
                services.chat_post(
                    chat=chat, author=chat.ticket.requester, body=body, client_id=client
                )
            except ValidationError as error:
                return " ".join(error.messages)
            return None

        problem = await in_writer(write)
        if problem:
            await self.send(
                text_data=json.dumps(
                    {"type": "error", "code": "refused", "text": problem, "client": client}
                )
            )


class AgentSocket(ChatSocket):
    is_agent = True

    async def authorise(self) -> bool:
        user = self.scope.get("user")
        return bool(user and user.is_authenticated and user.is_active and user.is_agent)

    async def joined(self) -> None:
        await self.join(events.QUEUE_GROUP)

    async def handle(self, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        chat_id = _int(frame.get("chat"))
        if kind == "ping":
            await self.send(text_data='{"type":"pong"}')
            return
        if chat_id is None or kind not in ("watch", "message", "typing", "read"):
            await self.refused("malformed" if chat_id is None else "unknown")
            return
        user = self.scope["user"]
        # Only chats whose request this agent may see (as the request pages decide).
        chat = await database_sync_to_async(
            lambda: (
                Chat.objects.select_related("ticket", "agent")
                .filter(pk=chat_id, ticket__in=Ticket.objects.visible_to(user))
                .first()
            )
        )()
        if chat is None:
            await self.error("not_found", "")
            return
        if kind == "watch":
            await self.join(events.group_name(chat.pk))
            after = _int(frame.get("after")) or 0
            await self.replay(chat.pk, after)
        elif kind == "typing":
            await self.typing(chat.pk, bool(frame.get("on")))
        elif kind == "read":
            up_to = _int(frame.get("up_to"))
            if up_to is not None:
                await database_sync_to_async(services.chat_read)(chat=chat, agent=True, up_to=up_to)
        elif kind == "message":
            body = frame.get("body")
            if not isinstance(body, str):
                await self.refused("malformed")
                return
            await self.post(chat, body, str(frame.get("client", ""))[:40])

    async def post(self, chat: Chat, body: str, client: str) -> None:
        user = self.scope["user"]

        def write() -> str | None:
            if chat.state != ChatState.ACTIVE or chat.agent_id != user.pk:
                return _("Accept the chat before you answer.")
            try:
                services.chat_post(chat=chat, author=user, body=body, client_id=client)
            except ValidationError as error:
                return " ".join(error.messages)
            return None

        problem = await in_writer(write)
        if problem:
            await self.send(
                text_data=json.dumps(
                    {"type": "error", "code": "refused", "text": problem, "client": client}
                )
            )
