"""Live chat under load (issue 12, "Speed"): delivery latency, dropped messages, memory per idle
connection, and what the chat process costs the help-center pages.

    python -m supportal.bench.chat                          # SQLite, embedded (no Redis)
    python -m supportal.bench.chat --database postgres      # PostgreSQL and Redis
    python -m supportal.bench.chat --database postgres --chat-processes 2
        [--visitors 1000] [--agents 50] [--seconds 60] [--interval 10] [--no-wrk]

Prepares a scratch installation in a temporary VAR_DIR (SQLite there; or the PostgreSQL database
"supportal_bench_chat" with an empty Redis database, which is emptied again afterwards): the
demo help center, --agents available agents with a session each, and --visitors chats started
through `chat_start` and assigned automatically (up to 20 per agent at the defaults). Starts
the chat server as `supportal serve` does (uvicorn, one process; with Redis, --chat-processes
side by side, connections spread over them as a load balancer would) and gunicorn (2 workers).

One asyncio client opens every visitor's and agent's WebSocket (each agent watches its chats),
waits, then each visitor sends a message every --interval seconds (starts spread evenly over
the first interval) for --seconds. The client id of each message carries its send time
(time.monotonic, same process), so the agent's side computes the delivery latency. Messages not
at their agent after a drain of up to 5 s are dropped. wrk loads the help-center home for 8 s
before the chat server starts and again in the middle of the chatting; the latencies of the
messages sent during that window are also shown apart.

`--keep` leaves the VAR_DIR with the servers' logs; `--chat-app module:application` serves a
variant of the chat application (an experiment importable through PYTHONPATH) to measure a change
before making it. Figures we keep are in docs/benchmarks.md ("Live chat (issue 12)").
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import math
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from supportal.bench import ROOT, out
from supportal.bench.chatclient import (
    PAGE,
    WRK_SECONDS,
    Figures,
    Installation,
    drive,
)
from supportal.bench.pages import (
    POSTGRES_URL,
    UNLIMITED,
    UNLIMITED_REQUESTS,
    _flush_redis,
    _fresh_postgres,
    get,
    gunicorn,
    settings_text,
    wait_for_port,
    wrk,
)
from supportal.lib.net import free_port

PG_NAME = "supportal_bench_chat"
# Redis databases tried in turn; the first empty one is used (pages.py uses 12-13, the load
# test and the rate-limit tests 15, the test suite's xdist workers 1 and up).
REDIS_CANDIDATES = (11, 10, 9, 8, 7, 6)


# --- The installation -------------------------------------------------------------------------


def free_redis_url() -> str:
    import redis

    for number in REDIS_CANDIDATES:
        url = f"redis://127.0.0.1:6379/{number}"
        if redis.Redis.from_url(url).dbsize() == 0:
            return url
    raise SystemExit(f"No empty Redis database among {REDIS_CANDIDATES}; pass --redis-url.")


def prepare(args: argparse.Namespace) -> Installation:
    """The scratch installation, made in this process (Django is set up on it here), then every
    database connection closed so the servers have the database to themselves."""
    var_dir = Path(tempfile.mkdtemp(prefix="supportal-bench-chat-"))
    web_port = free_port()
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("DATABASE_URL", "REDIS_URL", "RATE_LIMITS", "DEBUG", "CHAT_URL")
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "supportal.settings",
            "VAR_DIR": str(var_dir),
            "SITE_URL": f"http://127.0.0.1:{web_port}",
            "LOG_LEVEL": "WARNING",
            # wrk asks from one address far beyond the per-address budgets.
            "RATE_LIMITS": UNLIMITED
            + (UNLIMITED_REQUESTS if "FloodGuardMiddleware" in settings_text(ROOT) else ""),
        }
    )
    redis_url = ""
    if args.database == "postgres":
        _fresh_postgres(PG_NAME)
        env["DATABASE_URL"] = POSTGRES_URL.format(name=PG_NAME)
        redis_url = args.redis_url or free_redis_url()
        _flush_redis(redis_url)
        env["REDIS_URL"] = redis_url
    else:
        env["DATABASE_URL"] = f"sqlite:///{var_dir / 'chat.sqlite3'}"
    os.environ.clear()
    os.environ.update(env)
    install = Installation(env=env, var_dir=var_dir, redis_url=redis_url, web_port=web_port)

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if not args.no_wrk:
        from supportal.helpcenter.demo import load_demo_content

        call_command("collectstatic", interactive=False, verbosity=0)
        load_demo_content()
    out(f"database ready in {time.perf_counter() - started:.0f} s ({args.database})")
    make_people_and_chats(install, args)
    connections.close_all()
    return install


def make_people_and_chats(install: Installation, args: argparse.Namespace) -> None:
    from django.conf import settings
    from django.test import Client
    from tqdm import tqdm

    from supportal.accounts.models import Role
    from supportal.accounts.services import user_create
    from supportal.chat import services
    from supportal.chat.models import Chat
    from supportal.rules.assignment import availability_set
    from supportal.rules.models import Availability

    agents = []
    for n in range(args.agents):
        agent = user_create(
            email=f"agent{n}@bench.test",
            name=f"Agent {n}",
            password=None,
            role=Role.AGENT,
            language="en",
            time_zone="UTC",
            verified=True,
        )
        availability_set(user=agent, availability=Availability.AVAILABLE)
        client = Client()
        client.force_login(agent)
        install.sessions.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
        agents.append(agent)
    # Auto assignment gives each new chat to the agent with the fewest: all of them get one.
    services.chat_settings_save(
        values={"max_chats": max(3, math.ceil(args.visitors / max(1, args.agents)))}
    )
    index = {agent.pk: n for n, agent in enumerate(agents)}
    for n in tqdm(range(args.visitors), desc="chats", unit="chat", file=sys.stderr):
        requester, identity = services.requester_for(
            user=None,
            signed_email=None,
            email=f"visitor{n}@bench.test",
            name=f"Visitor {n}",
            language="en",
        )
        token = secrets.token_urlsafe(32)
        chat = services.chat_start(
            token=token,
            requester=requester,
            identity=identity,
            body=f"Hello, this is visitor {n}.",
            language="en",
            page_url="http://127.0.0.1/en/help/",
        )
        install.chats.append((token, chat.pk, -1))
    agent_of = dict(Chat.objects.values_list("pk", "agent_id"))
    install.chats = [(token, pk, index.get(agent_of[pk], -1)) for token, pk, _ in install.chats]
    unassigned = sum(1 for _token, _pk, agent in install.chats if agent < 0)
    if unassigned:
        raise SystemExit(f"{unassigned} chats were not assigned to an agent.")


# --- Servers ----------------------------------------------------------------------------------


class Process:
    """A server in a session of its own, its output in a log file."""

    def __init__(
        self, name: str, command: list[str], port: int, env: dict[str, str], log: Path
    ) -> None:
        self.name, self.command, self.port, self.env, self.log = name, command, port, env, log
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as handle:
            self.popen = subprocess.Popen(
                self.command,
                env=self.env,
                cwd=ROOT,
                stdout=handle,
                stderr=handle,
                start_new_session=True,
            )
        wait_for_port(self.port, self.popen)

    @property
    def pid(self) -> int:
        assert self.popen is not None  # noqa: S101 - started
        return self.popen.pid

    def stop(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()


@contextlib.contextmanager
def started(processes: list[Process]) -> Iterator[None]:
    try:
        for process in processes:
            process.start()
        yield
    finally:
        for process in processes:
            process.stop()


def chat_command(port: int, app: str) -> list[str]:
    # The chat server as `supportal serve` starts it (core/management/commands/serve.py).
    return [
        sys.executable, "-m", "uvicorn", app,
        "--host", "127.0.0.1", "--port", str(port),
        "--lifespan", "off", "--no-access-log",
        "--ws-max-size", "65536",
        "--ws-ping-interval", "20", "--ws-ping-timeout", "20",
        "--timeout-graceful-shutdown", "5",
    ]  # fmt: skip


def web_command(port: int) -> list[str]:
    return [
        *gunicorn("supportal.wsgi:application", port, 2),
        "--config", "python:supportal.monitoring.gunicorn_config",
    ]  # fmt: skip


def web_ready(web: Process) -> None:
    """Until the page answers and both workers have finished starting: each loads the Korean
    analyser before its first request, seconds of CPU that must not land in the measurement."""
    import psutil

    deadline = time.monotonic() + 120
    while True:
        with contextlib.suppress(OSError):
            if get(web.port, PAGE)[0] == 200:
                break
        if time.monotonic() > deadline:
            raise SystemExit(f"The help center did not answer; see {web.log}.")
        time.sleep(0.5)
    tree = [psutil.Process(web.pid), *psutil.Process(web.pid).children(recursive=True)]
    while time.monotonic() < deadline:
        before = sum(sum(p.cpu_times()[:2]) for p in tree)
        time.sleep(1)
        if sum(sum(p.cpu_times()[:2]) for p in tree) - before < 0.1:
            return


# --- The run ----------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> Figures:
    install = prepare(args)
    load = os.getloadavg()
    mode = (
        f"PostgreSQL + Redis, {args.chat_processes} chat process"
        + ("es" if args.chat_processes > 1 else "")
        if args.database == "postgres"
        else "SQLite, embedded"
    )
    figures = Figures(
        mode=mode,
        visitors=args.visitors,
        agents=args.agents,
        seconds=args.seconds,
        interval=args.interval,
        chat_processes=args.chat_processes,
    )
    env = install.env
    port = install.web_port
    web = Process("web", web_command(port), port, env, install.var_dir / "web.log")
    chat = []
    for n in range(args.chat_processes):
        port = free_port()
        log = install.var_dir / f"chat{n}.log"
        chat.append(Process(f"chat{n}", chat_command(port, args.chat_app), port, env, log))
    try:
        with contextlib.ExitStack() as stack:
            if not args.no_wrk:
                stack.enter_context(started([web]))
                web_ready(web)
                wrk(install.web_port, PAGE, "", 1, 16)  # warm-up
                figures.pages_alone = wrk(install.web_port, PAGE, "", WRK_SECONDS, 16)
            stack.enter_context(started(chat))
            ports, pids = [p.port for p in chat], [p.pid for p in chat]
            asyncio.run(drive(install, args, ports, pids, figures))
        figures.stored = stored_messages(install)
        end = os.getloadavg()[0]
        figures.notes.append(
            f"Load average (1 min) when the servers started {load[0]:.1f}, at the end {end:.1f}."
        )
    except BaseException:
        for process in chat:
            sys.stderr.write("\n".join(log_notes(process)) + "\n")
        raise
    else:
        for process in chat:
            figures.notes += log_notes(process)
    finally:
        if install.redis_url:
            _flush_redis(install.redis_url)
        if args.keep:
            out(f"Kept {install.var_dir} (logs, and the SQLite database).")
        else:
            shutil.rmtree(install.var_dir, ignore_errors=True)
    return figures


def log_notes(process: Process) -> list[str]:
    """What went wrong in a server's log: sockets it closed (by reason), errors."""
    closed: dict[str, int] = {}
    errors = []
    with contextlib.suppress(OSError):
        for line in process.log.read_text(errors="replace").splitlines():
            if match := re.search(r"chat socket closed \((\w+)\): (.*)", line):
                reason = f"{match[1]}: {match[2]}"
                closed[reason] = closed.get(reason, 0) + 1
            elif re.search(r"ERROR|Traceback", line):
                errors.append(line.strip())
    notes = [f"{process.name} closed sockets ({reason}): {n}" for reason, n in closed.items()]
    if errors:
        notes.append(f"{process.name}: {len(errors)} error lines, first: {errors[0][:200]}")
    return notes


def stored_messages(install: Installation) -> int:
    from django.db import connections

    from supportal.tickets.models import Message

    try:
        # Everything but each chat's first message (from chat_start).
        return Message.objects.filter(ticket__chat__isnull=False).count() - len(install.chats)
    finally:
        connections.close_all()


def _ms(values: dict[str, float]) -> str:
    if not values:
        return "-"
    return " / ".join(f"{values[key]:,.0f}" for key in ("p50", "p95", "p99", "max"))


def table(figures: Figures) -> str:
    f = figures
    pages = "-"
    if f.pages_alone and f.pages_chatting and f.pages_alone.rps:
        ratio = 100 * f.pages_chatting.rps / f.pages_alone.rps
        pages = f"{f.pages_alone.rps:,.0f} / {f.pages_chatting.rps:,.0f} ({ratio:.0f} %)"
    verdict = "met" if f.met else "**missed**"
    lines = [
        "| mode | sockets | sent | delivered | dropped | dup. | msgs/s | delivery ms p50 / p95 /"
        " p99 / max | RSS per idle socket | chat CPU | help-center home req/s: alone / chatting"
        f" | goal (p95 < {f.goal_ms:,.0f} ms, 0 dropped) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        f"| {f.mode} | {f.visitors:,} + {f.agents} | {f.sent:,} | {f.delivered:,} | {f.dropped:,}"
        f" | {f.duplicates} | {f.delivered / f.seconds:.0f} | {_ms(f.latency_ms)}"
        f" | {f.per_connection_kb:,.0f} KB | {100 * f.chat_cpu:.0f} % | {pages} | {verdict} |",
    ]
    details = [
        f"RSS of the chat process{'es' if f.chat_processes > 1 else ''}: "
        f"{f.rss_before_kb / 1024:,.0f} MB before the sockets, {f.rss_idle_kb / 1024:,.0f} MB "
        f"with {f.connections:,} open and idle; opening them took {f.connect_seconds:.1f} s.",
        f"Client CPU while chatting {100 * f.client_cpu:.0f} % of a core; messages stored "
        f"{f.stored:,}; refused {f.refused}; sockets closed by the server {f.closed} "
        f"{f.close_codes or ''}; "
        f"sends failed {f.send_failed}; misrouted {f.misrouted}.",
    ]
    if f.pages_chatting:
        details.append(
            f"Delivery ms p50 / p95 / p99 / max of messages sent while wrk ran: "
            f"{_ms(f.latency_wrk_ms)}; outside that window: {_ms(f.latency_quiet_ms)} (- when"
            " none arrived)."
        )
    if f.pages_alone and f.pages_chatting:
        details.append(
            f"Help-center home p50 / p99 ms: alone {f.pages_alone.p50:.1f} / "
            f"{f.pages_alone.p99:.1f}, chatting {f.pages_chatting.p50:.1f} / "
            f"{f.pages_chatting.p99:.1f}; errors {f.pages_alone.errors} / "
            f"{f.pages_chatting.errors}."
        )
    details += f.notes
    return "\n".join(lines) + "\n\n" + "\n".join(f"- {line}" for line in details) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--visitors", type=int, default=1000)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0, help="of sending")
    parser.add_argument("--interval", type=float, default=10.0, help="between a visitor's messages")
    parser.add_argument("--chat-processes", type=int, default=1, help="with PostgreSQL and Redis")
    parser.add_argument("--redis-url", default="", help="emptied before and after the run")
    parser.add_argument("--idle-seconds", type=float, default=5.0, help="before reading RSS")
    parser.add_argument("--no-wrk", action="store_true", help="no help-center throughput")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument("--keep", action="store_true", help="keep VAR_DIR: the servers' logs")
    parser.add_argument(
        "--chat-app",
        default="supportal.asgi:application",
        help="the ASGI application uvicorn serves: to measure a variant (importable with "
        "PYTHONPATH) without changing the product",
    )
    args = parser.parse_args(argv)
    if args.chat_processes > 1 and args.database != "postgres":
        parser.error("more than one chat process needs Redis: --database postgres")
    if args.visitors < 1 or args.agents < 1 or args.interval <= 0:
        parser.error("--visitors, --agents and --interval must be positive")
    if not args.no_wrk and shutil.which("wrk") is None:
        sys.stderr.write("The chat benchmark needs wrk (make wrk), or --no-wrk.\n")
        return 1
    figures = run(args)
    out()
    out(table(figures))
    if args.json:
        data = dataclasses.asdict(figures)
        data["per_connection_kb"], data["met"] = figures.per_connection_kb, figures.met
        out(json.dumps(data))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
