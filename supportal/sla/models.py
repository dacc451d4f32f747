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

    name = models.CharField(_("name"), max_length=100, unique=True)
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
    name = models.CharField(_("name"), max_length=200, blank=True)
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
