"""Business rules: routing rules and automatic assignment, agents' availability, triggers and
time-based automations. What they do to a request goes through the request services, so each
change is a TicketEvent whose `via` names the rule ("routing:2", "trigger:7", "automation:3").

Conditions and actions of triggers and automations are JSON lists of small dicts, read and
checked by rules/conditions.py and rules/actions.py (the only code that knows their keys):
  condition: {"field": "status", "op": "is", "value": "open"}
  action:    {"action": "set_status", "value": "pending"}
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from supportal.tickets.models import Group


class Availability(models.TextChoices):
    AVAILABLE = "available", _("Available")
    AWAY = "away", _("Away")
    OFFLINE = "offline", _("Offline")


class AgentStatus(models.Model):
    """An agent's availability (the switch in the agent header) and when automatic assignment
    last gave them a request (round-robin goes to whoever waited longest)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="status"
    )
    availability = models.CharField(
        _("availability"),
        max_length=10,
        choices=Availability.choices,
        default=Availability.OFFLINE,
    )
    changed_at = models.DateTimeField(default=timezone.now)
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user}: {self.availability}"


class GroupRouting(models.Model):
    """How a group hands out its new requests: round-robin among available members, each
    capped at `max_open` open requests (none: no cap)."""

    group = models.OneToOneField(
        Group,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="routing",
        verbose_name=_("group"),
    )
    round_robin = models.BooleanField(_("assign new requests automatically"), default=False)
    max_open = models.PositiveIntegerField(
        _("open requests per agent at most"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("group assignment")
        verbose_name_plural = _("group assignments")

    def __str__(self) -> str:
        return f"{self.group}: {'round-robin' if self.round_robin else 'manual'}"


class RoutingRule(models.Model):
    """Puts a new request in a group. Ordered; the first active rule whose conditions all hold
    applies (an empty condition holds for anything)."""

    name = models.CharField(pgettext_lazy("thing", "name"), max_length=100)
    position = models.PositiveIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    mailboxes = models.ManyToManyField(
        "mail.Mailbox", blank=True, related_name="+", verbose_name=_("support addresses")
    )
    request_types = models.ManyToManyField(
        "tickets.RequestType", blank=True, related_name="+", verbose_name=_("request types")
    )
    organizations = models.ManyToManyField(
        "accounts.Organization", blank=True, related_name="+", verbose_name=_("organizations")
    )
    languages = models.JSONField(_("requester's languages"), default=list, blank=True)
    # Any of these words in the subject or the first message (case-insensitive).
    words = models.JSONField(_("words"), default=list, blank=True)
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="+", verbose_name=_("put in group")
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["position", "pk"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return self.name


class Trigger(models.Model):
    """Acts on a request right after it is created or changed, when its conditions hold.
    Triggers run in `position` order; each fires at most once for one change, and a chain of
    changes made by triggers stops after a fixed depth (rules/triggers.py)."""

    class RunsOn(models.TextChoices):
        CREATED = "created", _("When a request is created")
        UPDATED = "updated", _("When a request is updated")
        BOTH = "both", _("When a request is created or updated")

    name = models.CharField(pgettext_lazy("thing", "name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    position = models.PositiveIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)
    runs_on = models.CharField(_("runs"), max_length=8, choices=RunsOn.choices, default=RunsOn.BOTH)
    conditions_all = models.JSONField(_("all of these conditions"), default=list, blank=True)
    conditions_any = models.JSONField(_("any of these conditions"), default=list, blank=True)
    actions = models.JSONField(_("actions"), default=list)
    fired_count = models.PositiveIntegerField(_("times fired"), default=0)
    last_fired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["position", "pk"]
        verbose_name = _("trigger")
        verbose_name_plural = _("triggers")

    def __str__(self) -> str:
        return self.name


class Automation(models.Model):
    """Acts on requests by the passing of time, checked hourly: "pending for 3 days: remind the
    customer". Its conditions include at least one on hours since created, updated, pending or
    solved (calendar or business hours); each fires at most once per request for each time the
    request reaches that state (AutomationRun)."""

    name = models.CharField(pgettext_lazy("thing", "name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    position = models.PositiveIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)
    conditions_all = models.JSONField(_("all of these conditions"), default=list, blank=True)
    conditions_any = models.JSONField(_("any of these conditions"), default=list, blank=True)
    actions = models.JSONField(_("actions"), default=list)
    fired_count = models.PositiveIntegerField(_("times fired"), default=0)
    last_run_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["position", "pk"]
        verbose_name = _("automation")
        verbose_name_plural = _("automations")

    def __str__(self) -> str:
        return self.name


class AutomationRun(models.Model):
    """An automation fired for a request; `since` is the moment its hours were counted from
    (the request's creation, its last update, when it became pending or solved), so the same
    automation fires again only when the request reaches that state anew."""

    automation = models.ForeignKey(Automation, on_delete=models.CASCADE, related_name="runs")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    since = models.DateTimeField()
    fired_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["automation", "ticket", "since"], name="automation_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.automation_id} on #{self.ticket_id}"
