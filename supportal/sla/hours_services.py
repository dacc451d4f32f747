"""Writes to business hours: schedules with their weekly hours and groups, and holidays.

These change no request, so they write no TicketEvent. Every write calls
selectors.bump_hours_version(): this process drops its copy of the schedules at once, every
other process once the commit has put a new version token in the shared cache.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from supportal.audit.services import audit_record
from supportal.lib import businesstime
from supportal.lib.businesstime import Problem, ProblemCode
from supportal.sla.models import GroupSchedule, Holiday, Schedule, ScheduleInterval
from supportal.sla.selectors import bump_hours_version
from supportal.tickets.models import Group

# How many years one import of public holidays may cover.
IMPORT_MAX_YEARS = 10
# The years the holidays package is asked about; outside them it knows little.
IMPORT_YEARS = range(1950, 2101)
# Our interface languages -> the holidays package's language codes.
HOLIDAY_LANGUAGES = {"ko": "ko", "ja": "ja", "zh-hans": "zh_CN", "en": "en_US"}


def problem_message(problem: Problem, intervals: Sequence[businesstime.Interval]) -> str:
    """What an admin reads for one of businesstime.Schedule.validate()'s problems."""
    if problem.code == ProblemCode.UNKNOWN_TIMEZONE:
        return _("Choose a time zone from the list.")
    if problem.code == ProblemCode.NO_HOURS:
        return _("A schedule needs some business hours.")
    if problem.code == ProblemCode.BAD_WEEKDAY:
        return _("Choose a day of the week.")
    if problem.code == ProblemCode.END_NOT_AFTER_START:
        return _(
            "The closing time must be after the opening time. "
            "To stay open until midnight, enter 00:00 as the closing time."
        )
    other = intervals[problem.intervals[0]]
    return _("These hours overlap %(start)s–%(end)s on the same day.") % {
        "start": f"{other.start:%H:%M}",
        "end": "24:00" if other.end.hour == other.end.minute == 0 else f"{other.end:%H:%M}",
    }


def name_taken(name: str, schedule: Schedule | None = None) -> bool:
    others = Schedule.objects.filter(name__iexact=name.strip())
    if schedule is not None and schedule.pk:
        others = others.exclude(pk=schedule.pk)
    return others.exists()


def _changed() -> None:
    bump_hours_version()


@transaction.atomic
def schedule_save(
    *,
    schedule: Schedule | None,
    name: str,
    time_zone: str,
    is_default: bool,
    groups: Iterable[Group],
    intervals: Sequence[businesstime.Interval],
) -> Schedule:
    """Creates or updates a schedule with its weekly hours and the groups that use it.

    Choosing it as the default takes the flag from the schedule that had it; a group that used
    another schedule moves to this one (each group uses one). Groups left out stop using it and
    fall back to the default schedule.
    """
    name = name.strip()
    if not name:
        raise ValidationError(_("Enter a name."))
    if name_taken(name, schedule):
        raise ValidationError(_("There is already a schedule with this name."))
    problems = businesstime.Schedule(time_zone, tuple(intervals)).validate()
    if problems:
        raise ValidationError([problem_message(p, intervals) for p in problems])
    target = schedule or Schedule()
    if is_default:
        Schedule.objects.filter(is_default=True).exclude(pk=target.pk).update(is_default=False)
    target.name, target.time_zone, target.is_default = name, time_zone, is_default
    before = _hour_lines(target)
    target.save()
    ScheduleInterval.objects.filter(schedule=target).delete()
    ScheduleInterval.objects.bulk_create(
        ScheduleInterval(schedule=target, weekday=i.weekday, start=i.start, end=i.end)
        for i in intervals
    )
    after = _hour_lines(target)
    if after != before:  # written in bulk, so the audit log's model tracking cannot see them
        audit_record(
            action="schedule.hours",
            target=target,
            before={"intervals": before},
            after={"intervals": after},
        )
    group_ids = {group.pk for group in groups}
    GroupSchedule.objects.filter(schedule=target).exclude(group_id__in=group_ids).delete()
    chosen = GroupSchedule.objects.filter(group_id__in=group_ids)
    linked = set(chosen.values_list("group_id", flat=True))
    chosen.exclude(schedule=target).update(schedule=target)
    GroupSchedule.objects.bulk_create(
        GroupSchedule(group_id=pk, schedule=target) for pk in sorted(group_ids - linked)
    )
    _changed()
    return target


def _hour_lines(schedule: Schedule) -> list[str]:
    """The weekly hours as the audit log shows them: "weekday 0 09:00-18:00"."""
    if schedule.pk is None:
        return []
    return [
        f"weekday {i.weekday} {i.start:%H:%M}-{i.end:%H:%M}"
        for i in ScheduleInterval.objects.filter(schedule=schedule).order_by("weekday", "start")
    ]


@transaction.atomic
def schedule_delete(*, schedule: Schedule) -> None:
    """Deletes a schedule, its hours and holidays; its groups fall back to the default."""
    schedule.delete()
    _changed()


@transaction.atomic
def holiday_add(*, schedule: Schedule, day: date, name: str, yearly: bool) -> Holiday:
    if Holiday.objects.filter(schedule=schedule, date=day).exists():
        raise ValidationError(_("There is already a holiday on this date."))
    holiday = Holiday.objects.create(schedule=schedule, date=day, name=name.strip(), yearly=yearly)
    _changed()
    return holiday


@transaction.atomic
def holiday_remove(*, holiday: Holiday) -> None:
    holiday.delete()
    _changed()


def holiday_language(country: str, language: str) -> str:
    """The holidays package's language for names in our `language`, where it translates the
    country; else American English where it has that; else the country's own language."""
    import holidays as holidays_package

    supported = holidays_package.list_localized_countries().get(country.upper(), [])
    wanted = HOLIDAY_LANGUAGES.get(language, "en_US")
    if wanted in supported:
        return wanted
    if "en_US" in supported:
        return "en_US"
    table = holidays_package.country_holidays(country.upper())
    return getattr(table, "default_language", None) or "en_US"


@transaction.atomic
def holidays_import(
    *, schedule: Schedule, country: str, first_year: int, last_year: int, language: str
) -> int:
    """Adds a country's public holidays for first_year..last_year as one-off holidays and
    returns how many were added. Dates the schedule already has (or has every year) are
    skipped, so importing twice adds nothing. Unknown country or bad years: ValidationError."""
    if first_year not in IMPORT_YEARS or last_year not in IMPORT_YEARS:
        raise ValidationError(
            _("Enter years between %(first)s and %(last)s.")
            % {"first": IMPORT_YEARS[0], "last": IMPORT_YEARS[-1]}
        )
    if last_year < first_year:
        raise ValidationError(_("The last year must not be before the first year."))
    if last_year - first_year + 1 > IMPORT_MAX_YEARS:
        raise ValidationError(
            _("Import at most %(count)s years at a time.") % {"count": IMPORT_MAX_YEARS}
        )
    try:
        found = businesstime.public_holidays(
            country,
            range(first_year, last_year + 1),
            language=holiday_language(country, language),
        )
    except (ValueError, NotImplementedError) as error:
        raise ValidationError(_("Choose a country from the list.")) from error
    existing = Holiday.objects.filter(schedule=schedule)
    taken = set(existing.values_list("date", flat=True))
    yearly = {(d.month, d.day) for d in existing.filter(yearly=True).values_list("date", flat=True)}
    max_name = Holiday._meta.get_field("name").max_length or 200
    new = [
        Holiday(schedule=schedule, date=day, name=name[:max_name], yearly=False)
        for day, name in found.items()
        if day not in taken and (day.month, day.day) not in yearly
    ]
    Holiday.objects.bulk_create(new)
    if new:
        _changed()
    return len(new)
