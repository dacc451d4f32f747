"""Runs the web server (gunicorn, WSGI), the chat server (uvicorn, ASGI: WebSockets) and the task
worker (huey) together until stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from supportal.core.management.commands.demo import DEMO_PASSWORD, DEMO_USERS
from supportal.monitoring.metrics import MULTIPROC_ENV, reset_multiproc_dir


class Command(BaseCommand):
    help = (
        "Serve Supportal: pages with gunicorn, chat with uvicorn on the next port, and the huey "
        "worker. Ctrl-C stops all three."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "2")))
        parser.add_argument(
            "--chat-port",
            type=int,
            default=int(os.environ["CHAT_PORT"]) if os.environ.get("CHAT_PORT") else None,
            help="Port of the chat server (default: the web port + 1).",
        )
        parser.add_argument("--demo-logins", action="store_true", help="Print the demo accounts.")

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"]
        url = f"http://{host}:{port}"
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "supportal.settings"}
        env.setdefault("SITE_URL", url)
        chat_port = options["chat_port"] or port + 1
        # Pages tell browsers where the chat's WebSockets are (behind a load balancer that
        # routes /ws/ to the chat processes, leave CHAT_URL empty: the page's own origin).
        env.setdefault("CHAT_URL", f"ws://{host}:{chat_port}")
        # gunicorn's workers and the huey worker each write their metrics to a file in this
        # folder, which /metrics adds up; a fresh start begins from zero.
        metrics_dir = Path(env.get(MULTIPROC_ENV) or Path(settings.VAR_DIR) / "prometheus")
        reset_multiproc_dir(metrics_dir)
        env[MULTIPROC_ENV] = str(metrics_dir)
        python = sys.executable
        web = [
            python, "-m", "gunicorn", "supportal.wsgi:application",
            "--bind", f"{host}:{port}",
            "--workers", str(options["workers"]),
            "--worker-tmp-dir", "/dev/shm" if os.path.isdir("/dev/shm") else "/tmp",  # noqa: S108
            "--graceful-timeout", "10",
            "--forwarded-allow-ips", os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
            # Heartbeats and the metrics files of workers that exit (supportal/monitoring).
            "--config", "python:supportal.monitoring.gunicorn_config",
        ]  # fmt: skip
        chat = [
            python, "-m", "uvicorn", "supportal.asgi:application",
            "--host", host, "--port", str(chat_port),
            "--lifespan", "off", "--no-access-log",
            # Frames over 64 KB close the socket (consumers refuse text over 16 KB politely).
            "--ws-max-size", "65536",
            "--ws-ping-interval", "20", "--ws-ping-timeout", "20",
            "--timeout-graceful-shutdown", "5",
        ]  # fmt: skip
        worker = [python, "-m", "supportal.cli", "run_huey", "--quiet"]
        processes = [
            subprocess.Popen(web, env=env),
            subprocess.Popen(chat, env=env),
            subprocess.Popen(worker, env=env),
        ]

        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)

        self.stdout.write(self.style.SUCCESS(f"Supportal is running at {url}/"))
        if options["demo_logins"]:
            self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
            for email, name, role, *_rest in DEMO_USERS:
                self.stdout.write(f"  {role:<9} {email:<24} {name}")
        self.stdout.write(f"Chat (WebSockets) on {env['CHAT_URL']}/ws/")
        self.stdout.write("Press Ctrl-C to stop the web server, the chat server and the worker.")

        exit_code = 0
        while not stopping:
            for process in processes:
                if process.poll() is not None:
                    self.stderr.write(
                        f"{process.args[2]} exited with {process.returncode}; stopping."
                    )
                    exit_code = process.returncode or 1
                    stopping = True
            time.sleep(0.2)
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.stdout.write("Stopped.")
        if exit_code:
            raise SystemExit(exit_code)
