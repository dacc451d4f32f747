"""Time-based automations: once per request and state, business hours, idempotence, kills."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supportal.lib.businesstime import Interval
from supportal.rules.automations import automations_run
from supportal.rules.models import Automation, AutomationRun
from supportal.rules.tests.helpers import act, cond, mails_to, make_automation
from supportal.sla.hours_services import schedule_save
from supportal.sla.selectors import bump_hours_version
from supportal.test import ROOT, Personas, ScratchDatabase, make_ticket
from supportal.tickets.models import Status, Ticket, TicketEvent
from supportal.tickets.services import Changes, ticket_reply, ticket_update

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def remind() -> Automation:
    return make_automation(
        "Remind after 3 days pending",
        all=[cond("hours_since_pending", "gte", 72)],
        actions=[
            act(
                "notify_requester",
                subject="Still waiting: {{ticket.subject}}",
                body="Hello {{requester.name}}, we are waiting for your answer.",
            )
        ],
    )


def pending_ticket(personas: Personas, subject: str = "Cannot sign in") -> Ticket:
    ticket = make_ticket(personas.customer, subject)
    ticket_update(ticket=ticket, actor=personas.agent, changes=Changes(status=Status.PENDING))
    ticket.refresh_from_db()
    return ticket


def reminders(personas: Personas) -> list[str]:
    return [m.subject for m in mails_to(personas.customer.email) if "Still waiting" in m.subject]


class AutomationFiringTests:
    def test_it_fires_once_per_request_and_state(self, personas: Personas) -> None:
        automation = remind()
        with time_machine.travel(START, tick=False) as clock:
            ticket = pending_ticket(personas)
            clock.shift(timedelta(hours=71))
            automations_run()
            assert reminders(personas) == []
            clock.shift(timedelta(hours=2))
            automations_run()
            automations_run()
            assert reminders(personas) == [f"[#{ticket.pk}] Still waiting: Cannot sign in"]
            clock.shift(timedelta(hours=24))
            automations_run()
            assert len(reminders(personas)) == 1
            # Back to pending anew: counts from then, and fires again 3 days later.
            ticket_reply(ticket=ticket, author=personas.customer, body="Here it is")
            ticket_update(
                ticket=ticket, actor=personas.agent, changes=Changes(status=Status.PENDING)
            )
            clock.shift(timedelta(hours=73))
            automations_run()
        assert len(reminders(personas)) == 2
        automation.refresh_from_db()
        assert automation.fired_count == 2
        assert AutomationRun.objects.filter(automation=automation).count() == 2

    def test_it_solves_and_closes_with_the_rule_named_in_the_events(
        self, personas: Personas
    ) -> None:
        solve = make_automation(
            "Solve after 7 days pending",
            all=[cond("hours_since_pending", "gte", 168)],
            actions=[act("set_status", Status.SOLVED)],
        )
        close = make_automation(
            "Close 4 days after solved",
            all=[cond("hours_since_solved", "gte", 96)],
            actions=[act("set_status", Status.CLOSED)],
        )
        with time_machine.travel(START, tick=False) as clock:
            ticket = pending_ticket(personas)
            clock.shift(timedelta(days=7, hours=1))
            automations_run()
            ticket.refresh_from_db()
            assert ticket.status == Status.SOLVED
            clock.shift(timedelta(days=4, hours=1))
            automations_run()
        ticket.refresh_from_db()
        assert ticket.status == Status.CLOSED
        vias = list(
            TicketEvent.objects.filter(ticket=ticket, field="status", actor=None)
            .order_by("pk")
            .values_list("new_value", "via")
        )
        assert vias == [
            (Status.SOLVED, f"automation:{solve.pk}"),
            (Status.CLOSED, f"automation:{close.pk}"),
        ]

    def test_it_checks_the_other_conditions(self, personas: Personas) -> None:
        make_automation(
            all=[
                cond("hours_since_created", "gte", 24),
                cond("priority", "is", 4),
                cond("tags", "excludes", "chased"),
            ],
            actions=[act("add_tags", "chased")],
        )
        with time_machine.travel(START, tick=False) as clock:
            urgent = make_ticket(personas.customer, priority=4)
            normal = make_ticket(personas.customer)
            clock.shift(timedelta(hours=25))
            automations_run()
            automations_run()
        assert set(urgent.tags.values_list("name", flat=True)) == {"chased"}
        assert not normal.tags.exists()

    def test_it_counts_business_hours(self, personas: Personas) -> None:
        schedule_save(
            schedule=None,
            name="Office",
            time_zone="UTC",
            is_default=True,
            groups=[],
            intervals=[Interval(day, dt_time(9), dt_time(17)) for day in range(5)],
        )
        bump_hours_version()
        make_automation(
            all=[cond("hours_since_created", "business_gte", 16)],
            actions=[act("add_tags", "two-days")],
        )
        with time_machine.travel(START, tick=False) as clock:
            ticket = make_ticket(personas.customer)
            clock.shift(timedelta(hours=30))  # Tuesday 15:00: 14 business hours
            automations_run()
            assert not ticket.tags.exists()
            clock.shift(timedelta(hours=2))  # Tuesday 17:00: 16
            automations_run()
        assert set(ticket.tags.values_list("name", flat=True)) == {"two-days"}

    def test_it_loads_a_batch_in_a_constant_number_of_queries(self, personas: Personas) -> None:
        make_automation(
            all=[cond("hours_since_pending", "gte", 72), cond("tags", "excludes", "x")],
            actions=[act("add_tags", "x")],
        )

        def queries(count: int) -> int:
            with time_machine.travel(START, tick=False) as clock:
                for _n in range(count):
                    pending_ticket(personas)
                clock.shift(timedelta(hours=1))
                with CaptureQueriesContext(connection) as captured:
                    automations_run()  # nothing is due: only the finding
            return len(captured)

        assert queries(2) == queries(10)


class AutomationIdempotenceTests:
    def test_it_never_mails_twice_when_killed_and_restarted(
        self, scratch_database: ScratchDatabase, tmp_path: Path
    ) -> None:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
        }
        env.update(VAR_DIR=str(tmp_path / "var"), DATABASE_URL=scratch_database.url)

        def supportal(*args: str) -> str:
            done = subprocess.run(
                [sys.executable, "-m", "supportal.cli", *args],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=180,
                check=False,
            )
            assert done.returncode == 0, done.stdout + done.stderr
            return done.stdout

        total = 40
        supportal("migrate", "--no-input", "-v0")
        supportal("shell", "-c", SETUP % {"total": total})
        fired = "SELECT COUNT(*) FROM rules_automationrun"
        log = tmp_path / "worker.log"
        with log.open("wb") as output:
            worker = subprocess.Popen(
                [sys.executable, "-c", SLOW_RUN],
                env=env,
                cwd=ROOT,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
            try:
                deadline = time.monotonic() + 90
                while scratch_database.value(fired) < 5:
                    assert worker.poll() is None, f"the run ended first:\n{log.read_text()}"
                    assert time.monotonic() < deadline
                    time.sleep(0.01)
                worker.send_signal(signal.SIGKILL)
            finally:
                worker.wait(timeout=30)
        assert scratch_database.value(fired) < total
        supportal("run_automations")
        supportal("run_automations")
        assert scratch_database.value(fired) == total
        # One reminder per request: none lost with the killed run, none sent twice.
        reminders = "FROM core_outboundemail WHERE subject LIKE '%Still waiting%'"
        assert scratch_database.value(f"SELECT COUNT(*) {reminders}") == total
        assert scratch_database.value(f"SELECT COUNT(DISTINCT subject) {reminders}") == total


SETUP = textwrap.dedent(
    """
    from datetime import timedelta
    from django.utils import timezone
    from supportal.accounts.models import Role, User
    from supportal.rules.automations import automation_save
    from supportal.tickets.models import Status, Ticket, TicketEvent
    from supportal.tickets.services import Changes, ticket_create, ticket_update
    agent = User.objects.create_user(
        email="agent@example.test", password=None, name="Agent", role=Role.AGENT
    )
    customer = User.objects.create_user(
        email="customer@example.test", password=None, name="Customer"
    )
    automation_save(
        automation=None,
        name="Remind",
        conditions_all=[{"field": "hours_since_pending", "op": "gte", "value": "72"}],
        actions=[{"action": "notify_requester", "subject": "Still waiting {{ticket.number}}",
                  "body": "Hello"}],
    )
    for n in range(%(total)d):
        ticket = ticket_create(requester=customer, subject=f"Request {n}", description="x",
                               notify=False)
        ticket_update(ticket=ticket, actor=agent, changes=Changes(status=Status.PENDING))
    earlier = timezone.now() - timedelta(days=4)
    Ticket.objects.update(created_at=earlier, updated_at=earlier)
    TicketEvent.objects.update(created_at=earlier)
    """
)

SLOW_RUN = textwrap.dedent(
    """
    import os, time
    import django
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportal.settings")
    django.setup()
    from supportal.rules import actions
    real_notify = actions.notify
    def slow_notify(**kwargs):
        sent = real_notify(**kwargs)
        time.sleep(0.1)
        return sent
    actions.notify = slow_notify
    from supportal.rules.automations import automations_run
    automations_run()
    """
)


class AutomationWorkerTests:
    def test_the_hourly_task_and_the_command_run_every_automation(self, personas: Personas) -> None:
        from io import StringIO

        from django.core.management import call_command

        from supportal.rules.tasks import run_automations

        remind()
        with time_machine.travel(START, tick=False) as clock:
            pending_ticket(personas, "First")
            clock.shift(timedelta(days=4))
            run_automations.call_local()
            pending_ticket(personas, "Second")
            clock.shift(timedelta(days=4))
            output = StringIO()
            call_command("run_automations", stdout=output)
        assert output.getvalue() == "Remind after 3 days pending: 1\n"
        assert len(reminders(personas)) == 2
