"""Django admin (superusers only) for the email channel: for looking at data, not daily work.

Support addresses are edited on the settings pages (which encrypt the password and check the
connection); here they, and the mail log, are read-only.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from supportal.mail.models import (
    BouncingAddress,
    InboundEmail,
    Mailbox,
    MessageReference,
    TicketMailbox,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Mailbox)
class MailboxAdmin(ReadOnlyAdmin):
    list_display = ("address", "name", "group", "delivery", "active", "last_polled_at", "failures")
    list_filter = ("delivery", "active")
    # Neither the encrypted password nor the inbound secret is shown.
    exclude = ("imap_password_encrypted", "inbound_token_hash", "inbound_token_encrypted")


@admin.register(InboundEmail)
class InboundEmailAdmin(ReadOnlyAdmin):
    list_display = ("id", "received_at", "mailbox", "sender", "subject", "fate", "reason")
    list_filter = ("fate", "source")
    list_select_related = ("mailbox",)
    raw_id_fields = ("ticket", "ticket_message")
    search_fields = ("=sender", "=message_id")
    show_full_result_count = False  # a COUNT(*) over a million rows on every page is too slow
    # The original is downloaded from the mail log, never rendered here.
    exclude = ("raw", "html", "quoted_html")


@admin.register(MessageReference)
class MessageReferenceAdmin(ReadOnlyAdmin):
    list_display = ("message_id", "ticket", "outbound", "created_at")
    raw_id_fields = ("ticket", "ticket_message")
    search_fields = ("=message_id",)
    show_full_result_count = False


@admin.register(TicketMailbox)
class TicketMailboxAdmin(ReadOnlyAdmin):
    list_display = ("ticket", "mailbox")
    raw_id_fields = ("ticket",)
    show_full_result_count = False


@admin.register(BouncingAddress)
class BouncingAddressAdmin(admin.ModelAdmin):
    """Editable: deleting a row lets mail go to that address again."""

    list_display = ("email", "permanent", "bounces", "last_bounce_at", "reason")
    list_filter = ("permanent",)
    search_fields = ("=email",)
