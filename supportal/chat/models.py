"""Live chat: every chat is a request (channel "chat") whose messages are its conversation.

`Chat` is what a request needs beside its ticket while a conversation is live: the visitor's
key, the queue, the agent, read marks. `ChatEvent` is the ordered feed both sides read: the
chat process delivers new rows to WebSockets, the polling fallback reads them over HTTP, and a
reconnecting client asks for everything after the last id it saw.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from supportal.tickets.models import Group, Ticket


class ChatSettings(models.Model):
    """The chat team's configuration: one row (pk 1)."""

    class Field(models.TextChoices):
        REQUIRED = "required", _("Required")
        OPTIONAL = "optional", _("Optional")
        HIDDEN = "hidden", _("Not asked")

    enabled = models.BooleanField(_("chat is on"), default=True)
    group = models.ForeignKey(
        Group,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("chat group"),
        help_text=_("Chats go to this group's agents. Empty: every agent."),
    )
    schedule = models.ForeignKey(
        "sla.Schedule",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("chat hours"),
        help_text=_("Outside these hours visitors may leave a message. Empty: always on."),
    )
    ask_name = models.CharField(
        _("name on the pre-chat form"), max_length=8, choices=Field.choices, default=Field.REQUIRED
    )
    ask_email = models.CharField(
        _("email on the pre-chat form"),
        max_length=8,
        choices=Field.choices,
        default=Field.REQUIRED,
    )
    ask_topic = models.CharField(
        _("topic on the pre-chat form"),
        max_length=8,
        choices=Field.choices,
        default=Field.OPTIONAL,
    )
    auto_assign = models.BooleanField(
        _("assign chats automatically"),
        default=True,
        help_text=_("To the available agent with the fewest chats, up to each agent's limit."),
    )
    max_chats = models.PositiveSmallIntegerField(_("chats at once per agent"), default=3)
    idle_minutes = models.PositiveSmallIntegerField(
        _("minutes without a message before a chat ends"),
        default=30,
        help_text=_("The chat ends on its own and its request is solved. 0: never."),
    )
    allowed_sites = models.TextField(
        _("sites that may embed the chat"),
        blank=True,
        help_text=_("One address per line, such as https://shop.example.com."),
    )
    # Fernet-encrypted (core/crypto); empty: signed identities are not accepted.
    identity_secret = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("chat settings")
        verbose_name_plural = _("chat settings")

    def __str__(self) -> str:
        return "chat settings"

    @property
    def site_list(self) -> list[str]:
        return [line.strip() for line in self.allowed_sites.splitlines() if line.strip()]


class ChatState(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    ACTIVE = "active", _("In conversation")
    ENDED = "ended", _("Ended")


class Identity(models.TextChoices):
    SIGNED_IN = "signed_in", pgettext_lazy("chat identity", "Signed in")
    SIGNED = "signed", _("Verified by the website")
    CLAIMED = "claimed", _("Email not verified")


class Chat(models.Model):
    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="chat")
    # sha256 of the random token in the visitor's HttpOnly cookie; never the token itself.
    visitor_key = models.CharField(max_length=64, unique=True)
    identity = models.CharField(max_length=16, choices=Identity.choices)
    state = models.CharField(max_length=8, choices=ChatState.choices, default=ChatState.QUEUED)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="chats",
    )
    group = models.ForeignKey(Group, on_delete=models.SET_NULL, null=True, blank=True)
    page_url = models.CharField(max_length=500, blank=True)
    language = models.CharField(max_length=16)
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Set when it ended on its own: the minutes nobody had written (ChatSettings.idle_minutes).
    ended_idle = models.PositiveSmallIntegerField(default=0)
    # The visitor asked to keep an idle chat open when warned (WCAG 2.2.1): the idle clock
    # counts from here as from a message.
    kept_at = models.DateTimeField(null=True, blank=True)
    # The last message id each side has seen (read marks).
    visitor_read = models.BigIntegerField(default=0)
    agent_read = models.BigIntegerField(default=0)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["state", "created_at"], name="chat_state_idx"),
            models.Index(fields=["agent", "state"], name="chat_agent_idx"),
        ]

    def __str__(self) -> str:
        return f"chat on #{self.ticket_id}"

    @property
    def is_live(self) -> bool:
        return self.state != ChatState.ENDED


class Audience(models.TextChoices):
    ALL = "all", "all"
    AGENTS = "agents", "agents"


class ChatEvent(models.Model):
    id = models.BigAutoField(primary_key=True)
    chat = models.ForeignKey(Chat, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16)
    audience = models.CharField(max_length=8, choices=Audience.choices, default=Audience.ALL)
    data = models.JSONField(default=dict)
    # The sender's id for a message (the widget's or panel's); a message sent again after a
    # dropped connection has the same one, and is stored once.
    client = models.CharField(max_length=40, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["chat", "id"], name="chatevent_chat_idx"),
            models.Index(fields=["created_at"], name="chatevent_created_idx"),
        ]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["chat", "client"],
                condition=~models.Q(client=""),
                name="chatevent_client_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk} on chat {self.chat_id}"
