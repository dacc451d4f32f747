"""Every real message in ../shared/eval/mail through the whole ingestion, into the database."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from supportal.mail.models import InboundEmail
from supportal.mail.tests.factories import ingest, make_mailbox
from supportal.test import Personas
from supportal.tickets.models import Ticket

pytestmark = pytest.mark.django_db
EVAL = Path(__file__).resolve().parents[3].parent / "shared" / "eval" / "mail"
Fate = InboundEmail.Fate


def eval_files() -> list[Path]:
    manifest = (EVAL / "MANIFEST.tsv").read_text().splitlines()[1:]
    return [EVAL / line.split("\t")[0] for line in manifest if line.strip()]


NOISE = [
    "flanker/bounce_broken-mime.eml",
    "flanker/bounce_delayed-broken.eml",
    "flanker/bounce_delayed.eml",
    "flanker/bounce_gmail-invalid-address.eml",
    "flanker/bounce_gmail-no-dns.eml",
    "flanker/bounce_mailbox-full.eml",
    "flanker/bounce_no-mx.eml",
    "flanker/bounce_office365.eml",
    "flanker/bounce_zed.eml",
    "flanker/complaints_aol.eml",
    "flanker/complaints_yahoo.eml",
    "flanker/disposition-notification.eml",
]


class EvalIngestTests:
    def test_every_real_message_is_stored_and_none_fails(
        self, personas: Personas, settings: object
    ) -> None:
        settings.MAIL_SENDER_HOURLY_LIMIT = 10_000  # type: ignore[attr-defined]
        mailbox = make_mailbox()
        files = [path for path in eval_files() if path.suffix == ".eml"]
        assert len(files) > 150
        fates: Counter[str] = Counter()
        for path in files:
            row = ingest(path.read_bytes(), mailbox)
            if row.duplicate:  # a test suite's copy of another file, with its Message-ID
                fates["duplicate"] += 1
                continue
            assert row.fate != Fate.FAILED, (path, row.detail)
            fates[row.fate] += 1
        assert sum(fates.values()) == len(files)
        assert InboundEmail.objects.count() == len(files) - fates["duplicate"]
        assert fates[Fate.CREATED] + fates[Fate.APPENDED] >= 100

    def test_bounces_and_auto_replies_make_no_request(self, personas: Personas) -> None:
        mailbox = make_mailbox()
        for name in NOISE:
            row = ingest((EVAL / name).read_bytes(), mailbox)
            assert row.fate == Fate.IGNORED, name
            assert row.ticket_id is None
        assert Ticket.objects.count() == 0

    def test_japanese_and_korean_mail_comes_out_readable(self, personas: Personas) -> None:
        mailbox = make_mailbox()
        texts = []
        for path in eval_files():
            raw = path.read_bytes() if path.suffix == ".eml" else b""
            lowered = raw.lower()
            if any(cs in lowered for cs in (b"iso-2022-jp", b"shift_jis", b"euc-kr", b"ks_c_5601")):
                row = ingest(raw, mailbox)
                if row.ticket_id:
                    ticket = Ticket.objects.get(pk=row.ticket_id)
                    texts.append(ticket.subject + " " + ticket.messages.first().body)
        joined = " ".join(texts)
        assert texts
        assert "\ufffd" not in joined
        assert any("\u3040" <= ch <= "\u30ff" for ch in joined)  # kana
        assert any("\uac00" <= ch <= "\ud7a3" for ch in joined)  # hangul
