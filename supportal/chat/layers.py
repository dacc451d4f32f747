"""The embedded chat's channel layer: Channels' in-memory layer, cleaning up at most once a
second.

Channels' `InMemoryChannelLayer` walks every channel and every group membership on each
`receive` and `group_send` to drop expired messages. Each socket waits in `receive` again after
every event, so at 1,000 sockets and 100 chat lines a second that walk was a quarter of the chat
process's CPU (py-spy, `docs/benchmarks.md`, "Live chat"). Messages expire after 60 s and group
memberships after a day, so sweeping once a second expires them on time all the same.
"""

from __future__ import annotations

import time

from channels.layers import InMemoryChannelLayer

SWEEP_EVERY = 1.0  # seconds


class SweepingInMemoryChannelLayer(InMemoryChannelLayer):
    _swept = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._swept < SWEEP_EVERY:
            return
        self._swept = now
        super()._clean_expired()
