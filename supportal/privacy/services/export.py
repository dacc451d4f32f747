"""Exports: a person's data as a ZIP of JSON and files, prepared by the worker and delivered
once through an emailed, expiring link.

What goes in: their profile, every request they made or are CC'd on (not the other requests of
their organization, even when it shares them: those are the colleagues' data), the public
conversation as they see it on the site (never internal notes, agent-only fields or the files
of notes), the files, their ratings, their help-center votes and searches. Messages of other
people are marked by who wrote them ("you", "support", "another person"), not by name.
"""

from __future__ import annotations

import json
import logging
import secrets
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation

from supportal.accounts.models import Passkey, TOTPDevice, User, UserSession
from supportal.audit.services import audit_record
from supportal.core.crypto import hash_token
from supportal.core.services import email_send
from supportal.helpcenter.models import ArticleVote, SearchLog
from supportal.privacy.models import DataExport
from supportal.satisfaction.models import Rating
from supportal.tickets.models import Attachment, Message, Ticket, TicketCC, TicketFieldValue

logger = logging.getLogger(__name__)

Status = DataExport.Status
FORMAT_VERSION = 1


def _discard_file(name: str) -> None:
    if not name:
        return
    try:
        default_storage.delete(name)
    except OSError as error:  # the periodic clean-up tries again
        logger.warning("export file %s not deleted: %s", name, error)


def _discard(export: DataExport, status: str = Status.EXPIRED) -> None:
    """Ends an export: its link stops working, its file goes once the transaction commits."""
    name = export.file_name
    DataExport.objects.filter(pk=export.pk).update(status=status, token_hash="", file_name="")
    if name:
        transaction.on_commit(lambda: _discard_file(name))


def export_latest(*, person: User, requested_by: User) -> DataExport | None:
    return (
        DataExport.objects.filter(person=person, requested_by=requested_by)
        .order_by("-created_at", "-pk")
        .first()
    )


@transaction.atomic
def export_request(
    *, person: User, requested_by: User, request: HttpRequest | None = None
) -> DataExport:
    """Asks the worker for a new export of `person`'s data, to be sent to `requested_by`.
    One in preparation is reused; an earlier ready one stops working (its link is replaced)."""
    from supportal.privacy.tasks import export_build_task

    pending = DataExport.objects.select_for_update().filter(
        person=person, requested_by=requested_by, status__in=(Status.PENDING, Status.RUNNING)
    )
    existing = pending.first()
    if existing is not None:
        return existing
    for older in DataExport.objects.filter(
        person=person, requested_by=requested_by, status=Status.READY
    ):
        _discard(older)
    export = DataExport.objects.create(person=person, requested_by=requested_by)
    audit_record(
        action="privacy.export_request",
        request=request,
        actor=None if request is not None else requested_by,
        target=person,
        target_label=f"#{person.pk}",
        after={"export": export.pk, "on_behalf": person.pk != requested_by.pk},
    )
    transaction.on_commit(lambda: export_build_task(export.pk))
    return export


# --- Building the ZIP ----------------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode()


def _profile(person: User) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "id": person.pk,
        "name": person.name,
        "email": person.email,
        "phone": person.phone,
        "role": person.role,
        "organization": person.organization.name if person.organization_id else None,
        "language": person.language,
        "time_zone": person.time_zone,
        "date_joined": _iso(person.date_joined),
        "last_login": _iso(person.last_login),
        "email_verified_at": _iso(person.email_verified_at),
        "two_factor": TOTPDevice.objects.filter(user=person, confirmed=True).exists(),
        "passkeys": [
            {"name": key.name, "added": _iso(key.created_at), "last_used": _iso(key.last_used_at)}
            for key in Passkey.objects.filter(user=person).order_by("created_at", "pk")
        ],
        "sessions": [
            {
                "browser": row.user_agent,
                "ip": row.ip,
                "signed_in": _iso(row.created_at),
                "last_seen": _iso(row.last_seen_at),
            }
            for row in UserSession.objects.filter(user=person).order_by("created_at", "pk")
        ],
    }


def followed_tickets(person: User) -> list[int]:
    """The requests an export covers: made by the person or with them in CC."""
    copied = TicketCC.objects.filter(user=person).values("ticket_id")
    return list(
        Ticket.objects.filter(Q(requester=person) | Q(pk__in=copied))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _author(message: Message, person: User) -> str:
    if message.author_id == person.pk:
        return "you"
    if message.author is not None and message.author.is_agent:
        return "support"
    return "another person"


def _zip_name(attachment: Attachment) -> str:
    # Already made safe on upload; the id keeps two files of the same name apart.
    name = attachment.filename.replace("/", "_").replace("\\", "_").lstrip(".") or "file"
    return f"{attachment.pk}-{name}"


def _write_ticket(archive: zipfile.ZipFile, ticket: Ticket, person: User) -> None:
    folder = f"requests/{ticket.pk}"
    messages = list(
        ticket.messages.filter(public=True).select_related("author").order_by("created_at", "pk")
    )
    # Files of public messages and of no message; never those of internal notes.
    files = list(
        Attachment.objects.filter(ticket=ticket)
        .filter(Q(message__isnull=True) | Q(message__public=True))
        .order_by("pk")
    )
    by_message: dict[int | None, list[dict[str, Any]]] = {}
    for attachment in files:
        entry = {
            "filename": attachment.filename,
            "content_type": attachment.content_type,
            "size": attachment.size,
            "path": f"attachments/{_zip_name(attachment)}",
        }
        try:
            with (
                attachment.file.open("rb") as source,
                archive.open(f"{folder}/{entry['path']}", "w", force_zip64=True) as target,
            ):
                shutil.copyfileobj(source, target, 1024 * 1024)
        except OSError:
            entry["path"] = None
            entry["missing"] = True
        by_message.setdefault(attachment.message_id, []).append(entry)
    fields = [
        {"field": row.field.label, "value": row.field.display(row.value)}
        for row in TicketFieldValue.objects.filter(
            ticket=ticket, field__customer_visible=True, field__active=True
        )
        .select_related("field")
        .order_by("field__position", "field_id")
    ]
    data = {
        "number": ticket.pk,
        "your_role": "requester" if ticket.requester_id == person.pk else "cc",
        "subject": ticket.subject,
        "status": ticket.status,
        "type": ticket.type.name if ticket.type_id else None,
        "channel": ticket.channel,
        "created_at": _iso(ticket.created_at),
        "updated_at": _iso(ticket.updated_at),
        "solved_at": _iso(ticket.solved_at),
        "fields": fields,
        "messages": [
            {
                "from": _author(message, person),
                "created_at": _iso(message.created_at),
                "body": message.body,
                "attachments": by_message.get(message.pk, []),
            }
            for message in messages
        ],
        "other_attachments": by_message.get(None, []),
    }
    archive.writestr(f"{folder}/request.json", _json(data))


def _write_rest(archive: zipfile.ZipFile, person: User) -> None:
    ratings = [
        {
            "request": rating.ticket_id,
            "rating": rating.score,
            "comment": rating.comment,
            "created_at": _iso(rating.created_at),
            "updated_at": _iso(rating.updated_at),
        }
        for rating in Rating.objects.filter(rated_by=person).order_by("created_at", "pk")
    ]
    archive.writestr("ratings.json", _json(ratings))
    votes = [
        {
            "article": vote.article_id,
            "language": vote.locale,
            "helpful": vote.helpful,
            "comment": vote.comment,
            "created_at": _iso(vote.created_at),
        }
        for vote in ArticleVote.objects.filter(user=person).order_by("created_at", "pk")
    ]
    archive.writestr("article_votes.json", _json(votes))
    searches = [
        {"query": row.query, "language": row.locale, "created_at": _iso(row.created_at)}
        for row in SearchLog.objects.filter(user=person).order_by("created_at", "pk")
    ]
    archive.writestr("help_center_searches.json", _json(searches))


@dataclass
class _Built:
    file_name: str
    size: int


def _build_zip(export: DataExport) -> _Built:
    person = export.person
    ticket_ids = followed_tickets(person)
    DataExport.objects.filter(pk=export.pk).update(total=len(ticket_ids), done=0)
    with tempfile.TemporaryFile() as handle:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("profile.json", _json(_profile(person)))
            for done, number in enumerate(ticket_ids, start=1):
                ticket = Ticket.objects.select_related("type").get(pk=number)
                _write_ticket(archive, ticket, person)
                DataExport.objects.filter(pk=export.pk).update(done=done)
            _write_rest(archive, person)
        size = handle.tell()
        handle.seek(0)
        # A random name: the storage is never listed, and the name is not the link.
        name = default_storage.save(
            f"privacy/exports/{secrets.token_urlsafe(24)}.zip", File(handle)
        )
    return _Built(file_name=name, size=size)


def download_path(token: str, language: str) -> str:
    with translation.override(language):
        return reverse("privacy:download", kwargs={"token": token})


def export_build(export_id: int) -> None:
    """The worker's part: builds the ZIP and mails the link. Safe to run twice (only one run
    claims a waiting export); an export left running by a killed worker is put back by
    exports_clean_up."""
    claimed = DataExport.objects.filter(pk=export_id, status=Status.PENDING).update(
        status=Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return
    export = DataExport.objects.select_related("person", "requested_by").get(pk=export_id)
    try:
        built = _build_zip(export)
    except Exception:  # any failure is shown on the page; the person can ask again
        logger.exception("export %s failed", export_id)
        DataExport.objects.filter(pk=export_id).update(
            status=Status.FAILED, finished_at=timezone.now()
        )
        return
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    expires_at = now + timedelta(days=settings.PRIVACY_EXPORT_DAYS)
    recipient = export.requested_by
    with transaction.atomic():
        updated = DataExport.objects.filter(pk=export_id, status=Status.RUNNING).update(
            status=Status.READY,
            file_name=built.file_name,
            size=built.size,
            token_hash=hash_token(token),
            finished_at=now,
            expires_at=expires_at,
        )
        if not updated:  # replaced or erased meanwhile
            transaction.on_commit(lambda: _discard_file(built.file_name))
            return
        email_send(
            to=recipient.email,
            template="privacy/email/export_ready",
            context={
                "recipient": recipient,
                "person": export.person,
                "on_behalf": export.person_id != recipient.pk,
                "path": download_path(token, recipient.language),
                "expires_at": expires_at,
                "days": settings.PRIVACY_EXPORT_DAYS,
            },
            language=recipient.language,
        )


# --- Download ------------------------------------------------------------------------------------


@dataclass
class Download:
    file_name: str
    size: int
    download_name: str


@transaction.atomic
def export_claim(*, token: str, user: User, request: HttpRequest | None = None) -> Download | None:
    """Uses a download link: the file once, to the person it was mailed to, before it expires.
    None for anything else (unknown, used, expired, someone else's)."""
    if not token or len(token) > 100:
        return None
    export = (
        DataExport.objects.select_for_update()
        .filter(token_hash=hash_token(token), requested_by=user, status=Status.READY)
        .first()
    )
    if export is None:
        return None
    if export.expires_at is None or export.expires_at <= timezone.now():
        _discard(export)
        return None
    DataExport.objects.filter(pk=export.pk).update(
        status=Status.DOWNLOADED, downloaded_at=timezone.now(), token_hash=""
    )
    audit_record(
        action="privacy.export_download",
        request=request,
        target=export.person,
        target_label=f"#{export.person_id}",
        after={"export": export.pk},
    )
    return Download(
        file_name=export.file_name,
        size=export.size,
        download_name=f"personal-data-{export.person_id}-{timezone.now():%Y%m%d}.zip",
    )


def export_file_delete(export_file_name: str) -> None:
    """After the download: the file goes; the row forgets its name."""
    _discard_file(export_file_name)
    DataExport.objects.filter(file_name=export_file_name).update(file_name="")


def exports_clean_up(*, now: Any = None) -> int:
    """Periodic: expires old links, deletes files no longer needed, and puts back exports a
    killed worker left half-built. Returns the number of files deleted."""
    from supportal.privacy.tasks import export_build_task

    now = now or timezone.now()
    for export in DataExport.objects.filter(status=Status.READY, expires_at__lte=now):
        with transaction.atomic():
            _discard(export)
    deleted = 0
    # A download in progress keeps its file for an hour; it is deleted when the download ends.
    finished = Q(status__in=(Status.EXPIRED, Status.FAILED)) | Q(
        status=Status.DOWNLOADED, downloaded_at__lt=now - timedelta(hours=1)
    )
    for export in DataExport.objects.filter(finished).exclude(file_name=""):
        _discard_file(export.file_name)
        DataExport.objects.filter(pk=export.pk).update(file_name="")
        deleted += 1
    stale = now - timedelta(hours=1)
    for pk in DataExport.objects.filter(status=Status.RUNNING, started_at__lt=stale).values_list(
        "pk", flat=True
    ):
        if DataExport.objects.filter(pk=pk, status=Status.RUNNING).update(status=Status.PENDING):
            export_build_task(pk)
    return deleted
