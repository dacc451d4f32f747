"""Writes to requests. Views, commands, the API, tasks and tests all go through here.

Every function runs in one transaction and writes a TicketEvent for each change it makes;
notifications are rows in the outbox written in the same transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from supportal.accounts.models import Role, User, normalize_email
from supportal.tickets import attachments as attachment_checks
from supportal.tickets import notifications, search
from supportal.tickets.models import (
    UNSOLVED,
    AccessToken,
    Attachment,
    Channel,
    CustomField,
    Deflection,
    Group,
    Message,
    Priority,
    RequestType,
    Status,
    Tag,
    Ticket,
    TicketCC,
    TicketEvent,
    TicketFieldValue,
    TicketLink,
)

Kind = TicketEvent.Kind


@dataclass
class Changes:
    """What ticket_update may change; None leaves a field as it is."""

    status: str | None = None
    priority: int | None = None
    type: RequestType | bool | None = False  # False: unchanged; None: cleared
    group: Group | bool | None = False
    assignee: User | bool | None = False
    subject: str | None = None
    tags: Iterable[str] | None = None  # the full new set
    add_tags: Iterable[str] | None = None
    remove_tags: Iterable[str] | None = None
    fields: Mapping[CustomField, str] | None = None


def _event(
    ticket: Ticket,
    actor: User | None,
    channel: str,
    kind: str,
    field: str = "",
    old: Any = "",
    new: Any = "",
    at: Any = None,
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        actor=actor,
        channel=channel,
        kind=kind,
        field=field,
        old_value="" if old is None else str(old)[:2000],
        new_value="" if new is None else str(new)[:2000],
        created_at=at or timezone.now(),
    )


def _store_attachments(
    ticket: Ticket, message: Message | None, files: Sequence[UploadedFile], user: User | None
) -> list[Attachment]:
    stored = []
    for upload in files:
        name = attachment_checks.safe_filename(upload.name or "")
        upload.seek(0)
        head = upload.read(16)
        upload.seek(0)
        attachment = Attachment(
            ticket=ticket,
            message=message,
            filename=name,
            content_type=attachment_checks.sniff_type(name, head),
            size=upload.size or 0,
            uploaded_by=user,
        )
        attachment.file.save(name, upload, save=False)
        attachment.save()
        stored.append(attachment)
    return stored


def _set_status(ticket: Ticket, status: str, now: Any) -> None:
    ticket.status = status
    ticket.is_open = status in UNSOLVED
    if status in (Status.SOLVED, Status.CLOSED):
        ticket.solved_at = ticket.solved_at or now
    else:
        ticket.solved_at = None


def _set_tags(ticket: Ticket, names: Iterable[str]) -> tuple[list[str], list[str]]:
    wanted = {name.strip().lower()[:50] for name in names if name.strip()}
    current = set(ticket.tags.values_list("name", flat=True))
    added, removed = sorted(wanted - current), sorted(current - wanted)
    if removed:
        ticket.tags.remove(*Tag.objects.filter(name__in=removed))
    for name in added:
        tag, _created = Tag.objects.get_or_create(name=name)
        ticket.tags.add(tag)
    return added, removed


def _clean_field_value(field: CustomField, value: Any) -> str:
    if value is None:
        return ""
    if field.kind == CustomField.Kind.CHECKBOX:
        return "1" if value in (True, "1", "on", "true") else ""
    return str(value).strip()[:2000]


def _save_fields(
    ticket: Ticket, values: Mapping[CustomField, Any], actor: User | None, channel: str, now: Any
) -> None:
    existing = {row.field_id: row for row in ticket.field_values.all()}
    for field, raw in values.items():
        value = _clean_field_value(field, raw)
        row = existing.get(field.pk)
        old = row.value if row else ""
        if old == value:
            continue
        if value:
            TicketFieldValue.objects.update_or_create(
                ticket=ticket, field=field, defaults={"value": value}
            )
        elif row:
            row.delete()
        _event(ticket, actor, channel, Kind.CHANGED, f"field:{field.key}", old, value, now)


def ticket_create(**kwargs: Any) -> Ticket:
    return _ticket_create(**kwargs)[0]


@transaction.atomic
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
) -> tuple[Ticket, bool]:
    """Creates a request with its first message. A repeated submission_key for the same
    requester returns the request already made (a double submit) instead of a second one."""
    if submission_key:
        existing = Ticket.objects.filter(requester=requester, submission_key=submission_key).first()
        if existing:
            return existing, False
    subject, description = subject.strip(), description.strip()
    if not subject or not description:
        raise ValidationError(_("A request needs a subject and a description."))
    attachment_checks.validate_uploads(list(attachments))
    actor = actor or requester
    now = timezone.now()
    try:
        with transaction.atomic():
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
        return Ticket.objects.get(requester=requester, submission_key=submission_key), False
    _event(ticket, actor, channel, Kind.CREATED, "", "", subject, now)
    message = Message.objects.create(
        ticket=ticket, author=actor, body=description, public=True, channel=channel, created_at=now
    )
    _store_attachments(ticket, message, attachments, actor)
    if fields:
        _save_fields(ticket, fields, actor, channel, now)
    for user in cc:
        if user.pk != requester.pk:
            TicketCC.objects.get_or_create(ticket=ticket, user=user)
            _event(ticket, actor, channel, Kind.CC_ADDED, "cc", "", user.email, now)
    if deflection_key:
        Deflection.objects.filter(form_key=deflection_key).update(submitted=True)
    search.index_ticket(ticket)
    if notify:
        notifications.request_received(ticket)
    return ticket, True


def user_for_email(*, email: str, name: str = "", language: str = "") -> User:
    """The account with this email, or a new customer account without a password (a visitor
    who wrote in, or someone put in CC)."""
    email = normalize_email(email)
    user = User.objects.filter(email=email).first()
    if user:
        return user
    user = User(
        email=email,
        name=name.strip()[:150] or email.split("@")[0],
        role=Role.CUSTOMER,
        language=language or settings.LANGUAGE_CODE,
    )
    user.set_unusable_password()
    user.save()
    return user


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def access_link_create(*, ticket: Ticket, user: User) -> str:
    """A single-use token that signs `user` in to `ticket`; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    AccessToken.objects.create(
        ticket=ticket,
        user=user,
        token_hash=_hash(token),
        expires_at=timezone.now() + timedelta(days=settings.REQUEST_LINK_DAYS),
    )
    return token


@dataclass
class LinkOutcome:
    ticket: Ticket | None
    user: User | None
    problem: str = ""  # "", "expired", "used" or "invalid"


@transaction.atomic
def access_link_use(*, token: str) -> LinkOutcome:
    row = (
        AccessToken.objects.select_for_update()
        .select_related("ticket", "user")
        .filter(token_hash=_hash(token))
        .first()
    )
    if row is None:
        return LinkOutcome(None, None, "invalid")
    if row.used_at:
        return LinkOutcome(row.ticket, None, "used")
    if row.expires_at < timezone.now():
        return LinkOutcome(row.ticket, None, "expired")
    if not row.user.is_customer or not row.user.is_active:
        # A link never signs in a staff account: they sign in with their password and 2FA.
        return LinkOutcome(row.ticket, None, "invalid")
    row.used_at = timezone.now()
    row.save(update_fields=["used_at"])
    if row.user.email_verified_at is None:
        # Following a link sent to the address proves the visitor owns it.
        row.user.email_verified_at = row.used_at
        row.user.save(update_fields=["email_verified_at"])
    return LinkOutcome(row.ticket, row.user)


@transaction.atomic
def ticket_create_anonymous(
    *,
    email: str,
    name: str,
    subject: str,
    description: str,
    language: str,
    type: RequestType | None = None,
    fields: Mapping[CustomField, Any] | None = None,
    attachments: Sequence[UploadedFile] = (),
    submission_key: str | None = None,
    deflection_key: str | None = None,
) -> Ticket:
    """A visitor's request: made at once, with an emailed link that signs them in to it."""
    requester = user_for_email(email=email, name=name, language=language)
    ticket, created = _ticket_create(
        requester=requester,
        subject=subject,
        description=description,
        type=type,
        fields=fields,
        attachments=attachments,
        submission_key=submission_key,
        deflection_key=deflection_key,
        notify=False,
    )
    if created:
        token = access_link_create(ticket=ticket, user=requester)
        notifications.request_received(ticket, access_token=token)
    return ticket


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
) -> Message:
    """Adds a public reply or (agents only) an internal note, optionally changing the status.

    A customer's reply reopens a pending or solved request; an agent's first public reply
    moves a new request to open unless another status is given."""
    body = body.strip()
    if not body:
        raise ValidationError(_("Write a message first."))
    if not public and not author.is_agent:
        raise PermissionDenied
    attachment_checks.validate_uploads(list(attachments))
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    now = timezone.now()
    message = Message.objects.create(
        ticket=ticket, author=author, body=body, public=public, channel=channel, created_at=now
    )
    _store_attachments(ticket, message, attachments, author)
    _event(
        ticket,
        author,
        channel,
        Kind.REPLIED if public else Kind.NOTED,
        "message",
        "",
        message.pk,
        now,
    )
    agent_opens = author.is_agent and ticket.status == Status.NEW
    customer_reopens = not author.is_agent and ticket.status in (Status.PENDING, Status.SOLVED)
    if status is None and public and (agent_opens or customer_reopens):
        status = Status.OPEN
    if status and status != ticket.status:
        _event(ticket, author, channel, Kind.CHANGED, "status", ticket.status, status, now)
        _set_status(ticket, status, now)
    ticket.updated_at = now
    if public:
        ticket.last_message_at = now
    ticket.save()
    search.index_ticket(ticket)
    if public:
        if author.is_agent:
            notifications.agent_replied(ticket, message)
        else:
            notifications.customer_replied(ticket, message)
    return message


@transaction.atomic
def ticket_update(
    *, ticket: Ticket, actor: User | None, changes: Changes, channel: str = Channel.WEB
) -> list[TicketEvent]:
    """Applies the given field changes, writing one event per changed field."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    now = timezone.now()
    first_event = (
        TicketEvent.objects.filter(ticket=ticket)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
        or 0
    )
    old_status, old_assignee_id = ticket.status, ticket.assignee_id
    if (
        changes.subject is not None
        and changes.subject.strip()
        and changes.subject != ticket.subject
    ):
        _event(
            ticket, actor, channel, Kind.CHANGED, "subject", ticket.subject, changes.subject, now
        )
        ticket.subject = changes.subject.strip()[:200]
    if changes.status is not None and changes.status != ticket.status:
        _event(ticket, actor, channel, Kind.CHANGED, "status", ticket.status, changes.status, now)
        _set_status(ticket, changes.status, now)
    if changes.priority is not None and changes.priority != ticket.priority:
        _event(
            ticket, actor, channel, Kind.CHANGED, "priority", ticket.priority, changes.priority, now
        )
        ticket.priority = changes.priority
    for name in ("type", "group", "assignee"):
        new = getattr(changes, name)
        if new is False:
            continue
        new_id = new.pk if new is not None else None
        if new_id != getattr(ticket, f"{name}_id"):
            _event(
                ticket,
                actor,
                channel,
                Kind.CHANGED,
                name,
                getattr(ticket, f"{name}_id"),
                new_id,
                now,
            )
            setattr(ticket, name, new)
    if changes.tags is not None or changes.add_tags or changes.remove_tags:
        current = set(ticket.tags.values_list("name", flat=True))
        wanted = set(changes.tags) if changes.tags is not None else set(current)
        wanted |= {tag.strip().lower() for tag in changes.add_tags or ()}
        wanted -= {tag.strip().lower() for tag in changes.remove_tags or ()}
        added, removed = _set_tags(ticket, wanted)
        if added or removed:
            _event(
                ticket,
                actor,
                channel,
                Kind.CHANGED,
                "tags",
                " ".join(sorted(current)),
                " ".join(sorted(set(current) - set(removed) | set(added))),
                now,
            )
    if changes.fields:
        _save_fields(ticket, changes.fields, actor, channel, now)
    events = list(TicketEvent.objects.filter(ticket=ticket, pk__gt=first_event).order_by("pk"))
    if events:
        ticket.updated_at = now
        ticket.save()
        search.index_ticket(ticket)
        if (
            ticket.assignee_id
            and ticket.assignee_id != old_assignee_id
            and ticket.assignee_id != getattr(actor, "pk", None)
        ):
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
    _event(source, actor, channel, Kind.MERGED_INTO, "merged_into", "", target.pk, now)
    _event(target, actor, channel, Kind.MERGED_FROM, "merged_from", "", source.pk, now)
    if source.status != Status.CLOSED:
        _event(source, actor, channel, Kind.CHANGED, "status", source.status, Status.CLOSED, now)
        _set_status(source, Status.CLOSED, now)
    source.merged_into = target
    source.updated_at = now
    source.save()
    target.updated_at = now
    target.last_message_at = now
    target.save()
    search.index_ticket(source)
    search.index_ticket(target)
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
