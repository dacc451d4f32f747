"""Making and changing requests: create, reply, update, solve, reopen, bulk."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import nullcontext
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from supportal.accounts.models import User
from supportal.tickets import attachments as attachment_checks
from supportal.tickets import hooks, notifications, search, vectors
from supportal.tickets.models import (
    Channel,
    CustomField,
    Deflection,
    Group,
    Message,
    Priority,
    RequestType,
    Status,
    Ticket,
    TicketCC,
    TicketEvent,
)
from supportal.tickets.services.common import (
    Changes,
    Kind,
    _event,
    _save_fields,
    _set_status,
    _set_tags,
    _store_attachments,
)


def ticket_create(**kwargs: Any) -> Ticket:
    return _ticket_create(**kwargs)[0]


def _ticket_create(
    *,
    requester: User,
    subject: str,
    description: str,
    channel: str = Channel.WEB,
    actor: User | None = None,
    type: RequestType | None = None,
    priority: int = Priority.NORMAL,
    group: Group | None = None,
    fields: Mapping[CustomField, Any] | None = None,
    attachments: Sequence[UploadedFile] = (),
    submission_key: str | None = None,
    deflection_key: str | None = None,
    cc: Iterable[User] = (),
    notify: bool = True,
    on_created: Callable[[Ticket], object] | None = None,
) -> tuple[Ticket, bool, Message | None]:
    """Creates a request with its first message: (ticket, True, message). A repeated
    submission_key for the same requester returns the request already made (a double submit)
    instead of a second one: (ticket, False, None). `on_created` writes what a channel keeps
    beside a new request (the email channel's support address) before the change hooks run."""
    if submission_key:
        existing = Ticket.objects.filter(requester=requester, submission_key=submission_key).first()
        if existing:
            return existing, False, None
    subject, description = subject.strip(), description.strip()
    if not subject or not description:
        raise ValidationError(_("A request needs a subject and a description."))
    # Email attachments are kept whatever they hold, and downloaded only (attachments.prepare).
    attachment_checks.validate_uploads(list(attachments), check_content=channel != Channel.EMAIL)
    # Checked before any write, so a refusal leaves a caller's transaction usable; the writes
    # need no savepoint of their own (one fewer round trip for each emailed request).
    with transaction.atomic(savepoint=False):
        actor = actor or requester
        now = timezone.now()
        try:
            # Only a form's key can collide; without one, no savepoint to recover with.
            with transaction.atomic() if submission_key else nullcontext():
                ticket = Ticket.objects.create(
                    subject=subject[:200],
                    requester=requester,
                    organization_id=requester.organization_id,
                    channel=channel,
                    type=type,
                    priority=priority,
                    group=group,
                    submission_key=submission_key or "",
                    created_at=now,
                    updated_at=now,
                    last_message_at=now,
                )
        except IntegrityError:
            # The same form posted twice at the same moment: the other post made it.
            return (
                Ticket.objects.get(requester=requester, submission_key=submission_key),
                False,
                None,
            )
        events = [_event(ticket, actor, channel, Kind.CREATED, "", "", subject, now)]
        message = Message.objects.create(
            ticket=ticket,
            author=actor,
            body=description,
            public=True,
            channel=channel,
            created_at=now,
        )
        _store_attachments(ticket, message, attachments, actor)
        if fields:
            events.extend(_save_fields(ticket, fields, actor, channel, now))
        added = {requester.pk}
        for user in cc:
            if user.pk not in added:  # a new request has no CCs yet: no need to look
                added.add(user.pk)
                TicketCC.objects.create(ticket=ticket, user=user)
                events.append(
                    _event(ticket, actor, channel, Kind.CC_ADDED, "cc", "", user.email, now)
                )
        if deflection_key:
            Deflection.objects.filter(form_key=deflection_key).update(submitted=True)
        search.index_new_ticket(ticket, description)
        if on_created is not None:
            on_created(ticket)
        change = hooks.TicketChange(ticket, actor, channel, events, created=True, message=message)
        hooks.prepare_created(change)
        hooks.ticket_changed(change)
        if notify:
            notifications.request_received(ticket)
        return ticket, True, message


def ticket_set_on_create(
    change: hooks.TicketChange,
    *,
    via: str,
    group: Group | bool | None = False,
    assignee: User | bool | None = False,
) -> None:
    """A preparer's change to a request being created (hooks.prepare_created): the group and
    assignee a rule gives it, written with their events (`via` the rule), which join the
    creation's change. False leaves a field as it is. The new assignee is told by email."""
    ticket = change.ticket
    now = timezone.now()
    written = []
    for name, new in (("group", group), ("assignee", assignee)):
        if new is False:
            continue
        old_id, new_id = getattr(ticket, f"{name}_id"), new.pk if new else None  # type: ignore[union-attr]
        if old_id == new_id:
            continue
        change.events.append(
            _event(ticket, None, Channel.SYSTEM, Kind.CHANGED, name, old_id, new_id, now, via)
        )
        setattr(ticket, name, new)
        written.append(name)
    if written:
        ticket.save(update_fields=written)
        if "assignee" in written and ticket.assignee is not None:
            notifications.assigned(ticket)


@transaction.atomic
def ticket_reply(
    *,
    ticket: Ticket,
    author: User,
    body: str,
    public: bool = True,
    attachments: Sequence[UploadedFile] = (),
    channel: str = Channel.WEB,
    status: str | None = None,
    via: str = "",
    notify: bool = True,
    index: bool = True,
) -> Message:
    """Adds a public reply or (agents only) an internal note, optionally changing the status.
    `notify=False` sends no mail (a live chat: both sides are reading it as it happens);
    `index=False` leaves the search index to the caller (a chat indexes its lines as it ends,
    not the whole conversation again for every line).

    A customer's reply reopens a pending or solved request; an agent's first public reply
    moves a new request to open unless another status is given."""
    body = body.strip()
    if not body:
        raise ValidationError(_("Write a message first."))
    if not public and not author.is_agent:
        raise PermissionDenied
    attachment_checks.validate_uploads(list(attachments), check_content=channel != Channel.EMAIL)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    now = timezone.now()
    message = Message.objects.create(
        ticket=ticket, author=author, body=body, public=public, channel=channel, created_at=now
    )
    _store_attachments(ticket, message, attachments, author)
    kind = Kind.REPLIED if public else Kind.NOTED
    events = [_event(ticket, author, channel, kind, "message", "", message.pk, now, via)]
    agent_opens = author.is_agent and ticket.status == Status.NEW
    customer_reopens = not author.is_agent and ticket.status in (Status.PENDING, Status.SOLVED)
    if status is None and public and (agent_opens or customer_reopens):
        status = Status.OPEN
    if status and status != ticket.status:
        events.append(
            _event(ticket, author, channel, Kind.CHANGED, "status", ticket.status, status, now, via)
        )
        _set_status(ticket, status, now)
    ticket.updated_at = now
    if public:
        ticket.last_message_at = now
    ticket.save()
    if index:
        search.index_ticket(ticket)
    change = hooks.TicketChange(ticket, author, channel, events, message=message, via=via)
    hooks.ticket_changed(change)
    if public and notify:
        if author.is_agent:
            notifications.agent_replied(ticket, message)
        else:
            notifications.customer_replied(ticket, message)
    return message


@transaction.atomic
def ticket_update(
    *,
    ticket: Ticket,
    actor: User | None,
    changes: Changes,
    channel: str = Channel.WEB,
    via: str = "",
) -> list[TicketEvent]:
    """Applies the given field changes, writing one event per changed field; `via` names the
    automatic rule making them (TicketEvent.via), if any."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    now = timezone.now()
    events: list[TicketEvent] = []

    def changed(field: str, old: Any, new: Any) -> None:
        events.append(_event(ticket, actor, channel, Kind.CHANGED, field, old, new, now, via))

    old_status, old_assignee_id, old_subject = ticket.status, ticket.assignee_id, ticket.subject
    subject = (changes.subject or "").strip()[:200]
    if subject and subject != ticket.subject:
        changed("subject", ticket.subject, subject)
        ticket.subject = subject
        vectors.changed([ticket.pk])
    if changes.status is not None and changes.status != ticket.status:
        changed("status", ticket.status, changes.status)
        _set_status(ticket, changes.status, now)
    if changes.priority is not None and changes.priority != ticket.priority:
        changed("priority", ticket.priority, changes.priority)
        ticket.priority = changes.priority
    for name in ("type", "group", "assignee"):
        new = getattr(changes, name)
        if new is False:
            continue
        old_id, new_id = getattr(ticket, f"{name}_id"), new.pk if new is not None else None
        if new_id != old_id:
            changed(name, old_id, new_id)
            setattr(ticket, name, new)
    if changes.tags is not None or changes.add_tags or changes.remove_tags:
        current = set(ticket.tags.values_list("name", flat=True))
        wanted = set(changes.tags) if changes.tags is not None else set(current)
        wanted |= {tag.strip().lower() for tag in changes.add_tags or ()}
        wanted -= {tag.strip().lower() for tag in changes.remove_tags or ()}
        added, removed = _set_tags(ticket, wanted)
        if added or removed:
            now_tags = (current - set(removed)) | set(added)
            changed("tags", " ".join(sorted(current)), " ".join(sorted(now_tags)))
    if changes.fields:
        events.extend(_save_fields(ticket, changes.fields, actor, channel, now, via))
    if events:
        ticket.updated_at = now
        ticket.save()
        hooks.ticket_changed(hooks.TicketChange(ticket, actor, channel, events, via=via))
        if ticket.subject != old_subject:
            # The other terms (messages, requester) did not change.
            search.index_ticket(ticket)
        assignee = ticket.assignee_id
        if assignee and assignee != old_assignee_id and assignee != getattr(actor, "pk", None):
            notifications.assigned(ticket)
        if ticket.status != old_status:
            notifications.status_changed(ticket, old_status, actor)
    return events


def ticket_mark_solved(*, ticket: Ticket, actor: User) -> None:
    """The requester (or someone following) says the request is answered."""
    if ticket.status in (Status.SOLVED, Status.CLOSED):
        return
    ticket_update(ticket=ticket, actor=actor, changes=Changes(status=Status.SOLVED))


def ticket_reopen(*, ticket: Ticket, actor: User) -> None:
    if not actor.is_agent and not ticket.can_reopen():
        raise ValidationError(_("This request can no longer be reopened. Please submit a new one."))
    ticket_update(ticket=ticket, actor=actor, changes=Changes(status=Status.OPEN))


def tickets_bulk_update(
    *, tickets: Iterable[Ticket], actor: User, changes: Changes, channel: str = Channel.WEB
) -> int:
    """The same changes on many tickets, each in its own transaction with its own events."""
    count = 0
    for ticket in tickets:
        if ticket_update(ticket=ticket, actor=actor, changes=changes, channel=channel):
            count += 1
    return count


def deflection_record(
    *, form_key: str, article_id: int, user: User | None, query: str = ""
) -> None:
    """An article opened from the request form (see Deflection)."""
    Deflection.objects.create(
        form_key=form_key[:64],
        article_id=article_id,
        user=user if user and user.is_authenticated else None,
        query=query[:200],
    )
