"""Forms of the business-hours settings: a schedule with its weekly hours, a holiday, and the
import of a country's public holidays."""

from __future__ import annotations

import functools
import re
import zoneinfo
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from typing import Any

from babel import Locale
from django import forms
from django.http import QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from supportal.accounts.models import time_zone_choices
from supportal.core.widgets import LongSelect
from supportal.lib import businesstime
from supportal.sla.hours_services import IMPORT_MAX_YEARS, name_taken, problem_message
from supportal.sla.models import WEEKDAYS, GroupSchedule, Schedule
from supportal.tickets.models import Group

# Rows of opening hours a day shows at least; "Add hours" adds one more without JavaScript.
MIN_ROWS = 2
MAX_ROWS = 12


def country_choices() -> list[tuple[str, str]]:
    """Every country the holidays package knows, by name in the current language (CLDR's,
    through Babel)."""
    return list(_country_choices(translation.get_language() or "en"))


@functools.cache
def _country_choices(language: str) -> tuple[tuple[str, str], ...]:
    """Built once per language and process: about 180 names, sorted."""
    from holidays.registry import COUNTRIES

    territories = Locale.parse(translation.to_locale(language)).territories
    names = {}
    for class_name, code, *_rest in COUNTRIES.values():
        english = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", class_name)
        english = re.sub(r" (And|The|Of) ", lambda m: f" {m[1].lower()} ", english)
        names[code] = territories.get(code) or english
    return tuple(
        sorted(((code, f"{name} ({code})") for code, name in names.items()), key=_by_label)
    )


@functools.cache
def _zone_countries() -> dict[str, str]:
    """Time zone -> country code, from the system's tz database (zone.tab), where it has one."""
    for root in zoneinfo.TZPATH:
        path = Path(root) / "zone.tab"
        if path.is_file():
            rows = (line.split("\t") for line in path.read_text().splitlines())
            return {row[2]: row[0] for row in rows if len(row) > 2 and not row[0].startswith("#")}
    return {}


def country_for_zone(zone: str) -> str | None:
    return _zone_countries().get(zone)


def _by_label(choice: tuple[str, str]) -> str:
    return choice[1].casefold()


def end_label(value: time) -> str:
    return "24:00" if value == time(0) else f"{value:%H:%M}"


def _time_field(label: str) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        required=False,
        input_formats=["%H:%M", "%H:%M:%S"],
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
        error_messages={"invalid": _("Enter a time such as 09:00.")},
    )


@dataclass
class DayRows:
    weekday: int
    label: str
    rows: list[tuple[forms.BoundField, forms.BoundField]]


class ScheduleForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("For example “Seoul support” or “London office”."),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        widget=LongSelect,
        initial="UTC",
        help_text=_("The hours and holidays below are in this time zone."),
        error_messages={"invalid_choice": _("Choose a time zone from the list.")},
    )
    is_default = forms.BooleanField(label=_("Default schedule"), required=False)
    groups = forms.ModelMultipleChoiceField(
        label=_("Groups that use this schedule"),
        queryset=Group.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Each group uses one schedule. Choosing a group that uses another schedule "
            "moves it here."
        ),
    )

    def __init__(
        self,
        data: QueryDict | None = None,
        *,
        schedule: Schedule | None = None,
        rows: dict[int, int] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        self.schedule = schedule
        self.fields["groups"].queryset = Group.objects.order_by("name")  # type: ignore[attr-defined]
        links = GroupSchedule.objects.select_related("schedule").exclude(schedule=schedule)
        # Which other schedule each group uses now, for the page to say it will move.
        self.elsewhere = {link.group_id: link.schedule.name for link in links}
        default = Schedule.objects.filter(is_default=True).exclude(pk=getattr(schedule, "pk", None))
        current = default.values_list("name", flat=True).first()
        self.fields["is_default"].help_text = (
            gettext(
                "Requests in no group, or in a group without a schedule, count by the default "
                "schedule. There is one default: choosing this one replaces “%(name)s”."
            )
            % {"name": current}
            if current
            else gettext(
                "Requests in no group, or in a group without a schedule, count by the default "
                "schedule. Without one they count every hour of every day."
            )
        )
        self.rows = rows or {day: MIN_ROWS for day, _label in WEEKDAYS}
        for day, _label in WEEKDAYS:
            for row in range(self.rows[day]):
                self.fields[f"d{day}_{row}_start"] = _time_field(gettext("Opens"))
                self.fields[f"d{day}_{row}_end"] = _time_field(gettext("Closes"))

    @classmethod
    def initial_for(cls, schedule: Schedule | None) -> tuple[dict[str, Any], dict[int, int]]:
        """The form's initial values and rows a day for an existing schedule."""
        if schedule is None:
            return {}, {day: MIN_ROWS for day, _label in WEEKDAYS}
        initial: dict[str, Any] = {
            "name": schedule.name,
            "time_zone": schedule.time_zone,
            "is_default": schedule.is_default,
            "groups": [link.group_id for link in schedule.group_links.all()],
        }
        by_day: dict[int, list[Any]] = {day: [] for day, _label in WEEKDAYS}
        for interval in schedule.intervals.all():
            by_day[interval.weekday].append(interval)
        for day, intervals in by_day.items():
            for row, interval in enumerate(intervals):
                initial[f"d{day}_{row}_start"] = interval.start
                initial[f"d{day}_{row}_end"] = interval.end
        return initial, {day: max(MIN_ROWS, len(found)) for day, found in by_day.items()}

    @staticmethod
    def rows_from(data: QueryDict, add_to: int | None = None) -> dict[int, int]:
        """Rows a day as the posted form had them, plus one on day `add_to`."""
        rows = {}
        for day, _label in WEEKDAYS:
            try:
                count = int(data.get(f"rows_{day}", MIN_ROWS))
            except ValueError:
                count = MIN_ROWS
            count += 1 if add_to == day else 0
            rows[day] = min(max(count, MIN_ROWS), MAX_ROWS)
        return rows

    @staticmethod
    def initial_from(data: QueryDict) -> dict[str, Any]:
        """What was typed, as initial values: the page re-shown with a row added, unchecked."""
        initial: dict[str, Any] = {key: data.get(key) for key in data if key != "groups"}
        initial["groups"] = data.getlist("groups")
        initial["is_default"] = bool(data.get("is_default"))
        return initial

    def days(self) -> list[DayRows]:
        return [
            DayRows(
                weekday=day,
                label=str(label),
                rows=[
                    (self[f"d{day}_{row}_start"], self[f"d{day}_{row}_end"])
                    for row in range(self.rows[day])
                ],
            )
            for day, label in WEEKDAYS
        ]

    def group_choices(self) -> list[tuple[Any, str | None]]:
        """Each group's checkbox with the other schedule it uses now, if any."""
        return [
            (checkbox, self.elsewhere.get(checkbox.data["value"].value))
            for checkbox in self["groups"]
        ]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if name_taken(name, self.schedule):
            raise forms.ValidationError(_("There is already a schedule with this name."))
        return name

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        intervals: list[businesstime.Interval] = []
        fields: list[tuple[str, str]] = []
        typed = False
        for day, _label in WEEKDAYS:
            for row in range(self.rows[day]):
                start_name, end_name = f"d{day}_{row}_start", f"d{day}_{row}_end"
                if start_name in self.errors or end_name in self.errors:
                    typed = True
                    continue
                start, end = cleaned.get(start_name), cleaned.get(end_name)
                if start is None and end is None:
                    continue
                typed = True
                if start is None or end is None:
                    missing = start_name if start is None else end_name
                    self.add_error(missing, _("Enter both the opening and the closing time."))
                    continue
                intervals.append(businesstime.Interval(day, start, end))
                fields.append((start_name, end_name))
        cleaned["intervals"] = intervals
        zone = cleaned.get("time_zone") or "UTC"
        for problem in businesstime.Schedule(zone, tuple(intervals)).validate():
            message = problem_message(problem, intervals)
            if problem.code == businesstime.ProblemCode.NO_HOURS:
                if not typed:
                    self.add_error(None, message)
            elif problem.code == businesstime.ProblemCode.END_NOT_AFTER_START:
                self.add_error(fields[problem.intervals[0]][1], message)
            elif problem.code == businesstime.ProblemCode.OVERLAP:
                self.add_error(fields[problem.intervals[1]][0], message)
            elif problem.code == businesstime.ProblemCode.UNKNOWN_TIMEZONE:
                self.add_error("time_zone", message)
        return cleaned

    def moved_groups(self) -> list[tuple[str, str]]:
        """(group, schedule it leaves) for the groups this save takes from other schedules."""
        return [
            (group.name, self.elsewhere[group.pk])
            for group in self.cleaned_data.get("groups", [])
            if group.pk in self.elsewhere
        ]


class HolidayForm(forms.Form):
    day = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        error_messages={
            "required": _("Enter a date."),
            "invalid": _("Enter a date such as 2026-12-25."),
        },
    )
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    yearly = forms.BooleanField(
        label=_("Every year"),
        required=False,
        help_text=_("Repeats on the same date every year, like New Year's Day."),
    )

    def __init__(self, *args: Any, schedule: Schedule, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "holiday")
        super().__init__(*args, **kwargs)
        self.schedule = schedule

    def clean_day(self) -> Any:
        day = self.cleaned_data["day"]
        if self.schedule.holidays.filter(date=day).exists():
            raise forms.ValidationError(_("There is already a holiday on this date."))
        return day


class HolidayImportForm(forms.Form):
    country = forms.ChoiceField(
        label=_("Country"),
        error_messages={"invalid_choice": _("Choose a country from the list.")},
    )
    first_year = forms.IntegerField(
        label=_("From year"),
        min_value=1950,
        max_value=2100,
        error_messages={
            "required": _("Enter a year."),
            "invalid": _("Enter a year such as 2026."),
            "min_value": _("Enter a year between 1950 and 2100."),
            "max_value": _("Enter a year between 1950 and 2100."),
        },
    )
    last_year = forms.IntegerField(
        label=_("To year"),
        min_value=1950,
        max_value=2100,
        help_text=_("At most 10 years at a time."),
        error_messages={
            "required": _("Enter a year."),
            "invalid": _("Enter a year such as 2026."),
            "min_value": _("Enter a year between 1950 and 2100."),
            "max_value": _("Enter a year between 1950 and 2100."),
        },
    )

    def __init__(self, *args: Any, schedule: Schedule, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "import")
        year = timezone.now().year
        # The schedule's own country first: Asia/Seoul suggests South Korea.
        country = country_for_zone(schedule.time_zone)
        kwargs.setdefault(
            "initial", {"country": country, "first_year": year, "last_year": year + 1}
        )
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = country_choices()  # type: ignore[attr-defined]
        self.fields["first_year"].widget.attrs.update({"inputmode": "numeric"})
        self.fields["last_year"].widget.attrs.update({"inputmode": "numeric"})

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        first, last = cleaned.get("first_year"), cleaned.get("last_year")
        if first is not None and last is not None:
            if last < first:
                self.add_error("last_year", _("The last year must not be before the first year."))
            elif last - first + 1 > IMPORT_MAX_YEARS:
                self.add_error(
                    "last_year",
                    _("Import at most %(count)s years at a time.") % {"count": IMPORT_MAX_YEARS},
                )
        return cleaned
