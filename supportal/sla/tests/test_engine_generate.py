from __future__ import annotations

from collections import Counter

import pytest
from django.core.management import call_command
from django.utils import timezone

from supportal.sla.models import SlaPolicy, SlaTimer, TicketSla
from supportal.sla.rebuild import sla_rebuild
from supportal.sla.services import sla_check
from supportal.tickets.models import Ticket

pytestmark = pytest.mark.django_db

SMALL = {"tickets": 400, "messages_per_ticket": 4, "customers": 40, "agents": 6, "verbosity": 0}

State = SlaTimer.State


class GeneratedSlaTests:
    def test_generated_requests_have_realistic_clocks(self) -> None:
        call_command("generate_data", **SMALL)
        assert SlaPolicy.objects.count() == 2
        states = Counter(SlaTimer.objects.values_list("state", flat=True))
        assert states[State.ACHIEVED] and states[State.BREACHED] and states[State.RUNNING]
        now = timezone.now()
        running = SlaTimer.objects.filter(state=State.RUNNING)
        assert running.filter(due_at__lt=now, breached_at__isnull=False).exists()  # overdue
        assert running.filter(due_at__gt=now).exists()  # still to come
        assert TicketSla.objects.count() == Ticket.objects.count()
        # The same as the engine's own rebuild from the stored history.
        sample = list(Ticket.objects.order_by("pk").values_list("pk", flat=True)[:60])
        before = sorted(
            SlaTimer.objects.filter(ticket_id__in=sample).values_list(
                "ticket_id", "metric", "state", "started_at", "due_at", "stopped_at"
            )
        )
        sla_rebuild(sample, now=now)
        after = sorted(
            SlaTimer.objects.filter(ticket_id__in=sample).values_list(
                "ticket_id", "metric", "state", "started_at", "due_at", "stopped_at"
            )
        )
        assert after == before
        # Nothing left undone for the worker but what came due in the last minutes.
        result = sla_check(now)
        assert (
            result.breached
            == SlaTimer.objects.filter(
                state=State.RUNNING, breached_at__gte=now - timezone.timedelta(minutes=10)
            ).count()
        )
