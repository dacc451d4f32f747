from __future__ import annotations

import asyncio
import time
from typing import Any

from supportal.chat import layers
from supportal.chat.layers import SweepingInMemoryChannelLayer
from supportal.chat.tests.conftest import run


def test_it_delivers_to_groups_and_still_expires_what_nobody_read(monkeypatch: Any) -> None:
    monkeypatch.setattr(layers, "SWEEP_EVERY", 0.2)

    async def scenario() -> tuple[dict[str, Any], list[str], dict[str, Any]]:
        layer = SweepingInMemoryChannelLayer(expiry=0.1)
        await layer.group_add("chat.1", "reader.a")
        await layer.group_add("chat.1", "gone.b")
        await layer.group_send("chat.1", {"type": "chat.event", "n": 1})
        first = await layer.receive("reader.a")
        # gone.b never reads: once its message has expired and a sweep has run, it has left.
        await asyncio.sleep(0.3)
        await layer.group_send("chat.1", {"type": "chat.event", "n": 2})
        members = sorted(layer.groups.get("chat.1", {}))
        second = await layer.receive("reader.a")
        return first, members, second

    first, members, second = run(scenario())
    assert first["n"] == 1 and second["n"] == 2
    assert members == ["reader.a"]


def test_it_sweeps_at_most_once_a_second(monkeypatch: Any) -> None:
    layer = SweepingInMemoryChannelLayer()
    swept: list[float] = []
    original = layers.InMemoryChannelLayer._clean_expired

    def counting(self: Any) -> None:
        swept.append(time.monotonic())
        original(self)

    monkeypatch.setattr(layers.InMemoryChannelLayer, "_clean_expired", counting)

    async def many() -> None:
        for n in range(500):
            await layer.send("reader.a", {"type": "chat.event", "n": n})
            await layer.receive("reader.a")

    run(many())
    assert len(swept) == 1
