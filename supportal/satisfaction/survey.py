"""Asking for a rating: the signed one-click links and the mail sent when a request is solved.

The requester's copy of the "your request has been solved" mail is this survey (one mail, not
two): `asks_by_email` is registered with notifications.tells_requester_on_solve, so the generic
solved notice leaves the requester out whenever the survey goes to them. A request is asked
once per solve (SurveyAsk holds the solving event).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from supportal.accounts.models import User
from supportal.mail import outbound
from supportal.satisfaction.models import Score, SurveyAsk
from supportal.tickets.hooks import TicketChange
from supportal.tickets.models import Channel, Status, Ticket

SALT = "supportal.satisfaction.rate"
LINK_MAX_AGE = 30 * 24 * 3600  # seconds a one-click link works

SUBJECT = gettext_noop("Your request has been solved: %(subject)s")
INTRO = gettext_noop(
    "Your request #%(number)d has been marked as solved. If you still need help, "
    "reply on the request page to reopen it."
)


# --- Links -------------------------------------------------------------------------------------


def rating_token(ticket: Ticket) -> str:
    """A signed, expiring value naming the request and its requester: whoever holds it may
    rate this request (only) without signing in."""
    return signing.dumps([ticket.pk, ticket.requester_id], salt=SALT)


@dataclass(frozen=True)
class TokenCheck:
    ticket_id: int | None = None
    user_id: int | None = None
    expired: bool = False

    @property
    def valid(self) -> bool:
        return self.ticket_id is not None


def read_token(token: str) -> TokenCheck:
    try:
        value = signing.loads(token, salt=SALT, max_age=LINK_MAX_AGE)
    except signing.SignatureExpired:
        return TokenCheck(expired=True)
    except signing.BadSignature:
        return TokenCheck()
    if not (isinstance(value, list) and len(value) == 2 and all(type(v) is int for v in value)):
        return TokenCheck()
    return TokenCheck(ticket_id=value[0], user_id=value[1])


def rating_url(ticket: Ticket, score: str | None = None, token: str | None = None) -> str:
    """The one-click link, in the active language."""
    url = reverse("satisfaction:rate", args=[ticket.pk, token or rating_token(ticket)])
    return f"{url}?rating={score}" if score else url


# --- Asking ------------------------------------------------------------------------------------


def asks_by_email(ticket: Ticket, actor: User | None) -> bool:
    """Whether solving `ticket` now mails its requester the survey: a customer who did not
    solve it themselves (the request page asks them then). Merged and closed requests never."""
    if ticket.status != Status.SOLVED or ticket.merged_into_id is not None:
        return False
    if actor is not None and actor.pk == ticket.requester_id:
        return False
    if ticket.channel == Channel.CHAT:
        return False  # chats are rated in the chat window as they end (supportal/chat)
    requester = ticket.requester
    return requester.is_active and not requester.is_agent


def ask_on_solve(change: TicketChange) -> None:
    """The hooks receiver: on the change that solves a request, mail the survey once."""
    event = change.changed("status")
    if event is None or event.new_value != Status.SOLVED:
        return
    ticket = change.ticket
    if not asks_by_email(ticket, change.actor):
        return
    _ask, created = SurveyAsk.objects.get_or_create(
        solve_event=event, defaults={"ticket": ticket, "asked_at": event.created_at}
    )
    if created:
        survey_send(ticket)


def survey_send(ticket: Ticket) -> None:
    """The solved notice with the Good/Bad links, to the requester, in their language, through
    the outbox in the caller's transaction and threaded like every mail about the request."""
    user = ticket.requester
    token = rating_token(ticket)
    with translation.override(user.language):
        values = {"number": ticket.pk, "subject": ticket.subject}
        context = {
            "mail_subject": f"[#{ticket.pk}] " + _(SUBJECT) % values,
            "intro": _(INTRO) % values,
            "ticket": ticket,
            "recipient": user,
            "good_url": settings.SITE_URL + rating_url(ticket, Score.GOOD, token),
            "bad_url": settings.SITE_URL + rating_url(ticket, Score.BAD, token),
            "url": settings.SITE_URL + reverse("tickets:detail", args=[ticket.pk]),
            "link_days": LINK_MAX_AGE // 86400,
        }
        outbound.ticket_email_send(
            thread=outbound.thread_for(ticket),
            to=user.email,
            template="satisfaction/email/survey",
            context=context,
            language=user.language,
        )
