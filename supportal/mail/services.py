"""Inbound email: every way in (IMAP, pipe, HTTP) calls mail_ingest.

mail_ingest stores the raw bytes and an InboundEmail row first, in their own transaction, so
nothing received is ever lost; then inbound_process decides the message's fate (a new request,
a reply to one, ignored noise, held, spam, rejected) in a second transaction. A failure while
processing leaves the stored row as "failed" with the reason: an admin can process it again from
the mail log after a fix, and the messages after it go on.

Threading, strongest first: a Message-ID we sent or received for a request, named in
In-Reply-To/References; then the request number in the address we were written to
(support+1042@...) or in the subject ([#1042]), which is only trusted when the sender may see
that request, so a guessed number cannot add to someone else's conversation.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from supportal.accounts.models import Organization, User, normalize_email
from supportal.lib import mailtext
from supportal.lib.mime import MailAttachment, ParsedMail, parse_message
from supportal.mail.models import (
    BouncingAddress,
    InboundEmail,
    Mailbox,
    MessageReference,
    TicketMailbox,
)
from supportal.tickets import attachments as attachment_checks
from supportal.tickets import notifications, search
from supportal.tickets.models import Attachment, Channel, Message, Status, Ticket, TicketCC
from supportal.tickets.services import (
    access_link_create,
    ticket_link,
    ticket_reply,
    user_for_email,
)
from supportal.tickets.services.common import Kind, _event
from supportal.tickets.services.tickets import _ticket_create

logger = logging.getLogger(__name__)

Fate = InboundEmail.Fate

# Reason codes stored on InboundEmail.reason, and what the mail log says for each.
REASONS: dict[str, str] = {
    "new_request": gettext_lazy("A new request was made from it."),
    "follow_up": gettext_lazy(
        "It answered a closed or merged request, so a follow-up request was made."
    ),
    "reply": gettext_lazy("It was added to the request as a reply."),
    "agent_reply": gettext_lazy("An agent answered by email; it was added as their public reply."),
    "outside_note": gettext_lazy(
        "It answered our email but the sender is not on the request, so it was added as an "
        "internal note."
    ),
    "bounce": gettext_lazy("A bounce (delivery failure report): no request, no answer."),
    "complaint": gettext_lazy("A spam complaint report: no request, no answer."),
    "auto_reply": gettext_lazy("An automatic reply (out of office, read receipt): ignored."),
    "bulk": gettext_lazy("Bulk or mailing-list mail: ignored."),
    "mailer_daemon": gettext_lazy("Sent by a mail server, not a person: ignored."),
    "from_us": gettext_lazy("Sent from one of our own support addresses: ignored to avoid a loop."),
    "too_large": gettext_lazy("Larger than the limit for incoming mail."),
    "no_sender": gettext_lazy("It has no readable sender address."),
    "rate_limited": gettext_lazy(
        "The sender wrote too many messages within an hour; held until an admin processes it."
    ),
    "spam_flag": gettext_lazy("The mail server marked it as spam."),
    "error": gettext_lazy("Processing failed; it can be processed again after a fix."),
}

_SUBJECT_NUMBER = re.compile(r"\[#(\d{1,12})\]")
_PLUS_NUMBER = re.compile(r"^(?P<local>[^+@]+)\+(?P<number>\d{1,12})@(?P<domain>.+)$")
_MAX_CC = 20
HEAD_BYTES = 256 * 1024


def _site_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def _thread_root_number(message_id: str) -> int | None:
    """The number in our own thread root id (request-1042@host or request-1042-<hex>@host)."""
    match = re.fullmatch(r"request-(\d{1,12})(?:-[0-9a-f]+)?@(.+)", message_id)
    if match and match.group(2).lower() == _site_host().lower():
        return int(match.group(1))
    return None


def _dedupe_key(parsed: ParsedMail, raw: bytes) -> str:
    basis = parsed.message_id.encode() if parsed.message_id else raw
    return hashlib.sha256(basis).hexdigest()


# --- Storing -----------------------------------------------------------------------------------


def inbound_seen_uid(*, mailbox: Mailbox, uidvalidity: int, uid: int) -> bool:
    return InboundEmail.objects.filter(
        mailbox=mailbox, imap_uidvalidity=uidvalidity, imap_uid=uid
    ).exists()


def mailbox_for_addresses(addresses: list[str]) -> Mailbox | None:
    """The support address a message was written to: its own address or a plus-address."""
    wanted = [_base_address(normalize_email(address)) for address in addresses]
    if not wanted:
        return None
    found = {m.address.lower(): m for m in Mailbox.objects.filter(address__in=wanted)}
    return next((found[a] for a in wanted if a in found), None)


def _too_large(raw: bytes) -> bool:
    return len(raw) > settings.MAIL_MAX_MB * 1024 * 1024 or raw.startswith(
        b"X-Supportal-Truncated:"
    )


def _existing(mailbox: Mailbox | None, key: str, uid: int | None, uidvalidity: int | None):  # type: ignore[no-untyped-def]
    rows = InboundEmail.objects.filter(mailbox=mailbox)
    row = rows.filter(dedupe_key=key).first()
    if row is None and uid is not None:
        row = rows.filter(imap_uidvalidity=uidvalidity, imap_uid=uid).first()
    return row


def mail_ingest(
    *,
    raw: bytes,
    mailbox: Mailbox | None,
    source: str,
    imap_uid: int | None = None,
    imap_uidvalidity: int | None = None,
) -> InboundEmail:
    """Stores the message (raw file and mail-log row, committed), then processes it.

    Idempotent: the same message again for the same mailbox (same Message-ID, the same bytes
    when it has none, or the same IMAP UID) returns the stored row, with `duplicate` set, and
    changes nothing. Never raises for bad mail; only when the database or storage fails."""
    oversize = _too_large(raw)
    if oversize:
        raw = raw[:HEAD_BYTES]  # keep the headers for the log; the rest is not stored
    parsed = parse_message(raw)
    if mailbox is None:
        mailbox = mailbox_for_addresses(
            [*parsed.recipients_hint, *(a.email for a in [*parsed.to, *parsed.cc])]
        )
    key = _dedupe_key(parsed, raw)
    existing = _existing(mailbox, key, imap_uid, imap_uidvalidity)
    if existing is not None:
        existing.duplicate = True  # type: ignore[attr-defined]
        return existing
    inbound = InboundEmail(
        mailbox=mailbox,
        source=source,
        message_id=parsed.message_id[:255],
        dedupe_key=key,
        imap_uid=imap_uid,
        imap_uidvalidity=imap_uidvalidity,
        size=len(raw),
        sender=(parsed.sender.email if parsed.sender else "")[:254],
        subject=parsed.subject[:998],
    )
    inbound.raw.save("message.eml", ContentFile(raw), save=False)
    try:
        with transaction.atomic():
            inbound.save()
    except IntegrityError:
        # Another process stored the same message a moment ago.
        inbound.raw.delete(save=False)
        existing = _existing(mailbox, key, imap_uid, imap_uidvalidity)
        if existing is None:
            raise
        existing.duplicate = True  # type: ignore[attr-defined]
        return existing
    inbound.duplicate = False  # type: ignore[attr-defined]
    if oversize:
        _finish(inbound, Fate.REJECTED, "too_large", _oversize_detail())
        return inbound
    return inbound_process(inbound=inbound, parsed=parsed)


def _oversize_detail() -> str:
    return _("Only the first %(kb)d KB were kept; the limit is %(mb)d MB.") % {
        "kb": HEAD_BYTES // 1024,
        "mb": settings.MAIL_MAX_MB,
    }


def _read_raw(inbound: InboundEmail) -> bytes:
    with inbound.raw.open("rb") as handle:
        return handle.read()


def inbound_reprocess(*, inbound: InboundEmail, actor: User | None) -> InboundEmail:
    """Processes a failed, rejected or held message again (held ones pass the rate limit)."""
    if inbound.ticket_message_id:
        return inbound  # it already made its request
    return inbound_process(inbound=inbound, release=True)


def inbound_release(*, inbound: InboundEmail, actor: User | None) -> InboundEmail:
    """An agent says a message marked as spam is not spam: it is processed as usual."""
    if inbound.fate != Fate.SPAM:
        return inbound
    return inbound_process(inbound=inbound, release=True)


# --- Processing --------------------------------------------------------------------------------


def _finish(inbound: InboundEmail, fate: str, reason: str, detail: str = "") -> InboundEmail:
    inbound.fate, inbound.reason, inbound.detail = fate, reason, detail
    inbound.processed_at = timezone.now()
    inbound.attempts += 1
    inbound.save(
        update_fields=[
            "fate",
            "reason",
            "detail",
            "processed_at",
            "attempts",
            "ticket",
            "ticket_message",
            "html",
            "quoted_text",
            "quoted_html",
            "remote_images_removed",
        ]
    )
    return inbound


def inbound_process(
    *, inbound: InboundEmail, parsed: ParsedMail | None = None, release: bool = False
) -> InboundEmail:
    """Decides what a stored message becomes. Never raises for bad mail: an unexpected error is
    recorded on the row as "failed"; a database outage propagates (the caller retries)."""
    try:
        with transaction.atomic():
            if parsed is None:
                parsed = parse_message(_read_raw(inbound))
            return _process(inbound, parsed, release=release)
    except (OperationalError, InterfaceError):
        raise
    except Exception as error:  # any other bug or surprise in one message must not stop the rest
        logger.warning("inbound email %s failed: %r", inbound.pk, error)
        inbound.refresh_from_db()
        return _finish(inbound, Fate.FAILED, "error", f"{type(error).__name__}: {error}"[:2000])


def _process(inbound: InboundEmail, parsed: ParsedMail, *, release: bool) -> InboundEmail:
    if inbound.size > settings.MAIL_MAX_MB * 1024 * 1024:
        return _finish(inbound, Fate.REJECTED, "too_large", _oversize_detail())
    if parsed.auto_kind:
        if parsed.bounce is not None:
            _record_bounce(parsed)
        detail = parsed.bounce.diagnostic if parsed.bounce else ""
        return _finish(inbound, Fate.IGNORED, parsed.auto_kind, detail)
    if parsed.sender is None or "@" not in parsed.sender.email:
        return _finish(inbound, Fate.REJECTED, "no_sender")
    sender_email = parsed.sender.email
    if mailbox_for_addresses([sender_email]) is not None:
        return _finish(inbound, Fate.IGNORED, "from_us")
    if parsed.is_spam and not release:
        return _finish(inbound, Fate.SPAM, "spam_flag")
    if not release and _over_rate_limit(inbound, sender_email):
        return _finish(inbound, Fate.HELD, "rate_limited")
    # A person wrote from this address, so it receives mail again.
    BouncingAddress.objects.filter(email=normalize_email(sender_email)).delete()
    return _deliver(inbound, parsed)


def _record_bounce(parsed: ParsedMail) -> None:
    bounce = parsed.bounce
    if bounce is None:
        return
    now = timezone.now()
    for email in {normalize_email(r) for r in bounce.recipients if "@" in r}:
        if mailbox_for_addresses([email]) is not None:
            continue  # never mark our own address
        row, created = BouncingAddress.objects.get_or_create(
            email=email[:254],
            defaults={"permanent": bounce.permanent, "reason": bounce.diagnostic[:500]},
        )
        if not created:
            row.bounces += 1
            row.permanent = row.permanent or bounce.permanent
            row.reason = bounce.diagnostic[:500] or row.reason
            row.last_bounce_at = now
            row.save(update_fields=["bounces", "permanent", "reason", "last_bounce_at"])


def _over_rate_limit(inbound: InboundEmail, sender: str) -> bool:
    since = timezone.now() - timedelta(hours=1)
    recent = (
        InboundEmail.objects.filter(
            sender=sender, received_at__gte=since, fate__in=(Fate.CREATED, Fate.APPENDED)
        )
        .exclude(pk=inbound.pk)
        .count()
    )
    return recent >= settings.MAIL_SENDER_HOURLY_LIMIT


# --- Threading ---------------------------------------------------------------------------------


@dataclass
class _Match:
    ticket: Ticket
    strong: bool  # found by a Message-ID we know: the sender had our mail


def _find_ticket(parsed: ParsedMail) -> _Match | None:
    # In-Reply-To first, then References from the newest; a hostile message may name thousands.
    ids = list(dict.fromkeys([*parsed.in_reply_to, *reversed(parsed.references)]))[:50]
    if ids:
        refs = dict(
            MessageReference.objects.filter(message_id__in=ids).values_list(
                "message_id", "ticket_id"
            )
        )
        for message_id in ids:
            number = refs.get(message_id) or _thread_root_number(message_id)
            ticket = Ticket.objects.filter(pk=number).first() if number else None
            if ticket is not None:
                return _Match(ticket, strong=True)
    numbers: list[int] = []
    ours = {address.lower() for address in Mailbox.objects.values_list("address", flat=True)}
    for address in [*parsed.recipients_hint, *(a.email for a in [*parsed.to, *parsed.cc])]:
        match = _PLUS_NUMBER.match(address)
        # Only our own plus-addresses: a customer's bob+1@example.com names no request.
        if match and f"{match['local']}@{match['domain']}" in ours:
            numbers.append(int(match["number"]))
    numbers += [int(n) for n in _SUBJECT_NUMBER.findall(parsed.subject)]
    for number in dict.fromkeys(numbers):
        ticket = Ticket.objects.filter(pk=number).first()
        if ticket is not None:
            return _Match(ticket, strong=False)
    return None


def _may_see(user: User | None, ticket: Ticket) -> bool:
    if user is None or not user.is_active:
        return False
    return Ticket.objects.visible_to(user).filter(pk=ticket.pk).exists()


# --- Making requests and replies ---------------------------------------------------------------


@dataclass
class _Content:
    body: str
    html: str
    quoted_text: str
    quoted_html: str
    files: list[SimpleUploadedFile] = field(default_factory=list)
    inline_ids: list[str] = field(default_factory=list)  # content id per file ("" if none)
    dropped: list[str] = field(default_factory=list)  # "name: why" per attachment left out


def _content(parsed: ParsedMail) -> _Content:
    body, quoted = mailtext.split_quoted(parsed.text)
    html, quoted_html = mailtext.split_quoted_html(parsed.html) if parsed.html else ("", "")
    content = _Content(body=body, html=html, quoted_text=quoted, quoted_html=quoted_html)
    regular = 0
    for attachment in parsed.attachments:
        upload = _upload(attachment)
        try:
            attachment_checks.validate_uploads([upload])
        except ValidationError as error:
            content.dropped.append(f"{upload.name}: {' '.join(error.messages)}")
            continue
        if not attachment.inline:
            regular += 1
            if regular > settings.ATTACHMENT_MAX_FILES:
                content.dropped.append(
                    f"{upload.name}: "
                    + _("more than %(count)d files in one message.")
                    % {"count": settings.ATTACHMENT_MAX_FILES}
                )
                continue
        content.files.append(upload)
        content.inline_ids.append(attachment.content_id if attachment.inline else "")
    return content


def _upload(attachment: MailAttachment) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        attachment_checks.safe_filename(attachment.filename),
        attachment.data,
        content_type=attachment.content_type,
    )


def _subject(parsed: ParsedMail) -> str:
    return parsed.subject.strip() or _("(no subject)")


def _body(content: _Content) -> str:
    return content.body.strip() or _("(The message had no text.)")


def _requester(parsed: ParsedMail) -> User:
    email = parsed.sender.email if parsed.sender else ""
    existing = User.objects.filter(email=normalize_email(email)).first()
    if existing is not None:
        return existing
    user = user_for_email(email=email, name=parsed.sender.name if parsed.sender else "")
    organization = _organization_for(email)
    if organization is not None:
        user.organization = organization
        user.save(update_fields=["organization"])
    return user


def _organization_for(email: str) -> Organization | None:
    domain = email.rpartition("@")[2].lower()
    if not domain:
        return None
    for organization in Organization.objects.filter(email_domains__icontains=domain):
        if domain in organization.domain_list:
            return organization
    return None


def _base_address(email: str) -> str:
    match = _PLUS_NUMBER.match(email)
    return f"{match['local']}@{match['domain']}" if match else email


def _cc_addresses(parsed: ParsedMail, exclude: set[str]) -> list[tuple[str, str]]:
    """Other people the customer wrote to: they become CCs. Never our own addresses."""
    ours = {address.lower() for address in Mailbox.objects.values_list("address", flat=True)}
    seen = set(exclude)
    wanted: list[tuple[str, str]] = []
    for address in [*parsed.to, *parsed.cc]:
        email = normalize_email(address.email)
        if "@" not in email or email in seen or _base_address(email) in ours:
            continue
        seen.add(email)
        wanted.append((email, address.name))
    return wanted[:_MAX_CC]


def _deliver(inbound: InboundEmail, parsed: ParsedMail) -> InboundEmail:
    sender = User.objects.filter(email=normalize_email(parsed.sender.email)).first()  # type: ignore[union-attr]
    match = _find_ticket(parsed)
    content = _content(parsed)
    if match is not None:
        ticket = match.ticket
        allowed = _may_see(sender, ticket)
        if ticket.merged_into_id or ticket.status == Status.CLOSED:
            if allowed or match.strong:
                return _create(inbound, parsed, content, follow_up_of=ticket)
        elif allowed and sender is not None:
            return _append(inbound, parsed, content, ticket, sender)
        elif match.strong:
            return _append_outside_note(inbound, parsed, content, ticket)
    return _create(inbound, parsed, content)


def _create(
    inbound: InboundEmail,
    parsed: ParsedMail,
    content: _Content,
    follow_up_of: Ticket | None = None,
) -> InboundEmail:
    requester = _requester(parsed)
    cc = [
        user_for_email(email=email, name=name)
        for email, name in _cc_addresses(parsed, {requester.email})
    ]
    mailbox = inbound.mailbox
    ticket, _created = _ticket_create(
        requester=requester,
        subject=_subject(parsed),
        description=_body(content),
        channel=Channel.EMAIL,
        group=mailbox.group if mailbox else None,
        attachments=content.files,
        cc=cc,
        notify=False,
    )
    if mailbox is not None:
        TicketMailbox.objects.create(ticket=ticket, mailbox=mailbox)
    message = ticket.messages.order_by("pk")[0]
    if follow_up_of is not None:
        ticket_link(ticket=ticket, other=follow_up_of, actor=requester, channel=Channel.EMAIL)
    _after_message(inbound, parsed, content, ticket, message)
    token = access_link_create(ticket=ticket, user=requester) if _needs_link(requester) else None
    notifications.request_received(ticket, access_token=token)
    return _finish(inbound, Fate.CREATED, "follow_up" if follow_up_of else "new_request")


def _needs_link(user: User) -> bool:
    """A customer without a password follows the request through an emailed link."""
    return user.is_customer and not user.has_usable_password()


def _append(
    inbound: InboundEmail,
    parsed: ParsedMail,
    content: _Content,
    ticket: Ticket,
    sender: User,
) -> InboundEmail:
    # Stored before the reply so the notifications it sends answer this message's id.
    reference = _reference(parsed, ticket)
    message = ticket_reply(
        ticket=ticket,
        author=sender,
        body=_body(content),
        attachments=content.files,
        channel=Channel.EMAIL,
    )
    if reference is not None:
        MessageReference.objects.filter(pk=reference.pk).update(ticket_message=message)
    if not sender.is_agent:
        followers = {ticket.requester.email, *ticket.cc.values_list("email", flat=True)}
        for email, name in _cc_addresses(parsed, followers | {sender.email}):
            user = user_for_email(email=email, name=name)
            TicketCC.objects.get_or_create(ticket=ticket, user=user)
            _event(ticket, sender, Channel.EMAIL, Kind.CC_ADDED, "cc", "", user.email)
    _after_message(inbound, parsed, content, ticket, message, referenced=True)
    return _finish(inbound, Fate.APPENDED, "agent_reply" if sender.is_agent else "reply")


def _append_outside_note(
    inbound: InboundEmail, parsed: ParsedMail, content: _Content, ticket: Ticket
) -> InboundEmail:
    """Someone not on the request answered our mail (it was forwarded to them): agents see it
    as an internal note and decide; the customer and the sender are told nothing."""
    author = _requester(parsed)
    now = timezone.now()
    message = Message.objects.create(
        ticket=ticket,
        author=author,
        body=_body(content),
        public=False,
        channel=Channel.EMAIL,
        created_at=now,
    )
    from supportal.tickets.services.common import _store_attachments

    _store_attachments(ticket, message, content.files, author)
    _event(ticket, author, Channel.EMAIL, Kind.NOTED, "message", "", message.pk, now)
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=now)
    search.index_ticket(ticket)
    _after_message(inbound, parsed, content, ticket, message)
    return _finish(inbound, Fate.APPENDED, "outside_note")


def _after_message(
    inbound: InboundEmail,
    parsed: ParsedMail,
    content: _Content,
    ticket: Ticket,
    message: Message,
    *,
    referenced: bool = False,
) -> None:
    """What every message that reached a request shares: its Message-ID for threading, the
    formatted and quoted parts for display, inline images, and a note on dropped files."""
    if not referenced:
        _reference(parsed, ticket, message)
    inbound.ticket, inbound.ticket_message = ticket, message
    inbound.html = _rewrite_cids(content, message) if content.html else ""
    inbound.quoted_text = content.quoted_text
    inbound.quoted_html = _rewrite_cids(content, message, content.quoted_html)
    inbound.remote_images_removed = parsed.remote_images_removed
    if content.dropped:
        note = (
            _("Some attachments of this email were not kept:")
            + "\n"
            + "\n".join(f"- {line}" for line in content.dropped)
        )
        Message.objects.create(
            ticket=ticket, author=None, body=note, public=False, channel=Channel.EMAIL
        )


def _reference(
    parsed: ParsedMail, ticket: Ticket, message: Message | None = None
) -> MessageReference | None:
    if not parsed.message_id:
        return None
    return MessageReference.objects.create(
        message_id=parsed.message_id[:255], ticket=ticket, ticket_message=message
    )


def _rewrite_cids(content: _Content, message: Message, html: str | None = None) -> str:
    """cid: images point at the stored attachment (served from our own origin)."""
    html = content.html if html is None else html
    if "cid:" not in html:
        return html
    stored: list[Attachment] = list(message.attachments.order_by("pk"))
    with translation.override(settings.LANGUAGE_CODE):
        for content_id, attachment in zip(content.inline_ids, stored, strict=False):
            if not content_id:
                continue
            url = reverse(
                "tickets:attachment", args=[message.ticket_id, attachment.pk, attachment.filename]
            )
            html = html.replace(f'"cid:{content_id}"', f'"{url}"')
    return html


__all__ = [
    "REASONS",
    "inbound_process",
    "inbound_release",
    "inbound_reprocess",
    "inbound_seen_uid",
    "mail_ingest",
    "mailbox_for_addresses",
]
