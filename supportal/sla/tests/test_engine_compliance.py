from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from supportal.sla.models import Metric
from supportal.sla.selectors import compliance
from supportal.sla.services import sla_check
from supportal.sla.tests.helpers import make_policy
from supportal.test import Personas, make_ticket
from supportal.tickets.models import Priority, Status
from supportal.tickets.services import Changes, ticket_reply, ticket_update

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class ComplianceTests:
    def test_it_counts_achieved_and_breached_targets_per_metric(self, personas: Personas) -> None:
        make_policy(
            "Standard",
            targets=[
                (Priority.NORMAL, Metric.FIRST_REPLY, 60, False),
                (Priority.NORMAL, Metric.RESOLUTION, 240, False),
            ],
        )
        with time_machine.travel(START, tick=False) as clock:
            on_time = make_ticket(personas.customer, group=personas.support)
            late = make_ticket(personas.customer, group=personas.billing)
            make_ticket(personas.customer, group=personas.support)  # left waiting
            solved_first = make_ticket(personas.customer, group=personas.support)
            clock.shift(timedelta(minutes=10))
            ticket_reply(ticket=on_time, author=personas.agent, body="Hello")
            ticket_update(
                ticket=solved_first,
                actor=personas.agent,
                changes=Changes(status=Status.SOLVED),
            )
            clock.shift(timedelta(minutes=80))
            ticket_reply(ticket=late, author=personas.agent, body="Sorry", status=Status.SOLVED)
        sla_check(START + timedelta(hours=2))  # `waiting`'s first reply: breached, running
        report = {
            c.metric: (c.achieved, c.breached) for c in compliance(START, START + timedelta(days=1))
        }
        assert report == {
            Metric.FIRST_REPLY: (1, 2),  # on_time / late, waiting (solved_first: cancelled)
            Metric.NEXT_REPLY: (0, 0),
            Metric.PERIODIC_UPDATE: (0, 0),
            Metric.RESOLUTION: (2, 0),  # solved_first, late
        }
        support = {
            c.metric: (c.achieved, c.breached)
            for c in compliance(START, START + timedelta(days=1), group=personas.support)
        }
        assert support[Metric.FIRST_REPLY] == (1, 1)
        first = compliance(START, START + timedelta(days=1))[0]
        assert first.rate == pytest.approx(1 / 3)
        # Nothing before the period.
        assert all(c.total == 0 for c in compliance(START - timedelta(days=1), START))
        assert compliance(START - timedelta(days=1), START)[0].rate is None
