"""Retention: an optional policy that erases the content of requests closed more than N months
ago. The worker runs it daily in batches (tasks.py); each batch commits on its own, so a killed
run loses nothing and the next run carries on where it stopped."""

from __future__ import annotations

import calendar
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from supportal.audit.services import audit_record
from supportal.privacy.models import ErasedTicket, RetentionPolicy
from supportal.privacy.services.erasure import tickets_erase
from supportal.tickets.models import Ticket

BATCH = 200


def retention_cutoff(months: int, now: datetime | None = None) -> datetime:
    """`now` moved back by whole calendar months (31 March - 1 month = 28/29 February)."""
    now = now or timezone.now()
    index = now.year * 12 + (now.month - 1) - months
    year, month = divmod(index, 12)
    day = min(now.day, calendar.monthrange(year, month + 1)[1])
    return now.replace(year=year, month=month + 1, day=day)


def retention_candidates(cutoff: datetime) -> QuerySet[Ticket]:
    """Solved or closed requests last solved (or, without a solving time, last changed) before
    `cutoff`, not erased yet."""
    erased = ErasedTicket.objects.filter(ticket_id=OuterRef("pk"))
    return (
        Ticket.objects.filter(is_open=False)
        .filter(Q(solved_at__lt=cutoff) | Q(solved_at__isnull=True, updated_at__lt=cutoff))
        .exclude(Exists(erased))
    )


@transaction.atomic
def retention_save(
    *, enabled: bool, months: int | None, request: HttpRequest | None = None
) -> RetentionPolicy:
    policy = RetentionPolicy.objects.select_for_update().get(pk=RetentionPolicy.current().pk)
    before = {"enabled": policy.enabled, "months": policy.months}
    policy.enabled = enabled
    policy.months = months if enabled else policy.months
    policy.updated_at = timezone.now()
    policy.save()
    audit_record(
        action="privacy.retention_change",
        request=request,
        target=policy,
        target_label="retention policy",
        before=before,
        after={"enabled": policy.enabled, "months": policy.months},
    )
    return policy


def retention_run(*, now: Any = None, batch: int = BATCH) -> int:
    """Erases what the policy says is due; returns how many requests. Does nothing when off."""
    policy = RetentionPolicy.current()
    if not policy.enabled or not policy.months:
        return 0
    now = now or timezone.now()
    cutoff = retention_cutoff(policy.months, now)
    total = 0
    while True:
        with transaction.atomic():
            numbers = list(
                retention_candidates(cutoff)
                .select_for_update(skip_locked=True)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch]
            )
            if not numbers:
                break
            total += tickets_erase(ticket_ids=numbers, reason=ErasedTicket.Reason.RETENTION)
    with transaction.atomic():
        RetentionPolicy.objects.filter(pk=policy.pk).update(last_run_at=now, last_run_count=total)
        if total:
            audit_record(
                action="privacy.retention_run",
                target=policy,
                target_label="retention policy",
                after={"requests": total, "cutoff": cutoff.isoformat(), "months": policy.months},
            )
    return total
