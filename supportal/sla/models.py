"""Business hours: schedules with weekly hours and holidays, and the schedule each group uses.

The arithmetic is supportal.lib.businesstime's; `Schedule.as_business()` turns a row and its
hours and holidays into that module's pure value.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from supportal.lib import businesstime
from supportal.tickets.models import Group

WEEKDAYS = (
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
)


class Schedule(models.Model):
    """Weekly business hours in one time zone ("Seoul team"), with holidays."""

    name = models.CharField(pgettext_lazy("thing", "name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    # The schedule of requests in no group, or in a group without one of its own.
    is_default = models.BooleanField(_("default schedule"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["name"]
        verbose_name = _("business hours schedule")
        verbose_name_plural = _("business hours schedules")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="schedule_one_default",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def as_business(self, years: range | None = None) -> businesstime.Schedule:
        """The pure schedule: its hours, and its holidays (yearly ones for `years`, by default
        last year to five years ahead)."""
        this_year = timezone.now().year
        years = years or range(this_year - 1, this_year + 6)
        holidays: set[date] = set()
        for holiday in self.holidays.all():
            if holiday.yearly:
                for year in years:
                    try:
                        holidays.add(holiday.date.replace(year=year))
                    except ValueError:  # 29 February in a common year
                        continue
            else:
                holidays.add(holiday.date)
        return businesstime.Schedule(
            tz=self.time_zone,
            intervals=tuple(
                businesstime.Interval(i.weekday, i.start, i.end) for i in self.intervals.all()
            ),
            holidays=frozenset(holidays),
        )


class ScheduleInterval(models.Model):
    """Open hours on one weekday; several a day (09:00-12:00, 13:00-18:00). An end of 00:00
    means midnight at the end of the day."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="intervals")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=WEEKDAYS)
    start = models.TimeField(_("opens"))
    end = models.TimeField(_("closes"))

    class Meta:
        ordering: ClassVar = ["weekday", "start"]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class Holiday(models.Model):
    """A day without business hours in the schedule's time zone; `yearly` repeats it on the same
    date every year (New Year's Day), otherwise it is that one date (a public holiday loaded
    from the holidays package for a given year, a company day off)."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=200, blank=True)
    yearly = models.BooleanField(_("every year"), default=False)

    class Meta:
        ordering: ClassVar = ["date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["schedule", "date"], name="holiday_once_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.date}: {self.name}"


class GroupSchedule(models.Model):
    """The schedule a group works by (each group uses one; none: the default schedule)."""

    group = models.OneToOneField(
        Group, on_delete=models.CASCADE, primary_key=True, related_name="business_hours"
    )
    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="group_links")

    def __str__(self) -> str:
        return f"{self.group}: {self.schedule}"


# --- Service level policies ------------------------------------------------------------------


class Metric(models.TextChoices):
    FIRST_REPLY = "first_reply", _("First reply time")
    NEXT_REPLY = "next_reply", _("Next reply time")
    PERIODIC_UPDATE = "periodic_update", _("Periodic update")
    RESOLUTION = "resolution", _("Resolution time")


class SlaPolicy(models.Model):
    """Targets for the requests that match its conditions. Policies are ordered (`position`);
    the first active one whose conditions all hold applies, and a request re-matches when a
    field the conditions read changes. An empty condition matches anything."""

    name = models.CharField(pgettext_lazy("thing", "name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    position = models.PositiveIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)
    # Conditions (all must hold; each list means "any of these").
    priorities = models.JSONField(_("priorities"), default=list, blank=True)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    request_types = models.ManyToManyField(
        "tickets.RequestType", blank=True, related_name="+", verbose_name=_("request types")
    )
    groups = models.ManyToManyField(Group, blank=True, related_name="+", verbose_name=_("groups"))
    organizations = models.ManyToManyField(
        "accounts.Organization", blank=True, related_name="+", verbose_name=_("organizations")
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)  # any of these
    field_values = models.JSONField(_("custom field values"), default=dict, blank=True)
    # Clocks stop while a request waits on the customer or on a third party.
    pause_when_pending = models.BooleanField(_("pause while pending"), default=True)
    pause_when_on_hold = models.BooleanField(_("pause while on hold"), default=False)
    # Escalation: a warning this many minutes before a target is missed, and what a miss does.
    warn_minutes = models.PositiveIntegerField(_("warn before (minutes)"), default=60)
    notify_on_breach = models.BooleanField(_("notify the assignee and group leads"), default=True)
    raise_priority_on_breach = models.BooleanField(_("raise the priority"), default=False)
    escalate_to_group = models.ForeignKey(
        Group,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reassign to group"),
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["position", "pk"]
        verbose_name = _("service level policy")
        verbose_name_plural = _("service level policies")

    def __str__(self) -> str:
        return self.name


class SlaTarget(models.Model):
    """One promise of a policy: for requests of `priority`, `metric` within `minutes`, counted
    in business hours (the request's group's schedule) or calendar hours."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.PositiveSmallIntegerField(_("priority"))
    metric = models.CharField(_("target"), max_length=20, choices=Metric.choices)
    minutes = models.PositiveIntegerField(_("minutes"))
    business_hours = models.BooleanField(_("business hours"), default=True)

    class Meta:
        ordering: ClassVar = ["policy", "-priority", "metric"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["policy", "priority", "metric"], name="sla_target_once"
            ),
            models.CheckConstraint(condition=models.Q(minutes__gt=0), name="sla_target_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.policy}: {self.metric} {self.minutes} min"


class GroupLead(models.Model):
    """Someone told when a request of the group is about to miss or has missed a target."""

    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="sla_leads", verbose_name=_("group")
    )
    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="+", verbose_name=_("lead")
    )

    class Meta:
        verbose_name = _("group lead")
        verbose_name_plural = _("group leads")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["group", "user"], name="group_lead_once")
        ]

    def __str__(self) -> str:
        return f"{self.group}: {self.user}"


class SlaTimer(models.Model):
    """One clock of one request against one target: running (due at `due_at`), paused (with
    `business_seconds_left`), or stopped: achieved or breached. Next-reply and periodic-update
    clocks run again and again, a row each cycle; stopped rows are the compliance record."""

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        ACHIEVED = "achieved", _("Achieved")
        BREACHED = "breached", _("Breached")  # stopped after the due time
        CANCELLED = "cancelled", _("No longer applies")

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="sla_timers"
    )
    policy = models.ForeignKey(
        SlaPolicy, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    metric = models.CharField(max_length=20, choices=Metric.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.RUNNING)
    target_minutes = models.PositiveIntegerField()
    business_hours = models.BooleanField(default=True)
    started_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True)  # while running
    paused_at = models.DateTimeField(null=True, blank=True)
    seconds_left = models.BigIntegerField(null=True, blank=True)  # while paused
    # Time spent paused so far, counted like the target (business or calendar seconds): the
    # due time is always started_at + target + paused_seconds, so a changed target is
    # recomputed from the start.
    paused_seconds = models.BigIntegerField(default=0)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)  # when the due time passed
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["ticket", "metric"], name="sla_timer_ticket_idx"),
            # The worker's pass: running clocks not yet past due, by due time (the overdue
            # ones already handled drop out, so the pass reads only what it acts on).
            models.Index(
                fields=["due_at"],
                condition=models.Q(state="running", breached_at__isnull=True),
                name="sla_timer_due_idx",
            ),
            models.Index(fields=["stopped_at", "metric"], name="sla_timer_stopped_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.metric} {self.state}"


class TicketSla(models.Model):
    """A request's service level at a glance: its policy and the earliest due time of its
    running clocks (the inbox sorts and filters on `next_due_at`)."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, primary_key=True, related_name="sla"
    )
    policy = models.ForeignKey(
        SlaPolicy, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    next_due_at = models.DateTimeField(null=True, blank=True)
    next_metric = models.CharField(max_length=20, choices=Metric.choices, blank=True)

    class Meta:
        indexes: ClassVar = [
            models.Index(
                fields=["next_due_at", "ticket"],
                condition=models.Q(next_due_at__isnull=False),
                name="ticket_sla_next_idx",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id}: {self.next_due_at}"
