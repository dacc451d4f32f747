"""Demo business hours: a Seoul team (the default, with a lunch break) and a London team, with
their countries' public holidays. Loading again changes nothing already there."""

from __future__ import annotations

from datetime import time

from django.utils import timezone

from supportal.lib.businesstime import FRIDAY, MONDAY, Interval
from supportal.sla import hours_services
from supportal.sla.models import Schedule

WEEKDAYS = range(MONDAY, FRIDAY + 1)
DEMO_SCHEDULES = [
    # name, time zone, default, weekday hours, holiday country
    ("Seoul support", "Asia/Seoul", True, [(time(9), time(12)), (time(13), time(18))], "KR"),
    ("London support", "Europe/London", False, [(time(9), time(17, 30))], "GB"),
]


def load_demo_hours() -> None:
    year = timezone.now().year
    for name, zone, is_default, hours, country in DEMO_SCHEDULES:
        schedule = Schedule.objects.filter(name=name).first()
        if schedule is None:
            has_default = Schedule.objects.filter(is_default=True).exists()
            schedule = hours_services.schedule_save(
                schedule=None,
                name=name,
                time_zone=zone,
                is_default=is_default and not has_default,
                groups=[],
                intervals=[Interval(day, start, end) for day in WEEKDAYS for start, end in hours],
            )
        hours_services.holidays_import(
            schedule=schedule, country=country, first_year=year, last_year=year + 1, language="en"
        )


# --- Service level policies (the SLA engine) ------------------------------------------------

HOUR = 60
BUSINESS_DAY = 8 * HOUR  # the demo schedules' working day


def load_demo_sla() -> None:
    """Two policies (urgent and high; everything else), group leads, and clocks for the demo
    requests computed from their history. Needs the demo tickets; loading again keeps what is
    there."""
    from supportal.accounts.models import User
    from supportal.sla.models import GroupLead, Metric, SlaPolicy
    from supportal.sla.policy_services import sla_policy_save
    from supportal.sla.rebuild import sla_rebuild
    from supportal.tickets.models import Group, Priority, Ticket

    urgent, high = Priority.URGENT, Priority.HIGH
    normal, low = Priority.NORMAL, Priority.LOW
    first, resolution = Metric.FIRST_REPLY, Metric.RESOLUTION
    if not SlaPolicy.objects.filter(name="Urgent and high").exists():
        sla_policy_save(
            policy=None,
            name="Urgent and high",
            description="Fast answers for what cannot wait.",
            priorities=[urgent, high],
            targets=[
                (urgent, first, 1 * HOUR, True),
                (high, first, 4 * HOUR, True),
                (urgent, resolution, 8 * HOUR, True),
                (high, resolution, 24 * HOUR, True),
            ],
            warn_minutes=30,
            raise_priority_on_breach=True,
        )
    if not SlaPolicy.objects.filter(name="Standard").exists():
        sla_policy_save(
            policy=None,
            name="Standard",
            description="Every other request.",
            targets=[
                (normal, first, 8 * HOUR, True),
                (low, first, 8 * HOUR, True),
                (normal, resolution, 3 * BUSINESS_DAY, True),
                (low, resolution, 3 * BUSINESS_DAY, True),
            ],
        )
    leads = {"Support": "agent@example.com", "Billing": "admin@example.com"}
    for group_name, email in leads.items():
        group = Group.objects.filter(name=group_name).first()
        user = User.objects.filter(email=email).first()
        if group and user:
            GroupLead.objects.get_or_create(group=group, user=user)
    without = Ticket.objects.filter(sla__isnull=True).values_list("pk", flat=True)
    sla_rebuild(list(without))
