"""Hostile mail through the whole ingestion: bounded time, something stored, nothing stuck."""

from __future__ import annotations

import io
import time
import zipfile
from typing import Any

import pytest

from supportal.mail.models import InboundEmail
from supportal.mail.tests.factories import email, ingest, make_mailbox
from supportal.test import Personas
from supportal.tickets.models import Ticket

pytestmark = pytest.mark.django_db
Fate = InboundEmail.Fate
HEAD = b"From: casey@acme.test\r\nTo: help@support.test\r\nSubject: hostile\r\n"


def many_parts(count: int) -> bytes:
    parts = b"".join(
        b"--b\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % n for n in range(count)
    )
    return HEAD + b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n' + parts + b"--b--\r\n"


def deep_nesting(depth: int) -> bytes:
    head = b"".join(
        b'Content-Type: multipart/mixed; boundary="n%d"\r\n\r\n--n%d\r\n' % (n, n)
        for n in range(depth)
    )
    tail = b"".join(b"\r\n--n%d--\r\n" % n for n in reversed(range(depth)))
    return HEAD + head + b"Content-Type: text/plain\r\n\r\ndeep down" + tail


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", b"\0" * (200 * 1024 * 1024))  # 200 MB in about 200 KB
    return email(attachments=[("bomb.zip", "application/zip", buffer.getvalue())])


HOSTILE: dict[str, Any] = {
    "1,000 parts": lambda: many_parts(1000),
    "nesting 100 deep": lambda: deep_nesting(100),
    "endless encoded words": lambda: (
        HEAD.replace(b"Subject: hostile", b"Subject: " + b"=?utf-8?q?a?= " * 100_000)
        + b"\r\nbody\r\n"
    ),
    "NUL bytes": lambda: HEAD + b"\r\nhello\0world\0" + b"\0" * 10_000 + b"\r\n",
    "broken boundary": lambda: (
        HEAD + b'Content-Type: multipart/mixed; boundary="never"\r\n\r\n--nope\r\nhello\r\n'
    ),
    "zip bomb attachment": zip_bomb,
}


class HostileMailTests:
    @pytest.mark.parametrize("name", list(HOSTILE))
    def test_it_is_handled_in_bounded_time_and_the_next_message_goes_on(
        self, personas: Personas, name: str
    ) -> None:
        mailbox = make_mailbox()
        raw = HOSTILE[name]()
        started = time.monotonic()
        row = ingest(raw, mailbox)
        assert time.monotonic() - started < 20, name
        assert row.fate in (Fate.CREATED, Fate.REJECTED), (name, row.fate, row.detail)
        assert row.raw.size > 0
        following = ingest(email(subject="An ordinary question"), mailbox)
        assert following.fate == Fate.CREATED
        assert Ticket.objects.filter(subject="An ordinary question").exists()

    def test_a_zip_bomb_is_kept_as_it_came_never_unpacked(self, personas: Personas) -> None:
        raw = zip_bomb()
        row = ingest(raw, make_mailbox())
        attachment = Ticket.objects.get(pk=row.ticket_id).attachments.get()
        assert attachment.filename == "bomb.zip"
        assert attachment.size < 1024 * 1024
