from __future__ import annotations

import base64
import dataclasses
import io
import random
import time
import zipfile
from datetime import UTC, datetime, timedelta, timezone

import pytest

from supportal.lib import mime
from supportal.lib.mime import (
    MAX_DEPTH,
    MAX_PARTS,
    MAX_TEXT_CHARS,
    Address,
    ParsedMail,
    decode_text,
    decode_words,
    parse_message,
)
from supportal.lib.tests import mailsamples as samples

HEAD = b"From: Kim <kim@example.com>\r\nTo: support@example.com\r\nSubject: Hi\r\n"
# Hostile inputs must parse in "well under 5 s" on a slow 2-core machine; the bound here is
# loose on purpose: the point is that the time is bounded, not quadratic.
BOUND = 10.0


def _timed(raw: bytes) -> tuple[ParsedMail, float]:
    started = time.perf_counter()
    parsed = parse_message(raw)
    return parsed, time.perf_counter() - started


def _multipart(parts: list[bytes], subtype: str = "mixed", boundary: bytes = b"b") -> bytes:
    body = b"".join(b"--" + boundary + b"\r\n" + part + b"\r\n" for part in parts)
    return (
        HEAD
        + b"Content-Type: multipart/"
        + subtype.encode()
        + b"; boundary="
        + boundary
        + b"\r\n\r\n"
        + body
        + b"--"
        + boundary
        + b"--\r\n"
    )


class InterfaceTests:
    def test_it_has_the_fields_of_the_contract(self) -> None:
        names = [f.name for f in dataclasses.fields(ParsedMail)]
        assert names == [
            "message_id", "in_reply_to", "references", "subject", "sender", "reply_to", "to",
            "cc", "recipients_hint", "date", "text", "html", "remote_images_removed",
            "attachments", "auto_kind", "bounce", "is_spam", "defects", "size",
        ]  # fmt: skip
        assert [f.name for f in dataclasses.fields(mime.MailAttachment)] == [
            "filename", "content_type", "data", "content_id", "inline",
        ]  # fmt: skip
        assert [f.name for f in dataclasses.fields(mime.Bounce)] == [
            "recipients", "permanent", "diagnostic",
        ]  # fmt: skip

    def test_it_makes_addresses_hashable(self) -> None:
        assert {Address("A", "a@example.com"), Address("A", "a@example.com")} == {
            Address("A", "a@example.com")
        }

    def test_it_records_the_size(self) -> None:
        raw = samples.alternative_message()
        assert parse_message(raw).size == len(raw)


class CharsetTests:
    @pytest.mark.parametrize("key", sorted(samples.CHARSET_TEXTS))
    def test_it_decodes_each_charset_exactly(self, key: str) -> None:
        parsed = parse_message(samples.charset_message(key))
        assert parsed.text == samples.CHARSET_TEXTS[key][2]

    def test_it_reads_a_raw_shift_jis_subject_in_the_body_charset(self) -> None:
        raw = samples.raw_8bit_header_message(
            "配送について".encode("cp932"), "本文です", "cp932", "Shift_JIS"
        )
        parsed = parse_message(raw)
        assert (parsed.subject, parsed.text.strip()) == ("配送について", "本文です")

    def test_it_reads_a_raw_euc_kr_subject(self) -> None:
        raw = samples.raw_8bit_header_message(
            "배송 문의".encode("cp949"), "본문", "cp949", "euc-kr"
        )
        assert parse_message(raw).subject == "배송 문의"

    def test_it_reads_a_raw_utf8_subject(self) -> None:
        raw = samples.raw_8bit_header_message("Grüße, 고객님".encode(), "x", "utf-8", "utf-8")
        assert parse_message(raw).subject == "Grüße, 고객님"

    def test_it_guesses_an_unknown_charset_and_says_so(self) -> None:
        raw = samples._encoded_text("Привет, как дела?".encode(), "x-made-up")
        parsed = parse_message(raw)
        assert parsed.text == "Привет, как дела?"
        assert "unknown charset x-made-up" in parsed.defects

    def test_it_reads_unknown_8bit_and_a_missing_charset(self) -> None:
        assert decode_text("naïve".encode(), "unknown-8bit") == "naïve"
        assert decode_text("naïve".encode(), None) == "naïve"
        defects: list[str] = []
        assert decode_text("Größe".encode("cp1252"), None, defects) == "Größe"
        assert defects  # read as a guessed charset, not as UTF-8

    def test_it_reads_unlabelled_iso_2022_jp(self) -> None:
        assert decode_text("日本語".encode("iso2022_jp"), None) == "日本語"
        assert decode_text("日本語".encode("iso2022_jp"), "us-ascii") == "日本語"

    def test_it_never_uses_a_bytes_transform_as_a_charset(self) -> None:
        data = base64.b64encode(b"hello")
        defects: list[str] = []
        assert decode_text(data, "base64", defects) == data.decode()
        assert decode_text(b"x\x9c\xcbH\xcd\xc9\xc9\x07\x00", "zlib", defects) != "hello"
        assert {"unknown charset base64", "unknown charset zlib"} <= set(defects)

    def test_it_replaces_what_no_charset_reads(self) -> None:
        text = decode_text(b"\xff\xfe\xfa\xfb\x81", "utf-8")
        assert isinstance(text, str) and text

    def test_it_reads_a_meta_charset_when_the_part_has_none(self) -> None:
        html = '<meta charset="windows-1251"><p>Привет</p>'.encode("cp1251")
        raw = HEAD + b"Content-Type: text/html\r\n\r\n" + html
        assert parse_message(raw).text == "Привет"


class EncodedWordTests:
    def test_it_joins_words_split_inside_a_character(self) -> None:
        parsed = parse_message(samples.encoded_words_message())
        assert parsed.subject == samples.ENCODED_SUBJECT

    def test_it_decodes_q_words_in_names(self) -> None:
        parsed = parse_message(samples.encoded_words_message())
        assert parsed.sender == Address(samples.ENCODED_NAME, "jose@example.com")
        assert parsed.to == [Address("山田", "yamada@example.jp")]

    def test_it_keeps_text_around_words_and_drops_space_between_them(self) -> None:
        assert decode_words("Re: =?UTF-8?B?7ZWc?= =?UTF-8?B?6riA?= tail") == "Re: 한글 tail"
        assert decode_words("a =?UTF-8?Q?=C3=A9?= b") == "a é b"

    def test_it_decodes_a_word_with_a_bad_charset_or_padding(self) -> None:
        assert decode_words("=?NONE?B?VEVTVA=?=") == "TEST"
        assert decode_words("=?utf-8?B?###?=") == ""

    def test_it_stops_after_the_word_limit(self) -> None:
        text = " ".join(["=?UTF-8?Q?a?="] * (mime.MAX_HEADER_ENCODED_WORDS + 5))
        decoded = decode_words(text)
        assert decoded.startswith("a" * mime.MAX_HEADER_ENCODED_WORDS)
        assert decoded.endswith("=?UTF-8?Q?a?=")

    def test_it_collapses_whitespace_and_caps_the_subject(self) -> None:
        raw = b"Subject: a\r\n \t b\x00c " + b"x" * 2000 + b"\r\n\r\nbody"
        subject = parse_message(raw).subject
        assert subject.startswith("a b c x")
        assert len(subject) == mime.MAX_SUBJECT_CHARS


class AddressTests:
    def test_it_lower_cases_and_drops_what_is_not_an_address(self) -> None:
        parsed = parse_message(samples.encoded_words_message())
        assert parsed.cc == [Address("A", "a@example.com"), Address("B", "b@example.com")]
        assert parsed.reply_to == [
            Address("Help Desk", "help@example.com"),
            Address("", "other@example.com"),
        ]

    def test_it_collects_the_envelope_recipients(self) -> None:
        parsed = parse_message(samples.encoded_words_message())
        assert parsed.recipients_hint == ["support+tickets@example.com", "support@example.com"]

    def test_it_finds_the_address_in_a_from_that_is_not_rfc_5322(self) -> None:
        parsed = parse_message(b"From: Big Bug bb@bug.com\r\n\r\nhi")
        assert parsed.sender == Address("Big Bug", "bb@bug.com")

    def test_it_has_no_sender_without_a_from(self) -> None:
        assert parse_message(b"Subject: x\r\n\r\nhi").sender is None
        assert parse_message(b"From: nobody\r\n\r\nhi").sender is None

    def test_it_survives_comments_nested_too_deep_for_the_stdlib(self) -> None:
        parsed = parse_message(b"From: a@example.com\r\nTo: " + b"(" * 50_000 + b"\r\n\r\nx")
        assert parsed.sender == Address("", "a@example.com")
        assert parsed.to == []


class IdentifierTests:
    def test_it_normalises_message_ids(self) -> None:
        parsed = parse_message(samples.encoded_words_message())
        assert parsed.message_id == "Mixed.Case-ID@Example.COM"
        assert parsed.in_reply_to == ["parent@example.com"]
        assert parsed.references == ["root@example.com", "parent@example.com"]

    def test_it_takes_an_id_without_brackets_and_ignores_a_blank_one(self) -> None:
        assert parse_message(b"Message-ID: abc@example.com\r\n\r\n").message_id == (
            "abc@example.com"
        )
        assert parse_message(b"Message-ID:   \r\n\r\n").message_id == ""

    def test_it_joins_references_headers_and_drops_broken_ids(self) -> None:
        raw = (
            b"References: <foo@bar.net>\r\nReferences: <baz@bar.net>, <invalid.   \r\n"
            b" something@bar.net>\r\n\r\n"
        )
        assert parse_message(raw).references == ["foo@bar.net", "baz@bar.net"]


class DateTests:
    def test_it_takes_utc_when_the_date_has_no_zone(self) -> None:
        date = parse_message(samples.encoded_words_message()).date
        assert date == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)

    def test_it_keeps_the_offset(self) -> None:
        date = parse_message(b"Date: Mon, 30 Nov 2026 10:00:00 +0900\r\n\r\n").date
        assert date == datetime(2026, 11, 30, 10, 0, tzinfo=timezone(timedelta(hours=9)))
        assert date is not None and date.utcoffset() == timedelta(hours=9)

    @pytest.mark.parametrize(
        "value", [b"", b"yesterday", b"Wed, 15 Dec 2010    59:10 -0500", b"1 " * 5000]
    )
    def test_it_gives_none_for_a_bad_date(self, value: bytes) -> None:
        assert parse_message(b"Date: " + value + b"\r\n\r\n").date is None


class AttachmentTests:
    def test_it_decodes_rfc_2231_and_encoded_word_names(self) -> None:
        names = [a.filename for a in parse_message(samples.rfc2231_message()).attachments]
        assert names == [
            samples.RFC2231_NAME,
            samples.RFC2231_LONG_NAME,
            "attachment.bin",
            "한글.txt",
            "evil.exe",  # no path, no right-to-left override, no NUL
        ]

    def test_it_keeps_the_bytes_and_declared_type(self) -> None:
        first = parse_message(samples.rfc2231_message()).attachments[0]
        assert (first.content_type, first.data) == ("application/pdf", b"%PDF-1.4 sample")

    def test_it_marks_cid_images_inline(self) -> None:
        parsed = parse_message(samples.related_inline_image_message())
        shot, logo = parsed.attachments
        assert (shot.filename, shot.content_id, shot.inline) == (
            "image.png",
            "shot-1@example.com",
            True,
        )
        assert shot.data == samples.PIXEL_PNG
        assert (logo.content_id, logo.inline) == ("logo@example.com", True)
        assert 'src="cid:shot-1@example.com"' in parsed.html

    def test_it_keeps_forwarded_messages_whole_and_names_them(self) -> None:
        raw = samples.forwarded_message()
        parsed = parse_message(raw)
        assert parsed.text == "Forwarding this one."
        named, nameless, tnef = parsed.attachments
        assert (named.filename, named.content_type) == ("Broken_ printer.eml", "message/rfc822")
        assert named.data in raw  # the exact bytes, not a re-generated copy
        assert parse_message(named.data).text == "The original problem report."
        assert nameless.filename == "message.eml"
        assert (tnef.filename, tnef.content_type) == ("winmail.dat", "application/ms-tnef")

    def test_it_makes_a_name_from_the_type(self) -> None:
        raw = _multipart(
            [
                b"Content-Type: text/plain\r\n\r\nbody",
                b"Content-Type: image/png\r\nContent-Disposition: attachment\r\n\r\nx",
                b"Content-Type: application/x-unheard-of\r\n\r\nx",
                b"Content-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\nnotes",
            ]
        )
        parsed = parse_message(raw)
        assert parsed.text == "body"
        assert [a.filename for a in parsed.attachments] == [
            "image.png",
            "attachment.bin",
            "attachment.txt",
        ]

    def test_it_keeps_a_zip_bomb_as_it_came(self) -> None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("huge.txt", b"\0" * 100_000_000)
        bomb = buffer.getvalue()
        part = (
            b"Content-Type: application/zip\r\nContent-Transfer-Encoding: base64\r\n"
            b"Content-Disposition: attachment; filename=bomb.zip\r\n\r\n" + base64.encodebytes(bomb)
        )
        parsed, elapsed = _timed(_multipart([part]))
        assert [(a.filename, a.data) for a in parsed.attachments] == [("bomb.zip", bomb)]
        assert elapsed < 1

    def test_it_does_not_crash_on_uuencoded_parts(self) -> None:
        encoded = b"begin 644 a.txt\r\n" + b"%:&5L;&\\`\r\n" + b"`\r\nend\r\n"
        part = (
            b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: x-uuencode\r\n"
        )
        parsed = parse_message(_multipart([part + b"\r\n" + encoded]))
        assert len(parsed.attachments) == 1


class BodyTests:
    def test_it_makes_text_of_an_html_only_message(self) -> None:
        parsed = parse_message(samples.html_only_message())
        assert parsed.text == (
            "Order update\n\nYour order #1234 has shipped.\n\n- Item one\n- Item two\n\n"
            "Track it (https://example.com/track?id=1&x=2)"
        )
        assert "<script" not in parsed.html and "Newsletter title" not in parsed.html
        assert parsed.remote_images_removed

    def test_it_takes_both_renditions_of_an_alternative(self) -> None:
        parsed = parse_message(samples.alternative_message())
        assert parsed.text == "Plain version of the message."
        assert parsed.html == "<p>HTML <i>version</i> of the message.</p>"
        assert not parsed.remote_images_removed

    def test_it_is_empty_without_an_html_part(self) -> None:
        assert parse_message(samples.charset_message("gbk")).html == ""

    def test_it_removes_nul_bytes_and_normalises_newlines(self) -> None:
        raw = HEAD + b"Content-Type: text/plain\r\n\r\na\x00b\r\nc\rd\n"
        assert parse_message(raw).text == "ab\nc\nd\n"

    def test_it_joins_format_flowed_lines(self) -> None:
        raw = (
            HEAD + b"Content-Type: text/plain; format=flowed\r\n\r\n"
            b"This is one \r\nparagraph.\r\n> quoted \r\n> too\r\n-- \r\nsig\r\n"
        )
        assert parse_message(raw).text == "This is one paragraph.\n> quoted too\n-- \nsig\n"

    def test_it_appends_inline_text_parts_after_the_body(self) -> None:
        raw = _multipart(
            [
                b"Content-Type: text/plain\r\n\r\nbefore the photo",
                b"Content-Type: image/jpeg\r\nContent-Disposition: inline\r\n\r\nx",
                b"Content-Type: text/plain\r\n\r\nafter the photo",
            ]
        )
        assert parse_message(raw).text == "before the photo\n\nafter the photo"

    def test_it_ignores_other_renditions_of_an_alternative(self) -> None:
        raw = _multipart(
            [
                b"Content-Type: text/plain\r\n\r\nplain",
                b"Content-Type: text/enriched\r\n\r\n<bold>rich</bold>",
                b"Content-Type: text/plain\r\n\r\nsecond plain",
                b"Content-Type: text/calendar\r\n\r\nBEGIN:VCALENDAR",
            ],
            "alternative",
        )
        parsed = parse_message(raw)
        assert parsed.text == "plain"
        assert [a.filename for a in parsed.attachments] == ["invite.ics"]

    def test_it_reads_a_boundary_that_another_one_starts_with(self) -> None:
        inner = _multipart([b"Content-Type: text/plain\r\n\r\ninner"], boundary=b"b_1").split(
            b"\r\n", 3
        )[3]
        raw = _multipart([b"Content-Type: multipart/mixed; boundary=b_1\r\n" + inner])
        assert parse_message(raw).text == "inner"

    def test_it_reads_quoted_printable_and_base64(self) -> None:
        utf8 = b"Content-Type: text/plain; charset=utf-8\r\n"
        qp = utf8 + b"Content-Transfer-Encoding: quoted-printable"
        b64 = utf8 + b"Content-Transfer-Encoding: base64"
        parsed = parse_message(
            _multipart([qp + b"\r\n\r\ncaf=C3=A9 =\r\nau lait", b64 + b"\r\n\r\nw6k"])
        )
        assert parsed.text == "café au lait\n\né"


class NoiseTests:
    def test_it_reads_a_dsn(self) -> None:
        parsed = parse_message(samples.dsn_message())
        assert parsed.auto_kind == "bounce"
        assert parsed.bounce == mime.Bounce(
            ["gone.user@example.com"], True, "550 5.1.1 The mailbox does not exist"
        )

    def test_it_reads_a_delay_as_a_temporary_bounce(self) -> None:
        bounce = parse_message(samples.dsn_message("delayed", "4.4.1")).bounce
        assert bounce is not None and bounce.permanent is False

    def test_it_reads_a_complaint(self) -> None:
        parsed = parse_message(samples.arf_message())
        assert parsed.auto_kind == "complaint"
        assert parsed.bounce is not None
        assert parsed.bounce.recipients == ["complainer@isp.example.net"]

    @pytest.mark.parametrize(
        ("subject", "headers", "kind"),
        [
            ("Question", {"Auto_Submitted": "auto-replied"}, "auto_reply"),
            ("Question", {"Auto_Submitted": "no"}, ""),
            ("Question", {"X_Autoreply": "yes"}, "auto_reply"),
            ("Question", {"X_Autorespond": "yes"}, "auto_reply"),
            # A request not to auto-reply, set on ordinary Exchange mail: a person's message.
            ("Question", {"X_Auto_Response_Suppress": "All"}, ""),
            ("Question", {"X_Auto_Response_Suppress": "DR, OOF, AutoReply"}, ""),
            ("Question", {"X_Autogenerated": "Reply"}, "auto_reply"),
            ("Automatic reply: Question", {}, "auto_reply"),
            ("Auto: Question", {}, "auto_reply"),
            ("Out of Office: back Monday", {}, "auto_reply"),
            ("자동 회신: 문의", {}, "auto_reply"),
            ("自動応答: お問い合わせ", {}, "auto_reply"),
            ("自动回复: 问题", {}, "auto_reply"),
            ("Question", {"Precedence": "bulk"}, "bulk"),
            ("Question", {"Precedence": "list"}, "bulk"),
            ("Question", {"List_Id": "<news.example.com>"}, "bulk"),
            ("Question", {"List_Unsubscribe": "<mailto:u@example.com>"}, "bulk"),
            ("Question", {}, ""),
        ],
    )
    def test_it_sorts_out_automatic_mail(
        self, subject: str, headers: dict[str, str], kind: str
    ) -> None:
        assert parse_message(samples.plain_message(subject, **headers)).auto_kind == kind

    def test_it_checks_bounces_before_auto_replies_and_lists(self) -> None:
        raw = samples.dsn_message().replace(
            b"MIME-Version", b"Auto-Submitted: auto-replied\nList-Id: <x>\nMIME-Version", 1
        )
        assert parse_message(raw).auto_kind == "bounce"

    def test_it_knows_the_mailer_daemon_without_a_domain(self) -> None:
        raw = (
            b"From: MAILER-DAEMON (Mail Delivery System)\r\nSubject: Undelivered Mail Returned "
            b"to Sender\r\n\r\n<gone@example.org>: host mx.example.org said: 550 5.1.1 unknown"
        )
        parsed = parse_message(raw)
        assert parsed.auto_kind == "bounce"
        assert parsed.bounce is not None and parsed.bounce.recipients == ["gone@example.org"]

    def test_it_marks_other_mail_from_the_mailer_daemon(self) -> None:
        raw = b"From: MAILER-DAEMON@example.com\r\nSubject: Hello\r\n\r\nx"
        assert parse_message(raw).auto_kind == "mailer_daemon"

    def test_it_reads_a_bounce_that_is_not_a_dsn(self) -> None:
        raw = (
            b"From: Mail Delivery System <Mailer-Daemon@mx.example.com>\r\nTo: a@example.com\r\n"
            b"Subject: Mail delivery failed: returning message to sender\r\n\r\n"
            b"This message was created automatically by mail delivery software.\r\n\r\n"
            b"  gone@example.org\r\n    SMTP error from remote mail server after RCPT TO:"
            b"<gone@example.org>:\r\n    550 5.1.1 No such user\r\n"
        )
        parsed = parse_message(raw)
        assert parsed.auto_kind == "bounce"
        assert parsed.bounce is not None
        assert parsed.bounce.recipients == ["gone@example.org"]
        assert parsed.bounce.permanent
        assert "550 5.1.1" in parsed.bounce.diagnostic

    @pytest.mark.parametrize(
        ("headers", "spam"),
        [
            ({"X_Spam_Flag": "YES"}, True),
            ({"X_Spam_Flag": "yes"}, True),
            ({"X_Spam_Status": "Yes, score=9.1"}, True),
            ({"X_Spam_Status": "No, score=0.1"}, False),
            ({}, False),
        ],
    )
    def test_it_reads_spam_flags(self, headers: dict[str, str], spam: bool) -> None:
        assert parse_message(samples.plain_message(**headers)).is_spam is spam


class LimitTests:
    def test_it_bounds_a_50_mb_message(self) -> None:
        payload = base64.encodebytes(random.Random(1).randbytes(38_000_000))
        raw = _multipart(
            [
                b"Content-Type: text/plain\r\n\r\nsee attachment",
                b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64"
                b"\r\n\r\n" + payload,
            ]
        )
        assert len(raw) > 50_000_000
        parsed, elapsed = _timed(raw)
        assert len(parsed.attachments[0].data) == 38_000_000
        assert elapsed < BOUND

    def test_it_bounds_a_50_mb_text_and_notes_the_cut(self) -> None:
        raw = HEAD + b"Content-Type: text/html\r\n\r\n" + b"<p>hello <b>world</b></p>\n" * 1_900_000
        parsed, elapsed = _timed(raw)
        assert len(parsed.html) <= 2 * MAX_TEXT_CHARS
        assert f"body truncated at {MAX_TEXT_CHARS} characters" in parsed.defects
        assert elapsed < BOUND

    def test_it_stops_after_the_part_limit(self) -> None:
        parts = [b"Content-Type: text/plain\r\n\r\npart %d" % i for i in range(1000)]
        parsed, elapsed = _timed(_multipart(parts))
        assert f"truncated at {MAX_PARTS} parts" in parsed.defects
        assert parsed.text.count("part") == MAX_PARTS - 1  # the root counts as a part
        assert elapsed < BOUND

    def test_it_stops_at_the_depth_limit(self) -> None:
        raw = HEAD
        for i in range(100):
            raw += b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i)
        parsed, elapsed = _timed(raw + b"Content-Type: text/plain\r\n\r\ndeep\r\n")
        assert f"nesting deeper than {MAX_DEPTH}" in parsed.defects
        assert elapsed < BOUND

    def test_it_bounds_a_header_of_100000_encoded_words(self) -> None:
        words = b" ".join([b"=?UTF-8?B?7ZWc?="] * 100_000)
        parsed, elapsed = _timed(b"Subject: " + words + b"\r\nFrom: " + words + b"\r\n\r\nx")
        assert parsed.subject.startswith("한한한")
        assert elapsed < BOUND

    def test_it_bounds_a_folded_header_of_two_million_lines(self) -> None:
        raw = b"From: a@example.com\r\nSubject: x\r\n" + b" y\r\n" * 2_000_000 + b"\r\nbody"
        parsed, elapsed = _timed(raw)
        assert f"more than {mime.MAX_HEADER_LINES} header lines" in parsed.defects
        assert parsed.text == "body"
        assert elapsed < BOUND

    def test_it_survives_nul_bytes_everywhere(self) -> None:
        parsed, elapsed = _timed(b"\x00" * 5_000_000 + HEAD + b"\x00\r\n\r\n\x00")
        assert "\x00" not in parsed.text
        assert elapsed < BOUND

    def test_it_notes_a_broken_boundary_and_reads_on(self) -> None:
        raw = HEAD + (
            b"Content-Type: multipart/alternative; boundary=nothere\r\n\r\n"
            b"--other\r\nContent-Type: text/plain\r\n\r\nguessed body\r\n--other--\r\n"
        )
        parsed = parse_message(raw)
        assert "broken boundary" in parsed.defects
        assert parsed.text == "guessed body"

    def test_it_notes_a_missing_final_boundary(self) -> None:
        raw = HEAD + b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nbody\r\n"
        parsed = parse_message(raw)
        assert "missing final boundary" in parsed.defects
        assert parsed.text == "body\r\n".replace("\r\n", "\n")

    def test_it_bounds_many_lines_that_only_look_like_boundaries(self) -> None:
        raw = HEAD + b"Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\n\r\n"
        parsed, elapsed = _timed(raw + b"--zzx\r\n" * 3_000_000)
        assert parsed.text.startswith("--zzx")
        assert elapsed < BOUND

    @pytest.mark.parametrize(
        "html",
        [
            b"<a " * 300_000,
            b"<!--" * 250_000,
            b"<div>" * 200_000,
            b"<dl><dt>" * 100_000,
            b"<b></p>" * 100_000,
            b"<table><tr><td>" * 60_000,
            b"&" * 1_000_000,
            "\xa0".encode() * 400_000,
        ],
    )
    def test_it_bounds_hostile_html(self, html: bytes) -> None:
        raw = HEAD + b"Content-Type: text/html; charset=utf-8\r\n\r\n" + html
        parsed, elapsed = _timed(raw)
        assert not any(d.startswith("unreadable") for d in parsed.defects)
        assert elapsed < BOUND


class FuzzTests:
    def test_it_never_raises_on_mangled_messages(self) -> None:
        rng = random.Random(20261130)
        seeds = [
            samples.rfc2231_message(),
            samples.related_inline_image_message(),
            samples.forwarded_message(),
            samples.encoded_words_message(),
            samples.dsn_message(),
            samples.gmail_reply(),
        ]
        for _ in range(400):
            raw = bytearray(rng.choice(seeds))
            for _ in range(rng.randint(1, 30)):
                if not raw:
                    break
                at = rng.randrange(len(raw))
                action = rng.random()
                if action < 0.4:
                    raw[at] = rng.randrange(256)
                elif action < 0.7:
                    del raw[at : at + rng.randint(1, 200)]
                else:
                    raw[at:at] = rng.choice([b"\r\n", b"--", b"=?", b"?=", b";", b'"', b"\x00"])
            parsed = parse_message(bytes(raw))
            assert not any(d.startswith("unreadable") for d in parsed.defects), bytes(raw)

    @pytest.mark.parametrize(
        "raw",
        [b"", b"\r\n", b"From:", b":", b"\xff\xfe", b"Content-Type: multipart/mixed\r\n\r\n--"],
    )
    def test_it_reads_nearly_empty_input(self, raw: bytes) -> None:
        parsed = parse_message(raw)
        assert parsed.defects == [] or all(not d.startswith("unreadable") for d in parsed.defects)
