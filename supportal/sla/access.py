"""Lookups for the business-hours views: 404 for anything the caller may not open.

The pages are for admins (the decorator checks the role); these turn a missing row, or a
holiday of another schedule, into a 404.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest

from supportal.sla.models import Holiday, Schedule, SlaPolicy


def get_schedule_for(request: HttpRequest, pk: int) -> Schedule:
    schedule = Schedule.objects.filter(pk=pk).first()
    if schedule is None or not request.user.is_admin:  # type: ignore[union-attr]
        raise Http404
    return schedule


def get_holiday_for(request: HttpRequest, schedule: Schedule, pk: int) -> Holiday:
    holiday = Holiday.objects.filter(pk=pk, schedule=schedule).first()
    if holiday is None or not request.user.is_admin:  # type: ignore[union-attr]
        raise Http404
    return holiday


def get_policy_for(request: HttpRequest, pk: int) -> SlaPolicy:
    policy = SlaPolicy.objects.filter(pk=pk).first()
    if policy is None or not request.user.is_admin:  # type: ignore[union-attr]
        raise Http404
    return policy
