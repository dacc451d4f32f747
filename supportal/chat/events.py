"""How chat events reach the people in a chat.

Every event is first a `ChatEvent` row, written in the transaction that made it: that row is
what a polling client reads, what a reconnecting client replays, and (without Redis) how an
event written by a web or worker process reaches the chat process.

- With REDIS_URL the channel layer is Redis: any process sends the event to the chat's group
  once its transaction commits, and any number of chat processes deliver it.
- Without Redis (the embedded default) the chat process's `Poller` reads new rows every
  POLL_SECONDS and sends them to its in-memory layer; rows the chat process wrote itself are
  sent at once and skipped by the poller. Ids are handed out before commit on PostgreSQL, so an
  id the poller jumps over is asked for again for GAP_SECONDS (a slow commit is delivered late,
  never lost; on SQLite commit order is id order and there are no gaps to wait for).

docs/architecture.md ("Live chat") has the measurements behind this choice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, ClassVar

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from supportal.chat.models import Audience, ChatEvent

logger = logging.getLogger(__name__)

QUEUE_GROUP = "chat.queue"
POLL_SECONDS = 0.1
GAP_SECONDS = 10.0
# Kinds agents' panels follow for every chat (the queue and who has which chat).
QUEUE_KINDS = frozenset({"queued", "accepted", "transferred", "ended"})


def group_name(chat_id: int) -> str:
    return f"chat.{chat_id}"


def layer_delivers() -> bool:
    """True when the channel layer crosses processes (Redis)."""
    return bool(getattr(settings, "REDIS_URL", ""))


def payload(event: ChatEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "chat": event.chat_id,
        "kind": event.kind,
        "audience": event.audience,
        "data": event.data,
        "at": event.created_at.isoformat(),
    }


def publish(
    chat_id: int,
    kind: str,
    data: dict[str, Any],
    *,
    agents_only: bool = False,
    client: str = "",
) -> ChatEvent:
    """Writes the event; delivered to the chat's WebSockets once the transaction commits. A
    second event of the chat with the same non-empty `client` is an IntegrityError."""
    event = ChatEvent.objects.create(
        chat_id=chat_id,
        kind=kind,
        audience=Audience.AGENTS if agents_only else Audience.ALL,
        data=data,
        client=client,
    )
    body = payload(event)
    transaction.on_commit(lambda: broadcast(body))
    return event


def broadcast(body: dict[str, Any]) -> None:
    """Sends a committed event to the layer when this process can: always with Redis; without
    it only inside the chat process, whose poller then skips it. In the chat process the send
    runs on its event loop (where the layer's connections live), not on a loop made for it."""
    loop = Poller.chat_loop()
    if not layer_delivers():
        if loop is not None:
            asyncio.run_coroutine_threadsafe(Poller.deliver(body), loop)
        return
    if loop is not None:
        asyncio.run_coroutine_threadsafe(_send_logged(body), loop)
        return
    try:
        _run_sync(lambda: _send(get_channel_layer(), body))
    except Exception:
        # The row is written: polling and reconnecting clients still get it.
        logger.exception("chat event %s not sent to the channel layer", body["id"])


async def _send_logged(body: dict[str, Any]) -> None:
    try:
        await _send(get_channel_layer(), body)
    except Exception:
        logger.exception("chat event %s not sent to the channel layer", body["id"])


def _run_sync(make: Any) -> None:
    """Runs a coroutine to its end from sync code, also where this thread has an event loop
    running (a test driving a browser), which async_to_sync refuses."""

    async def call() -> None:
        await make()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        async_to_sync(call)()
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(async_to_sync(call)).result()


async def _send(layer: Any, body: dict[str, Any]) -> None:
    message = {"type": "chat.event", "event": body}
    await layer.group_send(group_name(body["chat"]), message)
    if body["kind"] in QUEUE_KINDS:
        await layer.group_send(QUEUE_GROUP, message)


def events_after(
    chat_id: int, after: int, *, agent: bool, limit: int = 500
) -> list[dict[str, Any]]:
    """A chat's events after id `after` (and any of the last GAP_SECONDS, which a client that
    saw a later id may have missed on PostgreSQL); clients drop ids they already have."""
    recent = timezone.now() - timedelta(seconds=GAP_SECONDS)
    rows = ChatEvent.objects.filter(chat_id=chat_id).filter(
        Q(id__gt=after) | Q(created_at__gte=recent, id__lte=after)
    )
    if not agent:
        rows = rows.filter(audience=Audience.ALL)
    return [payload(row) for row in rows.order_by("id")[:limit]]


class Poller:
    """Without Redis, the one chat process's reader of new ChatEvent rows."""

    _task: asyncio.Task[None] | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _sent: ClassVar[OrderedDict[int, None]] = OrderedDict()
    last_id = 0
    gaps: ClassVar[dict[int, float]] = {}

    @classmethod
    def running_here(cls) -> bool:
        return cls._task is not None and not cls._task.done()

    @classmethod
    def chat_loop(cls) -> asyncio.AbstractEventLoop | None:
        """The chat process's event loop, once a socket has connected (else None: a web or
        worker process, or no socket yet)."""
        loop = cls._loop
        return loop if loop is not None and loop.is_running() else None

    @classmethod
    def loop(cls) -> asyncio.AbstractEventLoop:
        if cls._loop is None:
            raise RuntimeError("the chat poller has not started")
        return cls._loop

    @classmethod
    async def deliver(cls, body: dict[str, Any]) -> None:
        """Sends an event once, whichever comes first: the writer's call after its commit or
        the poller's read. Both run on the event loop, so the check and the mark are one step."""
        if body["id"] in cls._sent:
            return
        cls._sent[body["id"]] = None
        while len(cls._sent) > 10_000:
            cls._sent.popitem(last=False)
        await _send(get_channel_layer(), body)

    @classmethod
    def ensure_started(cls) -> None:
        """Called by each consumer as it connects, inside the chat process's event loop."""
        cls._loop = asyncio.get_running_loop()
        if layer_delivers() or cls.running_here():
            return
        cls._task = cls._loop.create_task(cls._run())

    @classmethod
    async def stop(cls) -> None:
        if cls._task is not None:
            cls._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await cls._task
        cls._task = None

    @classmethod
    async def _run(cls) -> None:
        layer = get_channel_layer()
        cls.last_id = await database_sync_to_async(_latest_id)()
        while True:
            try:
                await cls._once(layer)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("chat poller: reading events failed; retrying")
                await asyncio.sleep(1)
            await asyncio.sleep(POLL_SECONDS)

    @classmethod
    async def _once(cls, layer: Any) -> None:
        rows = await database_sync_to_async(_rows_after)(cls.last_id, list(cls.gaps))
        now = time.monotonic()
        for body in rows:
            event_id = body["id"]
            cls.gaps.pop(event_id, None)
            if event_id > cls.last_id:
                # Ids skipped on the way may belong to transactions not yet committed.
                for missing in range(cls.last_id + 1, min(event_id, cls.last_id + 1000)):
                    cls.gaps.setdefault(missing, now)
                cls.last_id = event_id
            await cls.deliver(body)
        for missing, since in list(cls.gaps.items()):
            if now - since > GAP_SECONDS:
                del cls.gaps[missing]


def _latest_id() -> int:
    return ChatEvent.objects.aggregate(top=Max("id"))["top"] or 0


def _rows_after(last_id: int, gaps: list[int]) -> list[dict[str, Any]]:
    query = Q(id__gt=last_id)
    if gaps:
        query |= Q(id__in=gaps)
    return [payload(row) for row in ChatEvent.objects.filter(query).order_by("id")[:1000]]
