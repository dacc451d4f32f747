"""Fetching a mailbox's mail over IMAP (with IMAPClient), exactly once and without loss.

Where a mailbox stands is two numbers on its row: the folder's UIDVALIDITY and the highest UID
fully handled (`imap_last_uid`). One poll takes the new UIDs in ascending order, at most
MAIL_IMAP_BATCH downloads, in chunks of CHUNK UIDs:

1. for each UID: skip the download when `inbound_seen_uid` says we already stored it;
   otherwise download it with BODY.PEEK[] (PEEK: the server does not mark it read), one
   message at a time, and hand it to `mail_ingest`, which commits it before returning;
2. then set \\Seen on the server for the chunk's stored UIDs;
3. then save `imap_last_uid` = the chunk's last UID.

A process killed between any two steps re-examines at most the UIDs after the last saved mark;
those already stored are skipped without a download (step 1, or mail_ingest's Message-ID /
bytes / UID dedupe), and nothing is marked read on the server before it is stored here. A
change of UIDVALIDITY (the folder was rebuilt, UIDs renumbered) restarts from UID 0 and relies
on the same dedupe.

A lease on the row (`poll_lease_until`) keeps two workers off one mailbox; a worker that dies
holding it blocks the mailbox until the lease runs out (LEASE).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from supportal.mail import services
from supportal.mail.models import InboundEmail, Mailbox

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
# Renew the lease when less than this is left, so a long drain keeps it.
LEASE_RENEW = timedelta(minutes=5)
MAX_BACKOFF_MINUTES = 60
# UIDs handled together: one size query, one \Seen, one saved mark for each chunk. Bodies
# are downloaded one at a time.
CHUNK = 25
# The first UID range searched; doubled while a range holds nothing, so a sparse folder needs
# few searches and a huge one never returns more than a range of UIDs at once.
SEARCH_WINDOW = 20_000
# For a message over MAIL_MAX_MB, only this much of its header is downloaded.
TRUNCATED_HEADER_BYTES = 256 * 1024
TRUNCATED_HEADER = b"X-Supportal-Truncated"

# Errors from mail_ingest that mean our database or storage is down: stop the poll (and back
# off) rather than fail every message in turn.
OUTAGES = (OperationalError, InterfaceError, OSError)

Progress = Callable[[int, int], None]

SEEN = b"\\Seen"
STORED, GONE, FAILED = "stored", "gone", "failed"  # what became of one UID


@dataclass
class PollResult:
    fetched: int = 0  # messages downloaded
    stored: int = 0  # new inbound emails
    skipped: int = 0  # already stored (an earlier poll, or the same Message-ID again)
    failed: int = 0  # could not be stored: retried by the next poll
    error: str = ""  # what went wrong, for the admin ("" when all went well)
    busy: bool = False  # another worker holds the mailbox's lease; nothing was done


class FolderMissingError(Exception):
    pass


class HostMissingError(Exception):
    pass


class StartTLSMissingError(Exception):
    pass


class PasswordUnreadableError(Exception):
    pass


class LeaseLostError(Exception):
    pass


class StoreError(Exception):
    """mail_ingest failed for one message because the database or storage did."""

    def __init__(self, uid: int, error: BaseException) -> None:
        super().__init__(uid, error)
        self.uid = uid
        self.error = error

    def __str__(self) -> str:
        return f"UID {self.uid}: {self.error!r}"


# --- connecting ---------------------------------------------------------------------------


def connect(mailbox: Mailbox) -> IMAPClient:
    """A logged-in connection with the mailbox's folder selected. The certificate is always
    verified (against MAIL_IMAP_CA_FILE when set, else the system's CAs)."""
    client, _selected = _open(mailbox)
    return client


def _open(mailbox: Mailbox) -> tuple[IMAPClient, dict[bytes, object]]:
    if not mailbox.imap_host.strip():
        raise HostMissingError  # an empty name would mean this machine
    context = ssl.create_default_context(cafile=settings.MAIL_IMAP_CA_FILE or None)
    implicit = mailbox.imap_security == Mailbox.Security.TLS
    client = IMAPClient(
        mailbox.imap_host,
        port=mailbox.imap_port,
        ssl=implicit,
        ssl_context=context,
        timeout=settings.MAIL_IMAP_TIMEOUT,
    )
    try:
        if not implicit:
            # Never log in over plain text: no STARTTLS, no login.
            if not client.has_capability("STARTTLS"):
                raise StartTLSMissingError
            client.starttls(context)
        password = mailbox.imap_password
        if not password and mailbox.imap_password_encrypted:
            raise PasswordUnreadableError
        client.login(mailbox.imap_user, password)
        try:
            selected = client.select_folder(mailbox.imap_folder)
        except IMAPClientError:
            if not client.folder_exists(mailbox.imap_folder):
                raise FolderMissingError(mailbox.imap_folder) from None
            raise
    except BaseException:
        _close(client)
        raise
    return client, selected


def _close(client: IMAPClient) -> None:
    try:
        client.logout()
    except (IMAPClientError, OSError):
        with contextlib.suppress(IMAPClientError, OSError):
            client.shutdown()


def imap_test(mailbox: Mailbox) -> str:
    """ "" when the mailbox's settings work (connect, TLS, login, folder), else one translated
    message saying what is wrong and what to check."""
    try:
        client = connect(mailbox)
    except Exception as error:
        return describe_error(error, mailbox)
    _close(client)
    return ""


def describe_error(error: BaseException, mailbox: Mailbox) -> str:
    """What an admin reads about a failed connection or poll, in the active language."""
    host, port = mailbox.imap_host, mailbox.imap_port
    details = _server_words(error)
    if isinstance(error, FolderMissingError):
        return gettext(
            "The folder “%(folder)s” does not exist for %(user)s on %(host)s. Check the folder "
            "name: it is case-sensitive, and most servers call the inbox “INBOX”."
        ) % {"folder": mailbox.imap_folder, "user": mailbox.imap_user, "host": host}
    if isinstance(error, HostMissingError):
        return gettext("No IMAP server is set for this address. Enter the server's name.")
    if isinstance(error, StartTLSMissingError):
        return gettext(
            "%(host)s does not offer STARTTLS on port %(port)s, and we never send a password "
            "unencrypted. Choose TLS (usually port 993), or check the port."
        ) % {"host": host, "port": port}
    if isinstance(error, PasswordUnreadableError):
        return gettext(
            "The stored password can no longer be read (the encryption key changed). Enter the "
            "password again."
        )
    if isinstance(error, LoginError):
        return gettext(
            "%(host)s refused the user name or password for %(user)s. Check both; some "
            "providers need an app password for IMAP. The server said: %(details)s"
        ) % {"host": host, "user": mailbox.imap_user, "details": details}
    if isinstance(error, StoreError):
        return gettext(
            "A message (UID %(uid)s) could not be stored here: %(details)s. It will be fetched "
            "again at the next check."
        ) % {"uid": error.uid, "details": _server_words(error.error)}
    if isinstance(error, DatabaseError):
        return gettext(
            "Our database could not be reached while checking %(host)s (%(details)s). Nothing "
            "was marked as read; the check will be tried again."
        ) % {"host": host, "details": details}
    if isinstance(error, LeaseLostError):
        return gettext("Another worker took over checking this mailbox.")
    if isinstance(error, ssl.SSLCertVerificationError):
        # 62 and 64: X509_V_ERR_HOSTNAME_MISMATCH and X509_V_ERR_IP_ADDRESS_MISMATCH.
        if error.verify_code in (62, 64) or "mismatch" in (error.verify_message or ""):
            return gettext(
                "The certificate of %(host)s is for a different name (%(details)s). Enter the "
                "server name exactly as it appears on its certificate."
            ) % {"host": host, "details": error.verify_message or details}
        return gettext(
            "The certificate of %(host)s is not trusted (%(details)s). Check the server name; "
            "if the server uses a private certificate authority, set MAIL_IMAP_CA_FILE to its "
            "certificate."
        ) % {"host": host, "details": error.verify_message or details}
    if isinstance(error, ssl.SSLError):
        return gettext(
            "The encrypted connection to %(host)s on port %(port)s failed (%(details)s). Check "
            "that the port matches the security setting: TLS is usually port 993, STARTTLS "
            "port 143."
        ) % {"host": host, "port": port, "details": details}
    if isinstance(error, socket.gaierror):
        return gettext(
            "The server name “%(host)s” was not found. Check the spelling of the IMAP server."
        ) % {"host": host}
    if isinstance(error, ConnectionRefusedError):
        return gettext(
            "%(host)s refused the connection on port %(port)s. Check the port, and that the "
            "server accepts IMAP connections there."
        ) % {"host": host, "port": port}
    if isinstance(error, TimeoutError):
        return gettext(
            "%(host)s did not answer on port %(port)s within %(seconds)s seconds. Check the "
            "server name, the port and any firewall between us."
        ) % {"host": host, "port": port, "seconds": settings.MAIL_IMAP_TIMEOUT}
    if isinstance(error, OSError) and error.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return gettext(
            "%(host)s cannot be reached from here (%(details)s). Check the server name and the "
            "network."
        ) % {"host": host, "details": details}
    if isinstance(error, IMAPClientError):
        return gettext("%(host)s answered with an error: %(details)s") % {
            "host": host,
            "details": details,
        }
    return gettext("Checking %(host)s failed: %(details)s") % {"host": host, "details": details}


def _server_words(error: BaseException) -> str:
    """The error's own text, without Python's b'...' around what the server sent."""
    words = str(error) or type(error).__name__
    if words.startswith(("b'", 'b"')) and words.endswith(words[1]):
        words = words[2:-1]
    return words[:500]


# --- polling ------------------------------------------------------------------------------


def mailbox_poll(mailbox: Mailbox, *, progress: Progress | None = None) -> PollResult:
    """Fetches up to MAIL_IMAP_BATCH new messages into mail_ingest (the rest next time) and
    records the outcome on the row: next_poll_at, failures with back-off, last_error.

    Returns without doing anything (busy=True) while another worker holds the lease. Never
    raises for IMAP trouble; a database outage while recording the outcome is logged.
    `progress(done, total)` is called after each message.
    """
    now = timezone.now()
    lease = now + LEASE
    claimed = (
        Mailbox.objects.filter(pk=mailbox.pk)
        .filter(Q(poll_lease_until__isnull=True) | Q(poll_lease_until__lt=now))
        .update(poll_lease_until=lease, last_polled_at=now)
    )
    if not claimed:
        return PollResult(
            busy=True, error=gettext("Another worker is checking this mailbox right now.")
        )
    # Where the last poll left off, whoever ran it.
    mailbox.refresh_from_db()
    result = PollResult()
    holder = _Lease(mailbox.pk, lease)
    failure: BaseException | None = None
    # Messages end up in last_error, which every admin reads: the site's language.
    with translation.override(settings.LANGUAGE_CODE):
        try:
            _drain(mailbox, holder, result, progress)
        except Exception as error:
            failure = error
        except BaseException:
            # Interrupted (Ctrl-C, worker shutdown): give the mailbox back, count nothing.
            Mailbox.objects.filter(pk=mailbox.pk, poll_lease_until=holder.until).update(
                poll_lease_until=None
            )
            raise
        if failure is not None:
            result.error = describe_error(failure, mailbox)
            logger.warning("polling %s failed: %r", mailbox.address, failure)
        _record_outcome(mailbox, holder, result, failed=failure is not None)
    return result


class _Lease:
    def __init__(self, pk: int, until: datetime) -> None:
        self.pk = pk
        self.until = until

    def save(self, last_uid: int | None) -> None:
        """Saves the high-water mark (when given), renewing the lease when it runs low; fails
        when another worker has taken the mailbox over (our lease ran out)."""
        now = timezone.now()
        changes: dict[str, object] = {} if last_uid is None else {"imap_last_uid": last_uid}
        renewed = self.until
        if self.until - now < LEASE_RENEW:
            renewed = now + LEASE
            changes["poll_lease_until"] = renewed
        if not changes:
            return
        if not Mailbox.objects.filter(pk=self.pk, poll_lease_until=self.until).update(**changes):
            raise LeaseLostError
        self.until = renewed


def _drain(mailbox: Mailbox, lease: _Lease, result: PollResult, progress: Progress | None) -> None:
    client, selected = _open(mailbox)
    try:
        uidvalidity = int(selected[b"UIDVALIDITY"])  # type: ignore[call-overload]
        last_uid = mailbox.imap_last_uid
        if mailbox.imap_uidvalidity != uidvalidity:
            if mailbox.imap_uidvalidity is not None:
                logger.warning(
                    "%s: UIDVALIDITY changed from %s to %s; rescanning the folder",
                    mailbox.address,
                    mailbox.imap_uidvalidity,
                    uidvalidity,
                )
            last_uid = 0
            Mailbox.objects.filter(pk=mailbox.pk, poll_lease_until=lease.until).update(
                imap_uidvalidity=uidvalidity, imap_last_uid=0
            )
            mailbox.imap_uidvalidity, mailbox.imap_last_uid = uidvalidity, 0
        uidnext = selected.get(b"UIDNEXT")
        uidnext = uidnext if isinstance(uidnext, int) else None
        if uidnext is not None and uidnext <= last_uid + 1:
            return  # nothing new: no search needed
        batch = settings.MAIL_IMAP_BATCH
        # A message we could not store leaves a hole: the mark must stay below it so the next
        # poll tries it again; the messages after it are still stored (and marked read).
        hole = False
        total = done = 0
        for uids in _new_uids(client, last_uid, uidnext):
            total = total or min(len(uids), batch)
            for chunk_start in range(0, len(uids), CHUNK):
                chunk = uids[chunk_start : chunk_start + CHUNK]
                sizes = _sizes(client, chunk)
                stored, mark = [], None
                for uid in chunk:
                    if result.fetched >= batch:
                        break
                    outcome = _handle(client, mailbox, uidvalidity, uid, sizes.get(uid), result)
                    if outcome == STORED:
                        stored.append(uid)
                    hole = hole or outcome == FAILED
                    if not hole:
                        mark = uid
                    done += 1
                    if progress is not None:
                        progress(done, total)
                # Read on the server only once stored here; the mark only once read there.
                if stored:
                    client.add_flags(stored, [SEEN], silent=True)
                lease.save(mark)
                if result.fetched >= batch:
                    return
    finally:
        _close(client)


def _new_uids(client: IMAPClient, after: int, uidnext: int | None) -> Iterator[list[int]]:
    """The folder's undeleted UIDs above `after`, ascending, one UID range at a time."""
    low, window = after + 1, SEARCH_WINDOW
    while True:
        high = low + window - 1
        last = uidnext is None or high >= uidnext - 1
        # "n:*" always matches the highest UID, even below n: hence the filter.
        found = client.search(["UID", f"{low}:*" if last else f"{low}:{high}", "NOT", "DELETED"])
        uids = sorted(uid for uid in found if uid >= low)
        if uids:
            yield uids
            window = SEARCH_WINDOW
        else:
            window *= 2
        if last:
            return
        low = high + 1


def _sizes(client: IMAPClient, uids: list[int]) -> dict[int, int]:
    """RFC822.SIZE of each UID; a UID missing here was expunged meanwhile."""
    return {
        uid: int(data[b"RFC822.SIZE"])
        for uid, data in client.fetch(uids, ["RFC822.SIZE"]).items()
        if b"RFC822.SIZE" in data
    }


def _handle(
    client: IMAPClient,
    mailbox: Mailbox,
    uidvalidity: int,
    uid: int,
    size: int | None,
    result: PollResult,
) -> str:
    """Stores one message: STORED (to be marked read), GONE (expunged meanwhile) or FAILED
    (not stored: try again next time). A database or storage outage raises, ending the poll."""
    if size is None:
        return GONE
    if services.inbound_seen_uid(mailbox=mailbox, uidvalidity=uidvalidity, uid=uid):
        # Stored by a poll that stopped before marking it read or saving the mark.
        result.skipped += 1
        return STORED
    raw = _download(client, uid, size)
    if raw is None:
        return GONE
    result.fetched += 1
    try:
        row = services.mail_ingest(
            raw=raw,
            mailbox=mailbox,
            source=InboundEmail.Source.IMAP,
            imap_uid=uid,
            imap_uidvalidity=uidvalidity,
        )
    except OUTAGES as error:
        raise StoreError(uid, error) from error
    except Exception as error:
        # mail_ingest stores even mail it cannot process, so this is a bug there. Keep going
        # with the rest; if nothing was stored, leave the message unread for the next poll.
        logger.exception("%s: storing UID %s failed", mailbox.address, uid)
        result.error = describe_error(StoreError(uid, error), mailbox)
        if not services.inbound_seen_uid(mailbox=mailbox, uidvalidity=uidvalidity, uid=uid):
            result.failed += 1
            return FAILED
        row = None
    if row is not None and _duplicate(row, uid, uidvalidity):
        result.skipped += 1  # the same message again (another UID, or re-sent)
    else:
        result.stored += 1
    return STORED


def _duplicate(row: InboundEmail, uid: int, uidvalidity: int) -> bool:
    """Whether mail_ingest returned a row stored before rather than a new one."""
    duplicate = getattr(row, "duplicate", None)
    if duplicate is not None:
        return bool(duplicate)
    return (row.imap_uid, row.imap_uidvalidity) != (uid, uidvalidity)


def _download(client: IMAPClient, uid: int, size: int) -> bytes | None:
    """The message's bytes, without marking it read (PEEK).

    A message over MAIL_MAX_MB is not downloaded: we fetch its header only (at most 256 KB)
    and put `X-Supportal-Truncated: <size in bytes>` in front of it, so mail_ingest stores a
    header-only message and can reject it as too large with the sender and subject known.
    """
    if size > settings.MAIL_MAX_MB * 1024 * 1024:
        data = client.fetch([uid], [f"BODY.PEEK[HEADER]<0.{TRUNCATED_HEADER_BYTES}>"])
        header = data.get(uid, {}).get(b"BODY[HEADER]<0>")  # the answer names the start only
        if header is None:
            return None
        if not header.endswith(b"\n\n") and not header.endswith(b"\r\n\r\n"):
            # Cut mid-header: keep whole lines and end the header properly.
            header = header[: header.rfind(b"\n") + 1] + b"\r\n"
        return TRUNCATED_HEADER + b": " + str(size).encode() + b"\r\n" + header
    data = client.fetch([uid], ["BODY.PEEK[]"])
    return data.get(uid, {}).get(b"BODY[]")


def _record_outcome(mailbox: Mailbox, lease: _Lease, result: PollResult, *, failed: bool) -> None:
    now = timezone.now()
    if failed:
        failures = mailbox.failures + 1
        minutes = max(min(2 ** (failures - 1), MAX_BACKOFF_MINUTES), mailbox.poll_minutes)
        changes: dict[str, object] = {
            "failures": failures,
            "last_error": result.error,
            "next_poll_at": now + timedelta(minutes=minutes),
        }
    else:
        # A message that could not be stored is reported, but the mailbox itself works.
        changes = {
            "failures": 0,
            "last_error": result.error,
            "last_success_at": now,
            "next_poll_at": now + timedelta(minutes=mailbox.poll_minutes),
        }
    try:
        updated = Mailbox.objects.filter(pk=mailbox.pk, poll_lease_until=lease.until).update(
            poll_lease_until=None, **changes
        )
    except (OperationalError, InterfaceError):
        # The database is down: the lease runs out by itself and the next poll starts over.
        logger.exception("%s: could not record the poll's outcome", mailbox.address)
        return
    if updated:
        for name, value in changes.items():
            setattr(mailbox, name, value)
        mailbox.poll_lease_until = None
