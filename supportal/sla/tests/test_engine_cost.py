from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supportal.sla import engine, policies
from supportal.test import Personas, make_ticket
from supportal.tickets import hooks
from supportal.tickets.services import Changes, ticket_reply, ticket_update

pytestmark = pytest.mark.django_db


def count(action: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as context:
        action()
    return len(context.captured_queries)


class FastPathTests:
    def test_the_receiver_is_connected(self) -> None:
        assert engine.on_ticket_changed in hooks._receivers

    def test_without_policies_a_change_costs_no_query_for_service_levels(
        self, personas: Personas, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # The per-process copy as a worker has it: read, and checked a moment ago.
        policies.policies_changed()
        policies.active_policies()

        def actions() -> list[int]:
            ticket = make_ticket(personas.customer)
            return [
                count(lambda: make_ticket(personas.customer, subject="Another")),
                count(lambda: ticket_reply(ticket=ticket, author=personas.agent, body="Hi")),
                count(
                    lambda: ticket_update(
                        ticket=ticket, actor=personas.agent, changes=Changes(priority=3)
                    )
                ),
            ]

        with_receiver = actions()
        monkeypatch.setattr(
            hooks, "_receivers", [r for r in hooks._receivers if r is not engine.on_ticket_changed]
        )
        without_receiver = actions()
        assert with_receiver == without_receiver

    def test_the_shared_version_is_read_at_most_every_few_seconds(
        self, personas: Personas, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from supportal.core import copies

        copy = policies._copy
        reads = []
        real = copy._shared_version
        monkeypatch.setattr(copy, "_shared_version", lambda: reads.append(1) or real())
        clock = [1000.0]
        monkeypatch.setattr(copies.time, "monotonic", lambda: clock[0])
        policies.policies_changed()
        for _ in range(50):
            policies.active_policies()
        assert len(reads) == 1
        clock[0] += copy.recheck
        policies.active_policies()
        assert len(reads) == 2
