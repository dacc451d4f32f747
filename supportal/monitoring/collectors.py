"""Gauges read at scrape time (see metrics.register_collector): the task queue, the outbox, and
the email channel's mailbox lag. Each costs one cheap query or queue call."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from supportal.core.models import OutboundEmail
from supportal.monitoring.metrics import register_collector

# The outbox states that mean "not delivered (yet)"; `sent` rows, the bulk, are never counted.
OUTBOX_STATES = (
    OutboundEmail.Status.PENDING,
    OutboundEmail.Status.SENDING,
    OutboundEmail.Status.FAILED,
    OutboundEmail.Status.HELD,
)


def queue_depth() -> tuple[int, int]:
    """Tasks waiting to run now, and tasks scheduled for later (retries, delayed tasks)."""
    from huey.contrib.djhuey import HUEY

    return HUEY.pending_count(), HUEY.scheduled_count()


@dataclass(frozen=True)
class OutboxState:
    counts: dict[str, int]
    oldest_pending: datetime | None

    @property
    def pending(self) -> int:
        return self.counts.get(OutboundEmail.Status.PENDING, 0) + self.counts.get(
            OutboundEmail.Status.SENDING, 0
        )

    @property
    def failed(self) -> int:
        return self.counts.get(OutboundEmail.Status.FAILED, 0)

    @property
    def held(self) -> int:
        return self.counts.get(OutboundEmail.Status.HELD, 0)


def outbox_state() -> OutboxState:
    """One query on the (status, created_at) index."""
    rows = (
        OutboundEmail.objects.filter(status__in=OUTBOX_STATES)
        .order_by()
        .values("status")
        .annotate(count=Count("id"), oldest=Min("created_at"))
    )
    counts: dict[str, int] = {}
    oldest: datetime | None = None
    for row in rows:
        counts[row["status"]] = row["count"]
        if row["status"] in (OutboundEmail.Status.PENDING, OutboundEmail.Status.SENDING):
            oldest = row["oldest"] if oldest is None else min(oldest, row["oldest"])
    return OutboxState(counts=counts, oldest_pending=oldest)


def collect_queue() -> Iterable[Metric]:
    pending, scheduled = queue_depth()
    yield GaugeMetricFamily(
        "supportal_task_queue_pending", "Background tasks waiting to run.", value=pending
    )
    yield GaugeMetricFamily(
        "supportal_task_queue_scheduled",
        "Background tasks scheduled for later (delayed tasks and retries).",
        value=scheduled,
    )


def collect_outbox() -> Iterable[Metric]:
    state = outbox_state()
    messages = GaugeMetricFamily(
        "supportal_outbox_messages",
        "Outgoing emails not delivered, by status (pending, sending, failed, held).",
        labels=["status"],
    )
    for status in OUTBOX_STATES:
        messages.add_metric([str(status)], state.counts.get(status, 0))
    yield messages
    age = 0.0
    if state.oldest_pending is not None:
        age = max(0.0, (timezone.now() - state.oldest_pending).total_seconds())
    yield GaugeMetricFamily(
        "supportal_outbox_oldest_pending_seconds",
        "Age of the oldest email waiting to be sent (0 when none waits).",
        value=age,
    )


@dataclass(frozen=True)
class MailboxLag:
    address: str
    seconds: float  # since the last successful check (since creation when never checked)
    failures: int  # failed checks in a row
    poll_minutes: int


def mailbox_lag() -> list[MailboxLag]:
    """Each active support address the worker polls over IMAP, with how long ago it was last
    checked successfully. One query."""
    from supportal.mail.models import Mailbox

    now = timezone.now()
    rows = Mailbox.objects.filter(active=True, delivery=Mailbox.Delivery.IMAP).values_list(
        "address", "last_success_at", "created_at", "failures", "poll_minutes"
    )
    return [
        MailboxLag(address, max(0.0, (now - (success or created)).total_seconds()), failed, every)
        for address, success, created, failed, every in rows
    ]


def collect_mailboxes() -> Iterable[Metric]:
    lag = GaugeMetricFamily(
        "supportal_mailbox_poll_lag_seconds",
        "Seconds since each IMAP support address was last checked successfully.",
        labels=["mailbox"],
    )
    failures = GaugeMetricFamily(
        "supportal_mailbox_poll_failures",
        "Failed checks in a row of each IMAP support address.",
        labels=["mailbox"],
    )
    for mailbox in mailbox_lag():
        lag.add_metric([mailbox.address], mailbox.seconds)
        failures.add_metric([mailbox.address], mailbox.failures)
    yield lag
    yield failures


def register_all() -> None:
    register_collector("queue", collect_queue)
    register_collector("outbox", collect_outbox)
    # The email channel's hook; a chat channel registers its connections the same way.
    register_collector("mail", collect_mailboxes)
