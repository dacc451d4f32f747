from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from supportal.sla.models import Metric, SlaTimer, TicketSla
from supportal.sla.tests.helpers import make_policy
from supportal.test import Personas, make_ticket
from supportal.tickets.models import Priority, Status, Ticket
from supportal.tickets.services import Changes, ticket_reply, ticket_update

pytestmark = pytest.mark.django_db

# A Monday.
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
R, S = Metric.FIRST_REPLY, Metric.RESOLUTION
N, P = Metric.NEXT_REPLY, Metric.PERIODIC_UPDATE
State = SlaTimer.State


def standard(**fields: object) -> None:
    """Calendar targets: urgent first reply 60 min, resolution 8 h, next reply 120 min,
    periodic update 240 min; normal first reply 8 h, resolution 3 days."""
    make_policy(
        "Standard",
        targets=[
            (Priority.URGENT, R, 60, False),
            (Priority.URGENT, S, 480, False),
            (Priority.URGENT, N, 120, False),
            (Priority.URGENT, P, 240, False),
            (Priority.NORMAL, R, 480, False),
            (Priority.NORMAL, S, 3 * 1440, False),
        ],
        **fields,
    )


def timers(ticket: Ticket) -> list[tuple[str, str, datetime | None]]:
    return [
        (t.metric, t.state, t.due_at) for t in SlaTimer.objects.filter(ticket=ticket).order_by("pk")
    ]


def timer(ticket: Ticket, metric: str) -> SlaTimer:
    return SlaTimer.objects.filter(ticket=ticket, metric=metric).latest("pk")


class ClockStartTests:
    def test_it_starts_first_reply_and_resolution_at_creation(self, personas: Personas) -> None:
        standard()
        with time_machine.travel(START, tick=False):
            ticket = make_ticket(personas.customer, priority=Priority.URGENT)
        assert timers(ticket) == [
            (R, State.RUNNING, START + timedelta(hours=1)),
            (S, State.RUNNING, START + timedelta(hours=8)),
        ]
        sla = TicketSla.objects.get(ticket=ticket)
        assert sla.policy.name == "Standard"
        assert (sla.next_due_at, sla.next_metric) == (START + timedelta(hours=1), R)

    def test_it_starts_only_the_targets_of_the_priority(self, personas: Personas) -> None:
        standard()
        with time_machine.travel(START, tick=False):
            ticket = make_ticket(personas.customer, priority=Priority.LOW)
        assert timers(ticket) == []
        sla = TicketSla.objects.get(ticket=ticket)
        assert sla.next_due_at is None

    def test_it_starts_no_first_reply_for_a_request_an_agent_opened(
        self, personas: Personas
    ) -> None:
        standard()
        with time_machine.travel(START, tick=False):
            ticket = make_ticket(personas.customer, priority=Priority.URGENT, actor=personas.agent)
        assert [m for m, _state, _due in timers(ticket)] == [S]

    def test_it_writes_nothing_without_a_policy(self, personas: Personas) -> None:
        ticket = make_ticket(personas.customer)
        assert not SlaTimer.objects.exists()
        assert not TicketSla.objects.filter(ticket=ticket).exists()


class ReplyClockTests:
    def test_an_agent_reply_in_time_achieves_first_reply_and_starts_periodic_update(
        self, personas: Personas
    ) -> None:
        standard()
        with time_machine.travel(START, tick=False) as clock:
            ticket = make_ticket(personas.customer, priority=Priority.URGENT)
            clock.shift(timedelta(minutes=30))
            ticket_reply(ticket=ticket, author=personas.agent, body="Looking", public=False)
            assert timer(ticket, R).state == State.RUNNING  # an internal note is no reply
            ticket_reply(ticket=ticket, author=personas.agent, body="On it")
        first = timer(ticket, R)
        assert (first.state, first.stopped_at) == (State.ACHIEVED, START + timedelta(minutes=30))
        periodic = timer(ticket, P)
        assert periodic.state == State.RUNNING
        assert periodic.due_at == START + timedelta(minutes=30 + 240)

    def test_a_late_agent_reply_records_a_breach(self, personas: Personas) -> None:
        standard()
        with time_machine.travel(START, tick=False) as clock:
            ticket = make_ticket(personas.customer, priority=Priority.URGENT)
            clock.shift(timedelta(minutes=90))
            ticket_reply(ticket=ticket, author=personas.agent, body="Sorry for the wait")
        first = timer(ticket, R)
        assert first.state == State.BREACHED
        assert first.breached_at == START + timedelta(hours=1)
        assert first.stopped_at == START + timedelta(minutes=90)

    def test_periodic_update_restarts_at_each_agent_reply(self, personas: Personas) -> None:
        standard()
        with time_machine.travel(START, tick=False) as clock:
            ticket = make_ticket(personas.customer, priority=Priority.URGENT)
            clock.shift(timedelta(minutes=10))
            ticket_reply(ticket=ticket, author=personas.agent, body="First")
            clock.shift(timedelta(minutes=300))
            ticket_reply(ticket=ticket, author=personas.agent, body="Second")
        rows = list(SlaTimer.objects.filter(ticket=ticket, metric=P).order_by("pk"))
        assert [r.state for r in rows] == [State.BREACHED, State.RUNNING]
        assert rows[1].due_at == START + timedelta(minutes=310 + 240)

    def test_next_reply_runs_from_the_customer_reply_to_the_agent_reply(
        self, personas: Personas
    ) -> None:
        standard()
        with time_machine.travel(START, tick=False) as clock:
            ticket = make_ticket(personas.customer, priority=Priority.URGENT)
            clock.shift(timedelta(minutes=5))
            ticket_reply(ticket=ticket, author=personas.customer, body="Any news?")
            assert not SlaTimer.objects.filter(ticket=ticket, metric=N).exists()
            ticket_reply(ticket=ticket, author=personas.agent, body="Yes")
            clock.shift(timedelta(minutes=5))
            ticket_reply(ticket=ticket, author=personas.customer, body="Thanks, but...")
            nxt = timer(ticket, N)
            assert nxt.due_at == START + timedelta(minutes=10 + 120)
            clock.shift(timedelta(minutes=5))
            ticket_reply(ticket=ticket, author=personas.customer, body="Also...")
            assert SlaTimer.objects.filter(ticket=ticket, metric=N).count() == 1
            clock.shift(timedelta(minutes=20))
            ticket_reply(ticket=ticket, author=personas.agent, body="Done")
        nxt.refresh_from_db()
        assert (nxt.state, nxt.stopped_at) == (State.ACHIEVED, START + timedelta(minutes=35))
        sla = TicketSla.objects.get(ticket=ticket)
        assert sla.next_metric == P


class StatusClockTests:
    def test_solving_achieves_resolution_and_cancels_the_others(self, personas: Personas) -> None:
        standard()
        with time_machine.travel(START, tick=False) as clock:
            ticket = make_ticket(personas.customer, priority=Priority.URGENT)
            clock.shift(timedelta(hours=2))
            ticket_update(
                ticket=ticket, actor=personas.agent, changes=Changes(status=Status.SOLVED)
            )
        assert {m: s for m, s, _due in timers(ticket)} == {R: State.CANCELLED, S: State.ACHIEVED}
        sla = TicketSla.objects.get(ticket=ticket)
        # Nothing running or paused any more.
        assert (sla.next_due_at, sla.next_metric) == (None, "")

    def test_reopening_starts_a_new_resolution_cycle(self, personas: Personas) -> None:
        standard()
        with time_machine.travel(START, tick=False) as clock:
            ticket = make_ticket(personas.customer, priority=Priority.URGENT)
            clock.shift(timedelta(minutes=20))
            ticket_reply(ticket=ticket, author=personas.agent, body="Fixed", status=Status.SOLVED)
            clock.shift(timedelta(hours=1))
            ticket_reply(ticket=ticket, author=personas.customer, body="Broken again")
        ticket.refresh_from_db()
        assert ticket.status == Status.OPEN
        rows = list(SlaTimer.objects.filter(ticket=ticket, metric=S).order_by("pk"))
        assert [r.state for r in rows] == [State.ACHIEVED, State.RUNNING]
        assert rows[1].started_at == START + timedelta(minutes=80)
        assert rows[1].due_at == START + timedelta(minutes=80 + 480)
        assert timer(ticket, R).state == State.ACHIEVED  # stays as it was
        assert SlaTimer.objects.filter(ticket=ticket, metric=R).count() == 1
        # The customer wrote after the agent's public reply: next reply runs.
        assert timer(ticket, N).state == State.RUNNING

    def test_pending_pauses_and_leaving_it_resumes_with_the_time_left(
        self, personas: Personas
    ) -> None:
        standard()
        with time_machine.travel(START, tick=False) as clock:
            ticket = make_ticket(personas.customer, priority=Priority.URGENT)
            clock.shift(timedelta(hours=1))
            ticket_update(
                ticket=ticket, actor=personas.agent, changes=Changes(status=Status.PENDING)
            )
            resolution = timer(ticket, S)
            assert resolution.state == State.PAUSED
            assert resolution.seconds_left == 7 * 3600
            assert resolution.due_at is None
            # First reply was due at 10:00, now: overdue, it stays running (and breached).
            assert timer(ticket, R).state == State.RUNNING
            clock.shift(timedelta(days=2))
            ticket_reply(ticket=ticket, author=personas.customer, body="Here it is")
        resolution.refresh_from_db()
        assert resolution.state == State.RUNNING
        assert resolution.due_at == START + timedelta(days=2, hours=8)
        assert resolution.paused_seconds == 2 * 86400

    def test_on_hold_pauses_only_when_the_policy_says_so(self, personas: Personas) -> None:
        standard(pause_when_on_hold=False)
        with time_machine.travel(START, tick=False):
            ticket = make_ticket(personas.customer, priority=Priority.URGENT)
            ticket_update(
                ticket=ticket, actor=personas.agent, changes=Changes(status=Status.ON_HOLD)
            )
        assert timer(ticket, S).state == State.RUNNING

    def test_on_hold_pauses_when_the_policy_says_so(self, personas: Personas) -> None:
        standard(pause_when_on_hold=True)
        with time_machine.travel(START, tick=False):
            ticket = make_ticket(personas.customer, priority=Priority.URGENT)
            ticket_update(
                ticket=ticket, actor=personas.agent, changes=Changes(status=Status.ON_HOLD)
            )
        assert timer(ticket, S).state == timer(ticket, R).state == State.PAUSED
        sla = TicketSla.objects.get(ticket=ticket)
        # No due time while paused; the metric nearest its target shows "Paused" in the inbox.
        assert (sla.next_due_at, sla.next_metric) == (None, "first_reply")


class RematchTests:
    def test_a_new_priority_replaces_the_targets_from_their_start(self, personas: Personas) -> None:
        standard()
        with time_machine.travel(START, tick=False) as clock:
            ticket = make_ticket(personas.customer, priority=Priority.NORMAL)
            clock.shift(timedelta(minutes=30))
            ticket_update(
                ticket=ticket, actor=personas.agent, changes=Changes(priority=Priority.URGENT)
            )
        assert timers(ticket) == [
            (R, State.RUNNING, START + timedelta(hours=1)),
            (S, State.RUNNING, START + timedelta(hours=8)),
        ]
        assert TicketSla.objects.get(ticket=ticket).next_due_at == START + timedelta(hours=1)

    def test_a_different_policy_takes_over_the_running_clocks(self, personas: Personas) -> None:
        standard(position=1)
        vip = make_policy(
            "VIP",
            position=0,
            tags=["vip"],
            targets=[(Priority.NORMAL, R, 30, False), (Priority.NORMAL, S, 120, False)],
        )
        with time_machine.travel(START, tick=False) as clock:
            ticket = make_ticket(personas.customer, priority=Priority.NORMAL)
            clock.shift(timedelta(minutes=10))
            ticket_update(ticket=ticket, actor=personas.agent, changes=Changes(add_tags=["VIP"]))
        rows = SlaTimer.objects.filter(ticket=ticket).order_by("pk")
        assert [(r.policy_id, r.due_at) for r in rows] == [
            (vip.pk, START + timedelta(minutes=30)),
            (vip.pk, START + timedelta(minutes=120)),
        ]
        assert TicketSla.objects.get(ticket=ticket).policy == vip

    def test_no_policy_any_more_cancels_the_clocks(self, personas: Personas) -> None:
        standard(groups=[personas.support])
        with time_machine.travel(START, tick=False):
            ticket = make_ticket(
                personas.customer, priority=Priority.URGENT, group=personas.support
            )
            ticket_update(
                ticket=ticket, actor=personas.agent, changes=Changes(group=personas.billing)
            )
        assert {s for _m, s, _due in timers(ticket)} == {State.CANCELLED}
        sla = TicketSla.objects.get(ticket=ticket)
        assert (sla.policy, sla.next_due_at) == (None, None)

    def test_a_policy_that_newly_applies_counts_from_creation(self, personas: Personas) -> None:
        standard()
        with time_machine.travel(START, tick=False) as clock:
            ticket = make_ticket(personas.customer, priority=Priority.LOW)
            clock.shift(timedelta(minutes=30))
            ticket_update(
                ticket=ticket, actor=personas.agent, changes=Changes(priority=Priority.URGENT)
            )
        assert timers(ticket) == [
            (S, State.RUNNING, START + timedelta(hours=8)),
            (R, State.RUNNING, START + timedelta(hours=1)),
        ]


class ClosedTests:
    def test_closing_an_open_request_achieves_resolution_too(self, personas: Personas) -> None:
        standard()
        with time_machine.travel(START, tick=False) as clock:
            ticket = make_ticket(personas.customer, priority=Priority.URGENT)
            clock.shift(timedelta(minutes=10))
            ticket_update(
                ticket=ticket, actor=personas.agent, changes=Changes(status=Status.CLOSED)
            )
        assert {m: s for m, s, _due in timers(ticket)} == {R: State.CANCELLED, S: State.ACHIEVED}

    def test_closing_a_solved_request_changes_nothing(self, personas: Personas) -> None:
        standard()
        with time_machine.travel(START, tick=False) as clock:
            ticket = make_ticket(personas.customer, priority=Priority.URGENT)
            ticket_update(
                ticket=ticket, actor=personas.agent, changes=Changes(status=Status.SOLVED)
            )
            before = timers(ticket)
            clock.shift(timedelta(days=4))
            ticket_update(
                ticket=ticket, actor=personas.agent, changes=Changes(status=Status.CLOSED)
            )
        assert timers(ticket) == before
