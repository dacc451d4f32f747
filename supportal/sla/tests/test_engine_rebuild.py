from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from supportal.sla.models import Metric, SlaTimer, TicketSla
from supportal.sla.rebuild import sla_rebuild
from supportal.sla.tests.helpers import make_policy
from supportal.test import Personas, make_ticket
from supportal.tickets.models import Priority, Status, Ticket
from supportal.tickets.services import Changes, ticket_reply, ticket_update

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
R, S, N, P = (
    Metric.FIRST_REPLY,
    Metric.RESOLUTION,
    Metric.NEXT_REPLY,
    Metric.PERIODIC_UPDATE,
)


def snapshot(ticket: Ticket) -> list[tuple[object, ...]]:
    return [
        (t.metric, t.state, t.started_at, t.due_at, t.stopped_at, t.seconds_left, t.policy_id)
        for t in SlaTimer.objects.filter(ticket=ticket).order_by("metric", "started_at")
    ]


class RebuildTests:
    def test_it_computes_the_same_clocks_as_the_live_engine(self, personas: Personas) -> None:
        make_policy(
            "Standard",
            targets=[
                (Priority.NORMAL, R, 60, False),
                (Priority.NORMAL, S, 600, False),
                (Priority.NORMAL, N, 120, False),
                (Priority.NORMAL, P, 240, False),
            ],
        )
        with time_machine.travel(START, tick=False) as clock:
            a = make_ticket(personas.customer, subject="A")
            b = make_ticket(personas.customer, subject="B")
            c = make_ticket(personas.customer, subject="C", actor=personas.agent)
            clock.shift(timedelta(minutes=20))
            ticket_reply(ticket=a, author=personas.agent, body="Hi", status=Status.PENDING)
            ticket_reply(ticket=b, author=personas.agent, body="Note", public=False)
            clock.shift(timedelta(minutes=50))
            ticket_reply(ticket=a, author=personas.customer, body="Back")
            ticket_reply(ticket=b, author=personas.agent, body="Late")
            clock.shift(timedelta(minutes=30))
            ticket_update(ticket=b, actor=personas.agent, changes=Changes(status=Status.SOLVED))
            clock.shift(timedelta(minutes=30))
            ticket_reply(ticket=b, author=personas.customer, body="Not fixed")
            ticket_reply(ticket=c, author=personas.customer, body="Thanks")
        live = {t.pk: snapshot(t) for t in (a, b, c)}
        sla_live = list(TicketSla.objects.order_by("pk").values_list())
        assert sum(len(v) for v in live.values()) >= 10
        count = sla_rebuild([a, b, c], now=START + timedelta(minutes=130))
        for t in (a, b, c):
            assert snapshot(t) == live[t.pk], t.subject
        assert count == sum(len(v) for v in live.values())
        assert {t.pk: snapshot(t) for t in (a, b, c)} == live
        assert list(TicketSla.objects.order_by("pk").values_list()) == sla_live

    def test_it_marks_overdue_clocks_breached_without_events(self, personas: Personas) -> None:
        with time_machine.travel(START, tick=False):
            ticket = make_ticket(personas.customer)
        make_policy("Standard", targets=[(Priority.NORMAL, R, 60, False)])
        assert not SlaTimer.objects.exists()
        sla_rebuild([ticket.pk], now=START + timedelta(hours=3))
        timer = SlaTimer.objects.get(ticket=ticket)
        assert (timer.state, timer.breached_at) == (
            SlaTimer.State.RUNNING,
            START + timedelta(hours=1),
        )
        assert not ticket.events.filter(kind="sla_breached").exists()
        assert TicketSla.objects.get(ticket=ticket).next_due_at == START + timedelta(hours=1)


class DemoTests:
    def test_the_demo_has_policies_leads_and_clocks_and_loads_twice(self) -> None:
        from django.core.management import call_command

        from supportal.sla.models import GroupLead, SlaPolicy

        call_command("demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
        assert list(SlaPolicy.objects.values_list("name", flat=True)) == [
            "Urgent and high",
            "Standard",
        ]
        assert GroupLead.objects.count() == 2
        open_tickets = Ticket.objects.filter(is_open=True).count()
        assert TicketSla.objects.filter(next_due_at__isnull=False).count() >= open_tickets - 2
        timers = SlaTimer.objects.count()
        assert timers > 0
        call_command("demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
        assert SlaPolicy.objects.count() == 2
        assert SlaTimer.objects.count() == timers
