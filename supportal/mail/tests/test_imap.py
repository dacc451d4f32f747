"""IMAP polling against a real Dovecot (tests/dovecot.py): TLS, errors an admin can act on,
back-off, exactly-once delivery through crashes, and a large backlog."""

from __future__ import annotations

import io
import logging
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.utils import timezone

from supportal.lib.net import free_port
from supportal.mail import imap, services
from supportal.mail.imap import PollResult, imap_test, mailbox_poll
from supportal.mail.models import InboundEmail, Mailbox
from supportal.mail.tasks import poll_mailboxes
from supportal.mail.tests.dovecot import Account, Dovecot, make_message
from supportal.test import ROOT, ScratchDatabase
from supportal.tickets.models import Ticket

Fate = InboundEmail.Fate


@pytest.fixture(autouse=True)
def _imap_settings(settings: Any, dovecot: Account, tmp_path: Path) -> None:
    settings.MAIL_IMAP_CA_FILE = str(dovecot.ca_file)
    settings.MAIL_IMAP_TIMEOUT = 5
    settings.MEDIA_ROOT = str(tmp_path / "media")


def make_imap_mailbox(
    account: Account, address: str = "support@example.com", **fields: Any
) -> Mailbox:
    mailbox = Mailbox(
        address=address,
        delivery=Mailbox.Delivery.IMAP,
        imap_host=account.host,
        imap_port=account.imaps_port,
        imap_security=Mailbox.Security.TLS,
        imap_user=account.user,
    )
    mailbox.imap_password = fields.pop("password", account.password)
    for name, value in fields.items():
        setattr(mailbox, name, value)
    mailbox.save()
    return mailbox


def poll(mailbox: Mailbox) -> PollResult:
    result = mailbox_poll(mailbox)
    mailbox.refresh_from_db()
    return result


@pytest.mark.django_db(transaction=True)
class PollTests:
    def test_it_turns_new_messages_into_requests_and_marks_them_read_after_storing(
        self, dovecot: Account, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        uids = dovecot.append_many(make_message(n) for n in (1, 2, 3))
        mailbox = make_imap_mailbox(dovecot)
        real_ingest = services.mail_ingest
        unread_while_storing = []

        def ingest(**kwargs: Any) -> InboundEmail:
            unread_while_storing.append("\\Seen" not in dovecot.flags(kwargs["imap_uid"]))
            return real_ingest(**kwargs)

        monkeypatch.setattr(services, "mail_ingest", ingest)
        result = poll(mailbox)

        assert (result.fetched, result.stored, result.skipped, result.error) == (3, 3, 0, "")
        assert unread_while_storing == [True, True, True]
        assert dovecot.seen_uids() == set(uids)
        rows = list(InboundEmail.objects.order_by("imap_uid"))
        assert [row.imap_uid for row in rows] == uids
        assert {row.fate for row in rows} == {Fate.CREATED}
        assert {row.source for row in rows} == {InboundEmail.Source.IMAP}
        assert {row.imap_uidvalidity for row in rows} == {dovecot.uidvalidity()}
        assert sorted(Ticket.objects.values_list("subject", flat=True)) == [
            "Question 1",
            "Question 2",
            "Question 3",
        ]
        assert [row.ticket.subject for row in rows] == ["Question 1", "Question 2", "Question 3"]
        assert mailbox.imap_last_uid == uids[-1]
        assert mailbox.imap_uidvalidity == dovecot.uidvalidity()
        assert mailbox.poll_lease_until is None

    def test_it_finds_nothing_new_the_second_time(self, dovecot: Account) -> None:
        dovecot.append(make_message(1))
        mailbox = make_imap_mailbox(dovecot)
        poll(mailbox)
        result = poll(mailbox)
        assert (result.fetched, result.stored, result.skipped) == (0, 0, 0)
        assert InboundEmail.objects.count() == 1
        dovecot.append(make_message(2))
        assert poll(mailbox).stored == 1
        assert Ticket.objects.count() == 2

    def test_it_takes_mail_someone_already_read_but_not_deleted_mail(
        self, dovecot: Account
    ) -> None:
        read = dovecot.append(make_message(1, subject="Read in a mail client"), flags="\\Seen")
        dovecot.append(make_message(2, subject="Deleted"), flags="\\Deleted")
        result = poll(make_imap_mailbox(dovecot))
        assert result.stored == 1
        assert list(InboundEmail.objects.values_list("imap_uid", "subject")) == [
            (read, "Read in a mail client")
        ]

    def test_it_survives_a_uidvalidity_change_without_duplicates(
        self, dovecot: Account, caplog: pytest.LogCaptureFixture
    ) -> None:
        dovecot.create_folder("Support")
        first, second = make_message(1), make_message(2)
        dovecot.append_many([first, second], folder="Support")
        mailbox = make_imap_mailbox(dovecot, imap_folder="Support")
        assert poll(mailbox).stored == 2
        old_validity = mailbox.imap_uidvalidity
        # The folder is rebuilt (a server migration, a restore): the same mail, new numbers.
        dovecot.delete_folder("Support")
        dovecot.create_folder("Support")
        dovecot.append_many([first, second, make_message(3)], folder="Support")
        assert dovecot.uidvalidity("Support") != old_validity

        with caplog.at_level(logging.WARNING, logger="supportal.mail.imap"):
            result = poll(mailbox)

        assert [r.getMessage() for r in caplog.records if r.name == "supportal.mail.imap"] == [
            f"support@example.com: UIDVALIDITY changed from {old_validity} to "
            f"{dovecot.uidvalidity('Support')}; rescanning the folder"
        ]

        assert (result.stored, result.skipped) == (1, 2)
        assert mailbox.imap_uidvalidity == dovecot.uidvalidity("Support")
        assert mailbox.imap_last_uid == 3
        assert InboundEmail.objects.count() == 3
        assert Ticket.objects.count() == 3
        assert dovecot.seen_uids("Support") == {1, 2, 3}

    def test_it_makes_no_second_request_for_a_message_that_comes_again(
        self, dovecot: Account
    ) -> None:
        raw = make_message(1)
        dovecot.append(raw)
        mailbox = make_imap_mailbox(dovecot)
        poll(mailbox)
        again = dovecot.append(raw)
        result = poll(mailbox)
        assert (result.fetched, result.stored, result.skipped) == (1, 0, 1)
        assert InboundEmail.objects.count() == 1
        assert Ticket.objects.count() == 1
        assert again in dovecot.seen_uids()
        assert mailbox.imap_last_uid == again

    def test_it_takes_a_batch_at_a_time(self, dovecot: Account, settings: Any) -> None:
        settings.MAIL_IMAP_BATCH = 5
        dovecot.deliver(make_message(n) for n in range(12))
        mailbox = make_imap_mailbox(dovecot)
        assert [poll(mailbox).stored for _ in range(4)] == [5, 5, 2, 0]
        assert mailbox.imap_last_uid == 12
        assert len(dovecot.seen_uids()) == 12

    def test_it_stores_only_the_header_of_a_message_over_the_size_limit(
        self, dovecot: Account, settings: Any
    ) -> None:
        settings.MAIL_MAX_MB = 1
        huge = make_message(1, subject="Huge", body="x" * 76 + ("\r\n" + "x" * 76) * 20_000)
        uid = dovecot.append(huge)
        mailbox = make_imap_mailbox(dovecot)
        result = poll(mailbox)
        assert result.stored == 1
        row = InboundEmail.objects.get()
        assert (row.fate, row.reason, row.subject) == (Fate.REJECTED, "too_large", "Huge")
        with row.raw.open("rb") as stored:
            raw = stored.read()
        assert raw.startswith(f"X-Supportal-Truncated: {len(huge)}\r\n".encode())
        assert b"Subject: Huge\r\n" in raw
        assert b"xxxx" not in raw
        assert uid in dovecot.seen_uids()

    def test_it_goes_on_after_a_message_it_cannot_store_and_tries_it_again(
        self, dovecot: Account, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        uids = dovecot.append_many(make_message(n) for n in (1, 2, 3))
        mailbox = make_imap_mailbox(dovecot)
        real_ingest = services.mail_ingest

        def ingest(**kwargs: Any) -> InboundEmail:
            if kwargs["imap_uid"] == uids[1]:
                raise ValueError("a bug in parsing")
            return real_ingest(**kwargs)

        monkeypatch.setattr(services, "mail_ingest", ingest)
        with caplog.at_level(logging.ERROR, logger="supportal.mail.imap"):
            result = poll(mailbox)
        assert [r.getMessage() for r in caplog.records] == [
            f"support@example.com: storing UID {uids[1]} failed"
        ]
        assert (result.stored, result.failed) == (2, 1)
        assert f"(UID {uids[1]}) could not be stored" in result.error
        assert "a bug in parsing" in mailbox.last_error
        assert mailbox.failures == 0
        # The mark stays below the hole, and the message stays unread for the next poll.
        assert mailbox.imap_last_uid == uids[0]
        assert dovecot.seen_uids() == {uids[0], uids[2]}

        monkeypatch.setattr(services, "mail_ingest", real_ingest)
        result = poll(mailbox)
        assert (result.fetched, result.stored, result.skipped) == (1, 1, 1)
        assert mailbox.imap_last_uid == uids[2]
        assert mailbox.last_error == ""
        assert dovecot.seen_uids() == set(uids)
        assert Ticket.objects.count() == 3

    def test_it_stops_when_the_database_is_down_and_marks_nothing_read(
        self, dovecot: Account, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        dovecot.append_many(make_message(n) for n in (1, 2))
        mailbox = make_imap_mailbox(dovecot)

        def ingest(**kwargs: Any) -> InboundEmail:
            raise OperationalError("could not connect to server")

        monkeypatch.setattr(services, "mail_ingest", ingest)
        with caplog.at_level(logging.WARNING, logger="supportal.mail.imap"):
            result = poll(mailbox)
        assert len(caplog.records) == 1
        assert result.fetched == 1
        assert "could not connect to server" in result.error
        assert mailbox.failures == 1
        assert mailbox.imap_last_uid == 0
        assert dovecot.seen_uids() == set()

    def test_it_leaves_a_mailbox_alone_while_another_worker_holds_it(
        self, dovecot: Account
    ) -> None:
        dovecot.append(make_message(1))
        held_until = timezone.now() + timedelta(minutes=5)
        mailbox = make_imap_mailbox(dovecot, poll_lease_until=held_until)
        result = poll(mailbox)
        assert result.busy
        assert "Another worker" in result.error
        assert InboundEmail.objects.count() == 0
        assert mailbox.poll_lease_until == held_until
        # A lease its worker left behind (it was killed) runs out.
        Mailbox.objects.update(poll_lease_until=timezone.now() - timedelta(seconds=1))
        assert poll(mailbox).stored == 1
        assert mailbox.poll_lease_until is None

    def test_it_renews_its_lease_during_a_long_poll(
        self, dovecot: Account, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        dovecot.append_many(make_message(n) for n in (1, 2, 3))
        mailbox = make_imap_mailbox(dovecot)
        monkeypatch.setattr(imap, "CHUNK", 1)
        monkeypatch.setattr(imap, "LEASE_RENEW", imap.LEASE * 2)  # always due for renewal
        real_ingest = services.mail_ingest
        leases = []

        def ingest(**kwargs: Any) -> InboundEmail:
            leases.append(Mailbox.objects.get(pk=mailbox.pk).poll_lease_until)
            return real_ingest(**kwargs)

        monkeypatch.setattr(services, "mail_ingest", ingest)
        assert poll(mailbox).stored == 3
        assert len(set(leases)) == 3
        assert mailbox.poll_lease_until is None

    def test_it_stops_when_another_worker_has_taken_over(
        self, dovecot: Account, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        uids = dovecot.append_many(make_message(n) for n in (1, 2, 3))
        mailbox = make_imap_mailbox(dovecot)
        monkeypatch.setattr(imap, "CHUNK", 1)
        real_ingest = services.mail_ingest
        theirs = timezone.now() + timedelta(minutes=30)

        def ingest(**kwargs: Any) -> InboundEmail:
            # Our lease ran out (we stalled) and another worker claimed the mailbox.
            Mailbox.objects.filter(pk=mailbox.pk).update(poll_lease_until=theirs)
            return real_ingest(**kwargs)

        monkeypatch.setattr(services, "mail_ingest", ingest)
        with caplog.at_level(logging.WARNING, logger="supportal.mail.imap"):
            result = poll(mailbox)
        assert len(caplog.records) == 1
        assert result.error == "Another worker took over checking this mailbox."
        assert result.stored == 1
        # The other worker's lease and the mark stay as they are; it carries on from there.
        assert (mailbox.poll_lease_until, mailbox.imap_last_uid) == (theirs, 0)
        assert mailbox.failures == 0
        assert dovecot.seen_uids() == {uids[0]}


@pytest.mark.django_db
class ConnectionTests:
    def test_it_connects_with_implicit_tls(self, dovecot: Account) -> None:
        assert imap_test(make_imap_mailbox(dovecot)) == ""

    def test_it_connects_with_starttls_and_polls(self, dovecot: Account) -> None:
        dovecot.append(make_message(1))
        mailbox = make_imap_mailbox(
            dovecot, imap_port=dovecot.imap_port, imap_security=Mailbox.Security.STARTTLS
        )
        assert imap_test(mailbox) == ""
        assert poll(mailbox).stored == 1

    def test_it_names_a_wrong_password(self, dovecot: Account) -> None:
        message = imap_test(make_imap_mailbox(dovecot, password="not-the-password"))
        assert message.startswith(
            f"127.0.0.1 refused the user name or password for {dovecot.user}. Check both;"
        )
        assert "Authentication failed" in message

    def test_it_names_a_wrong_password_in_the_admins_language(self, dovecot: Account) -> None:
        from django.utils import translation

        with translation.override("ko"):
            message = imap_test(make_imap_mailbox(dovecot, password="not-the-password"))
        assert message.startswith(
            f"127.0.0.1 서버가 {dovecot.user} 계정의 사용자 이름 또는 비밀번호를 거부했습니다."
        )

    def test_it_names_an_untrusted_certificate(self, dovecot: Account, settings: Any) -> None:
        settings.MAIL_IMAP_CA_FILE = ""  # the system's CAs do not know our test CA
        message = imap_test(make_imap_mailbox(dovecot))
        assert message.startswith("The certificate of 127.0.0.1 is not trusted")
        assert "set MAIL_IMAP_CA_FILE" in message

    def test_it_names_a_certificate_for_another_host(
        self, dovecot: Account, dovecot_server: Dovecot
    ) -> None:
        message = imap_test(make_imap_mailbox(dovecot, imap_host=dovecot_server.mismatch_host))
        assert message.startswith("The certificate of 127.0.0.2 is for a different name")

    def test_it_names_a_refused_connection(self, dovecot: Account) -> None:
        port = free_port()
        message = imap_test(make_imap_mailbox(dovecot, imap_port=port))
        assert message.startswith(f"127.0.0.1 refused the connection on port {port}.")

    def test_it_names_a_host_that_does_not_exist(self, dovecot: Account) -> None:
        message = imap_test(make_imap_mailbox(dovecot, imap_host="no-such-host.invalid"))
        assert message == (
            "The server name “no-such-host.invalid” was not found. Check the spelling of the "
            "IMAP server."
        )

    def test_it_names_a_server_that_does_not_answer(self, dovecot: Account, settings: Any) -> None:
        settings.MAIL_IMAP_TIMEOUT = 1
        with socket.socket() as silent:
            # Connections complete in the kernel's backlog, but nobody ever greets them.
            silent.bind(("127.0.0.1", 0))
            silent.listen(1)
            port = silent.getsockname()[1]
            message = imap_test(make_imap_mailbox(dovecot, imap_port=port))
        assert message.startswith(f"127.0.0.1 did not answer on port {port} within 1 seconds.")

    def test_it_names_a_missing_folder(self, dovecot: Account) -> None:
        message = imap_test(make_imap_mailbox(dovecot, imap_folder="Support"))
        assert message.startswith(
            f"The folder “Support” does not exist for {dovecot.user} on 127.0.0.1."
        )

    def test_it_names_a_server_without_starttls(
        self, dovecot: Account, dovecot_server: Dovecot
    ) -> None:
        mailbox = make_imap_mailbox(
            dovecot,
            imap_host=dovecot_server.plain_host,
            imap_port=dovecot.imap_port,
            imap_security=Mailbox.Security.STARTTLS,
        )
        message = imap_test(mailbox)
        assert message.startswith(
            f"127.0.0.3 does not offer STARTTLS on port {dovecot.imap_port}, and we never send"
        )

    def test_it_asks_for_a_server_name(self, dovecot: Account) -> None:
        message = imap_test(make_imap_mailbox(dovecot, imap_host=""))
        assert message == "No IMAP server is set for this address. Enter the server's name."

    def test_it_names_tls_on_a_port_that_does_not_speak_it(self, dovecot: Account) -> None:
        message = imap_test(make_imap_mailbox(dovecot, imap_port=dovecot.imap_port))
        assert message.startswith(
            f"The encrypted connection to 127.0.0.1 on port {dovecot.imap_port} failed"
        )
        assert "TLS is usually port 993, STARTTLS port 143" in message


@pytest.mark.django_db
class BackoffTests:
    def _assert_next_poll_in(self, mailbox: Mailbox, minutes: int) -> None:
        assert mailbox.last_polled_at is not None
        delay = mailbox.next_poll_at - mailbox.last_polled_at
        assert timedelta(minutes=minutes) <= delay < timedelta(minutes=minutes, seconds=10)

    def test_it_backs_off_while_failing_and_resets_on_success(
        self, dovecot: Account, caplog: pytest.LogCaptureFixture
    ) -> None:
        mailbox = make_imap_mailbox(dovecot, password="wrong")
        with caplog.at_level(logging.WARNING, logger="supportal.mail.imap"):
            for failures, minutes in ((1, 1), (2, 2), (3, 4)):
                result = poll(mailbox)
                assert "refused the user name or password" in result.error
                assert mailbox.failures == failures
                assert mailbox.last_error == result.error
                assert mailbox.poll_lease_until is None
                self._assert_next_poll_in(mailbox, minutes)
        assert len(caplog.records) == 3

        mailbox.imap_password = dovecot.password
        mailbox.save()
        assert poll(mailbox).error == ""
        assert (mailbox.failures, mailbox.last_error) == (0, "")
        assert mailbox.last_success_at == mailbox.next_poll_at - timedelta(minutes=1)
        self._assert_next_poll_in(mailbox, 1)

    def test_it_waits_at_most_an_hour_and_never_less_than_the_interval(
        self, dovecot: Account, caplog: pytest.LogCaptureFixture
    ) -> None:
        mailbox = make_imap_mailbox(dovecot, imap_port=free_port(), failures=12)
        with caplog.at_level(logging.WARNING, logger="supportal.mail.imap"):
            poll(mailbox)
            self._assert_next_poll_in(mailbox, 60)
            Mailbox.objects.filter(pk=mailbox.pk).update(failures=0, poll_minutes=15)
            mailbox.refresh_from_db()
            poll(mailbox)
            self._assert_next_poll_in(mailbox, 15)
        assert mailbox.failures == 1


@pytest.mark.django_db(transaction=True)
class PollTaskTests:
    def test_it_polls_the_due_active_imap_mailboxes_and_contains_failures(
        self, dovecot: Account, dovecot_server: Dovecot, caplog: pytest.LogCaptureFixture
    ) -> None:
        def account() -> Account:
            user, password = dovecot_server.add_user()
            other = Account(server=dovecot_server, user=user, password=password)
            other.append(make_message(secrets.randbelow(10**6)))
            return other

        due = make_imap_mailbox(dovecot, "due@example.com")
        dovecot.append(make_message(1))
        broken = make_imap_mailbox(account(), "broken@example.com", imap_port=free_port())
        later = make_imap_mailbox(
            account(), "later@example.com", next_poll_at=timezone.now() + timedelta(minutes=1)
        )
        inactive = make_imap_mailbox(account(), "inactive@example.com", active=False)
        with caplog.at_level(logging.WARNING, logger="supportal.mail.imap"):
            poll_mailboxes.call_local()
        assert [r.getMessage().split(":")[0] for r in caplog.records] == [
            "polling broken@example.com failed"
        ]
        assert list(InboundEmail.objects.values_list("mailbox__address", flat=True)) == [
            "due@example.com"
        ]
        for mailbox in (due, broken, later, inactive):
            mailbox.refresh_from_db()
        assert due.last_success_at is not None
        assert broken.failures == 1
        assert later.last_polled_at is None
        assert inactive.last_polled_at is None

    def test_it_goes_on_when_polling_one_mailbox_raises(
        self, dovecot: Account, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        make_imap_mailbox(dovecot, "a@example.com")
        make_imap_mailbox(dovecot, "b@example.com")
        polled = []

        def poll_one(mailbox: Mailbox) -> PollResult:
            polled.append(mailbox.address)
            if mailbox.address == "a@example.com":
                raise RuntimeError("surprise")
            return PollResult()

        monkeypatch.setattr("supportal.mail.tasks.mailbox_poll", poll_one)
        with caplog.at_level(logging.ERROR, logger="supportal.mail.tasks"):
            poll_mailboxes.call_local()
        assert polled == ["a@example.com", "b@example.com"]
        assert [r.getMessage() for r in caplog.records] == ["polling a@example.com failed"]


@pytest.mark.django_db(transaction=True)
class PollMailCommandTests:
    def test_it_polls_every_mailbox_once_and_says_what_it_found(
        self, dovecot: Account, caplog: pytest.LogCaptureFixture
    ) -> None:
        dovecot.append_many(make_message(n) for n in range(3))
        make_imap_mailbox(dovecot, next_poll_at=timezone.now() + timedelta(hours=1))
        make_imap_mailbox(dovecot, "broken@example.com", imap_port=free_port())
        out, err = io.StringIO(), io.StringIO()
        with caplog.at_level(logging.WARNING, logger="supportal.mail.imap"):
            call_command("poll_mail", stdout=out, stderr=err)
        lines = out.getvalue().splitlines()
        assert lines[0].startswith("broken@example.com: 127.0.0.1 refused the connection")
        assert lines[1:] == ["support@example.com: 3 new, 0 skipped"]
        assert err.getvalue() == ""  # no progress bar for a few messages

        out = io.StringIO()
        call_command("poll_mail", "--mailbox", "SUPPORT@example.com", stdout=out)
        assert out.getvalue() == "support@example.com: 0 new, 0 skipped\n"

    def test_it_shows_progress_for_many_messages(self, dovecot: Account) -> None:
        dovecot.deliver(make_message(n) for n in range(60))
        make_imap_mailbox(dovecot)
        out, err = io.StringIO(), io.StringIO()
        call_command("poll_mail", stdout=out, stderr=err)
        assert out.getvalue() == "support@example.com: 60 new, 0 skipped\n"
        assert "60/60" in err.getvalue()

    def test_it_refuses_an_unknown_address(self, dovecot: Account) -> None:
        with pytest.raises(CommandError, match=r"No IMAP mailbox has the address x@example\.com"):
            call_command("poll_mail", "--mailbox", "x@example.com")


# --- A worker killed mid-poll, in a real process --------------------------------------------

# `supportal poll_mail`, with each stored message held for a moment before the poll goes on,
# and small chunks: kills land while storing, between storing and marking read, and between
# marking read and saving the mark. Nothing else changes.
SLOW_POLL = textwrap.dedent(
    """
    import os, time
    import django
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportal.settings")
    django.setup()
    from django.core.management import execute_from_command_line
    from supportal.mail import imap, services
    real_ingest = services.mail_ingest
    def slow_ingest(**kwargs):
        row = real_ingest(**kwargs)
        time.sleep(0.08)
        return row
    services.mail_ingest = slow_ingest
    # Small chunks: more points where messages are marked read and the mark is saved.
    from supportal.mail import imap
    imap.CHUNK = 3
    execute_from_command_line(["supportal", "poll_mail"])
    """
)


class CrashSafetyTests:
    def test_it_delivers_every_message_exactly_once_through_kills(
        self, dovecot: Account, scratch_database: ScratchDatabase, tmp_path: Path
    ) -> None:
        total = 30
        dovecot.append_many(make_message(n) for n in range(total))
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
        }
        env.update(
            VAR_DIR=str(tmp_path / "var"),
            DATABASE_URL=scratch_database.url,
            MAIL_IMAP_CA_FILE=str(dovecot.ca_file),
            TEST_IMAP_PASSWORD=dovecot.password,
        )

        def supportal(*args: str) -> str:
            done = subprocess.run(
                [sys.executable, "-m", "supportal.cli", *args],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert done.returncode == 0, done.stdout + done.stderr
            return done.stdout

        supportal("migrate", "--no-input", "-v0")
        supportal(
            "shell",
            "-c",
            "import os; from supportal.mail.models import Mailbox; "
            "m = Mailbox(address='support@example.com', delivery='imap', "
            f"imap_host='{dovecot.host}', imap_port={dovecot.imaps_port}, "
            f"imap_user='{dovecot.user}'); "
            "m.imap_password = os.environ['TEST_IMAP_PASSWORD']; m.save()",
        )
        stored = "SELECT COUNT(*) FROM mail_inboundemail"

        killed_at = []
        for kill_from in (5, 15):
            log = tmp_path / f"worker-{kill_from}.log"
            with log.open("wb") as output:
                worker = subprocess.Popen(
                    [sys.executable, "-c", SLOW_POLL],
                    env=env,
                    cwd=ROOT,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
            try:
                deadline = time.monotonic() + 60
                while scratch_database.value(stored) < kill_from:
                    assert worker.poll() is None, f"the poll ended first:\n{log.read_text()}"
                    assert time.monotonic() < deadline
                    time.sleep(0.01)
                worker.send_signal(signal.SIGKILL)
            finally:
                worker.wait(timeout=30)
            killed_at.append(scratch_database.value(stored))
            # The killed worker's lease would run out after imap.LEASE; end it now.
            scratch_database.execute("UPDATE mail_mailbox SET poll_lease_until = NULL")

        assert killed_at[0] < total and killed_at[1] < total
        output = supportal("poll_mail")
        assert output.startswith("support@example.com: ")

        assert scratch_database.value(stored) == total
        unprocessed = scratch_database.value(
            "SELECT COUNT(*) FROM mail_inboundemail WHERE fate = 'received'"
        )
        assert unprocessed == 0, (
            f"{unprocessed} stored but never processed: killed between mail_ingest's two "
            "transactions, and the next poll took them for done"
        )
        assert (
            scratch_database.value("SELECT COUNT(DISTINCT message_id) FROM mail_inboundemail")
            == total
        )
        assert (
            scratch_database.value(
                "SELECT COUNT(DISTINCT imap_uid) FROM mail_inboundemail WHERE fate = 'created'"
            )
            == total
        )
        assert scratch_database.value("SELECT COUNT(*) FROM tickets_ticket") == total
        assert scratch_database.value("SELECT imap_last_uid FROM mail_mailbox") == total
        assert len(dovecot.seen_uids()) == total


# --- A large backlog ------------------------------------------------------------------------


def peak_rss() -> int:
    """The most memory this process has held since the last reset_peak_rss(), in bytes."""
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) * 1024  # type: ignore[union-attr]


def reset_peak_rss() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # Linux: VmHWM := the current RSS


@pytest.mark.django_db(transaction=True)
class BacklogTests:
    def test_it_drains_a_large_backlog_in_batches_with_bounded_memory(
        self, dovecot: Account, settings: Any
    ) -> None:
        total, batch = 2000, 200
        settings.MAIL_IMAP_BATCH = batch
        # About 20 KB each, 40 MB in all: holding them would show in the peak below. Out-of-office
        # replies: stored and logged but ignored, so the time goes to fetching rather than to
        # making 2,000 requests (measured here: 30 new requests a second, 140 ignored messages).
        filler = ("All work and no play makes Jack a dull boy. " * 2 + "\r\n") * 230
        auto_reply = {"Auto-Submitted": "auto-replied"}
        dovecot.deliver(make_message(n, body=filler, headers=auto_reply) for n in range(total))
        mailbox = make_imap_mailbox(dovecot)

        started = time.monotonic()
        polls = [poll(mailbox).stored]  # the first batch also loads code and fills caches
        reset_peak_rss()
        baseline = peak_rss()
        while True:
            result = poll(mailbox)
            assert result.error == ""
            if not result.fetched:
                break
            polls.append(result.stored)
        growth = peak_rss() - baseline
        elapsed = time.monotonic() - started

        assert polls == [batch] * (total // batch)
        assert InboundEmail.objects.filter(fate=Fate.IGNORED).count() == total
        assert mailbox.imap_last_uid == total
        assert len(dovecot.seen_uids()) == total
        # The last 1,800 messages are 36 MB: memory may not grow by anything like that.
        assert growth < 16 * 1024 * 1024, f"peak memory grew by {growth / 1e6:.1f} MB"
        logging.getLogger(__name__).info(
            "backlog: %s messages in %.1f s (%.0f/s), peak memory growth %.1f MB",
            total,
            elapsed,
            total / elapsed,
            growth / 1e6,
        )
