"""Writing calls: logging one on a request, a new request from a call, and the events a
telephony system posts (api.py). Views, the API, the demo and tests all go through here.

Every call logged writes a TicketEvent ("call_logged") in the same transaction and announces
the change to the other areas (tickets.hooks), like every request service. A call does not
change the request's status and is not a reply for the service-level clocks: those read
messages (supportal/sla), and a call is not one.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from supportal.accounts.models import User
from supportal.lib.phone import caller_address, normalize_phone
from supportal.phone.models import MAX_DURATION, Call, Direction, Outcome
from supportal.phone.selectors import customer_for_number, open_phone_request
from supportal.tickets import hooks
from supportal.tickets.models import Channel, Group, Ticket, TicketEvent
from supportal.tickets.services import Changes, ticket_create, ticket_update, user_for_email
from supportal.tickets.services.common import _event

Kind = TicketEvent.Kind
# Requests made for a missed call carry this tag, for a view of the calls to return.
CALLBACK_TAG = "callback"

_recording_url = URLValidator(schemes=["http", "https"])


def _clean_number(number: str) -> str:
    try:
        cleaned = normalize_phone(number, region=settings.PHONE_REGION)
    except ValueError:
        cleaned = ""
    if not cleaned:
        raise ValidationError(
            _("Enter a phone number: digits, optionally starting with + and the country code."),
            code="number",
        )
    return cleaned


def _check_call(*, direction: str, outcome: str, duration: int, recording_url: str) -> None:
    if direction not in Direction.values:
        raise ValidationError(_("Choose inbound or outbound."), code="direction")
    if outcome not in Outcome.values:
        raise ValidationError(_("Choose how the call went."), code="outcome")
    if not 0 <= duration <= MAX_DURATION:
        raise ValidationError(_("A call lasts between 0 seconds and 24 hours."), code="duration")
    if recording_url:
        _check_recording(recording_url)


def _check_recording(url: str) -> None:
    # Only http(s): the page links to it, and a javascript: or data: link would run there.
    try:
        _recording_url(url)
    except ValidationError:
        raise ValidationError(
            _("The recording must be an http:// or https:// address."), code="recording_url"
        ) from None
    if len(url) > Call._meta.get_field("recording_url").max_length:  # type: ignore[operator]
        raise ValidationError(_("The recording address is too long."), code="recording_url")


@transaction.atomic
def call_log(
    *,
    ticket: Ticket,
    actor: User | None,
    direction: str,
    number: str,
    outcome: str,
    duration: int = 0,
    started_at: datetime | None = None,
    notes: str = "",
    recording_url: str = "",
    agent: User | None = None,
    external_id: str = "",
    channel: str = Channel.PHONE,
) -> Call:
    """Logs a call on `ticket`: the call entry, its "call_logged" event, the request's
    updated time, and the change announced to the other areas. `agent` defaults to `actor`
    when they are an agent; `started_at` to now less the duration (a call that just ended)."""
    number = _clean_number(number)
    _check_call(
        direction=direction, outcome=outcome, duration=duration, recording_url=recording_url
    )
    if agent is None and actor is not None and actor.is_agent:
        agent = actor
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    now = timezone.now()
    call = Call.objects.create(
        ticket=ticket,
        direction=direction,
        number=number,
        started_at=started_at or now - timedelta(seconds=duration),
        duration=duration,
        outcome=outcome,
        notes=notes.strip(),
        recording_url=recording_url,
        agent=agent,
        external_id=external_id[:100],
        created_at=now,
    )
    events = [_event(ticket, actor, channel, Kind.CALL_LOGGED, "call", "", call.pk, now)]
    ticket.updated_at = now
    ticket.save(update_fields=["updated_at"])
    hooks.ticket_changed(hooks.TicketChange(ticket, actor, channel, events))
    return call


@transaction.atomic
def call_update(
    *,
    call: Call,
    actor: User | None,
    duration: int | None = None,
    outcome: str | None = None,
    recording_url: str | None = None,
    channel: str = Channel.PHONE,
) -> list[TicketEvent]:
    """Changes what a telephony system learns after logging a call: its duration, outcome or
    recording. One "call_updated" event per changed detail; none when nothing changed."""
    call = Call.objects.select_for_update().get(pk=call.pk)
    _check_call(
        direction=call.direction,
        outcome=outcome or call.outcome,
        duration=call.duration if duration is None else duration,
        recording_url=recording_url or "",
    )
    ticket = Ticket.objects.select_for_update().get(pk=call.ticket_id)
    now = timezone.now()
    events = []
    for name, new in (("duration", duration), ("outcome", outcome), ("recording", recording_url)):
        field = "recording_url" if name == "recording" else name
        old = getattr(call, field)
        if new is None or new == old:
            continue
        setattr(call, field, new)
        events.append(
            _event(ticket, actor, channel, Kind.CALL_UPDATED, f"call:{name}", old, new, now)
        )
    if events:
        call.save(update_fields=["duration", "outcome", "recording_url"])
        ticket.updated_at = now
        ticket.save(update_fields=["updated_at"])
        hooks.ticket_changed(hooks.TicketChange(ticket, actor, channel, events))
    return events


def caller_for_number(number: str) -> User:
    """The customer with this number, else an account made for it: named after the number,
    with a placeholder address in a reserved domain (no mail is ever sent there) and no
    password, as Zendesk makes a "Caller +1 555..." user. Agents can give it a real address
    by making the next request from this caller with one (ticket_create_from_call)."""
    found = customer_for_number(number)
    if found is not None:
        return found
    user = user_for_email(email=caller_address(number), name=number)
    if user.phone != number:
        user.phone = number
        user.save(update_fields=["phone"])
    return user


def _requester(*, number: str, email: str, name: str, language: str) -> User:
    """Whom a call is from: the customer with the number; else the account with `email` (made
    when missing), which gets the number when it has none yet; else a caller's account."""
    found = customer_for_number(number)
    if found is not None:
        return found
    if not email:
        return caller_for_number(number)
    user = user_for_email(email=email, name=name, language=language)
    if not user.phone:
        user.phone = number
        user.save(update_fields=["phone"])
    return user


def _description(*, direction: str, outcome: str, number: str, when: datetime, zone: str) -> str:
    """The public first message of a request made from a call: what the customer sees on
    their request page (the call's notes stay internal), in their language and time zone.
    Worded for any author: the agent who took the call, or the caller (a telephony event)."""
    try:
        local = timezone.localtime(when, zoneinfo.ZoneInfo(zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        local = timezone.localtime(when)
    values = {
        "number": number,
        "when": f"{formats.date_format(local, 'DATETIME_FORMAT')} {local:%Z}",
    }
    if direction == Direction.OUTBOUND:
        return _("Phone call to %(number)s on %(when)s.") % values
    if outcome in (Outcome.MISSED, Outcome.VOICEMAIL):
        return _("Missed call from %(number)s on %(when)s, to be called back.") % values
    return _("Phone call from %(number)s on %(when)s.") % values


@dataclass
class CallRequest:
    ticket: Ticket
    call: Call


@transaction.atomic
def ticket_create_from_call(
    *,
    number: str,
    actor: User | None,
    direction: str,
    outcome: str,
    subject: str = "",
    duration: int = 0,
    started_at: datetime | None = None,
    notes: str = "",
    recording_url: str = "",
    requester: User | None = None,
    email: str = "",
    name: str = "",
    group: Group | None = None,
    tags: tuple[str, ...] = (),
    external_id: str = "",
) -> CallRequest:
    """A new request (channel "phone") with the call as its first entry. The requester is
    `requester`, else the customer with the number, else the account with `email` (made when
    missing), else an account made for the number (caller_for_number). `actor` is the agent
    taking the call, or None for a telephony system (the caller then opened the request)."""
    number = _clean_number(number)
    _check_call(
        direction=direction, outcome=outcome, duration=duration, recording_url=recording_url
    )
    language = translation.get_language() or ""
    requester = requester or _requester(number=number, email=email, name=name, language=language)
    started_at = started_at or timezone.now() - timedelta(seconds=duration)
    # Written in the requester's language: they read the subject and first message.
    with translation.override(requester.language):
        if not subject.strip():
            subject = (
                _("Missed call from %(number)s")
                if outcome == Outcome.MISSED and direction == Direction.INBOUND
                else _("Call from %(number)s")
                if direction == Direction.INBOUND
                else _("Call to %(number)s")
            ) % {"number": number}
        description = _description(
            direction=direction,
            outcome=outcome,
            number=number,
            when=started_at,
            zone=requester.time_zone,
        )
    ticket = ticket_create(
        requester=requester,
        subject=subject,
        description=description,
        channel=Channel.PHONE,
        actor=actor,
        group=group,
    )
    if tags:
        ticket_update(
            ticket=ticket, actor=actor, changes=Changes(add_tags=tags), channel=Channel.PHONE
        )
    call = call_log(
        ticket=ticket,
        actor=actor,
        direction=direction,
        number=number,
        outcome=outcome,
        duration=duration,
        started_at=started_at,
        notes=notes,
        recording_url=recording_url,
        external_id=external_id,
    )
    return CallRequest(ticket, call)


# --- Events from a telephony system --------------------------------------------------------


@dataclass(frozen=True)
class CallEvent:
    """One event posted to /api/phone/events, already checked for types (api.py)."""

    kind: str  # "started", "ended", "missed" or "recording"
    call_id: str
    direction: str = ""
    caller: str = ""  # "from"
    callee: str = ""  # "to"
    started_at: datetime | None = None
    duration: int = 0
    recording_url: str = ""

    @property
    def customer_number(self) -> str:
        """The customer's side: who called us, or whom we called."""
        return self.callee if self.direction == Direction.OUTBOUND else self.caller


@dataclass
class EventOutcome:
    status: str  # "created", "updated", "unchanged" (a retry) or "ignored"
    call: Call | None = None

    def as_dict(self) -> dict[str, Any]:
        call = self.call
        return {
            "status": self.status,
            "call": call.pk if call else None,
            "request": call.ticket_id if call else None,
        }


class UnknownCallError(Exception):
    """A recording for a call_id that no event logged."""


def call_event_receive(*, event: CallEvent) -> EventOutcome:
    """Applies one telephony event; idempotent on call_id, so a retry changes nothing.

    - started: acknowledged, nothing stored (the call is logged when it ends or is missed);
    - missed, inbound: a new request for a call-back ("Missed call from ...", tagged
      CALLBACK_TAG) with the call (outcome missed);
    - ended (and missed, outbound: the customer did not answer): the call is logged on the
      customer's most recent open phone request, or on a new one;
    - recording: the link is added to the call logged with this call_id (UnknownCallError
      when there is none).

    The customer is found by number; an unknown number gets an account (caller_for_number).
    """
    if event.kind == "started":
        return EventOutcome("ignored")
    try:
        with transaction.atomic():
            return _receive(event)
    except IntegrityError:
        # The same event posted twice at the same moment (a telephony system's retry while we
        # were answering the first): the other one logged the call.
        call = Call.objects.filter(external_id=event.call_id).first()
        if call is None:
            raise
        return EventOutcome("unchanged", call)


def _logged_call(call_id: str) -> Call | None:
    """The call a telephony system's earlier event logged, locked for this transaction."""
    return Call.objects.select_for_update().filter(external_id=call_id).first()


def _receive(event: CallEvent) -> EventOutcome:
    existing = _logged_call(event.call_id) if event.call_id else None
    if event.kind == "recording":
        if existing is None:
            raise UnknownCallError(event.call_id)
        changed = call_update(call=existing, actor=None, recording_url=event.recording_url)
        return EventOutcome("updated" if changed else "unchanged", existing)
    outcome = Outcome.ANSWERED
    if event.kind == "missed":
        outcome = Outcome.MISSED if event.direction == Direction.INBOUND else Outcome.NO_ANSWER
    if existing is not None:
        changed = call_update(
            call=existing,
            actor=None,
            duration=event.duration,
            outcome=outcome,
            recording_url=event.recording_url or None,
        )
        return EventOutcome("updated" if changed else "unchanged", existing)
    number = _clean_number(event.customer_number)
    details: dict[str, Any] = {
        "actor": None,
        "direction": event.direction,
        "number": number,
        "outcome": outcome,
        "duration": event.duration,
        "started_at": event.started_at,
        "recording_url": event.recording_url,
        "external_id": event.call_id,
    }
    if outcome == Outcome.MISSED:
        made = ticket_create_from_call(tags=(CALLBACK_TAG,), **details)
        return EventOutcome("created", made.call)
    customer = caller_for_number(number)
    ticket = open_phone_request(customer)
    if ticket is None:
        made = ticket_create_from_call(requester=customer, **details)
        return EventOutcome("created", made.call)
    return EventOutcome("created", call_log(ticket=ticket, **details))


def calls_follow_merges(change: hooks.TicketChange) -> None:
    """A request merged into another takes its calls along, as its messages go
    (tickets.services.ticket_merge); connected to tickets.hooks in PhoneConfig.ready()."""
    for event in change.events:
        if event.kind == Kind.MERGED_FROM and event.new_value.isdigit():
            Call.objects.filter(ticket_id=int(event.new_value)).update(ticket=change.ticket)
