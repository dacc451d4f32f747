from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import websockets

from supportal.chat.tests.conftest import run
from supportal.lib.net import free_port

ROOT = Path(__file__).resolve().parents[3]


def supportal(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "supportal.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )


class ServeTests:
    def test_it_serves_pages_and_runs_the_worker_until_interrupted(self, tmp_path: Path) -> None:
        port = free_port()
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
        }
        chat_port = free_port()
        env.update(VAR_DIR=str(tmp_path), PORT=str(port), CHAT_PORT=str(chat_port), WEB_WORKERS="1")
        # The processes, not the search model: the demo content loads without embedding it.
        env["SEMANTIC_MODEL"] = "none"
        supportal("migrate", "--no-input", "-v0", env=env)
        supportal("collectstatic", "--no-input", "-v0", env=env)
        supportal("demo", env=env)
        server = subprocess.Popen(
            [sys.executable, "-m", "supportal.cli", "serve", "--demo-logins"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            body = ""
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                        body = r.read().decode()
                        break
                except OSError:
                    time.sleep(0.3)
            assert '"status": "ok"' in body
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/en/accounts/login/") as r:
                assert "Sign in" in r.read().decode()
            # The chat process (uvicorn) answers beside it: a WebSocket without a visitor's
            # cookie is refused at the handshake, which only the running chat app can say.
            refused = None
            while time.monotonic() < deadline and refused is None:
                try:
                    run(_open(f"ws://127.0.0.1:{chat_port}/ws/chat/visitor/"))
                except websockets.exceptions.InvalidStatus as error:
                    refused = error.response.status_code
                except OSError:
                    time.sleep(0.3)
            assert refused == 403
        finally:
            server.send_signal(signal.SIGINT)
            output, _ = server.communicate(timeout=30)
        assert server.returncode == 0, output
        assert f"Supportal is running at http://127.0.0.1:{port}/" in output
        assert "admin@example.com" in output
        assert "supportal-demo" in output
        assert "Stopped." in output
        assert f"Chat (WebSockets) on ws://127.0.0.1:{chat_port}/ws/" in output
        # Every child is gone: nothing listens on either port any more.
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{chat_port}/healthz", timeout=2)


async def _open(url: str) -> None:
    async with websockets.connect(url, additional_headers={"Origin": "http://127.0.0.1"}):
        pass
