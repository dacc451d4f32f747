"""Admin settings: business-hours schedules, their weekly hours, groups and holidays."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from supportal.accounts.access import admin_required
from supportal.sla import hours_services
from supportal.sla.access import get_holiday_for, get_schedule_for
from supportal.sla.hours_forms import (
    HolidayForm,
    HolidayImportForm,
    ScheduleForm,
    end_label,
)
from supportal.sla.models import GroupSchedule, Schedule, ScheduleInterval


def crumbs(*trail: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [
        (_("Inbox"), reverse("agent:inbox")),
        (_("Business hours"), reverse("sla:schedules") if trail else None),
        *trail,
    ]


def weekly_summary(intervals: Iterable[ScheduleInterval]) -> str:
    """ "Mon–Fri 09:00–12:00, 13:00–18:00; Sat 10:00–14:00": days with the same hours joined."""
    by_day: dict[int, list[str]] = {}
    for interval in sorted(intervals, key=lambda i: (i.weekday, i.start)):
        by_day.setdefault(interval.weekday, []).append(
            f"{interval.start:%H:%M}–{end_label(interval.end)}"
        )
    runs: list[tuple[int, int, list[str]]] = []
    for day in sorted(by_day):
        if runs and runs[-1][1] == day - 1 and runs[-1][2] == by_day[day]:
            runs[-1] = (runs[-1][0], day, by_day[day])
        else:
            runs.append((day, day, by_day[day]))
    parts = []
    for first, last, hours in runs:
        days = str(WEEKDAYS_ABBR[first])
        if last != first:
            days += f"–{WEEKDAYS_ABBR[last]}"
        parts.append(f"{days} {', '.join(hours)}")
    return "; ".join(parts)


@admin_required
@require_GET
def schedules(request: HttpRequest) -> HttpResponse:
    rows = list(
        Schedule.objects.annotate(holiday_count=Count("holidays"))
        .prefetch_related(
            "intervals",
            Prefetch("group_links", GroupSchedule.objects.select_related("group")),
        )
        .order_by("name")
    )
    for row in rows:
        row.summary = weekly_summary(row.intervals.all())  # type: ignore[attr-defined]
        row.group_names = sorted(link.group.name for link in row.group_links.all())  # type: ignore[attr-defined]
    heading = _("Business hours")
    context = {"heading": heading, "rows": rows, "crumbs": crumbs()}
    return render(request, "sla/schedules.html", context)


@admin_required
@require_http_methods(["GET", "POST"])
def schedule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    schedule = get_schedule_for(request, pk) if pk else None
    initial, rows = ScheduleForm.initial_for(schedule)
    if schedule is None:
        initial["is_default"] = not Schedule.objects.filter(is_default=True).exists()
    form = ScheduleForm(None, schedule=schedule, initial=initial, rows=rows)
    if request.method == "POST" and "add_row" in request.POST:
        # "Add hours" on a day: the same page with one more row, nothing saved or checked.
        day = request.POST.get("add_row", "")
        rows = ScheduleForm.rows_from(request.POST, int(day) if day.isdigit() else None)
        initial = ScheduleForm.initial_from(request.POST)
        form = ScheduleForm(None, schedule=schedule, initial=initial, rows=rows)
    elif request.method == "POST":
        rows = ScheduleForm.rows_from(request.POST)
        form = ScheduleForm(request.POST, schedule=schedule, rows=rows)
        if form.is_valid():
            saved = _save_schedule(request, schedule, form)
            if saved is not None:
                return HttpResponseRedirect(reverse("sla:schedules"))
    return _schedule_page(request, schedule, form)


def _save_schedule(
    request: HttpRequest, schedule: Schedule | None, form: ScheduleForm
) -> Schedule | None:
    data = form.cleaned_data
    moved = form.moved_groups()
    try:
        saved = hours_services.schedule_save(
            schedule=schedule,
            name=data["name"],
            time_zone=data["time_zone"],
            is_default=data["is_default"],
            groups=data["groups"],
            intervals=data["intervals"],
        )
    except ValidationError as error:
        form.add_error(None, error)
        return None
    messages.success(request, _("The schedule has been saved."))
    for group, previous in moved:
        messages.info(
            request,
            _("The group “%(group)s” now uses this schedule instead of “%(previous)s”.")
            % {"group": group, "previous": previous},
        )
    return saved


def _schedule_page(
    request: HttpRequest, schedule: Schedule | None, form: ScheduleForm
) -> HttpResponse:
    title = schedule.name if schedule else _("New schedule")
    context = {"schedule": schedule, "form": form, "crumbs": crumbs((title, None))}
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "sla/schedule_form.html", context, status=status)


@admin_required
@require_http_methods(["GET", "POST"])
def schedule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = get_schedule_for(request, pk)
    if request.method == "POST":
        hours_services.schedule_delete(schedule=schedule)
        messages.success(request, _("The schedule has been deleted."))
        return HttpResponseRedirect(reverse("sla:schedules"))
    context = {
        "schedule": schedule,
        "group_names": sorted(schedule.group_links.values_list("group__name", flat=True)),
        "crumbs": crumbs(
            (schedule.name, reverse("sla:schedule_edit", args=[schedule.pk])), (_("Delete"), None)
        ),
    }
    return render(request, "sla/schedule_delete.html", context)


# --- Holidays ----------------------------------------------------------------------------------


def _holidays_page(
    request: HttpRequest,
    schedule: Schedule,
    add_form: HolidayForm | None = None,
    import_form: HolidayImportForm | None = None,
) -> HttpResponse:
    add_form = add_form or HolidayForm(schedule=schedule)
    import_form = import_form or HolidayImportForm(schedule=schedule)
    context = {
        "schedule": schedule,
        "holidays": list(schedule.holidays.all()),
        "add_form": add_form,
        "import_form": import_form,
        "crumbs": crumbs(
            (schedule.name, reverse("sla:schedule_edit", args=[schedule.pk])),
            (_("Holidays"), None),
        ),
    }
    failed = any(form.is_bound and form.errors for form in (add_form, import_form))
    return render(request, "sla/holidays.html", context, status=400 if failed else 200)


def _to_holidays(schedule: Schedule) -> HttpResponse:
    return HttpResponseRedirect(reverse("sla:holidays", args=[schedule.pk]))


@admin_required
@require_GET
def holidays(request: HttpRequest, pk: int) -> HttpResponse:
    return _holidays_page(request, get_schedule_for(request, pk))


@admin_required
@require_POST
def holiday_add(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = get_schedule_for(request, pk)
    form = HolidayForm(request.POST, schedule=schedule)
    if form.is_valid():
        try:
            hours_services.holiday_add(schedule=schedule, **form.cleaned_data)
        except ValidationError as error:
            form.add_error("day", error)
        else:
            messages.success(request, _("The holiday has been added."))
            return _to_holidays(schedule)
    return _holidays_page(request, schedule, add_form=form)


@admin_required
@require_POST
def holidays_import(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = get_schedule_for(request, pk)
    form = HolidayImportForm(request.POST, schedule=schedule)
    if form.is_valid():
        try:
            added = hours_services.holidays_import(
                schedule=schedule, language=get_language() or "en", **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error("country", error)
        else:
            message = ngettext(
                "%(count)s public holiday has been added.",
                "%(count)s public holidays have been added.",
                added,
            )
            if not added:
                message = _("No public holidays were added: the schedule has them all already.")
            messages.success(request, message % {"count": added})
            return _to_holidays(schedule)
    return _holidays_page(request, schedule, import_form=form)


@admin_required
@require_POST
def holiday_remove(request: HttpRequest, pk: int, holiday_pk: int) -> HttpResponse:
    """Without `confirm` the page asks first; the confirmation posts here again with it."""
    schedule = get_schedule_for(request, pk)
    holiday = get_holiday_for(request, schedule, holiday_pk)
    if request.POST.get("confirm") != "yes":
        context: dict[str, Any] = {
            "schedule": schedule,
            "holiday": holiday,
            "crumbs": crumbs(
                (schedule.name, reverse("sla:schedule_edit", args=[schedule.pk])),
                (_("Holidays"), reverse("sla:holidays", args=[schedule.pk])),
                (_("Remove"), None),
            ),
        }
        return render(request, "sla/holiday_remove.html", context)
    hours_services.holiday_remove(holiday=holiday)
    messages.success(request, _("The holiday has been removed."))
    return _to_holidays(schedule)
