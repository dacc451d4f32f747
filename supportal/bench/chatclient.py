"""The chat benchmark's client (bench/chat.py): every visitor's and agent's WebSocket in one
event loop, the messages' delivery latencies, and the chat server's memory and CPU."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

from supportal.bench.pages import Result, wrk

PAGE = "/en/help/"
WRK_SECONDS = 8.0
DRAIN_SECONDS = 5.0
# Goals from issue 12: delivery p95 in ms, and nothing dropped.
GOAL_MS = {"embedded": 1000.0, "redis": 100.0}


@dataclasses.dataclass
class Installation:
    env: dict[str, str]
    var_dir: Path
    redis_url: str
    web_port: int
    # Per chat: the visitor's token, the chat id, its agent's index in `sessions`.
    chats: list[tuple[str, int, int]] = dataclasses.field(default_factory=list)
    sessions: list[str] = dataclasses.field(default_factory=list)  # each agent's session id


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    import psutil

    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


@dataclasses.dataclass
class Figures:
    mode: str
    visitors: int
    agents: int
    seconds: float
    interval: float
    chat_processes: int
    sent: int = 0
    send_failed: int = 0
    delivered: int = 0
    duplicates: int = 0
    misrouted: int = 0
    dropped: int = 0
    refused: int = 0  # error frames the server sent
    closed: int = 0  # connections closed by the server before the end
    close_codes: dict[str, int] = dataclasses.field(default_factory=dict)
    stored: int = 0  # visitors' messages in the database afterwards
    latency_ms: dict[str, float] = dataclasses.field(default_factory=dict)
    latency_wrk_ms: dict[str, float] = dataclasses.field(default_factory=dict)
    latency_quiet_ms: dict[str, float] = dataclasses.field(default_factory=dict)
    rss_before_kb: int = 0
    rss_idle_kb: int = 0
    chat_cpu: float = 0.0  # cores used by the chat processes while chatting
    client_cpu: float = 0.0  # cores used by this client while chatting
    connect_seconds: float = 0.0
    pages_alone: Result | None = None
    pages_chatting: Result | None = None
    notes: list[str] = dataclasses.field(default_factory=list)

    @property
    def connections(self) -> int:
        return self.visitors + self.agents

    @property
    def per_connection_kb(self) -> float:
        return (self.rss_idle_kb - self.rss_before_kb) / self.connections

    @property
    def goal_ms(self) -> float:
        return GOAL_MS["redis" if self.mode.startswith("PostgreSQL") else "embedded"]

    @property
    def met(self) -> bool:
        return self.latency_ms.get("p95", math.inf) < self.goal_ms and self.dropped == 0


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def rank(q: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]

    return {"p50": rank(0.5), "p95": rank(0.95), "p99": rank(0.99), "max": ordered[-1]}


class Client:
    """Every visitor's and agent's socket in one event loop."""

    def __init__(
        self, install: Installation, args: argparse.Namespace, chat_ports: list[int]
    ) -> None:
        from supportal.chat.consumers import BURST, RATE, VISITOR_COOKIE

        self.install, self.args, self.ports = install, args, chat_ports
        self.burst, self.rate, self.cookie = BURST, RATE, VISITOR_COOKIE
        self.origin = f"http://127.0.0.1:{install.web_port}"
        self.sent: dict[str, float] = {}  # client id -> send time
        self.latencies: dict[str, float] = {}  # client id -> ms, at its agent
        self.visitor_sockets: list[Any] = []
        self.agent_sockets: list[Any] = []
        self.readers: list[asyncio.Task[None]] = []
        self.finishing = False
        self.chats_of: list[set[int]] = [set() for _ in install.sessions]
        for _token, chat_id, agent in install.chats:
            self.chats_of[agent].add(chat_id)

    def url(self, n: int, who: str) -> str:
        return f"ws://127.0.0.1:{self.ports[n % len(self.ports)]}/ws/chat/{who}/"

    async def connect(self, url: str, cookie: str) -> Any:
        from websockets.asyncio.client import connect

        return await connect(
            url,
            origin=self.origin,  # type: ignore[arg-type]
            additional_headers={"Cookie": cookie},
            open_timeout=120,
            ping_interval=None,  # browsers send no pings; the server pings every 20 s
            proxy=None,
            max_size=2**20,
        )

    async def open_agent(self, n: int, figures: Figures) -> None:
        from django.conf import settings

        ws = await self.connect(
            self.url(n, "agent"), f"{settings.SESSION_COOKIE_NAME}={self.install.sessions[n]}"
        )
        self.agent_sockets.append(ws)
        pong = asyncio.get_running_loop().create_future()
        self.readers.append(asyncio.create_task(self.read_agent(n, ws, figures, pong)))
        # Within the socket's frame budget (consumers.Bucket): a burst, then under the rate.
        frames = [{"type": "watch", "chat": chat_id} for chat_id in sorted(self.chats_of[n])]
        frames.append({"type": "ping"})
        for sent, frame in enumerate(frames):
            if sent >= self.burst - 2:
                await asyncio.sleep(1.2 / self.rate)
            await ws.send(json.dumps(frame))
        await asyncio.wait_for(pong, 600)  # frames are handled in order: every watch is done

    async def open_visitor(self, n: int, token: str, figures: Figures) -> None:
        ws = await self.connect(self.url(n, "visitor"), f"{self.cookie}={token}")
        self.visitor_sockets.append(ws)
        self.readers.append(asyncio.create_task(self.read_visitor(ws, figures)))

    async def read_agent(
        self, n: int, ws: Any, figures: Figures, pong: asyncio.Future[None]
    ) -> None:
        from websockets.exceptions import ConnectionClosed

        mine = self.chats_of[n]
        try:
            async for raw in ws:
                now = time.monotonic()
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind == "pong" and not pong.done():
                    pong.set_result(None)
                elif kind == "error":
                    figures.refused += 1
                elif kind == "event" and frame["event"]["kind"] == "message":
                    client = frame["event"]["data"].get("client", "")
                    if client.count("-") != 2:
                        continue  # the chat's first message (from chat_start), replayed
                    if frame["event"]["chat"] not in mine:
                        figures.misrouted += 1
                    if client in self.latencies:
                        figures.duplicates += 1
                    else:
                        self.latencies[client] = (now - float(client.split("-")[2])) * 1000
        except ConnectionClosed:
            pass
        self.lost(ws, figures)
        if not pong.done():
            pong.set_result(None)  # closed before it answered: counted as closed

    def lost(self, ws: Any, figures: Figures) -> None:
        if not self.finishing:
            figures.closed += 1
            code = str(ws.close_code)
            figures.close_codes[code] = figures.close_codes.get(code, 0) + 1

    async def read_visitor(self, ws: Any, figures: Figures) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for raw in ws:
                if '"error"' in raw and json.loads(raw).get("type") == "error":
                    figures.refused += 1
        except ConnectionClosed:
            pass
        self.lost(ws, figures)

    async def open_all(self, figures: Figures) -> None:
        from tqdm import tqdm

        started = time.monotonic()
        bar = tqdm(total=figures.connections, desc="sockets", unit="socket", file=sys.stderr)
        gate = asyncio.Semaphore(50)

        async def one(opening: Any) -> None:
            async with gate:
                await opening
            bar.update()

        openings = [self.open_agent(n, figures) for n in range(len(self.install.sessions))]
        openings += [
            self.open_visitor(n, token, figures)
            for n, (token, _chat, _agent) in enumerate(self.install.chats)
        ]
        await asyncio.gather(*(one(opening) for opening in openings))
        bar.close()
        figures.connect_seconds = time.monotonic() - started

    async def visitor_sends(self, n: int, ws: Any, start: float, figures: Figures) -> None:
        from websockets.exceptions import ConnectionClosed

        interval, count = self.args.interval, len(self.visitor_sockets)
        at = start + interval * n / count
        seq = 0
        while at < start + self.args.seconds:
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            now = time.monotonic()
            client = f"{n}-{seq}-{now:.6f}"
            self.sent[client] = now  # before sending: the echo may come back first
            body = f"Message {seq} from visitor {n}: where is my order?"
            try:
                await ws.send(json.dumps({"type": "message", "body": body, "client": client}))
            except ConnectionClosed:
                del self.sent[client]
                figures.send_failed += 1
                return
            seq += 1
            at += interval

    async def chat(self, figures: Figures, chat_pids: list[int]) -> None:
        """Sends for --seconds (wrk in the middle), then drains."""
        from tqdm import tqdm

        start = time.monotonic() + 0.5
        senders = [
            asyncio.create_task(self.visitor_sends(n, ws, start, figures))
            for n, ws in enumerate(self.visitor_sockets)
        ]
        cpu_before = sum(cpu_seconds(pid) for pid in chat_pids)
        client_before = time.process_time()
        window = (0.0, 0.0)
        wrk_task = None
        if not self.args.no_wrk:
            begin = max(0.0, self.args.seconds / 2 - WRK_SECONDS / 2)
            wrk_task = asyncio.create_task(self.pages_while_chatting(start + begin))
            window = (start + begin, start + begin + WRK_SECONDS)
        bar = tqdm(total=math.ceil(self.args.seconds), desc="chatting", unit="s", file=sys.stderr)
        for second in range(1, math.ceil(self.args.seconds) + 1):
            await asyncio.sleep(max(0.0, start + min(second, self.args.seconds) - time.monotonic()))
            bar.set_postfix(sent=len(self.sent), delivered=len(self.latencies), refresh=False)
            bar.update(1)
        await asyncio.gather(*senders)
        bar.close()
        elapsed = time.monotonic() - start
        figures.chat_cpu = (sum(cpu_seconds(pid) for pid in chat_pids) - cpu_before) / elapsed
        figures.client_cpu = (time.process_time() - client_before) / elapsed
        deadline = time.monotonic() + DRAIN_SECONDS
        while time.monotonic() < deadline and not self.sent.keys() <= self.latencies.keys():
            await asyncio.sleep(0.1)
        if wrk_task is not None:
            figures.pages_chatting = await wrk_task
        figures.sent = len(self.sent)
        figures.delivered = len(self.sent.keys() & self.latencies.keys())
        figures.dropped = figures.sent - figures.delivered
        figures.latency_ms = percentiles(list(self.latencies.values()))
        if wrk_task is not None:
            during = [
                ms
                for client, ms in self.latencies.items()
                if window[0] <= self.sent[client] < window[1]
            ]
            quiet = [
                ms
                for client, ms in self.latencies.items()
                if not window[0] <= self.sent[client] < window[1]
            ]
            figures.latency_wrk_ms = percentiles(during)
            figures.latency_quiet_ms = percentiles(quiet)

    async def pages_while_chatting(self, at: float) -> Result:
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        return await asyncio.to_thread(wrk, self.install.web_port, PAGE, "", WRK_SECONDS, 16)

    async def close_all(self) -> None:
        self.finishing = True
        sockets = self.visitor_sockets + self.agent_sockets
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
        await asyncio.gather(*self.readers, return_exceptions=True)


async def drive(
    install: Installation,
    args: argparse.Namespace,
    ports: list[int],
    pids: list[int],
    figures: Figures,
) -> None:
    """Opens every socket, measures memory, chats, closes (the chat servers are running)."""
    # One visitor and one agent first, so that what any first connection loads (code,
    # the database connection, the poller) is in the "before" figure.
    sessions = install.sessions[:1] * len(ports)
    warm = Client(dataclasses.replace(install, chats=[], sessions=sessions), args, ports)
    for n in range(len(ports)):
        await warm.open_visitor(n, install.chats[0][0], figures)
        await warm.open_agent(n, figures)
    await warm.close_all()
    await asyncio.sleep(1)
    client = Client(install, args, ports)
    figures.rss_before_kb = sum(rss_kb(pid) for pid in pids)
    await client.open_all(figures)
    await asyncio.sleep(args.idle_seconds)
    figures.rss_idle_kb = sum(rss_kb(pid) for pid in pids)
    await client.chat(figures, pids)
    await client.close_all()
