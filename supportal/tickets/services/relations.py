"""Requests and other people and requests: CCs, merges and links."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from supportal.accounts.models import User
from supportal.tickets import hooks, notifications, search, vectors
from supportal.tickets.models import (
    Attachment,
    Channel,
    Message,
    Status,
    Ticket,
    TicketCC,
    TicketLink,
)
from supportal.tickets.services.common import (
    Kind,
    _event,
    _set_status,
)
from supportal.tickets.services.visitors import user_for_email


@transaction.atomic
def ticket_add_cc(*, ticket: Ticket, actor: User, email: str, channel: str = Channel.WEB) -> User:
    user = user_for_email(email=email)
    if user.pk == ticket.requester_id:
        raise ValidationError(_("The requester already follows this request."))
    _cc, created = TicketCC.objects.get_or_create(ticket=ticket, user=user)
    if created:
        _event(ticket, actor, channel, Kind.CC_ADDED, "cc", "", user.email)
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now())
        notifications.cc_added(ticket, user)
    return user


@transaction.atomic
def ticket_remove_cc(
    *, ticket: Ticket, actor: User, user: User, channel: str = Channel.WEB
) -> None:
    deleted, _rows = TicketCC.objects.filter(ticket=ticket, user=user).delete()
    if deleted:
        _event(ticket, actor, channel, Kind.CC_REMOVED, "cc", user.email, "")
        Ticket.objects.filter(pk=ticket.pk).update(updated_at=timezone.now())


@transaction.atomic
def ticket_merge(
    *, source: Ticket, target: Ticket, actor: User, channel: str = Channel.WEB
) -> Ticket:
    """Moves the conversation, attachments and CCs of `source` into `target` and closes
    `source`; the requesters are told on `target`."""
    if source.pk == target.pk:
        raise ValidationError(_("A request cannot be merged into itself."))
    source = Ticket.objects.select_for_update().get(pk=source.pk)
    target = Ticket.objects.select_for_update().get(pk=target.pk)
    if source.merged_into_id or target.merged_into_id:
        raise ValidationError(_("A merged request cannot be merged again."))
    now = timezone.now()
    Message.objects.filter(ticket=source).update(ticket=target)
    vectors.changed([source.pk, target.pk])  # the source has none now; the target's text may
    Attachment.objects.filter(ticket=source).update(ticket=target)
    followers = set(TicketCC.objects.filter(ticket=source).values_list("user_id", flat=True))
    followers.add(source.requester_id)
    followers.discard(target.requester_id)
    for user_id in followers:
        TicketCC.objects.get_or_create(ticket=target, user_id=user_id)
    notice = Message.objects.create(
        ticket=source,
        author=actor,
        body=_("This request was merged into request #%(number)d.") % {"number": target.pk},
        public=True,
        channel=Channel.SYSTEM,
        created_at=now,
    )
    Message.objects.create(
        ticket=target,
        author=actor,
        body=_("Request #%(number)d (“%(subject)s”) was merged into this request.")
        % {"number": source.pk, "subject": source.subject},
        public=True,
        channel=Channel.SYSTEM,
        created_at=now,
    )
    source_events = [
        _event(source, actor, channel, Kind.MERGED_INTO, "merged_into", "", target.pk, now)
    ]
    target_events = [
        _event(target, actor, channel, Kind.MERGED_FROM, "merged_from", "", source.pk, now)
    ]
    if source.status != Status.CLOSED:
        source_events.append(
            _event(
                source, actor, channel, Kind.CHANGED, "status", source.status, Status.CLOSED, now
            )
        )
        _set_status(source, Status.CLOSED, now)
    source.merged_into = target
    source.updated_at = now
    source.save()
    target.updated_at = now
    target.last_message_at = now
    target.save()
    search.index_ticket(source)
    search.index_ticket(target)
    hooks.ticket_changed(hooks.TicketChange(source, actor, channel, source_events))
    hooks.ticket_changed(hooks.TicketChange(target, actor, channel, target_events))
    notifications.merged(source, target, notice)
    return target


@transaction.atomic
def ticket_link(*, ticket: Ticket, other: Ticket, actor: User, channel: str = Channel.WEB) -> None:
    if ticket.pk == other.pk:
        raise ValidationError(_("A request cannot be linked to itself."))
    first, second = sorted((ticket.pk, other.pk))
    _link, created = TicketLink.objects.get_or_create(first_id=first, second_id=second)
    if created:
        _event(ticket, actor, channel, Kind.LINKED, "link", "", other.pk)
        _event(other, actor, channel, Kind.LINKED, "link", "", ticket.pk)


@transaction.atomic
def ticket_unlink(
    *, ticket: Ticket, other: Ticket, actor: User, channel: str = Channel.WEB
) -> None:
    first, second = sorted((ticket.pk, other.pk))
    deleted, _rows = TicketLink.objects.filter(first_id=first, second_id=second).delete()
    if deleted:
        _event(ticket, actor, channel, Kind.UNLINKED, "link", other.pk, "")
        _event(other, actor, channel, Kind.UNLINKED, "link", ticket.pk, "")
