"""What a processed message becomes: threading to its request, a new request or a reply.

Threading, strongest first: a Message-ID we sent or received for a request, named in
In-Reply-To/References; then the request number in the address we were written to
(support+1042@...) or in the subject ([#1042]), which is only trusted when the sender may see
that request, so a guessed number cannot add to someone else's conversation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from supportal.accounts.models import Organization, User, normalize_email
from supportal.lib import mailtext
from supportal.lib.mime import MailAttachment, ParsedMail
from supportal.mail.models import InboundEmail, MessageReference, TicketMailbox
from supportal.mail.services.addresses import PLUS_NUMBER, base_address
from supportal.tickets import attachments as attachment_checks
from supportal.tickets import hooks, notifications, search
from supportal.tickets.models import Attachment, Channel, Message, Status, Ticket, TicketCC
from supportal.tickets.services import access_link_create, ticket_link, ticket_reply, user_for_email
from supportal.tickets.services.common import Kind, _event, _store_attachments
from supportal.tickets.services.tickets import _ticket_create

Fate = InboundEmail.Fate
_SUBJECT_NUMBER = re.compile(r"\[#(\d{1,12})\]")
_MAX_CC = 20


def _site_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def _thread_root_number(message_id: str) -> int | None:
    """The number in our own thread root id (request-1042@host or request-1042-<hex>@host)."""
    match = re.fullmatch(r"request-(\d{1,12})(?:-[0-9a-f]+)?@(.+)", message_id)
    if match and match.group(2).lower() == _site_host().lower():
        return int(match.group(1))
    return None


# --- Threading ---------------------------------------------------------------------------------


@dataclass
class _Match:
    ticket: Ticket
    strong: bool  # found by a Message-ID we know: the sender had our mail


def _first_ticket(numbers: list[int]) -> Ticket | None:
    """The first of these request numbers that exists, in their order: one query."""
    found = Ticket.objects.in_bulk(list(dict.fromkeys(numbers))[:50]) if numbers else {}
    return next((found[number] for number in numbers if number in found), None)


def _find_ticket(parsed: ParsedMail, ours: frozenset[str]) -> _Match | None:
    # In-Reply-To first, then References from the newest; a hostile message may name thousands.
    ids = list(dict.fromkeys([*parsed.in_reply_to, *reversed(parsed.references)]))[:50]
    if ids:
        refs = dict(
            MessageReference.objects.filter(message_id__in=ids).values_list(
                "message_id", "ticket_id"
            )
        )
        strong = [refs.get(i) or _thread_root_number(i) for i in ids]
        ticket = _first_ticket([number for number in strong if number])
        if ticket is not None:
            return _Match(ticket, strong=True)
    numbers: list[int] = []
    for address in [*parsed.recipients_hint, *(a.email for a in [*parsed.to, *parsed.cc])]:
        match = PLUS_NUMBER.match(address)
        # Only our own plus-addresses: a customer's bob+1@example.com names no request.
        if match and base_address(address) in ours:
            numbers.append(int(match["number"]))
    numbers += [int(n) for n in _SUBJECT_NUMBER.findall(parsed.subject)]
    ticket = _first_ticket(numbers)
    return _Match(ticket, strong=False) if ticket is not None else None


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
            # Hostile input, kept even when the content does not match the name: such files
            # are only ever downloaded (tickets/attachments.py prepare).
            attachment_checks.validate_uploads([upload], check_content=False)
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


def _requester(parsed: ParsedMail, existing: User | None) -> User:
    """The sender's account (`existing`, already looked up), else a new customer account."""
    if existing is not None:
        return existing
    email = parsed.sender.email if parsed.sender else ""
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


def _cc_addresses(
    parsed: ParsedMail, exclude: set[str], ours: frozenset[str]
) -> list[tuple[str, str]]:
    """Other people the customer wrote to: they become CCs. Never our own addresses."""
    seen = set(exclude)
    wanted: list[tuple[str, str]] = []
    for address in [*parsed.to, *parsed.cc]:
        email = normalize_email(address.email)
        if "@" not in email or email in seen or base_address(email) in ours:
            continue
        seen.add(email)
        wanted.append((email, address.name))
    return wanted[:_MAX_CC]


def deliver(inbound: InboundEmail, parsed: ParsedMail, ours: frozenset[str]) -> tuple[str, str]:
    """The fate and reason of a message that passed the checks; `ours` are our addresses."""
    sender = User.objects.filter(email=normalize_email(parsed.sender.email)).first()  # type: ignore[union-attr]
    match = _find_ticket(parsed, ours)
    content = _content(parsed)
    if match is not None:
        ticket = match.ticket
        allowed = _may_see(sender, ticket)
        if ticket.merged_into_id or ticket.status == Status.CLOSED:
            if allowed or match.strong:
                return _create(inbound, parsed, content, sender, ours, follow_up_of=ticket)
        elif allowed and sender is not None:
            return _append(inbound, parsed, content, ticket, sender, ours)
        elif match.strong:
            return _append_outside_note(inbound, parsed, content, ticket, sender)
    return _create(inbound, parsed, content, sender, ours)


def _create(
    inbound: InboundEmail,
    parsed: ParsedMail,
    content: _Content,
    sender: User | None,
    ours: frozenset[str],
    follow_up_of: Ticket | None = None,
) -> tuple[str, str]:
    requester = _requester(parsed, sender)
    cc = [
        user_for_email(email=email, name=name)
        for email, name in _cc_addresses(parsed, {requester.email}, ours)
    ]
    mailbox = inbound.mailbox
    ticket, _created, message = _ticket_create(
        requester=requester,
        subject=_subject(parsed),
        description=_body(content),
        channel=Channel.EMAIL,
        group=mailbox.group if mailbox else None,
        attachments=content.files,
        cc=cc,
        notify=False,
        # Before the change hooks: routing rules read the support address.
        on_created=(lambda t: TicketMailbox.objects.create(ticket=t, mailbox=mailbox))
        if mailbox is not None
        else None,
    )
    assert message is not None  # noqa: S101 (no submission key: always a new request)
    if follow_up_of is not None:
        ticket_link(ticket=ticket, other=follow_up_of, actor=requester, channel=Channel.EMAIL)
    _after_message(inbound, parsed, content, ticket, message)
    # The acknowledgement (its templates, MIME and thread headers are most of a new request's
    # cost) is the worker's, right after the commit; the flag makes it durable and once-only.
    inbound.ack_pending = True
    transaction.on_commit(lambda pk=inbound.pk: _enqueue_acknowledgement(pk))
    return Fate.CREATED, "follow_up" if follow_up_of else "new_request"


def _enqueue_acknowledgement(pk: int) -> None:
    from supportal.mail.tasks import acknowledge_email  # the tasks module imports services

    acknowledge_email(pk)


@transaction.atomic
def inbound_acknowledge(*, pk: int) -> bool:
    """Acknowledges the new request made from inbound email `pk` (with a sign-in link for a
    sender without a password), if that is still to do: the flag is cleared in the same
    transaction as the outbox row is written, so a retry or a second worker never sends it
    twice, and a crash before the commit leaves it to do. True when it was sent now."""
    if not InboundEmail.objects.filter(pk=pk, ack_pending=True).update(ack_pending=False):
        return False
    inbound = InboundEmail.objects.select_related("ticket__requester").get(pk=pk)
    ticket = inbound.ticket
    if ticket is None:  # the request was deleted since
        return False
    requester = ticket.requester
    token = access_link_create(ticket=ticket, user=requester) if _needs_link(requester) else None
    notifications.request_received(ticket, access_token=token)
    return True


def _needs_link(user: User) -> bool:
    """A customer without a password follows the request through an emailed link."""
    return user.is_customer and not user.has_usable_password()


def _append(
    inbound: InboundEmail,
    parsed: ParsedMail,
    content: _Content,
    ticket: Ticket,
    sender: User,
    ours: frozenset[str],
) -> tuple[str, str]:
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
        for email, name in _cc_addresses(parsed, followers | {sender.email}, ours):
            user = user_for_email(email=email, name=name)
            TicketCC.objects.get_or_create(ticket=ticket, user=user)
            _event(ticket, sender, Channel.EMAIL, Kind.CC_ADDED, "cc", "", user.email)
    _after_message(inbound, parsed, content, ticket, message, referenced=True)
    return Fate.APPENDED, "agent_reply" if sender.is_agent else "reply"


def _append_outside_note(
    inbound: InboundEmail,
    parsed: ParsedMail,
    content: _Content,
    ticket: Ticket,
    sender: User | None,
) -> tuple[str, str]:
    """Someone not on the request answered our mail (it was forwarded to them): agents see it
    as an internal note and decide; the customer and the sender are told nothing."""
    author = _requester(parsed, sender)
    now = timezone.now()
    message = Message.objects.create(
        ticket=ticket,
        author=author,
        body=_body(content),
        public=False,
        channel=Channel.EMAIL,
        created_at=now,
    )
    _store_attachments(ticket, message, content.files, author)
    event = _event(ticket, author, Channel.EMAIL, Kind.NOTED, "message", "", message.pk, now)
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=now)
    search.index_ticket(ticket)
    change = hooks.TicketChange(ticket, author, Channel.EMAIL, [event], message=message)
    hooks.ticket_changed(change)
    _after_message(inbound, parsed, content, ticket, message)
    return Fate.APPENDED, "outside_note"


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


_CID_SRC = re.compile(r'src="cid:([^"]*)"', re.IGNORECASE)


def _rewrite_cids(content: _Content, message: Message, html: str | None = None) -> str:
    """cid: images point at the stored attachment (served from our own origin); a cid: that
    names no stored image is dropped, never left for the browser to resolve."""
    html = content.html if html is None else html
    if "cid:" not in html.lower():
        return html
    stored: list[Attachment] = list(message.attachments.order_by("pk"))
    urls: dict[str, str] = {}
    with translation.override(settings.LANGUAGE_CODE):
        for content_id, attachment in zip(content.inline_ids, stored, strict=False):
            if content_id:
                urls[unquote(content_id).strip("<>").lower()] = reverse(
                    "tickets:attachment",
                    args=[message.ticket_id, attachment.pk, attachment.filename],
                )

    def replace(match: re.Match[str]) -> str:
        url = urls.get(unquote(match.group(1)).strip("<>").lower())
        return f'src="{url}"' if url else 'src=""'

    return _CID_SRC.sub(replace, html)
