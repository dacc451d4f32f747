"""The email channel: support addresses (mailboxes), every inbound message's fate (the mail
log), the Message-IDs that thread replies, and addresses that bounce.

Inbound mail is stored first (raw bytes in the file storage, one InboundEmail row), then
processed into a request by services.inbound_process; nothing here changes requests itself.
"""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from supportal.core import crypto
from supportal.tickets.models import Group, Message, Ticket


def new_inbound_token() -> str:
    return secrets.token_urlsafe(32)


class Mailbox(models.Model):
    """A support address customers write to, and how its mail reaches us."""

    class Delivery(models.TextChoices):
        IMAP = "imap", _("IMAP: the worker fetches it")
        PIPE = "pipe", _("Pipe: the mail server runs “supportal ingest_email”")
        HTTP = "http", _("HTTP: a mail service posts it to our address")

    class Security(models.TextChoices):
        TLS = "tls", _("TLS (usually port 993)")
        STARTTLS = "starttls", _("STARTTLS (usually port 143)")

    address = models.EmailField(_("address"), max_length=254, unique=True)
    name = models.CharField(
        _("display name"),
        max_length=100,
        blank=True,
        help_text=_("Shown as the sender of replies, e.g. “Acme Support”."),
    )
    group = models.ForeignKey(
        Group,
        verbose_name=_("group for new requests"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    delivery = models.CharField(
        _("how mail arrives"), max_length=8, choices=Delivery.choices, default=Delivery.IMAP
    )
    active = models.BooleanField(_("active"), default=True)
    # IMAP
    imap_host = models.CharField(_("IMAP server"), max_length=255, blank=True)
    imap_port = models.PositiveIntegerField(_("port"), default=993)
    imap_security = models.CharField(
        _("security"), max_length=8, choices=Security.choices, default=Security.TLS
    )
    imap_user = models.CharField(_("user name"), max_length=255, blank=True)
    imap_password_encrypted = models.TextField(blank=True)
    imap_folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    poll_minutes = models.PositiveSmallIntegerField(_("check every (minutes)"), default=1)
    # HTTP: the secret in the inbound URL is a credential. It is found by its SHA-256 and kept
    # encrypted (core/crypto.py) only so that admins can copy the address again when they set
    # up the mail service; a database dump alone gives neither.
    inbound_token_hash = models.CharField(max_length=64, unique=True)
    inbound_token_encrypted = models.TextField(blank=True)
    # Where polling stands: the folder's UIDVALIDITY and the highest UID fully processed.
    imap_uidvalidity = models.BigIntegerField(null=True, blank=True)
    imap_last_uid = models.BigIntegerField(default=0)
    next_poll_at = models.DateTimeField(default=timezone.now)
    poll_lease_until = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["address"]
        verbose_name = _("support address")
        verbose_name_plural = _("support addresses")
        indexes: ClassVar = [
            models.Index(fields=["delivery", "active", "next_poll_at"], name="mailbox_due_idx")
        ]

    def __str__(self) -> str:
        return self.address

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Every mailbox has a secret from the start, however it was made (settings, demo,
        # tests, the Django admin); the hash column is unique, so it cannot stay empty.
        if not self.inbound_token_hash:
            self.set_inbound_token(new_inbound_token())
        super().save(*args, **kwargs)

    @property
    def inbound_token(self) -> str:
        return crypto.decrypt(self.inbound_token_encrypted)

    def set_inbound_token(self, token: str) -> None:
        self.inbound_token_hash = crypto.hash_token(token)
        self.inbound_token_encrypted = crypto.encrypt(token)

    @property
    def imap_password(self) -> str:
        return crypto.decrypt(self.imap_password_encrypted)

    @imap_password.setter
    def imap_password(self, value: str) -> None:
        self.imap_password_encrypted = crypto.encrypt(value)

    @property
    def from_header(self) -> str:
        from email.headerregistry import Address

        return str(Address(display_name=self.name, addr_spec=self.address))

    def reply_address(self, ticket_number: int) -> str:
        """support+1042@example.com: replies carry the request's number in the address."""
        local, _at, domain = self.address.partition("@")
        return f"{local}+{ticket_number}@{domain}"


def raw_path(instance: InboundEmail, filename: str) -> str:
    return f"mail/{timezone.now():%Y/%m/%d}/{secrets.token_urlsafe(18)}.eml"


class InboundEmail(models.Model):
    """One message that reached a mailbox, and what became of it (the mail log)."""

    class Source(models.TextChoices):
        IMAP = "imap", "IMAP"
        PIPE = "pipe", pgettext_lazy("mail source", "Pipe")
        HTTP = "http", "HTTP"

    class Fate(models.TextChoices):
        RECEIVED = "received", pgettext_lazy("mail fate", "Received")
        CREATED = "created", pgettext_lazy("mail fate", "Created a request")
        APPENDED = "appended", pgettext_lazy("mail fate", "Added to a request")
        IGNORED = "ignored", pgettext_lazy("mail fate", "Ignored")
        REJECTED = "rejected", pgettext_lazy("mail fate", "Rejected")
        HELD = "held", pgettext_lazy("mail fate", "Held")
        SPAM = "spam", pgettext_lazy("mail fate", "Spam")
        FAILED = "failed", pgettext_lazy("mail fate", "Failed")

    mailbox = models.ForeignKey(
        Mailbox, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    source = models.CharField(max_length=8, choices=Source.choices)
    # The Message-ID (without <>), or a hash of the bytes when there is none: never twice
    # in one mailbox.
    message_id = models.CharField(max_length=255, blank=True)
    dedupe_key = models.CharField(max_length=64)
    imap_uidvalidity = models.BigIntegerField(null=True, blank=True)
    imap_uid = models.BigIntegerField(null=True, blank=True)
    raw = models.FileField(upload_to=raw_path, max_length=200)
    size = models.PositiveIntegerField(default=0)
    sender = models.CharField(_("from"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=998, blank=True)
    fate = models.CharField(_("fate"), max_length=10, choices=Fate.choices, default=Fate.RECEIVED)
    reason = models.CharField(max_length=32, blank=True)  # a code; see services.REASONS
    detail = models.TextField(blank=True)
    ticket = models.ForeignKey(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ticket_message = models.OneToOneField(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="email"
    )
    # What the conversation shows besides Message.body (the new text).
    html = models.TextField(blank=True)  # sanitised, new part only
    quoted_text = models.TextField(blank=True)
    quoted_html = models.TextField(blank=True)
    remote_images_removed = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    # A new request was made from it and its sender is still to be acknowledged (by the worker,
    # after the commit; mail.tasks).
    ack_pending = models.BooleanField(default=False)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("inbound email")
        verbose_name_plural = _("inbound emails")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["mailbox", "dedupe_key"], name="inbound_once"),
        ]
        indexes: ClassVar = [
            models.Index(fields=["-received_at", "-id"], name="inbound_received_idx"),
            models.Index(fields=["fate", "-received_at", "-id"], name="inbound_fate_idx"),
            models.Index(fields=["mailbox", "-received_at", "-id"], name="inbound_mailbox_idx"),
            models.Index(fields=["sender", "received_at"], name="inbound_sender_idx"),
            models.Index(
                fields=["processed_at"], condition=Q(ack_pending=True), name="inbound_ack_idx"
            ),
            models.Index(
                fields=["mailbox", "imap_uidvalidity", "imap_uid"],
                condition=Q(imap_uid__isnull=False),
                name="inbound_imap_uid_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sender}: {self.subject}"

    @property
    def can_reprocess(self) -> bool:
        return self.fate in (self.Fate.FAILED, self.Fate.REJECTED, self.Fate.HELD)

    @property
    def can_release(self) -> bool:
        return self.fate == self.Fate.SPAM


class MessageReference(models.Model):
    """A Message-ID we sent or received for a request: replies name these in In-Reply-To and
    References, which is how they find their request."""

    message_id = models.CharField(max_length=255)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    ticket_message = models.ForeignKey(
        Message, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    outbound = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["message_id"], name="msgref_id_idx"),
            models.Index(fields=["ticket", "-created_at"], name="msgref_ticket_idx"),
        ]

    def __str__(self) -> str:
        return f"<{self.message_id}> of #{self.ticket_id}"


class TicketMailbox(models.Model):
    """The support address a request was written to: its replies go out from there."""

    ticket = models.OneToOneField(
        Ticket, primary_key=True, on_delete=models.CASCADE, related_name="mailbox_link"
    )
    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"#{self.ticket_id} via {self.mailbox_id}"


class BouncingAddress(models.Model):
    """An address our mail bounced from. Mail to a hard-bouncing address is held."""

    email = models.EmailField(_("email address"), max_length=254, unique=True)
    permanent = models.BooleanField(_("hard bounce"), default=False)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    bounces = models.PositiveIntegerField(default=1)
    first_bounce_at = models.DateTimeField(default=timezone.now)
    last_bounce_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("bouncing address")
        verbose_name_plural = _("bouncing addresses")

    def __str__(self) -> str:
        return self.email


__all__ = ["BouncingAddress", "InboundEmail", "Mailbox", "MessageReference", "TicketMailbox"]
