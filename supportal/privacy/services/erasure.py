"""Erasure: a person's personal data, or the content of old requests, removed for good.

The request rows stay, anonymous, so statistics (counts, service levels, ratings' scores) keep
adding up: their subject, messages (internal notes too), files, free-text fields, the text of
their history, their mail and the search index's terms go. The audit log is exempt by design:
it is the site's security record and only ever grows (its entries keep the actor's email; an
erasure is recorded by user id only).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from importlib import import_module
from typing import TypeVar

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from supportal.accounts.models import (
    Passkey,
    RecoveryCode,
    TOTPDevice,
    TrustedBrowser,
    User,
    UserSession,
)
from supportal.audit import tracking
from supportal.audit.services import audit_record
from supportal.core import crypto
from supportal.core.models import OutboundEmail
from supportal.helpcenter import gaps
from supportal.helpcenter.models import ArticleVote, SearchLog
from supportal.lib.phone import stored_forms
from supportal.mail.models import BouncingAddress, InboundEmail, MessageReference
from supportal.phone.models import Call
from supportal.privacy.models import DataExport, ErasedTicket, PersonErasure
from supportal.satisfaction.models import Rating
from supportal.tickets import search
from supportal.tickets.models import (
    AccessToken,
    Attachment,
    CustomField,
    Deflection,
    Message,
    Ticket,
    TicketCC,
    TicketEvent,
    TicketFieldValue,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

ERASED_SUBJECT = gettext_noop("Erased request")
ERASED_BODY = gettext_noop("This message was erased.")
ERASED_NAME = gettext_noop("Erased person #%(id)s")

# History entries whose values are numbers or fixed choices, kept for reports and service
# levels; every other field's old and new values (subject, CCs' addresses, custom fields'
# text) are blanked.
KEPT_EVENT_FIELDS = (
    "status",
    "priority",
    "group",
    "assignee",
    "type",
    "tags",
    "message",
    "merged_into",
    "merged_from",
    "link",
)
# Custom fields whose values are one of the admin's choices: no one's own words.
KEPT_FIELD_KINDS = (CustomField.Kind.DROPDOWN, CustomField.Kind.CHECKBOX)
CHUNK = 100


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def site_text(msgid: str, **values: object) -> str:
    """Stored text is in the site's default language."""
    with translation.override(settings.LANGUAGE_CODE):
        text = gettext(msgid)
    return text % values if values else text


def _delete_files(names: Iterable[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError as error:
            logger.warning("file %s not deleted: %s", name, error)


def _delete_files_after_commit(names: Iterable[str]) -> None:
    names = [name for name in names if name]
    if names:
        transaction.on_commit(lambda: _delete_files(names))


def _about_requests(numbers: Sequence[int]) -> Q:
    """Outbox rows about these requests: their subject carries "[#1042]"."""
    rule = Q(pk__in=[])
    for number in numbers:
        rule |= Q(subject__contains=f"[#{number}]")
    return rule


def _outbox_ids(ticket_ids: Sequence[int], email: str = "") -> set[int]:
    ids: set[int] = set()
    if email:
        ids.update(
            OutboundEmail.objects.filter(
                Q(to__icontains=email)
                | Q(from_email__icontains=email)
                | Q(bounced__icontains=email)
            ).values_list("pk", flat=True)
        )
    for chunk in _chunks(ticket_ids):
        ids.update(
            OutboundEmail.objects.filter(_about_requests(chunk)).values_list("pk", flat=True)
        )
    return ids


def _outbox_quoting(person: User, ticket_ids: Sequence[int]) -> set[int]:
    """Mail about others' requests that carries the person's words (a reply of theirs sent on
    to the other followers): it names them as the author."""
    ids: set[int] = set()
    mentions = Q(body_text__icontains=person.email) | Q(body_html__icontains=person.email)
    if person.name.strip():
        mentions |= Q(body_text__icontains=person.name) | Q(body_html__icontains=person.name)
    for chunk in _chunks(ticket_ids):
        ids.update(
            OutboundEmail.objects.filter(_about_requests(chunk))
            .filter(mentions)
            .values_list("pk", flat=True)
        )
    return ids


def _inbound(ticket_ids: Sequence[int], email: str = "") -> Q:
    rule = Q(ticket_id__in=ticket_ids)
    if email:
        rule |= Q(sender__icontains=email)
    return rule


def tickets_erase(*, ticket_ids: Sequence[int], reason: str, reindex: bool = True) -> int:
    """Erases the content of these requests (call inside a transaction): subject, every
    message's text, the calls' numbers, notes and recordings, files (deleted from the storage
    after the commit), free-text fields, the text of their history, rating comments, their mail
    and CCs. The rows stay."""
    ticket_ids = list(ticket_ids)
    subject, body = site_text(ERASED_SUBJECT), site_text(ERASED_BODY)
    files: list[str] = []
    for chunk in _chunks(ticket_ids):
        Ticket.objects.filter(pk__in=chunk).update(subject=subject, submission_key="")
        Message.objects.filter(ticket_id__in=chunk).update(body=body)
        Call.objects.filter(ticket_id__in=chunk).update(number="", notes="", recording_url="")
        attachments = Attachment.objects.filter(ticket_id__in=chunk)
        files.extend(attachments.values_list("file", flat=True))
        attachments.delete()
        TicketFieldValue.objects.filter(ticket_id__in=chunk).exclude(
            field__kind__in=KEPT_FIELD_KINDS
        ).delete()
        TicketEvent.objects.filter(ticket_id__in=chunk).exclude(
            field__in=KEPT_EVENT_FIELDS
        ).exclude(old_value="", new_value="").update(old_value="", new_value="")
        Rating.objects.filter(ticket_id__in=chunk).exclude(comment="").update(comment="")
        inbound = InboundEmail.objects.filter(ticket_id__in=chunk)
        files.extend(inbound.values_list("raw", flat=True))
        inbound.delete()
        MessageReference.objects.filter(ticket_id__in=chunk).delete()
        OutboundEmail.objects.filter(_about_requests(chunk)).delete()
        TicketCC.objects.filter(ticket_id__in=chunk).delete()
        AccessToken.objects.filter(ticket_id__in=chunk).delete()
        ErasedTicket.objects.bulk_create(
            [ErasedTicket(ticket_id=number, reason=reason) for number in chunk],
            ignore_conflicts=True,
        )
        if reindex:
            for ticket in Ticket.objects.filter(pk__in=chunk).select_related("requester"):
                search.index_ticket(ticket)
    _delete_files_after_commit(files)
    return len(ticket_ids)


@dataclass
class ErasureCounts:
    """What an erasure removes, for the confirmation page and the audit entry."""

    requests: int
    messages: int
    attachments: int
    ratings: int
    outbox: int
    mail_log: int
    sign_in_records: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _own_tickets(person: User) -> list[int]:
    return list(Ticket.objects.filter(requester=person).values_list("pk", flat=True))


def erasure_counts(person: User) -> ErasureCounts:
    own = _own_tickets(person)
    other_tickets = sorted(
        set(
            Message.objects.filter(author=person)
            .exclude(ticket_id__in=own)
            .values_list("ticket_id", flat=True)
        )
    )
    messages = Message.objects.filter(Q(ticket_id__in=own) | Q(author=person)).count()
    attachments = Attachment.objects.filter(Q(ticket_id__in=own) | Q(uploaded_by=person)).count()
    ratings = Rating.objects.filter(Q(ticket_id__in=own) | Q(rated_by=person)).count()
    sign_in = (
        Passkey.objects.filter(user=person).count()
        + TOTPDevice.objects.filter(user=person).count()
        + UserSession.objects.filter(user=person).count()
    )
    return ErasureCounts(
        requests=len(own),
        messages=messages,
        attachments=attachments,
        ratings=ratings,
        outbox=len(_outbox_ids(own, person.email) | _outbox_quoting(person, other_tickets)),
        mail_log=InboundEmail.objects.filter(_inbound(own, person.email)).count(),
        sign_in_records=sign_in,
    )


def _end_sessions(person: User) -> None:
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for encrypted in UserSession.objects.filter(user=person).values_list(
        "encrypted_key", flat=True
    ):
        key = crypto.decrypt(encrypted)
        if key:
            store(session_key=key).delete()
    UserSession.objects.filter(user=person).delete()


def person_erase(
    *, person: User, request: HttpRequest | None = None, actor: User | None = None
) -> ErasureCounts:
    """Erases a customer: their requests' content (tickets_erase), their words and files on
    other requests, their mail, sign-in records, votes' and ratings' comments, searches and
    exports; the account stays as "Erased person #<id>", signed out and unable to sign in."""
    with transaction.atomic():
        person = User.objects.select_for_update().get(pk=person.pk)
        if not person.is_customer:
            raise PermissionDenied("Only customers can be erased.")
        email = person.email
        counts = erasure_counts(person)
        own = _own_tickets(person)
        # Their words and files on requests of others (CC'd, or an organization's request).
        elsewhere = Message.objects.filter(author=person).exclude(ticket_id__in=own)
        other_tickets = set(elsewhere.values_list("ticket_id", flat=True))
        outbox = _outbox_ids(own, email) | _outbox_quoting(person, sorted(other_tickets))
        tickets_erase(ticket_ids=own, reason=ErasedTicket.Reason.PERSON, reindex=False)
        elsewhere.update(body=site_text(ERASED_BODY))
        files = Attachment.objects.filter(uploaded_by=person)
        _delete_files_after_commit(files.values_list("file", flat=True))
        files.delete()
        TicketCC.objects.filter(user=person).delete()
        TicketEvent.objects.filter(old_value=email).update(old_value="")
        TicketEvent.objects.filter(new_value=email).update(new_value="")
        Rating.objects.filter(rated_by=person).exclude(comment="").update(comment="")
        # Mail to, from or about them.
        for chunk in _chunks(sorted(outbox), 500):
            OutboundEmail.objects.filter(pk__in=chunk).delete()
        inbound = InboundEmail.objects.filter(_inbound([], email))
        _delete_files_after_commit(inbound.values_list("raw", flat=True))
        inbound.delete()
        BouncingAddress.objects.filter(email=email).delete()
        # Signing in.
        _end_sessions(person)
        for model in (Passkey, TOTPDevice, RecoveryCode, TrustedBrowser, AccessToken):
            model.objects.filter(user=person).delete()
        # The help center and the request form.
        ArticleVote.objects.filter(user=person).exclude(comment="").update(comment="")
        if SearchLog.objects.filter(user=person).delete()[0]:
            # The content-gaps page keeps queries for hours: not this person's.
            transaction.on_commit(gaps.forget, robust=True)
        Deflection.objects.filter(user=person).exclude(query="").update(query="")
        exports = DataExport.objects.filter(Q(person=person) | Q(requested_by=person))
        _delete_files_after_commit(exports.values_list("file_name", flat=True))
        exports.delete()
        # The account itself.
        pseudonym = site_text(ERASED_NAME, id=person.pk)
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(User), object_id=str(person.pk)
        ).update(object_repr=pseudonym)
        person.name = pseudonym
        person.email = f"erased-{person.pk}@invalid"
        if person.phone:
            # Their number on calls about others' requests too (the ones on theirs went above),
            # in every form it may have been logged in (national digits, or E.164 once
            # PHONE_REGION was set).
            forms = stored_forms(person.phone, region=settings.PHONE_REGION)
            Call.objects.filter(number__in=forms).update(number="")
        person.phone = ""
        person.set_unusable_password()
        person.is_active = False
        person.organization = None
        person.manages_organization = False
        person.email_verified_at = None
        person.last_login = None
        # Recorded once, below, as "privacy.erase" naming the id only: the change tracking
        # would write the real email into the log as the "before" of this save.
        with tracking.paused():
            person.save()
        PersonErasure.objects.get_or_create(user=person)
        for ticket in Ticket.objects.filter(pk__in=[*own, *other_tickets]).select_related(
            "requester"
        ):
            search.index_ticket(ticket)
        audit_record(
            action="privacy.erase",
            request=request,
            actor=actor,
            target=person,
            target_label=f"#{person.pk}",
            after=counts.as_dict(),
        )
    return counts
