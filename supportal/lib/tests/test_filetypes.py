"""Reading a file's type from its bytes, and making client-given names harmless."""

from __future__ import annotations

import pytest

from supportal.lib import filetypes
from supportal.lib.filetypes import (
    content_disposition,
    content_matches,
    is_safe_relative_path,
    safe_filename,
    sniff,
)


class SniffTests:
    @pytest.mark.parametrize(
        ("head", "expected"),
        [
            (b"\x89PNG\r\n\x1a\n\x00\x00", filetypes.PNG),
            (b"\xff\xd8\xff\xe0\x00\x10JFIF", filetypes.JPEG),
            (b"GIF89a\x01\x00", filetypes.GIF),
            (b"RIFF\x10\x00\x00\x00WEBPVP8 ", filetypes.WEBP),
            (b"RIFF\x10\x00\x00\x00AVI LIST", filetypes.OCTET),
            (b"%PDF-1.7\n", filetypes.PDF),
            (b"PK\x03\x04\x14\x00", filetypes.ZIP),
            (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00", filetypes.OLE),
            (b"MZ\x90\x00\x03", filetypes.EXECUTABLE),
            (b"\x7fELF\x02\x01", filetypes.EXECUTABLE),
            (b"#!/bin/sh\nrm -rf /\n", filetypes.EXECUTABLE),
            (b"plain words, a log line\n", filetypes.TEXT),
            ("고객 문의 내용입니다".encode(), filetypes.TEXT),
            (b"<!DOCTYPE html><html><script>alert(1)</script>", filetypes.MARKUP),
            (b'<?xml version="1.0"?><svg onload="alert(1)"/>', filetypes.MARKUP),
            (b"  <SVG xmlns='http://www.w3.org/2000/svg'>", filetypes.MARKUP),
            (b"\x00\x01\x02\x03binary", filetypes.OCTET),
        ],
    )
    def test_it_reads_the_type_from_the_bytes(self, head: bytes, expected: str) -> None:
        assert sniff(head) == expected

    def test_it_keeps_text_cut_in_the_middle_of_a_character(self) -> None:
        head = ("가" * 10).encode()[:-1]
        assert sniff(head) == filetypes.TEXT

    def test_it_matches_content_to_names(self) -> None:
        assert content_matches("photo.PNG", filetypes.PNG)
        assert not content_matches("photo.png", filetypes.TEXT)
        assert not content_matches("report.pdf", filetypes.EXECUTABLE)
        assert content_matches("report.docx", filetypes.ZIP)
        assert content_matches("notes.txt", filetypes.MARKUP)  # text, only ever downloaded
        assert content_matches("drawing.svg", filetypes.MARKUP)  # unknown to us: downloaded
        assert not content_matches("tool.bin", filetypes.EXECUTABLE)

    def test_it_serves_markup_programs_and_unknown_types_as_octet_streams(self) -> None:
        for kind in (filetypes.MARKUP, filetypes.EXECUTABLE, filetypes.OLE, filetypes.OCTET):
            assert filetypes.served_type(kind) == filetypes.OCTET
        assert filetypes.served_type(filetypes.PNG) == filetypes.PNG


class SafeFilenameTests:
    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("../../etc/passwd", "passwd"),
            ("C:\\Users\\casey\\report.pdf", "report.pdf"),
            ("/absolute/path.txt", "path.txt"),
            (".htaccess", "htaccess"),
            ("...hidden.txt", "hidden.txt"),
            ("name\x00.txt", "name.txt"),
            ("tab\tand\nnewline.txt", "tab and newline.txt"),
            ("invoice\u202egpj.exe", "invoicegpj.exe"),  # right-to-left override
            ("a\u200bb\u2066c\u2069.txt", "abc.txt"),  # zero-width space, isolates
            ('say "hi" <b>.txt', "say _hi_ _b_.txt"),
            ("보고서 최종.pdf", "보고서 최종.pdf"),
            ("見積書.xlsx", "見積書.xlsx"),
            ("", "file"),
            ("..", "file"),
        ],
    )
    def test_it_makes_names_harmless(self, name: str, expected: str) -> None:
        assert safe_filename(name) == expected

    def test_it_shortens_long_names_and_keeps_the_extension(self) -> None:
        name = safe_filename("가" * 300 + ".pdf")
        assert len(name) == filetypes.MAX_NAME_CHARS
        assert name.endswith("가.pdf")


class ContentDispositionTests:
    def test_it_gives_an_ascii_fallback_and_the_exact_utf8_name(self) -> None:
        value = content_disposition("보고서.pdf", inline=False)
        assert value == (
            "attachment; filename=\"file.pdf\"; filename*=UTF-8''%EB%B3%B4%EA%B3%A0%EC%84%9C.pdf"
        )

    def test_it_cannot_be_broken_by_quotes_or_newlines(self) -> None:
        value = content_disposition('a"; filename=evil.html\r\nX-Bad: 1', inline=True)
        assert value.startswith("inline; ")
        assert "\r" not in value and "\n" not in value
        assert value.count('"') == 2


class SafeRelativePathTests:
    @pytest.mark.parametrize(
        "path",
        [
            "../secret",
            "helpcenter/../../settings.py",
            "/etc/passwd",
            "helpcenter\\..\\x",
            "helpcenter/a\x00.png",
            "helpcenter//a.png",
            "helpcenter/./a.png",
            "c:/windows/win.ini",
            "",
        ],
    )
    def test_it_refuses_traversal(self, path: str) -> None:
        assert not is_safe_relative_path(path)

    def test_it_accepts_a_plain_stored_name(self) -> None:
        assert is_safe_relative_path("helpcenter/2026/11/AbC_-9.png")
