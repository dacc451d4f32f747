"""Notification mail about requests, in each recipient's language, through the outbox.

Every message carries Reply-To, a stable thread id in In-Reply-To/References
(<request-1042@host>) and "[#1042]" in the subject, so the email channel can thread replies.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from supportal.accounts.models import User
from supportal.core.services import email_send
from supportal.tickets.models import Message, Status, Ticket


def _host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def thread_id(ticket: Ticket) -> str:
    return f"<request-{ticket.pk}@{_host()}>"


def _headers(ticket: Ticket) -> dict[str, str]:
    return {
        "Reply-To": settings.REPLY_TO_EMAIL,
        "Message-ID": f"<request-{ticket.pk}-{secrets.token_hex(8)}@{_host()}>",
        "In-Reply-To": thread_id(ticket),
        "References": thread_id(ticket),
        "X-Supportal-Request": str(ticket.pk),
    }


def _request_url(ticket: Ticket, user: User) -> str:
    name = "agent:ticket" if user.is_agent else "tickets:detail"
    return settings.SITE_URL + reverse(name, args=[ticket.pk])


def _send(
    recipients: Iterable[User],
    ticket: Ticket,
    *,
    subject: str,
    intro: str,
    message: Message | None = None,
    path: tuple[str, list[object]] | None = None,
    exclude: User | None = None,
) -> None:
    """`subject` and `intro` are msgids translated per recipient, formatted with the ticket."""
    seen: set[int] = set()
    for user in recipients:
        if user is None or user.pk in seen or (exclude and user.pk == exclude.pk):
            continue
        if not user.is_active:
            continue
        seen.add(user.pk)
        with translation.override(user.language):
            values = {"number": ticket.pk, "subject": ticket.subject}
            context = {
                "mail_subject": f"[#{ticket.pk}] " + _(subject) % values,
                "intro": _(intro) % values,
                "ticket": ticket,
                "recipient": user,
                "message": message,
                "author_name": (message.author.name if message and message.author else ""),
                "url": (settings.SITE_URL + reverse(path[0], args=path[1]))
                if path
                else _request_url(ticket, user),
            }
            email_send(
                to=user.email,
                template="tickets/email/update",
                context=context,
                language=user.language,
                headers=_headers(ticket),
            )


def _followers(ticket: Ticket) -> list[User]:
    return [ticket.requester, *ticket.cc.all()]


def request_received(ticket: Ticket, access_token: str | None = None) -> None:
    path = ("tickets:access", [access_token]) if access_token else None
    _send(
        [ticket.requester],
        ticket,
        subject=gettext_noop("We received your request: %(subject)s"),
        intro=gettext_noop(
            "Thank you for contacting us. Your request #%(number)d has been received and we "
            "will reply as soon as we can."
        ),
        path=path,
    )


def agent_replied(ticket: Ticket, message: Message) -> None:
    _send(
        _followers(ticket),
        ticket,
        subject=gettext_noop("New reply to your request: %(subject)s"),
        intro=gettext_noop("There is a new reply to your request #%(number)d."),
        message=message,
        exclude=message.author,
    )


def customer_replied(ticket: Ticket, message: Message) -> None:
    recipients = [ticket.assignee] if ticket.assignee else []
    _send(
        recipients,
        ticket,
        subject=gettext_noop("Customer replied: %(subject)s"),
        intro=gettext_noop("The customer replied to request #%(number)d."),
        message=message,
        exclude=message.author,
    )
    _send(
        _followers(ticket),
        ticket,
        subject=gettext_noop("New reply to your request: %(subject)s"),
        intro=gettext_noop("There is a new reply to your request #%(number)d."),
        message=message,
        exclude=message.author,
    )


def assigned(ticket: Ticket) -> None:
    _send(
        [ticket.assignee],
        ticket,
        subject=gettext_noop("Assigned to you: %(subject)s"),
        intro=gettext_noop("Request #%(number)d has been assigned to you."),
    )


def status_changed(ticket: Ticket, old_status: str, actor: User | None) -> None:
    """Customers hear when an agent solves their request; other status changes are internal."""
    if ticket.status != Status.SOLVED or actor is None or not actor.is_agent:
        return
    _send(
        _followers(ticket),
        ticket,
        subject=gettext_noop("Your request has been solved: %(subject)s"),
        intro=gettext_noop(
            "Your request #%(number)d has been marked as solved. If you still need help, "
            "reply on the request page to reopen it."
        ),
    )


def cc_added(ticket: Ticket, user: User) -> None:
    _send(
        [user],
        ticket,
        subject=gettext_noop("You were copied on a request: %(subject)s"),
        intro=gettext_noop(
            "You were added in CC on request #%(number)d and will receive its updates."
        ),
    )


def merged(source: Ticket, target: Ticket, notice: Message) -> None:
    _send(
        _followers(source),
        source,
        subject=gettext_noop("Your request was merged: %(subject)s"),
        intro=gettext_noop(
            "Your request #%(number)d was merged into another request; the conversation "
            "continues there."
        ),
        path=("tickets:detail", [target.pk]),
    )
