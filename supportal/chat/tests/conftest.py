"""A real ASGI server (uvicorn, the chat process) on loopback for the chat's socket tests."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
import uvicorn
from asgiref.sync import SyncToAsync
from channels.layers import channel_layers
from django.db import connections

from supportal.chat import consumers, events

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ChatServer:
    def __init__(self) -> None:
        from supportal.asgi import application

        self.port = free_port()
        config = uvicorn.Config(
            application,
            host="127.0.0.1",
            port=self.port,
            lifespan="off",
            log_level="warning",
            ws_max_size=65536,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        # The host the live server is at (localhost): cookies are per host, and the visitor's
        # and the agent's sockets are known by theirs.
        return f"ws://localhost:{self.port}"

    def start(self) -> None:
        # A channel layer instance receives on one event loop at a time: each server (its own
        # thread and loop) gets fresh ones, as a real chat process does.
        channel_layers.backends.clear()
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        # The consumers' database work ran in asgiref's one sync thread: close its connections,
        # or PostgreSQL cannot drop the test database.
        SyncToAsync.single_thread_executor.submit(connections.close_all).result()
        consumers.stop_writers()
        channel_layers.backends.clear()


@pytest.fixture
def chat_server(transactional_db: None) -> Iterator[ChatServer]:
    server = ChatServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
        # The poller's task belonged to the server's loop, which has ended.
        events.Poller._task = None
        events.Poller._loop = None
        events.Poller._sent.clear()
        events.Poller.gaps.clear()


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run, in a thread of its own: a browser test of the same process leaves
    Playwright's event loop running in this one."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def use_chat_at(settings: Any, url: str) -> None:
    """Pages open sockets at `url`, and their CSP lets them."""
    settings.CHAT_URL = url
    policy = settings.CONTENT_SECURITY_POLICY
    directives = {**policy["DIRECTIVES"], "connect-src": ["'self'", url]}
    settings.CONTENT_SECURITY_POLICY = {**policy, "DIRECTIVES": directives}
