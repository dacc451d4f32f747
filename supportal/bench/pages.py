"""`make bench`, first step: customer pages under `supportal serve`, beside a minimal Django view.

Starts `supportal serve` (gunicorn, 2 sync workers, and its task worker) on a fresh SQLite
database with the demo content in a temporary VAR_DIR, and a one-view Django app
(supportal/bench/minimal.py) under gunicorn with the same worker settings. wrk (16 connections,
2 threads, gzip accepted) loads each page for a few seconds after a one-second warm-up. Prints
requests/s, p50 and p99 and each page's share of the minimal view measured in the same run.

    python -m supportal.bench.pages                      # SQLite, no Redis
    python -m supportal.bench.pages --database postgres  # PostgreSQL and Redis
    python -m supportal.bench.pages --before ../before   # also another checkout, same session

`--before` runs the same pages against another checkout of Supportal (a git worktree of an
earlier commit) right after this one, so a change is measured against its starting point on
the same machine in the same quarter hour. The figures we keep are in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from supportal.lib.net import free_port, free_port_pair, wait_listening

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/{name}"
REDIS_URL = "redis://127.0.0.1:6379/{number}"
# Load generators hit one address far beyond the product's per-address limits.
UNLIMITED = "search=1000000/m,suggest=1000000/m"
# The per-address budget of every request (FloodGuardMiddleware), where the tree has one.
UNLIMITED_REQUESTS = ",requests=100000000/m"


@dataclass
class Result:
    rps: float
    p50: float
    p99: float
    errors: int


@dataclass(frozen=True)
class Page:
    label: str
    path: str
    signed_in: bool = False


def manage(tree: Path, *args: str, env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "supportal.cli", *args],
        env=env,
        cwd=tree,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server on port {port} did not start") from None
            time.sleep(0.2)


@contextmanager
def running(args: list[str], *, env: dict[str, str], cwd: Path, port: int) -> Iterator[None]:
    process = subprocess.Popen(args, env=env, cwd=cwd, stdout=subprocess.DEVNULL)
    try:
        wait_for_port(port, process)
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def get(
    port: int, path: str, cookie: str = "", timeout: float = 30
) -> tuple[int, str, http.client.HTTPResponse]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = conn.getresponse()
    body = response.read().decode("utf-8", "replace")
    conn.close()
    return response.status, body, response


def sign_in(port: int, email: str, password: str) -> str:
    """Signs in through the real form; returns the Cookie header for later requests."""
    _status, html, response = get(port, "/en/accounts/login/")
    csrf_cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie", "") or "")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if csrf_cookie is None or token is None:
        raise RuntimeError("the sign-in form has no CSRF token")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = urlencode(
        {"csrfmiddlewaretoken": token.group(1), "username": email, "password": password}
    )
    conn.request(
        "POST",
        "/en/accounts/login/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_cookie.group(1)}",
            "Referer": f"http://127.0.0.1:{port}/en/accounts/login/",
            "Origin": f"http://127.0.0.1:{port}",
        },
    )
    answer = conn.getresponse()
    answer.read()
    session = re.search(r"sessionid=([^;]+)", answer.getheader("Set-Cookie", "") or "")
    if answer.status != 302 or session is None:
        raise RuntimeError(f"sign-in failed with {answer.status}")
    return f"sessionid={session.group(1)}; csrftoken={csrf_cookie.group(1)}"


_DURATION = re.compile(r"^([\d.]+)(us|ms|s|m)$")
_SCALE = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"unexpected wrk duration {text!r}")
    return float(match[1]) * _SCALE[match[2]]


def wrk(port: int, path: str, cookie: str, seconds: float, connections: int) -> Result:
    command = [
        "wrk", "--latency", "-t2", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s",
        "-H", "Accept-Encoding: gzip",
    ]  # fmt: skip
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    command.append(f"http://127.0.0.1:{port}{path}")
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    if rps is None or p50 is None or p99 is None:
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    errors = 0
    for pattern in (r"Non-2xx or 3xx responses: (\d+)", r"Socket errors: (.*)"):
        found = re.search(pattern, output)
        if found:
            errors += sum(int(n) for n in re.findall(r"\d+", found.group(1)))
    return Result(float(rps[1]), _ms(p50[1]), _ms(p99[1]), errors)


def measure(port: int, path: str, cookie: str, args: argparse.Namespace) -> Result:
    wrk(port, path, cookie, 1, args.connections)  # warm-up: caches, connections, imports
    return wrk(port, path, cookie, args.seconds, args.connections)


def gunicorn(app: str, port: int, workers: int) -> list[str]:
    # The same server settings as `supportal serve` (supportal/core/management/commands/serve.py).
    return [
        sys.executable, "-m", "gunicorn", app,
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        "--worker-tmp-dir", "/dev/shm" if os.path.isdir("/dev/shm") else "/tmp",  # noqa: S108
        "--graceful-timeout", "10",
    ]  # fmt: skip


@dataclass
class Server:
    label: str
    port: int
    cookie: str = ""
    found: dict[str, str] | None = None
    env: dict[str, str] | None = None  # the installation's environment, for commands on it


def _fresh_postgres(name: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_URL.format(name="postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def discover(port: int, cookie: str) -> dict[str, str]:
    """Paths that depend on the demo data: an article, one of the customer's requests."""
    _status, html, _response = get(port, "/en/help/")
    article = re.search(r'href="(/en/help/articles/\d+/)"', html)
    _status, html, _response = get(port, "/en/requests/", cookie)
    request = re.search(r'href="(/en/requests/\d+/)"', html)
    if article is None or request is None:
        raise RuntimeError("the demo content has no article or no request for the customer")
    return {"article": article.group(1), "request": request.group(1)}


def pages(found: dict[str, str]) -> list[Page]:
    return [
        Page("health check", "/healthz"),
        Page("help center", "/en/help/"),
        Page("article", found["article"]),
        Page("FAQ", "/en/help/faq/"),
        Page("announcements", "/en/help/announcements/"),
        Page("sitemap", "/sitemap.xml"),
        Page("announcements feed", "/en/help/announcements/feed/"),
        Page("home, visitor", "/en/"),
        Page("search", "/en/help/search/?q=password"),
        Page("sign-in form", "/en/accounts/login/"),
        Page("home, signed in", "/en/", signed_in=True),
        Page("my requests", "/en/requests/", signed_in=True),
        Page("a request", found["request"], signed_in=True),
        Page("submit a request", "/en/requests/new", signed_in=True),
        Page("profile", "/en/accounts/profile/", signed_in=True),
    ]


def settings_text(tree: Path) -> str:
    return (tree / "supportal" / "settings.py").read_text(encoding="utf-8")


def start_tree(
    stack: ExitStack, tree: Path, label: str, number: int, args: argparse.Namespace
) -> Server:
    """A fresh installation of the checkout `tree` with the demo content, served."""
    var_dir = stack.enter_context(tempfile.TemporaryDirectory())
    env = {
        **os.environ,
        "VAR_DIR": var_dir,
        "LOG_LEVEL": "WARNING",
        "RATE_LIMITS": UNLIMITED
        + (UNLIMITED_REQUESTS if "FloodGuardMiddleware" in settings_text(tree) else ""),
        "PYTHONPATH": str(tree),
        "WEB_WORKERS": str(args.workers),
    }
    for name in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    if args.database == "postgres":
        database = f"supportal_bench_pages_{label}"
        _fresh_postgres(database)
        env["DATABASE_URL"] = POSTGRES_URL.format(name=database)
        env["REDIS_URL"] = re.sub(r"/\d+$", f"/{number}", args.redis_url)
        _flush_redis(env["REDIS_URL"])
    port = free_port_pair()  # the chat server takes port + 1
    env["SITE_URL"] = f"http://127.0.0.1:{port}"
    manage(tree, "migrate", "--no-input", "-v0", env=env)
    manage(tree, "collectstatic", "--no-input", "-v0", env=env)
    manage(tree, "demo", "-v0", env=env)
    command = [sys.executable, "-m", "supportal.cli", "serve", "--port", str(port)]
    stack.enter_context(running(command, env=env, cwd=tree, port=port))
    # gunicorn listens before its workers have imported the project: on a busy machine the
    # first answer takes longer than a page's timeout.
    get(port, "/healthz", timeout=300)
    # Until the chat server listens, free_port() may hand its port to the next tree.
    wait_listening(port + 1, timeout=300)
    server = Server(label, port, env=env)
    server.cookie = sign_in(port, "customer@example.com", "supportal-demo")
    server.found = discover(port, server.cookie)
    return server


def _table(rows: list[tuple[Page, Result, list[tuple[str, Page, Result]]]], database: str) -> str:
    labels = [label for label, _page, _result in rows[0][2]]
    head = "| page | minimal view req/s | " + " | ".join(
        f"{label}: req/s | p50 ms | p99 ms | % of minimal" for label in labels
    )
    lines = [
        f"gunicorn, 2 sync workers, {database}; wrk, 16 connections, 2 threads, gzip accepted;"
        " each row measured right after the minimal view of the same row.",
        "",
        head + " |",
        "|---|---:|" + "---:|---:|---:|---:|" * len(labels),
    ]
    for page, minimal, measured in rows:
        cells = []
        for _label, _page, r in measured:
            errors = f" ({r.errors} errors)" if r.errors else ""
            share = 100 * r.rps / minimal.rps if minimal.rps else 0
            cells.append(f"{r.rps:.0f}{errors} | {r.p50:.1f} | {r.p99:.1f} | {share:.0f} %")
        who = ", signed in" if page.signed_in and "signed in" not in page.label else ""
        lines.append(
            f"| {page.label}{who} (`{page.path}`) | {minimal.rps:.0f} | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--redis-url", default=REDIS_URL.format(number=12))
    parser.add_argument("--before", type=Path, help="another checkout to measure the same way")
    parser.add_argument("--only", help="measure only pages whose label contains this")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        sys.stderr.write("make bench needs wrk: apt-get install wrk\n")
        return 1

    trees = [(ROOT, "now")]
    if args.before is not None:
        trees.append((args.before.resolve(), "before"))
    base = int(re.search(r"/(\d+)$", args.redis_url).group(1))  # type: ignore[union-attr]
    rows = []
    with ExitStack() as stack:
        minimal_port = free_port()
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "supportal.bench.minimal"}
        command = gunicorn("supportal.bench.minimal:application", minimal_port, args.workers)
        stack.enter_context(running(command, env=env, cwd=ROOT, port=minimal_port))
        servers = [
            start_tree(stack, tree, label, (base + n) % 16, args)
            for n, (tree, label) in enumerate(trees)
        ]
        # Row by row, the yardstick right before the pages: the machine's drift (other work
        # on its two cores) moves both alike, and the share stays comparable.
        for index, page in enumerate(pages(servers[0].found or {})):
            if args.only and args.only not in page.label:
                continue
            minimal = measure(minimal_port, "/", "", args)
            measured = []
            for server in servers:
                own = pages(server.found or {})[index]
                cookie = server.cookie if own.signed_in else ""
                result = measure(server.port, own.path, cookie, args)
                measured.append((server.label, own, result))
                sys.stderr.write(
                    f"  {page.label}: minimal {minimal.rps:.0f}/s, "
                    f"{server.label} {result.rps:.0f}/s\n"
                )
            rows.append((page, minimal, measured))
    database = "PostgreSQL and Redis" if args.database == "postgres" else "SQLite, no Redis"
    sys.stdout.write("\n" + _table(rows, database))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
