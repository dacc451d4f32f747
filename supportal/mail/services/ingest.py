"""Inbound email: every way in (IMAP, pipe, HTTP) calls mail_ingest.

mail_ingest stores the raw bytes and an InboundEmail row and decides the message's fate (a new
request, a reply to one, ignored noise, held, spam, rejected) in one transaction, the deciding
inside a savepoint: a failure while processing rolls back to the savepoint and the row is kept
as "failed" with the reason (an admin can process it again from the mail log after a fix, and
the messages after it go on). A crash or a database outage rolls back both, and the caller has
not yet told the source the message arrived (IMAP leaves it unread, the pipe command exits
non-zero, HTTP answers no 2xx), so it is delivered again. What a message that passes the checks
becomes (threading, a new request or a reply) is delivery.py's part; the acknowledgement to a
new request's sender is written by the worker after the commit (mail.tasks).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from supportal.accounts.models import User, normalize_email
from supportal.lib.mime import ParsedMail, parse_message
from supportal.mail.models import BouncingAddress, InboundEmail, Mailbox
from supportal.mail.services.addresses import base_address, mailbox_for_addresses, our_addresses
from supportal.mail.services.delivery import deliver, inbound_acknowledge

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
    "bounce": gettext_lazy(
        "A bounce (delivery failure report): no request and no automatic answer."
    ),
    "complaint": gettext_lazy("A spam complaint report: no request and no automatic answer."),
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

HEAD_BYTES = 256 * 1024


def _dedupe_key(parsed: ParsedMail, raw: bytes) -> str:
    basis = parsed.message_id.encode() if parsed.message_id else raw
    return hashlib.sha256(basis).hexdigest()


# --- Storing -----------------------------------------------------------------------------------


def inbound_seen_uid(*, mailbox: Mailbox, uidvalidity: int, uid: int) -> bool:
    """True when this IMAP message is stored and processed. One stored but not processed (the
    worker died in between) counts as unseen: fetched again, mail_ingest finishes it."""
    return (
        InboundEmail.objects.filter(mailbox=mailbox, imap_uidvalidity=uidvalidity, imap_uid=uid)
        .exclude(fate=Fate.RECEIVED)
        .exists()
    )


def _limit() -> int:
    return settings.MAIL_MAX_MB * 1024 * 1024


def _original_size(raw: bytes) -> int:
    """The message's size; the IMAP poller fetches only the head of one over the limit and says
    how large it was in an X-Supportal-Truncated line in front."""
    if raw.startswith(b"X-Supportal-Truncated:"):
        value = raw[22 : raw.find(b"\n")].strip()
        if value.isdigit():
            return max(int(value), _limit() + 1)
        return _limit() + 1
    return len(raw)


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
    size = _original_size(raw)
    oversize = size > _limit()
    if oversize:
        raw = raw[:HEAD_BYTES]  # keep the headers for the log; the rest is not stored
    parsed = parse_message(raw)
    if mailbox is None:
        mailbox = mailbox_for_addresses(
            [*parsed.recipients_hint, *(a.email for a in [*parsed.to, *parsed.cc])]
        )
    key = _dedupe_key(parsed, raw)
    if imap_uid is not None:
        # The poller asks first (inbound_seen_uid); this catches a row stored under another key.
        existing = _existing(mailbox, key, imap_uid, imap_uidvalidity)
        if existing is not None:
            return _again(existing)
    inbound = InboundEmail(
        mailbox=mailbox,
        source=source,
        message_id=parsed.message_id[:255],
        dedupe_key=key,
        imap_uid=imap_uid,
        imap_uidvalidity=imap_uidvalidity,
        size=size,
        sender=(parsed.sender.email if parsed.sender else "")[:254],
        subject=parsed.subject[:998],
    )
    inbound.raw.save("message.eml", ContentFile(raw), save=False)
    try:
        with transaction.atomic():
            # The unique (mailbox, dedupe_key) makes a second copy fail here, before any work.
            inbound.save()
            inbound.duplicate = False  # type: ignore[attr-defined]
            return _process_guarded(inbound, parsed, release=False)
    except IntegrityError:
        # Stored before (a repeat delivery), or by another process a moment ago.
        inbound.raw.delete(save=False)
        existing = _existing(mailbox, key, imap_uid, imap_uidvalidity)
        if existing is None:
            raise
        return _again(existing)
    except BaseException:
        # Nothing was committed (a database outage, a crash): the source delivers it again.
        inbound.raw.delete(save=False)
        raise


def _again(existing: InboundEmail) -> InboundEmail:
    """A message already stored. If it was never processed (the process storing it died before
    it could), it is processed now, once; otherwise nothing happens."""
    if existing.fate == Fate.RECEIVED:
        row = inbound_process(inbound=existing, expect=(Fate.RECEIVED,))
        if not getattr(row, "duplicate", False):
            return row
    existing.refresh_from_db()
    existing.duplicate = True  # type: ignore[attr-defined]
    return existing


def inbound_process_stale(*, older_than_minutes: int = 5) -> int:
    """Processes messages stored but never processed (a crash in between, an HTTP post that
    is never retried); the worker runs this every few minutes. Returns how many."""
    since = timezone.now() - timedelta(minutes=older_than_minutes)
    stale = InboundEmail.objects.filter(fate=Fate.RECEIVED, received_at__lt=since)
    count = 0
    for inbound in stale.order_by("received_at", "pk")[:500]:
        inbound_process(inbound=inbound, expect=(Fate.RECEIVED,))
        count += 1
    return count


def inbound_acknowledge_stale(*, older_than_minutes: int = 2) -> int:
    """Sends the acknowledgements whose task never ran (the process died between its commit
    and queueing it, or the queue lost it); the worker runs this every few minutes."""
    since = timezone.now() - timedelta(minutes=older_than_minutes)
    pending = InboundEmail.objects.filter(ack_pending=True, processed_at__lt=since)
    pks = list(pending.order_by("processed_at").values_list("pk", flat=True)[:500])
    return sum(inbound_acknowledge(pk=pk) for pk in pks)


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
    expect = (Fate.FAILED, Fate.REJECTED, Fate.HELD, Fate.RECEIVED)
    return inbound_process(inbound=inbound, release=True, expect=expect)


def inbound_release(*, inbound: InboundEmail, actor: User | None) -> InboundEmail:
    """An agent says a message marked as spam is not spam: it is processed as usual."""
    if inbound.fate != Fate.SPAM:
        return inbound
    return inbound_process(inbound=inbound, release=True, expect=(Fate.SPAM,))


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
            "ack_pending",
        ]
    )
    return inbound


def inbound_process(
    *,
    inbound: InboundEmail,
    expect: tuple[str, ...],
    parsed: ParsedMail | None = None,
    release: bool = False,
) -> InboundEmail:
    """Decides what a stored message becomes, if it is still in one of the `expect` fates when
    its row is locked (so two processes never both process it; the loser gets the row back with
    `duplicate` set). Never raises for bad mail: an unexpected error is recorded on the row as
    "failed"; a database outage propagates (the caller retries)."""
    with transaction.atomic():
        locked = InboundEmail.objects.select_for_update().get(pk=inbound.pk)
        if locked.fate not in expect:
            locked.duplicate = True  # type: ignore[attr-defined]
            return locked
        if InboundEmail.mailbox.is_cached(inbound):  # type: ignore[attr-defined]
            locked.mailbox = inbound.mailbox
        inbound = locked
        inbound.duplicate = False  # type: ignore[attr-defined]
        try:
            if parsed is None:
                parsed = parse_message(_read_raw(inbound))
        except (OperationalError, InterfaceError):
            raise
        except Exception as error:  # storage trouble with one file must not stop the rest
            return _failed(inbound, error)
        return _process_guarded(inbound, parsed, release=release)


def _process_guarded(inbound: InboundEmail, parsed: ParsedMail, *, release: bool) -> InboundEmail:
    """_process in a savepoint: an unexpected error in one message is recorded on its row as
    "failed" and its half-made changes are rolled back; a database outage propagates."""
    try:
        with transaction.atomic():
            return _process(inbound, parsed, release=release)
    except (OperationalError, InterfaceError):
        raise
    except Exception as error:  # any other bug or surprise in one message must not stop the rest
        return _failed(inbound, error)


def _failed(inbound: InboundEmail, error: Exception) -> InboundEmail:
    logger.warning("inbound email %s failed: %r", inbound.pk, error)
    duplicate = getattr(inbound, "duplicate", False)
    inbound.refresh_from_db()  # forget what the rolled-back processing set on it
    inbound.duplicate = duplicate  # type: ignore[attr-defined]
    return _finish(inbound, Fate.FAILED, "error", f"{type(error).__name__}: {error}"[:2000])


def _process(inbound: InboundEmail, parsed: ParsedMail, *, release: bool) -> InboundEmail:
    if inbound.size > _limit():
        return _finish(inbound, Fate.REJECTED, "too_large", _oversize_detail())
    ours = our_addresses()
    if parsed.auto_kind:
        if parsed.bounce is not None:
            _record_bounce(parsed, ours)
        detail = parsed.bounce.diagnostic if parsed.bounce else ""
        return _finish(inbound, Fate.IGNORED, parsed.auto_kind, detail)
    if parsed.sender is None or "@" not in parsed.sender.email:
        return _finish(inbound, Fate.REJECTED, "no_sender")
    sender_email = parsed.sender.email
    if base_address(normalize_email(sender_email)) in ours:
        return _finish(inbound, Fate.IGNORED, "from_us")
    if parsed.is_spam and not release:
        return _finish(inbound, Fate.SPAM, "spam_flag")
    if not release and _over_rate_limit(inbound, sender_email):
        return _finish(inbound, Fate.HELD, "rate_limited")
    # A person wrote from this address, so it receives mail again.
    BouncingAddress.objects.filter(email=normalize_email(sender_email)).delete()
    return _finish(inbound, *deliver(inbound, parsed, ours))


def _record_bounce(parsed: ParsedMail, ours: frozenset[str]) -> None:
    bounce = parsed.bounce
    if bounce is None:
        return
    now = timezone.now()
    for email in {normalize_email(r) for r in bounce.recipients if "@" in r}:
        if base_address(email) in ours:
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
