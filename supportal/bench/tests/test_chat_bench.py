"""The live-chat benchmark's core at a tiny size: a real chat server, real sockets, every message
at its agent, so the benchmark cannot rot silently as the chat changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from supportal.bench import ROOT


class ChatBenchTests:
    def test_it_delivers_every_message_it_sends(self) -> None:
        # A process of its own: the benchmark sets Django up on its own scratch installation
        # (SQLite in a temporary VAR_DIR, the embedded chat with its in-memory layer).
        command = [
            sys.executable, "-m", "supportal.bench.chat", "--database", "sqlite",
            "--visitors", "5", "--agents", "2", "--seconds", "3", "--interval", "1",
            "--idle-seconds", "0.5", "--no-wrk", "--json",
        ]  # fmt: skip
        result = subprocess.run(
            command,
            cwd=ROOT,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "supportal.settings"},
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )

        assert result.returncode == 0, result.stderr[-2000:]
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        assert figures["sent"] == 15  # 5 visitors, one message a second for 3 s
        assert figures["delivered"] == figures["sent"]
        assert figures["dropped"] == 0
        assert figures["duplicates"] == 0
        assert figures["misrouted"] == 0
        assert figures["closed"] == 0
        assert figures["refused"] == 0
        assert figures["stored"] == figures["sent"]
        assert figures["rss_idle_kb"] > 0
        assert "| SQLite, embedded | 5 + 2 | 15 | 15 | 0 |" in result.stdout
