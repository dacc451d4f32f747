"""Phone calls: entries of a request's conversation that agents log by hand or a telephony
system posts (api.py). Customers never see them (their notes are internal)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from supportal.lib.phone import MAX_LENGTH as PHONE_MAX_LENGTH
from supportal.lib.phone import format_duration
from supportal.tickets.models import Ticket

# A call longer than a day is a mistake in the form or the telephony system.
MAX_DURATION = 24 * 60 * 60


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")


class Outcome(models.TextChoices):
    ANSWERED = "answered", _("Answered")
    MISSED = "missed", _("Missed")
    VOICEMAIL = "voicemail", _("Voicemail")
    NO_ANSWER = "no_answer", _("No answer")
    BUSY = "busy", _("Busy")


class Call(models.Model):
    """One phone call about a request. Written through services.py only, each with a
    TicketEvent ("call_logged", then "call_updated" for later changes)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="calls")
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    # The customer's side of the call, normalised (supportal.lib.phone).
    number = models.CharField(_("number"), max_length=PHONE_MAX_LENGTH, blank=True)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    duration = models.PositiveIntegerField(_("duration in seconds"), default=0)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    notes = models.TextField(_("notes"), blank=True)
    # http(s) only, checked by the services: the page shows it as a link.
    recording_url = models.URLField(_("recording"), max_length=500, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agent"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The telephony system's id of the call: its retries find the call already logged.
    external_id = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="call_external_once"
            )
        ]
        indexes: ClassVar = [
            models.Index(fields=["ticket", "started_at"], name="call_ticket_idx"),
        ]

    def __str__(self) -> str:
        return f"call {self.pk} on #{self.ticket_id}"

    @property
    def duration_display(self) -> str:
        return format_duration(self.duration)
