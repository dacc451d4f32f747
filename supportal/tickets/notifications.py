"""Notification mail about requests, in each recipient's language, through the outbox.

Every message comes from the request's support address, carries Reply-To with the request's
number (support+1042@host), a Message-ID recorded for the request, In-Reply-To/References that
thread it (supportal.mail.outbound) and "[#1042]" in the subject, so replies find their request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from supportal.accounts.models import User
from supportal.core.services import AUTO_GENERATED
from supportal.mail import outbound
from supportal.tickets.models import Message, Status, Ticket


def thread_id(ticket: Ticket) -> str:
    return f"<{outbound.thread_root(ticket.pk)}>"


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
    auto_submitted: str | None = AUTO_GENERATED,
    files: Sequence[tuple[str, bytes, str]] = (),
    skipped_files: Sequence[str] = (),
) -> None:
    """`subject` and `intro` are msgids translated per recipient, formatted with the ticket."""
    seen: set[int] = set()
    thread: outbound.Thread | None = None
    for user in recipients:
        if user is None or user.pk in seen or (exclude and user.pk == exclude.pk):
            continue
        if not user.is_active:
            continue
        seen.add(user.pk)
        if thread is None:
            # Read once, so every recipient's copy answers the same message.
            thread = outbound.thread_for(ticket)
        with translation.override(user.language):
            values = {"number": ticket.pk, "subject": ticket.subject}
            context = {
                "mail_subject": f"[#{ticket.pk}] " + _(subject) % values,
                "intro": _(intro) % values,
                "ticket": ticket,
                "recipient": user,
                "message": message,
                "author_name": (message.author.name if message and message.author else ""),
                "skipped_files": skipped_files,
                "url": (settings.SITE_URL + reverse(path[0], args=path[1]))
                if path
                else _request_url(ticket, user),
            }
            outbound.ticket_email_send(
                thread=thread,
                to=user.email,
                template="tickets/email/update",
                context=context,
                language=user.language,
                message=message,
                auto_submitted=auto_submitted,
                attachments=files,
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
        auto_submitted=outbound.AUTO_REPLIED,
    )


def agent_replied(ticket: Ticket, message: Message) -> None:
    files, skipped = outbound.message_files(message)
    _send(
        _followers(ticket),
        ticket,
        subject=gettext_noop("New reply to your request: %(subject)s"),
        intro=gettext_noop("There is a new reply to your request #%(number)d."),
        message=message,
        exclude=message.author,
        # Written by a person: the customer's own autoresponder may answer it.
        auto_submitted=None,
        files=files,
        skipped_files=skipped,
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


# Areas that mail the requester a solved notice of their own (the satisfaction survey says the
# request is solved and asks for a rating) register a predicate (ticket, actor) -> True when they
# did, so the requester gets one mail, not two. Tickets imports none of them.
_requester_told_on_solve: list[Callable[[Ticket, User | None], bool]] = []


def tells_requester_on_solve(predicate: Callable[[Ticket, User | None], bool]) -> None:
    if predicate not in _requester_told_on_solve:
        _requester_told_on_solve.append(predicate)


def status_changed(ticket: Ticket, old_status: str, actor: User | None) -> None:
    """Customers hear when an agent solves their request; other status changes are internal."""
    if ticket.status != Status.SOLVED or actor is None or not actor.is_agent:
        return
    told = any(predicate(ticket, actor) for predicate in _requester_told_on_solve)
    _send(
        _followers(ticket),
        ticket,
        exclude=ticket.requester if told else None,
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


# Service level breaches (supportal.sla.services), one intro per target.
SLA_BREACH_INTROS = {
    "first_reply": gettext_noop("Request #%(number)d has missed its first reply target."),
    "next_reply": gettext_noop("Request #%(number)d has missed its next reply target."),
    "periodic_update": gettext_noop("Request #%(number)d has missed its periodic update target."),
    "resolution": gettext_noop("Request #%(number)d has missed its resolution target."),
}


def sla_breached(ticket: Ticket, metric: str, recipients: Iterable[User]) -> None:
    """The assignee and the group's leads hear that a service level target was missed."""
    _send(
        list(recipients),
        ticket,
        subject=gettext_noop("Service level target missed: %(subject)s"),
        intro=SLA_BREACH_INTROS[metric],
    )
