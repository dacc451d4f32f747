from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboundEmail(models.Model):
    """Every message Supportal sends passes through here: the durable outbox.

    Rows are written in the same transaction as the change that causes them and delivered
    afterwards by a task. When no SMTP server is configured they stay here, readable by
    admins on the Outbox page.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        HELD = "held", _("Kept here (delivery is not configured)")
        FAILED = "failed", _("Failed")
        # Every recipient's address bounces for good: sending again would only bounce again
        # and hurt our sender reputation. `bounced` says which address and why.
        SUPPRESSED = "suppressed", _("Held: the address bounces")

    from_email = models.CharField(_("from"), max_length=320)
    to = models.TextField(_("to"), help_text=_("One address per line."))
    subject = models.CharField(_("subject"), max_length=998)
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    raw = models.BinaryField(_("message source"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    # The addresses left out because they bounce for good, one "address (reason)" a line; the
    # Outbox page words it in the reader's language.
    bounced = models.TextField(_("left out (bouncing)"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    claimed_at = models.DateTimeField(_("delivery started"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        indexes: ClassVar = [
            models.Index(fields=["-created_at", "-id"], name="outbound_created_idx"),
            models.Index(fields=["status", "created_at"], name="outbound_status_idx"),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def recipients(self) -> list[str]:
        return [line for line in self.to.splitlines() if line]


class MaintenanceMode(models.Model):
    """One row (pk 1): whether the site is closed for maintenance, and what visitors are told.

    Read through supportal.core.maintenance, whose process copy costs no query per request.
    """

    enabled = models.BooleanField(_("on"), default=False)
    message = models.TextField(_("message"), blank=True)
    retry_after = models.PositiveIntegerField(_("retry after (seconds)"), default=600)
    changed_at = models.DateTimeField(_("changed"), null=True, blank=True)

    class Meta:
        verbose_name = _("maintenance mode")
        verbose_name_plural = _("maintenance mode")
        constraints: ClassVar = [
            models.CheckConstraint(condition=models.Q(id=1), name="maintenance_single_row"),
        ]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class PageChange(models.Model):
    """A write to something a customer's pages show, noted by a database trigger for the
    personal page cache (core/personalcache.py): whose pages it changes (`scope`: "u:<user>",
    "o:<organization>" or "*") and, on PostgreSQL, the writing transaction. Pruned after
    15 minutes."""

    scope = models.CharField(max_length=32)
    xid = models.BigIntegerField(default=0)
    at = models.BigIntegerField()

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["scope", "id"], name="pagechange_scope_idx"),
            models.Index(fields=["at"], name="pagechange_at_idx"),
        ]

    def __str__(self) -> str:
        return self.scope
