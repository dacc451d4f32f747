from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from supportal.sla.models import (
    GroupSchedule,
    Holiday,
    Metric,
    Schedule,
    ScheduleInterval,
    SlaTimer,
)
from supportal.sla.selectors import bump_hours_version
from supportal.sla.tests.helpers import make_policy
from supportal.test import Personas, make_ticket
from supportal.tickets.models import Group, Priority, Status
from supportal.tickets.services import Changes, ticket_update

pytestmark = pytest.mark.django_db
State = SlaTimer.State


def business_hours(group: Group, zone: str) -> None:
    """Monday to Friday 09:00-18:00 in `zone`; Monday 9 March 2026 is a holiday."""
    schedule = Schedule.objects.create(name=zone, time_zone=zone)
    ScheduleInterval.objects.bulk_create(
        ScheduleInterval(schedule=schedule, weekday=day, start=time(9), end=time(18))
        for day in range(5)
    )
    Holiday.objects.create(schedule=schedule, date=date(2026, 3, 9), name="Company day")
    GroupSchedule.objects.create(group=group, schedule=schedule)
    bump_hours_version()


def local(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))


@pytest.mark.parametrize("zone", ["Asia/Seoul", "Europe/London", "America/New_York"])
class BusinessHoursTests:
    def test_it_counts_targets_in_the_groups_business_hours(
        self, personas: Personas, zone: str
    ) -> None:
        business_hours(personas.support, zone)
        make_policy(
            "Business",
            targets=[
                (Priority.URGENT, Metric.FIRST_REPLY, 60, True),
                (Priority.URGENT, Metric.RESOLUTION, 240, True),
            ],
        )
        # Friday 6 March 16:00: 2 hours left this week, then the weekend and the holiday.
        with time_machine.travel(local(zone, 2026, 3, 6, 16), tick=False):
            ticket = make_ticket(
                personas.customer, priority=Priority.URGENT, group=personas.support
            )
        first = SlaTimer.objects.get(ticket=ticket, metric=Metric.FIRST_REPLY)
        resolution = SlaTimer.objects.get(ticket=ticket, metric=Metric.RESOLUTION)
        assert first.due_at == local(zone, 2026, 3, 6, 17)
        assert resolution.due_at == local(zone, 2026, 3, 10, 11)  # Tuesday, after the holiday

    def test_a_pause_keeps_the_business_time_left_across_weekend_and_holiday(
        self, personas: Personas, zone: str
    ) -> None:
        business_hours(personas.support, zone)
        make_policy("Business", targets=[(Priority.URGENT, Metric.RESOLUTION, 240, True)])
        with time_machine.travel(local(zone, 2026, 3, 6, 16), tick=False) as clock:
            ticket = make_ticket(
                personas.customer, priority=Priority.URGENT, group=personas.support
            )
            clock.move_to(local(zone, 2026, 3, 6, 17))
            ticket_update(
                ticket=ticket, actor=personas.agent, changes=Changes(status=Status.PENDING)
            )
            resolution = SlaTimer.objects.get(ticket=ticket)
            assert (resolution.state, resolution.seconds_left) == (State.PAUSED, 3 * 3600)
            # Saturday: still 3 business hours left; Tuesday 10:00 the customer answers.
            clock.move_to(local(zone, 2026, 3, 10, 10))
            ticket_update(ticket=ticket, actor=personas.agent, changes=Changes(status=Status.OPEN))
        resolution.refresh_from_db()
        assert resolution.state == State.RUNNING
        assert resolution.due_at == local(zone, 2026, 3, 10, 13)
        # Paused from Friday 17:00 to Tuesday 10:00: 1 + 1 business hours.
        assert resolution.paused_seconds == 2 * 3600

    def test_a_new_group_recomputes_the_due_time_with_its_schedule(
        self, personas: Personas, zone: str
    ) -> None:
        business_hours(personas.support, zone)
        make_policy("Business", targets=[(Priority.URGENT, Metric.RESOLUTION, 240, True)])
        with time_machine.travel(local(zone, 2026, 3, 6, 16), tick=False):
            ticket = make_ticket(personas.customer, priority=Priority.URGENT)
            # No schedule for no group (and no default): calendar time.
            resolution = SlaTimer.objects.get(ticket=ticket)
            assert resolution.due_at == local(zone, 2026, 3, 6, 20)
            ticket_update(
                ticket=ticket, actor=personas.agent, changes=Changes(group=personas.support)
            )
        resolution.refresh_from_db()
        assert resolution.due_at == local(zone, 2026, 3, 10, 11)
