"""Requests (tickets): what customers and agents share.

A ticket's number is its primary key, shown as "#1042". Every change to a ticket writes a
TicketEvent in the same transaction (see services.py); nothing here changes tickets on its own.
"""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from supportal.accounts.models import Organization, User


def localized(names: dict[str, str], language: str | None = None) -> str:
    """The name in the current language, else the default language's, else any."""
    language = language or get_language() or settings.LANGUAGE_CODE
    return (
        names.get(language)
        or names.get(settings.LANGUAGE_CODE)
        or next((name for name in names.values() if name), "")
    )


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    EMAIL = "email", _("Email")
    CHAT = "chat", _("Chat")
    PHONE = "phone", _("Phone")
    API = "api", _("API")
    SYSTEM = "system", _("System")


class Status(models.TextChoices):
    NEW = "new", pgettext_lazy("ticket status", "New")
    OPEN = "open", pgettext_lazy("ticket status", "Open")
    PENDING = "pending", pgettext_lazy("ticket status", "Pending")
    ON_HOLD = "on_hold", pgettext_lazy("ticket status", "On hold")
    SOLVED = "solved", pgettext_lazy("ticket status", "Solved")
    CLOSED = "closed", pgettext_lazy("ticket status", "Closed")


# "Open" in the customer's and the inbox's sense: anything not solved or closed yet.
UNSOLVED = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)
SOLVED = (Status.SOLVED, Status.CLOSED)


class Priority(models.IntegerChoices):
    LOW = 1, pgettext_lazy("ticket priority", "Low")
    NORMAL = 2, pgettext_lazy("ticket priority", "Normal")
    HIGH = 3, pgettext_lazy("ticket priority", "High")
    URGENT = 4, pgettext_lazy("ticket priority", "Urgent")


class Group(models.Model):
    """A queue of requests with the agents who work it."""

    name = models.CharField(pgettext_lazy("thing", "name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="ticket_groups",
        blank=True,
        verbose_name=_("members"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering: ClassVar = ["name"]
        verbose_name = _("group")
        verbose_name_plural = _("groups")

    def __str__(self) -> str:
        return self.name


class RequestType(models.Model):
    """A choice in the request form's "type" list, named in each language."""

    names = models.JSONField(_("names"), default=dict)  # {"en": "Billing", "ko": "결제", ...}
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering: ClassVar = ["position", "pk"]
        verbose_name = _("request type")
        verbose_name_plural = _("request types")

    def __str__(self) -> str:
        return localized(self.names)

    @property
    def name(self) -> str:
        return localized(self.names)


class CustomField(models.Model):
    """An extra field on every request: for customers and agents, or agents only."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        TEXTAREA = "textarea", _("Multi-line text")
        NUMBER = "number", pgettext_lazy("custom field kind", "Number")
        DATE = "date", _("Date")
        CHECKBOX = "checkbox", _("Checkbox")
        DROPDOWN = "dropdown", _("Drop-down")

    key = models.SlugField(_("key"), max_length=50, unique=True)
    labels = models.JSONField(_("labels"), default=dict)  # {"en": "Order number", ...}
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.TEXT)
    # [{"value": "basic", "labels": {"en": "Basic", "ko": "기본"}}, ...] for drop-downs
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)
    customer_visible = models.BooleanField(_("visible to customers"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering: ClassVar = ["position", "pk"]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return localized(self.labels) or self.key

    def choice_list(self) -> list[tuple[str, str]]:
        return [(choice["value"], localized(choice.get("labels", {}))) for choice in self.choices]

    def display(self, value: str) -> str:
        """A stored value as a person reads it."""
        if self.kind == self.Kind.DROPDOWN:
            return dict(self.choice_list()).get(value, value)
        if self.kind == self.Kind.CHECKBOX:
            return str(_("Yes")) if value == "1" else str(_("No"))
        return value


class Tag(models.Model):
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=50, unique=True)

    class Meta:
        ordering: ClassVar = ["name"]

    def __str__(self) -> str:
        return self.name


class TicketQuerySet(models.QuerySet["Ticket"]):
    def unsolved(self) -> TicketQuerySet:
        return self.filter(is_open=True)

    def visible_to(self, user: Any) -> TicketQuerySet:
        """The tickets a user may see. Agents see their groups' requests, requests in no group
        and requests assigned to them; admins see all; customers see their own, the ones they
        are CC'd on, and their organization's when it shares requests or they manage it."""
        if not user.is_authenticated:
            return self.none()
        if user.is_admin:
            return self
        if user.is_agent:
            # Compared as expressions on purpose: on the bare columns SQLite ORs the group and
            # assignee indexes (every request of the agent's groups) instead of walking the
            # index of the list being shown (0.7 s against 0.3 ms for "recently solved" at a
            # million requests). The view's own filters pick the index on both databases.
            groups = Group.members.through.objects.filter(user_id=user.pk).values("group_id")
            return self.alias(
                visible_group=Coalesce("group_id", 0), visible_assignee=Coalesce("assignee_id", 0)
            ).filter(Q(visible_group=0) | Q(visible_group__in=groups) | Q(visible_assignee=user.pk))
        return self.filter(customer_visibility_q(user))


def followed_q(user: User) -> Q:
    """The requests a customer made or is CC'd on ("My requests")."""
    # The CC'd numbers are read first (one index lookup): as a subquery inside the OR,
    # PostgreSQL scanned the whole ticket table to count a customer's requests (0.16 s at a
    # million requests); with a list it combines index scans.
    copied = list(TicketCC.objects.filter(user=user).values_list("ticket_id", flat=True)[:1000])
    return Q(requester=user) | Q(pk__in=copied)


def customer_visibility_q(user: User) -> Q:
    rule = followed_q(user)
    if user.sees_organization_requests:
        rule |= Q(organization_id=user.organization_id)
    return rule


class Ticket(models.Model):
    """A request. Its primary key is the number people see (#1042)."""

    subject = models.CharField(_("subject"), max_length=200)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.PROTECT,
        related_name="requests",
    )
    # The requester's organization when the request was made (kept if they move on).
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requests",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.NEW
    )
    # Mirrors status in UNSOLVED: one indexed column serves every "open" list.
    is_open = models.BooleanField(default=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    type = models.ForeignKey(
        RequestType, verbose_name=_("type"), on_delete=models.SET_NULL, null=True, blank=True
    )
    group = models.ForeignKey(
        Group, verbose_name=_("group"), on_delete=models.SET_NULL, null=True, blank=True
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_requests",
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    tags = models.ManyToManyField(Tag, through="TicketTag", blank=True, verbose_name=_("tags"))
    cc = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="TicketCC", related_name="cc_requests", blank=True
    )
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged_from"
    )
    # The key of the form that created it: posting the same form twice finds this ticket.
    submission_key = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    solved_at = models.DateTimeField(_("solved"), null=True, blank=True)
    # The last message's time, for "last activity" and collision checks.
    last_message_at = models.DateTimeField(null=True, blank=True)

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["requester", "submission_key"],
                condition=~Q(submission_key=""),
                name="ticket_submission_once",
            )
        ]
        indexes: ClassVar = [
            # Each inbox view walks one of these in (updated_at, id) order: keyset pagination.
            models.Index(fields=["is_open", "-updated_at", "-id"], name="ticket_open_idx"),
            # The other sorts of the largest view (all open): without them a million-request
            # database sorted every open request (0.3-0.45 s a page).
            models.Index(
                fields=["is_open", "-priority", "-updated_at", "-id"],
                name="ticket_open_priority_idx",
            ),
            models.Index(fields=["is_open", "-created_at", "-id"], name="ticket_open_created_idx"),
            models.Index(fields=["is_open", "-id"], name="ticket_open_number_idx"),
            models.Index(
                fields=["assignee", "is_open", "-updated_at", "-id"], name="ticket_assignee_idx"
            ),
            models.Index(
                fields=["group", "is_open", "-updated_at", "-id"], name="ticket_group_idx"
            ),
            models.Index(fields=["status", "-updated_at", "-id"], name="ticket_status_idx"),
            models.Index(
                fields=["status", "-priority", "-updated_at", "-id"],
                name="ticket_status_priority_idx",
            ),
            models.Index(fields=["-solved_at", "-id"], name="ticket_solved_idx"),
            models.Index(fields=["requester", "-updated_at", "-id"], name="ticket_requester_idx"),
            models.Index(
                fields=["organization", "-updated_at", "-id"], name="ticket_organization_idx"
            ),
            models.Index(fields=["-updated_at", "-id"], name="ticket_updated_idx"),
            models.Index(fields=["-created_at", "-id"], name="ticket_created_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def number(self) -> int:
        return self.pk

    @property
    def is_solved(self) -> bool:
        return self.status in SOLVED

    def can_reopen(self, now: Any = None) -> bool:
        """Customers may reopen a solved request within REOPEN_DAYS; closed is final."""
        if self.status != Status.SOLVED or self.solved_at is None:
            return False
        now = now or timezone.now()
        return now - self.solved_at <= settings.REOPEN_WINDOW


class TicketTag(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["ticket", "tag"], name="tickettag_unique")
        ]
        indexes: ClassVar = [models.Index(fields=["tag", "ticket"], name="tickettag_tag_idx")]

    def __str__(self) -> str:
        return f"{self.tag_id} on #{self.ticket_id}"


class TicketCC(models.Model):
    """Someone copied on a request: they follow it and may see it like the requester."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="cc_rows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["ticket", "user"], name="ticketcc_unique")
        ]
        indexes: ClassVar = [models.Index(fields=["user", "ticket"], name="ticketcc_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} on #{self.ticket_id}"


class TicketFieldValue(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="field_values")
    field = models.ForeignKey(CustomField, on_delete=models.CASCADE, related_name="values")
    value = models.CharField(max_length=2000)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["ticket", "field"], name="fieldvalue_unique")
        ]
        indexes: ClassVar = [
            models.Index(fields=["field", "value", "ticket"], name="fieldvalue_lookup_idx")
        ]

    def __str__(self) -> str:
        return f"{self.field_id}={self.value} on #{self.ticket_id}"


class TicketLink(models.Model):
    """Two related requests; stored once with the lower number first."""

    first = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["first", "second"], name="ticketlink_unique"),
            models.CheckConstraint(
                condition=Q(first__lt=models.F("second")), name="ticketlink_order"
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["second"], name="ticketlink_second_idx")]

    def __str__(self) -> str:
        return f"#{self.first_id} - #{self.second_id}"


class Message(models.Model):
    """One entry of the conversation: a public reply, or an internal note (agents only)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField(_("message"))
    public = models.BooleanField(default=True)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.WEB)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["ticket", "created_at"], name="message_ticket_idx")
        ]

    def __str__(self) -> str:
        return f"message {self.pk} on #{self.ticket_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # A random name: the original is kept in the row and only given back on download.
    return f"attachments/{timezone.now():%Y/%m}/{secrets.token_urlsafe(24)}"


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, max_length=200)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.filename

    @property
    def is_safe_image(self) -> bool:
        """Shown inline; anything else is downloaded (Content-Disposition: attachment)."""
        return self.content_type in SAFE_IMAGE_TYPES


SAFE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


class TicketEvent(models.Model):
    """One change to a ticket: the history, SLA timers and reports are read from these."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        CHANGED = "changed", _("Changed")
        REPLIED = "replied", _("Replied")
        NOTED = "noted", _("Internal note")
        CC_ADDED = "cc_added", _("CC added")
        CC_REMOVED = "cc_removed", _("CC removed")
        MERGED_INTO = "merged_into", _("Merged into another request")
        MERGED_FROM = "merged_from", _("Another request merged in")
        LINKED = "linked", _("Linked")
        UNLINKED = "unlinked", _("Unlinked")
        SLA_WARNING = "sla_warning", _("Service level target about to be missed")
        SLA_BREACHED = "sla_breached", _("Service level target missed")
        # A call logged on the request (supportal/phone), and a later change of its details.
        CALL_LOGGED = "call_logged", _("Call logged")
        CALL_UPDATED = "call_updated", _("Call updated")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    field = models.CharField(max_length=64, blank=True)  # "status", "assignee", "field:<key>"
    old_value = models.CharField(max_length=2000, blank=True)
    new_value = models.CharField(max_length=2000, blank=True)
    # The automatic rule that made this change, as "<kind>:<id>" ("sla:3", "trigger:12",
    # "automation:5", "macro:7", "routing:2"); empty for a person's own change.
    via = models.CharField(max_length=40, blank=True, default="", db_default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["ticket", "created_at"], name="event_ticket_idx"),
            models.Index(fields=["kind", "field", "created_at"], name="event_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.field} on #{self.ticket_id}"


class TicketSearch(models.Model):
    """The analysed terms of a ticket (subject, conversation, requester), space-separated.

    SQLite searches them through an FTS5 table kept in step by triggers; PostgreSQL through a
    GIN index on array_to_tsvector(...). See search.py and migration 0002.
    """

    ticket = models.OneToOneField(
        Ticket, primary_key=True, on_delete=models.CASCADE, related_name="search"
    )
    terms = models.TextField()

    def __str__(self) -> str:
        return f"terms of #{self.ticket_id}"


class SavedView(models.Model):
    """An inbox view an agent saved: conditions and a sort order. Shared when owner is empty."""

    name = models.CharField(pgettext_lazy("thing", "name"), max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="saved_views",
    )
    conditions = models.JSONField(default=dict)
    sort = models.CharField(max_length=32, default="-updated_at")
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Deflection(models.Model):
    """An article opened from the request form. Without a later submission of that form, the
    request counts as deflected (the article answered it)."""

    form_key = models.CharField(max_length=64)
    article = models.ForeignKey("helpcenter.Article", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    query = models.CharField(max_length=200, blank=True)
    submitted = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["form_key"], name="deflection_form_idx"),
            models.Index(fields=["created_at"], name="deflection_created_idx"),
        ]

    def __str__(self) -> str:
        return f"article {self.article_id} from form {self.form_key}"


class AccessToken(models.Model):
    """A single-use, expiring link that signs a visitor in to the request they made."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"link to #{self.ticket_id}"
