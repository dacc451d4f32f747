"""Outbound mail of the email channel: who a request's mail comes from, where replies go, and
the Message-IDs that make every mail client thread it.

Each mail about a request gets a fresh Message-ID, stored as an outbound MessageReference in
the same transaction as its outbox row, so a reply that names it in In-Reply-To or References
finds its request. In-Reply-To names the customer's latest message (else the request's thread
root); References lists the root, the customer's first message and the conversation's latest
ids. Gmail threads on References plus the subject (which keeps "[#1042]"), Outlook on
Thread-Topic, Apple Mail and Thunderbird on References and In-Reply-To.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction

from supportal.core.services import AUTO_GENERATED, email_send
from supportal.mail.models import Mailbox, MessageReference, TicketMailbox
from supportal.tickets.models import Message, Ticket

logger = logging.getLogger(__name__)

# RFC 3834: an acknowledgement answers the customer's mail; other notifications are generated.
# A person's reply carries no Auto-Submitted, so the customer's autoresponder may answer it.
AUTO_REPLIED = "auto-replied"

# How many of the conversation's latest Message-IDs References carries besides the root and the
# first inbound message: enough for clients that thread on a partial chain, short enough that
# the header stays well under the line limits of old mail servers.
RECENT_REFERENCES = 8

# Room kept in the size budget for the headers and the text and HTML parts around the files.
_BODY_ALLOWANCE = 64 * 1024


def site_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def thread_root(ticket_id: int) -> str:
    """The request's stable id (no angle brackets), named by every mail about it."""
    return f"request-{ticket_id}@{site_host()}"


def new_message_id(ticket_id: int) -> str:
    return f"request-{ticket_id}-{secrets.token_hex(8)}@{site_host()}"


def default_mailbox() -> Mailbox | None:
    return Mailbox.objects.filter(active=True).order_by("pk").first()


def mailbox_for(ticket: Ticket) -> Mailbox | None:
    """The address the customer wrote to, else the default one. A deactivated mailbox is no
    longer read, so replies sent to it would be lost: the default takes its place."""
    link = TicketMailbox.objects.select_related("mailbox").filter(ticket_id=ticket.pk).first()
    if link is not None and link.mailbox.active:
        return link.mailbox
    return default_mailbox()


def _usable(message_id: str) -> bool:
    # Ids come from other people's mail: one with spaces or brackets would make a header Django
    # refuses, and the agent's reply would fail with it.
    return bool(message_id) and not any(ch.isspace() or ch in "<>" for ch in message_id)


def _one_line(value: str) -> str:
    # A header value must not contain line breaks (Django refuses it as header injection).
    return " ".join(value.split())


@dataclass(frozen=True)
class Thread:
    """What every mail about one request shares at one moment: its sender and its place in the
    conversation. Built once per notification, so each recipient's copy threads the same way."""

    ticket_id: int
    topic: str
    from_email: str
    reply_to: str
    in_reply_to: str
    references: tuple[str, ...]

    def headers(self, message_id: str) -> dict[str, str]:
        return {
            "Message-ID": f"<{message_id}>",
            "In-Reply-To": f"<{self.in_reply_to}>",
            "References": " ".join(f"<{reference}>" for reference in self.references),
            "Reply-To": self.reply_to,
            "Thread-Topic": self.topic,
            "X-Supportal-Request": str(self.ticket_id),
        }


def thread_for(ticket: Ticket) -> Thread:
    """Sender, Reply-To and threading for the next mail about `ticket` (three to four small
    queries: the mailbox, the latest references, and the first and latest inbound ones)."""
    mailbox = mailbox_for(ticket)
    if mailbox is not None:
        from_email = mailbox.from_header
        reply_to = str(
            Address(display_name=mailbox.name, addr_spec=mailbox.reply_address(ticket.pk))
        )
    else:
        from_email, reply_to = settings.DEFAULT_FROM_EMAIL, settings.REPLY_TO_EMAIL
    references = MessageReference.objects.filter(ticket_id=ticket.pk)
    recent = list(
        references.order_by("-created_at", "-pk").values_list("message_id", "outbound")[
            :RECENT_REFERENCES
        ]
    )
    recent.reverse()
    inbound = references.filter(outbound=False)
    latest_inbound = next((mid for mid, outbound in reversed(recent) if not outbound), None)
    if latest_inbound is None:
        latest_inbound = (
            inbound.order_by("-created_at", "-pk").values_list("message_id", flat=True).first()
        )
    first_inbound = None
    if latest_inbound is not None:
        first_inbound = (
            inbound.order_by("created_at", "pk").values_list("message_id", flat=True).first()
        )
    root = thread_root(ticket.pk)
    chain = [root, first_inbound, *(mid for mid, _outbound in recent)]
    return Thread(
        ticket_id=ticket.pk,
        topic=_one_line(ticket.subject),
        from_email=from_email,
        reply_to=reply_to,
        in_reply_to=latest_inbound if latest_inbound and _usable(latest_inbound) else root,
        references=tuple(dict.fromkeys(mid for mid in chain if mid and _usable(mid))),
    )


def message_files(message: Message) -> tuple[list[tuple[str, bytes, str]], list[str]]:
    """The message's attachments read from storage, as (name, bytes, type), and the names of
    those left out because they would push the mail over ATTACHMENT_MAX_MB *
    ATTACHMENT_MAX_FILES (sizes counted as sent: base64 makes a file a third larger)."""
    budget = settings.ATTACHMENT_MAX_MB * settings.ATTACHMENT_MAX_FILES * 1024 * 1024
    used = _BODY_ALLOWANCE + 2 * len(message.body.encode())
    files: list[tuple[str, bytes, str]] = []
    skipped: list[str] = []
    for attachment in message.attachments.order_by("pk"):
        encoded = (attachment.size + 2) // 3 * 4 * 78 // 76  # base64 lines of 76 plus CRLF
        if used + encoded > budget:
            skipped.append(attachment.filename)
            continue
        try:
            with attachment.file.open("rb") as handle:
                content = handle.read()
        except OSError as error:
            # The reply itself matters more than one lost file; the page still links the rest.
            logger.warning("attachment %s not mailed: %s", attachment.pk, error)
            skipped.append(attachment.filename)
            continue
        used += encoded
        files.append((attachment.filename, content, attachment.content_type))
    return files, skipped


def ticket_email_send(
    *,
    thread: Thread,
    to: str,
    template: str,
    context: Mapping[str, Any],
    language: str,
    message: Message | None = None,
    auto_submitted: str | None = AUTO_GENERATED,
    attachments: Sequence[tuple[str, bytes, str]] = (),
) -> str:
    """Sends one mail about a request and records its Message-ID; returns the id."""
    message_id = new_message_id(thread.ticket_id)
    headers = thread.headers(message_id)
    if auto_submitted:
        # Exchange ignores Auto-Submitted; this keeps its out-of-office answers off automatic
        # mail (not bounce reports, which is how we learn an address bounces).
        headers["X-Auto-Response-Suppress"] = "OOF, AutoReply"
    # Together or not at all; inside the caller's transaction no savepoint is needed.
    with transaction.atomic(savepoint=False):
        email_send(
            to=to,
            template=template,
            context=context,
            language=language,
            headers=headers,
            from_email=thread.from_email,
            auto_submitted=auto_submitted,
            attachments=attachments,
        )
        MessageReference.objects.create(
            message_id=message_id,
            ticket_id=thread.ticket_id,
            ticket_message=message,
            outbound=True,
        )
    return message_id
