"""The load test's server (bench/load.py): `supportal serve` started, warmed and stopped, and
the CPU each group of processes (web, worker, database, Redis, locust) uses while measured."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

from supportal.bench import ROOT, out

STATE = ROOT / "var" / "bench-load"  # data files, server logs, each database's VAR_DIR
WARM_PATHS = (
    "/en/help/",
    "/en/help/search/?q=password",
    "/ko/help/search/?q=%EB%B9%84%EB%B0%80%EB%B2%88%ED%98%B8",  # 비밀번호: the Korean analyser
    "/ja/help/search/?q=%E8%AB%8B%E6%B1%82%E6%9B%B8",  # 請求書
    "/en/accounts/login/",
)


# --- The server ---------------------------------------------------------------------------------


def database_url(database: str) -> str:
    from supportal.bench import tickets  # no Django at import: only the data set's address

    return tickets.database_url(database)


def use_other_data_set(sqlite_file: Path | None, postgres_name: str | None) -> None:
    """Another data set than bench/tickets.py's (a smaller one, to try the tool). A PostgreSQL
    one must be made beforehand: bench/tickets.py makes again only its own."""
    from supportal.bench import tickets

    if sqlite_file is not None:
        tickets.SQLITE_PATH = sqlite_file.resolve()
    if postgres_name is not None:
        if postgres_name in ("supportal", "supportal_test"):
            raise SystemExit(f"{postgres_name} is someone's data, not a data set for load tests.")
        tickets.PG_NAME = postgres_name


def server_env(database: str, port: int, redis_url: str) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        # Production defaults: nothing from the caller's shell changes the limits or the mode.
        if name not in ("RATE_LIMITS", "DEBUG", "REDIS_URL", "DATABASE_URL", "VAR_DIR")
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "supportal.settings",
            "DATABASE_URL": database_url(database),
            "VAR_DIR": str(STATE / database),
            "SITE_URL": f"http://127.0.0.1:{port}",
            "LOG_LEVEL": "WARNING",
        }
    )
    if database == "postgres":
        env["REDIS_URL"] = redis_url
    return env


class Server:
    """`supportal serve` in a session of its own, so that stopping it stops gunicorn and the
    worker with it, whatever happens to this process."""

    def __init__(self, env: dict[str, str], workers: int, port: int) -> None:
        self.env, self.workers, self.port = env, workers, port
        self.log = STATE / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                raise SystemExit(f"Port {self.port} is in use; choose another with --port.")
        supportal = str(Path(sys.executable).with_name("supportal"))
        command = [supportal, "serve", "--workers", str(self.workers), "--port", str(self.port)]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, env=self.env, cwd=ROOT, stdout=log, stderr=log, start_new_session=True
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"The server stopped while starting:\n{self.tail()}")
            if self.ready():
                self.warm()
                return
            time.sleep(0.5)
        raise SystemExit(f"The server did not answer in 90 s:\n{self.tail()}")

    def ready(self) -> bool:
        try:
            return self.get("/readyz", timeout=2) == 200
        except OSError:
            return False

    def warm(self) -> None:
        """Each worker loads its code and the search analysers on its first requests (seconds,
        and tens of seconds on a busy machine): that happens here, not in the measurement."""
        from concurrent.futures import ThreadPoolExecutor

        def visit(_n: int) -> None:
            for path in WARM_PATHS:
                with suppress(OSError):
                    self.get(path, timeout=120)

        with ThreadPoolExecutor(self.workers * 2) as pool:
            list(pool.map(visit, range(self.workers * 4)))
        self.wait_until_quiet()

    def wait_until_quiet(self, limit: float = 60) -> None:
        """Until every web worker is up and the server's processes idle (under a tenth of a
        core for a second): a worker still starting (Django, Kiwi) would otherwise take CPU
        from the first measured minute."""
        import psutil

        assert self.process is not None  # noqa: S101 - started above
        server = psutil.Process(self.process.pid)
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            with suppress(psutil.Error):
                tree = server.children(recursive=True)
                web = [p for p in tree if "gunicorn" in " ".join(p.cmdline())]
                before = sum(sum(p.cpu_times()[:2]) for p in tree)
                time.sleep(1)
                used = sum(sum(p.cpu_times()[:2]) for p in tree)
                if len(web) > self.workers and used - before < 0.1:
                    return
        out(f"The server was still busy {limit:.0f} s after its warm-up; measuring anyway.")

    def get(self, path: str, timeout: float) -> int:
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # serve stops gunicorn and huey, then exits
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=25)
        # Anything left in the server's session (a stuck worker) goes too.
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)


# --- CPU ----------------------------------------------------------------------------------------


class CpuMeter:
    """CPU seconds of each group of processes, sampled every second (processes that start
    during a run count from zero; one that ends loses at most its last second)."""

    GROUPS = ("web", "worker", "database", "redis", "locust", "flood")

    def __init__(self, server_pid: int, database: str) -> None:
        import psutil

        self.psutil = psutil
        self.server = psutil.Process(server_pid)
        self.database = database
        self.extra: dict[str, int] = {"locust": os.getpid()}
        self.base: dict[int, float] = {}
        self.last: dict[int, tuple[str, float]] = {}

    def groups(self) -> Iterator[tuple[str, Any]]:
        psutil = self.psutil
        with suppress(psutil.Error):
            for child in self.server.children(recursive=True):
                with suppress(psutil.Error):
                    cmdline = " ".join(child.cmdline())
                    if "run_huey" in cmdline:
                        yield "worker", child
                    elif "gunicorn" in cmdline:
                        yield "web", child
        for group, pid in self.extra.items():
            with suppress(psutil.Error):
                yield group, psutil.Process(pid)
        for process in psutil.process_iter(["name", "cmdline"]):
            name = process.info["name"] or ""
            cmdline = " ".join(process.info["cmdline"] or [])
            if name.startswith("redis-server") and self.database == "postgres":
                yield "redis", process
            elif name == "postgres" and self.database == "postgres" and _ours(cmdline):
                yield "database", process

    def sample(self) -> None:
        for group, process in self.groups():
            with suppress(self.psutil.Error):
                times = process.cpu_times()
                self.last[process.pid] = (group, times.user + times.system)

    def mark(self) -> None:
        """Starts a measuring window."""
        self.sample()
        self.base = {pid: seconds for pid, (_group, seconds) in self.last.items()}

    def seconds(self) -> dict[str, float]:
        self.sample()
        used = dict.fromkeys(self.GROUPS, 0.0)
        for pid, (group, seconds) in self.last.items():
            used[group] += seconds - self.base.get(pid, 0.0)
        return used


def _ours(cmdline: str) -> bool:
    """A PostgreSQL process working for the bench database: its backends, and the shared
    writers and vacuum launcher (on a quiet machine, all for it)."""
    shared = ("checkpointer", "background writer", "walwriter", "autovacuum launcher")
    from supportal.bench import tickets

    return f" {tickets.PG_NAME} " in f"{cmdline} " or any(f": {name}" in cmdline for name in shared)
