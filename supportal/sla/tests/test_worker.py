from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supportal.core.models import OutboundEmail
from supportal.sla.models import GroupLead, Metric, SlaTimer
from supportal.sla.services import sla_check
from supportal.sla.tests.helpers import make_policy
from supportal.test import Personas, make_ticket, make_user
from supportal.tickets.models import Channel, Priority, Ticket, TicketEvent
from supportal.tickets.services import Changes, ticket_update

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
R, S = Metric.FIRST_REPLY, Metric.RESOLUTION
Kind = TicketEvent.Kind


def sla_events(ticket: Ticket | None = None) -> list[tuple[int, str, str, str]]:
    events = TicketEvent.objects.filter(kind__in=(Kind.SLA_WARNING, Kind.SLA_BREACHED))
    if ticket is not None:
        events = events.filter(ticket=ticket)
    return list(events.order_by("pk").values_list("ticket_id", "kind", "field", "via"))


def mail_to(email: str) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(to__icontains=email).order_by("pk"))


class WorkerTests:
    def test_it_warns_before_and_breaches_at_the_due_time_once(self, personas: Personas) -> None:
        policy = make_policy("Standard", warn_minutes=15, targets=[(Priority.NORMAL, R, 60, False)])
        with time_machine.travel(START, tick=False):
            ticket = make_ticket(personas.customer)
        via = f"sla:{policy.pk}"
        assert sla_check(START + timedelta(minutes=44)).warned == 0
        assert sla_check(START + timedelta(minutes=45)).warned == 1
        assert sla_check(START + timedelta(minutes=46)).warned == 0  # run again: nothing new
        assert sla_events(ticket) == [(ticket.pk, Kind.SLA_WARNING, "sla:first_reply", via)]
        result = sla_check(START + timedelta(minutes=60))
        assert (result.warned, result.breached) == (0, 1)
        assert sla_check(START + timedelta(minutes=61)).breached == 0
        assert sla_events(ticket)[1] == (ticket.pk, Kind.SLA_BREACHED, "sla:first_reply", via)
        event = TicketEvent.objects.get(kind=Kind.SLA_BREACHED)
        assert (event.actor, event.channel) == (None, Channel.SYSTEM)
        timer = SlaTimer.objects.get(ticket=ticket)
        assert timer.breached_at == START + timedelta(minutes=60)
        assert timer.warned_at == START + timedelta(minutes=45)

    def test_it_breaches_without_warning_a_clock_found_already_overdue(
        self, personas: Personas
    ) -> None:
        make_policy("Standard", targets=[(Priority.NORMAL, R, 60, False)])
        with time_machine.travel(START, tick=False):
            ticket = make_ticket(personas.customer)
        result = sla_check(START + timedelta(hours=5))
        assert (result.warned, result.breached) == (0, 1)
        assert [k for _t, k, _f, _v in sla_events(ticket)] == [Kind.SLA_BREACHED]

    def test_it_ignores_stopped_and_paused_clocks(self, personas: Personas) -> None:
        make_policy("Standard", targets=[(Priority.NORMAL, R, 60, False)])
        with time_machine.travel(START, tick=False):
            ticket = make_ticket(personas.customer)
            ticket_update(ticket=ticket, actor=personas.agent, changes=Changes(status="pending"))
            other = make_ticket(personas.customer)
            ticket_update(ticket=other, actor=personas.agent, changes=Changes(status="solved"))
        assert sla_check(START + timedelta(hours=5)).breached == 0

    def test_it_walks_every_batch_with_the_same_queries(self, personas: Personas) -> None:
        make_policy(
            "Standard",
            notify_on_breach=False,
            warn_minutes=0,
            targets=[(Priority.NORMAL, R, 60, False), (Priority.NORMAL, S, 120, False)],
        )
        with time_machine.travel(START, tick=False):
            for n in range(12):
                make_ticket(personas.customer, subject=f"Request {n}")

        def queries(size: int, at: datetime) -> tuple[int, int]:
            with CaptureQueriesContext(connection) as context:
                result = sla_check(at, batch_size=size)
            return result.batches, len(context.captured_queries)

        # 12 first-reply breaches: 3 full batches of 4, and one empty read.
        few = queries(4, START + timedelta(minutes=61))
        # 12 more (resolution), in 2 batches of 6, one of them to end.
        more = queries(6, START + timedelta(minutes=121))
        assert (few[0], more[0]) == (3, 2)
        # queries = batches * per_batch + fixed; a query per clock would show in `fixed`.
        per_batch = few[1] - more[1]
        fixed = more[1] - 2 * per_batch
        assert per_batch <= 6
        assert fixed <= 4
        assert TicketEvent.objects.filter(kind=Kind.SLA_BREACHED).count() == 24


class EscalationTests:
    def test_a_breach_notifies_raises_reassigns_once(self, personas: Personas) -> None:
        lead = make_user("lead@support.test", name="Lead", role="agent", language="ko")
        GroupLead.objects.create(group=personas.support, user=lead)
        policy = make_policy(
            "Escalating",
            raise_priority_on_breach=True,
            escalate_to_group=personas.billing,
            targets=[
                (Priority.NORMAL, R, 60, False),
                (Priority.NORMAL, S, 120, False),
                (Priority.HIGH, R, 60, False),
                (Priority.HIGH, S, 120, False),
            ],
        )
        with time_machine.travel(START, tick=False):
            ticket = make_ticket(personas.customer, group=personas.support)
            ticket_update(
                ticket=ticket, actor=personas.admin, changes=Changes(assignee=personas.agent)
            )
        OutboundEmail.objects.all().delete()
        with time_machine.travel(START + timedelta(minutes=61), tick=False):
            result = sla_check(START + timedelta(minutes=61))
        assert (result.breached, result.escalated) == (1, 1)
        ticket.refresh_from_db()
        assert ticket.priority == Priority.HIGH
        assert ticket.group == personas.billing
        via = f"sla:{policy.pk}"
        changes = TicketEvent.objects.filter(ticket=ticket, via=via, kind=Kind.CHANGED)
        assert sorted(changes.values_list("field", "actor", "channel")) == [
            ("group", None, Channel.SYSTEM),
            ("priority", None, Channel.SYSTEM),
        ]
        [to_agent] = mail_to(personas.agent.email)
        assert "Service level target missed" in to_agent.subject
        assert "missed its first reply target" in to_agent.body_text
        [to_lead] = mail_to(lead.email)
        assert "View the request" not in to_lead.body_text  # written in Korean
        # The re-matched request keeps its breached first reply: no second breach for it.
        assert sla_check(START + timedelta(minutes=62)).breached == 0
        # The resolution breach later notifies again but escalates no further.
        with time_machine.travel(START + timedelta(minutes=121), tick=False):
            result = sla_check(START + timedelta(minutes=121))
        assert (result.breached, result.escalated) == (1, 0)
        ticket.refresh_from_db()
        assert ticket.priority == Priority.HIGH
        assert changes.count() == 2
        assert len(mail_to(personas.agent.email)) == 2

    def test_the_engine_does_not_loop_on_its_own_changes(self, personas: Personas) -> None:
        make_policy(
            "Escalating",
            raise_priority_on_breach=True,
            notify_on_breach=False,
            targets=[(p, R, 60, False) for p in Priority.values],
        )
        with time_machine.travel(START, tick=False):
            ticket = make_ticket(personas.customer, priority=Priority.LOW)
        for minutes in range(61, 200, 10):
            sla_check(START + timedelta(minutes=minutes))
        ticket.refresh_from_db()
        assert ticket.priority == Priority.NORMAL  # one step, once


class TaskTests:
    def test_the_periodic_task_runs_the_check(self, personas: Personas) -> None:
        from supportal.sla.tasks import check_service_levels

        make_policy("Standard", targets=[(Priority.NORMAL, R, 60, False)])
        with time_machine.travel(START, tick=False):
            ticket = make_ticket(personas.customer)
        with time_machine.travel(START + timedelta(hours=2), tick=False):
            check_service_levels()
        assert [k for _t, k, _f, _v in sla_events(ticket)] == [Kind.SLA_BREACHED]
