"""Helpers shared by the request services: events, attachments, status, tags, fields."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from supportal.accounts.models import User
from supportal.tickets import attachments as attachment_checks
from supportal.tickets.models import (
    UNSOLVED,
    Attachment,
    CustomField,
    Group,
    Message,
    RequestType,
    Status,
    Tag,
    Ticket,
    TicketEvent,
    TicketFieldValue,
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
    via: str = "",
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
        via=via,
    )


def _store_attachments(
    ticket: Ticket, message: Message | None, files: Sequence[UploadedFile], user: User | None
) -> list[Attachment]:
    stored = []
    for upload in files:
        prepared = attachment_checks.prepare(upload)
        attachment = Attachment(
            ticket=ticket,
            message=message,
            filename=prepared.name,
            content_type=prepared.content_type,
            size=prepared.size,
            uploaded_by=user,
        )
        attachment.file.save(prepared.name, prepared.content, save=False)
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
    ticket: Ticket,
    values: Mapping[CustomField, Any],
    actor: User | None,
    channel: str,
    now: Any,
    via: str = "",
) -> list[TicketEvent]:
    """Writes the values that differ; returns their events."""
    events = []
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
        events.append(
            _event(ticket, actor, channel, Kind.CHANGED, f"field:{field.key}", old, value, now, via)
        )
    return events
