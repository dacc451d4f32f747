"""Shared test helpers: solving requests, reading the survey links from the outbox."""

from __future__ import annotations

import re

from supportal.accounts.models import User
from supportal.core.models import OutboundEmail
from supportal.satisfaction.models import Rating
from supportal.satisfaction.services import rating_submit
from supportal.test import Personas, make_ticket
from supportal.tickets.models import Group, Status, Ticket
from supportal.tickets.services import Changes, ticket_update

LINK = re.compile(r"https?://[^\s\"<>]+/requests/\d+/rate/[^\s\"<>?]+\?rating=(?:good|bad)")


def solved_ticket(
    personas: Personas,
    requester: User | None = None,
    *,
    assignee: User | None = None,
    group: Group | None = None,
    subject: str = "Cannot sign in",
) -> Ticket:
    ticket = make_ticket(requester or personas.customer, subject, group=group or personas.support)
    ticket_update(
        ticket=ticket,
        actor=personas.agent,
        changes=Changes(status=Status.SOLVED, assignee=assignee or personas.agent),
    )
    ticket.refresh_from_db()
    return ticket


def mails_to(user: User) -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(to__icontains=user.email).order_by("pk"))


def survey_links(mail: OutboundEmail) -> dict[str, str]:
    """{"good": url, "bad": url} from the mail's text part."""
    links = {url.rsplit("=", 1)[1]: url for url in LINK.findall(mail.body_text)}
    return links


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def rate(ticket: Ticket, score: str, comment: str = "") -> Rating:
    return rating_submit(ticket=ticket, user=ticket.requester, score=score, comment=comment)
