"""`make bench`: throughput and latency of Supportal's pages under gunicorn, on this machine.

Starts `supportal serve` on a fresh SQLite database in a temporary VAR_DIR (or on DATABASE_URL
when set), loads demo content, then hits each page from a few client threads for a few seconds.
Prints a Markdown table; the figures we keep are in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from tqdm import tqdm

from supportal.lib.net import free_port

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "supportal.cli", *args], env=env, cwd=ROOT, check=True)


def sign_in(port: int, email: str, password: str) -> str:
    """Signs in through the real form; returns the Cookie header for later requests."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/en/accounts/login/")
    response = conn.getresponse()
    html = response.read().decode()
    csrf_cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie", "")).group(1)  # type: ignore[union-attr]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    body = urlencode({"csrfmiddlewaretoken": token, "username": email, "password": password})
    conn.request(
        "POST",
        "/en/accounts/login/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_cookie}",
            "Referer": f"http://127.0.0.1:{port}/en/accounts/login/",
        },
    )
    response = conn.getresponse()
    response.read()
    session = re.search(r"sessionid=([^;]+)", response.getheader("Set-Cookie", ""))
    if response.status != 302 or session is None:
        raise RuntimeError(f"sign-in failed with {response.status}")
    return f"sessionid={session.group(1)}; csrftoken={csrf_cookie}"


def hammer(port: int, path: str, cookie: str, seconds: float, threads: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def run() -> None:
        nonlocal errors
        mine: list[float] = []
        bad = 0
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", path, headers={"Cookie": cookie, "Accept-Encoding": "gzip"})
            response = conn.getresponse()
            response.read()
            conn.close()
            mine.append((time.perf_counter() - started) * 1000)
            if response.status != 200:
                bad += 1
        with lock:
            latencies.extend(mine)
            errors += bad

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    latencies.sort()
    return {
        "rps": len(latencies) / seconds,
        "p50": statistics.median(latencies),
        "p95": latencies[int(len(latencies) * 0.95) - 1],
        "errors": errors,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as var_dir:
        env = {**os.environ, "VAR_DIR": var_dir, "LOG_LEVEL": "WARNING"}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        port = free_port()
        manage("migrate", "--no-input", "-v0", env=env)
        manage("collectstatic", "--no-input", "-v0", env=env)
        manage("demo", "-v0", env=env)
        server = subprocess.Popen(
            [sys.executable, "-m", "supportal.cli", "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            cookie = sign_in(port, "customer@example.com", "supportal-demo")
            pages = [
                ("health check", "/healthz", ""),
                ("home, visitor", "/en/", ""),
                ("sign-in form", "/en/accounts/login/", ""),
                ("profile, signed in", "/en/accounts/profile/", cookie),
            ]
            rows = []
            for label, path, page_cookie in tqdm(pages, desc="pages", file=sys.stderr):
                hammer(port, path, page_cookie, 1.0, args.threads)  # warm up
                rows.append(
                    (label, path, hammer(port, path, page_cookie, args.seconds, args.threads))
                )
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)

    database = (
        "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    )
    sys.stdout.write(
        f"\ngunicorn, 2 sync workers, {database}; {args.threads} client threads, "
        f"{args.seconds:g} s per page, new connection per request\n\n"
        "| page | path | requests/s | p50 ms | p95 ms | errors |\n|---|---|---:|---:|---:|---:|\n"
    )
    for label, path, r in rows:
        sys.stdout.write(
            f"| {label} | `{path}` | {r['rps']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} "
            f"| {r['errors']:.0f} |\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
