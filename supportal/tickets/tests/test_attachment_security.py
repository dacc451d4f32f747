"""Request attachments are hostile: type by content, names made harmless, metadata dropped,
dangerous files only ever downloaded, and every download behind the access check."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.test import Client
from PIL import Image

from supportal.test import Personas, make_ticket
from supportal.tickets.models import Attachment, Message, Ticket
from supportal.tickets.services import ticket_reply
from supportal.tickets.tests.test_customer_fixtures import PNG, detail, upload, url

pytestmark = pytest.mark.django_db

KEY = "s" * 32
CSP = "sandbox; default-src 'none'"


@pytest.fixture(autouse=True)
def _media(settings: pytest.FixtureRequest, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (16, 12), "red")
    exif = Image.Exif()
    exif[0x010F] = "Acme Camera"  # Make
    exif[0x0112] = 6  # Orientation: rotated 90°
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (37.0, 33.0, 58.0), 3: "E", 4: (126.0, 58.0, 41.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def huge_png() -> bytes:
    out = io.BytesIO()
    Image.new("1", (8000, 6000)).save(out, "PNG")  # 48 megapixels in a few kilobytes
    return out.getvalue()


def download(client: Client, attachment: Attachment, name: str | None = None) -> object:
    return client.get(
        url(f"{attachment.ticket_id}/attachments/{attachment.pk}/{name or attachment.filename}")
    )


def post_request(client: Client, **data: object) -> object:
    fields = {"key": KEY, "subject": "Printer trouble", "description": "It jams.", **data}
    return client.post(url("new"), fields)


class ContentSniffingTests:
    def test_it_refuses_an_image_name_on_other_content_and_keeps_the_form(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.customer)
        response = post_request(
            client,
            subject="Printer trouble",
            description="Typed with care.",
            attachments=[upload("photo.png", b"<html><script>alert(1)</script></html>")],
        )
        html = response.content.decode()
        assert response.status_code == 400
        assert "“photo.png” is not a PNG image: its content does not match its name." in html
        assert "Printer trouble" in html and "Typed with care." in html
        assert Ticket.objects.count() == 0 and Attachment.objects.count() == 0

    def test_it_refuses_a_program_named_as_a_document(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.customer)
        response = post_request(
            client, attachments=[upload("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 64)]
        )
        html = response.content.decode()
        assert response.status_code == 400
        assert "“invoice.pdf” is a program. Programs cannot be attached." in html
        assert Ticket.objects.count() == 0

    def test_it_refuses_a_document_whose_content_is_something_else(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.customer)
        response = post_request(client, attachments=[upload("minutes.docx", b"just some text")])
        html = response.content.decode()
        assert response.status_code == 400
        assert "The content of “minutes.docx” does not match its name (a .docx file)." in html
        assert Ticket.objects.count() == 0

    def test_it_refuses_a_damaged_image_and_a_decompression_bomb(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer)
        client.force_login(personas.customer)
        broken = PNG[:20]
        response = client.post(
            detail(ticket, "reply"),
            {
                "body": "My careful words",
                "attachments": [upload("broken.png", broken), upload("bomb.png", huge_png())],
            },
        )
        html = response.content.decode()
        assert response.status_code == 400
        assert "“broken.png” is a damaged image that cannot be read." in html
        assert "“bomb.png” has too many pixels. Attach an image under 40 megapixels." in html
        assert "My careful words" in html
        assert Message.objects.filter(ticket=ticket).count() == 1

    def test_it_refuses_a_fake_image_in_an_agent_reply_and_keeps_the_text(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        client.force_login(personas.agent)
        response = client.post(
            f"/en/agent/requests/{ticket.pk}/reply",
            {
                "kind": "public",
                "body": "My careful answer",
                "attachments": [upload("shot.jpg", b"GIF89a not a jpeg")],
            },
        )
        page = response.content.decode()
        assert response.status_code == 400
        assert "My careful answer</textarea>" in page
        assert "“shot.jpg” is not a JPEG image: its content does not match its name." in page
        assert ticket.messages.count() == 1

    def test_it_accepts_documents_whose_content_matches(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.customer)
        files = [
            upload("report.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"),
            upload("sheet.xlsx", b"PK\x03\x04" + b"\x00" * 40),
            upload("notes.txt", "메모: 프린터가 멈춥니다".encode()),
            upload("photo.png", PNG),
        ]
        assert post_request(client, attachments=files).status_code == 302
        types = dict(Attachment.objects.values_list("filename", "content_type"))
        assert types == {
            "report.pdf": "application/pdf",
            "sheet.xlsx": "application/zip",
            "notes.txt": "text/plain",
            "photo.png": "image/png",
        }


class DangerousFileTests:
    def test_it_serves_html_in_a_text_file_as_a_download(
        self, client: Client, personas: Personas
    ) -> None:
        make_ticket(
            personas.customer,
            attachments=[upload("page.txt", b"<!doctype html><script>alert(1)</script>")],
        )
        attachment = Attachment.objects.get()
        client.force_login(personas.customer)
        response = download(client, attachment)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment; ")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == CSP

    @pytest.mark.parametrize(
        ("name", "content"),
        [
            ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>'),
            ("evil.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
            ("page.html", b"<html><body><script>alert(document.cookie)</script>"),
            (
                "feed.xml",
                b'<?xml version="1.0"?><x:script xmlns:x="http://www.w3.org/1999/xhtml"/>',
            ),
            ("app.js", b"fetch('/en/requests/').then(r => r.text())"),
        ],
    )
    def test_it_never_serves_markup_or_scripts_inline(
        self,
        client: Client,
        personas: Personas,
        settings: pytest.FixtureRequest,
        name: str,
        content: bytes,
    ) -> None:
        settings.ATTACHMENT_TYPES = [*settings.ATTACHMENT_TYPES, "svg", "html", "js"]  # type: ignore[attr-defined]
        make_ticket(personas.customer, attachments=[upload(name, content, "image/svg+xml")])
        attachment = Attachment.objects.get()
        client.force_login(personas.customer)
        response = download(client, attachment)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"] == (
            f"attachment; filename=\"{name}\"; filename*=UTF-8''{name}"
        )
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == CSP

    def test_it_shows_a_clean_image_inline(self, client: Client, personas: Personas) -> None:
        make_ticket(personas.customer, attachments=[upload("shot.png", PNG)])
        attachment = Attachment.objects.get()
        client.force_login(personas.customer)
        response = download(client, attachment)
        assert response["Content-Type"] == "image/png"
        assert response["Content-Disposition"] == (
            "inline; filename=\"shot.png\"; filename*=UTF-8''shot.png"
        )
        assert response["Content-Security-Policy"] == CSP
        assert response["X-Content-Type-Options"] == "nosniff"


class MetadataTests:
    def test_it_drops_exif_and_gps_from_a_photo(self, client: Client, personas: Personas) -> None:
        original = jpeg_with_gps()
        assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
        make_ticket(personas.customer, attachments=[upload("holiday.jpg", original)])
        attachment = Attachment.objects.get()
        client.force_login(personas.customer)
        data = b"".join(download(client, attachment).streaming_content)
        stored = Image.open(io.BytesIO(data))
        assert stored.format == "JPEG"
        assert not stored.getexif()
        assert b"Exif" not in data and b"Acme Camera" not in data
        assert stored.size == (12, 16)  # turned upright by its orientation before it went
        assert attachment.size == len(data)


class NameTests:
    def test_it_stores_under_a_random_name_and_shows_a_harmless_one(
        self, client: Client, personas: Personas
    ) -> None:
        hostile = "../../..\\etc/\u202egpj.\x00보고서.txt"
        make_ticket(personas.customer, attachments=[upload(hostile, b"quarterly numbers")])
        attachment = Attachment.objects.get()
        assert attachment.filename == "gpj.보고서.txt"
        assert attachment.file.name.startswith("attachments/")
        assert "보고서" not in attachment.file.name and "gpj" not in attachment.file.name
        client.force_login(personas.customer)
        response = download(client, attachment)
        assert response["Content-Disposition"] == (
            "attachment; filename=\"gpj.txt\"; filename*=UTF-8''gpj.%EB%B3%B4%EA%B3%A0%EC%84%9C.txt"
        )

    def test_static_files_never_include_uploads(self, client: Client, personas: Personas) -> None:
        make_ticket(personas.customer, attachments=[upload("notes.txt")])
        attachment = Attachment.objects.get()
        client.force_login(personas.customer)
        assert client.get(f"/static/{attachment.file.name}").status_code == 404
        assert client.get(f"/media/{attachment.file.name}").status_code == 404


class AuthorizationTests:
    def test_a_customer_guessing_another_requests_attachment_gets_404(
        self, client: Client, personas: Personas
    ) -> None:
        make_ticket(personas.outsider, attachments=[upload("theirs.txt")])
        theirs = Attachment.objects.get()
        mine = make_ticket(personas.customer)
        client.force_login(personas.customer)
        assert download(client, theirs).status_code == 404
        # Their file through my request's number is no better.
        path = url(f"{mine.pk}/attachments/{theirs.pk}/theirs.txt")
        assert client.get(path).status_code == 404
        client.force_login(personas.outsider)
        assert download(client, theirs).status_code == 200

    def test_internal_note_files_are_for_agents_only(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        ticket_reply(
            ticket=ticket,
            author=personas.agent,
            body="Internal",
            public=False,
            attachments=[upload("internal.txt")],
        )
        note = Attachment.objects.get()
        for user in (personas.customer, personas.colleague, personas.outsider):
            client.force_login(user)
            assert download(client, note).status_code == 404
        client.force_login(personas.agent)
        assert download(client, note).status_code == 200

    def test_it_needs_a_signed_in_user_and_get(self, client: Client, personas: Personas) -> None:
        make_ticket(personas.customer, attachments=[upload("notes.txt")])
        attachment = Attachment.objects.get()
        response = download(client, attachment)
        assert response.status_code == 302 and "/accounts/" in response["Location"]
        client.force_login(personas.customer)
        path = url(f"{attachment.ticket_id}/attachments/{attachment.pk}/notes.txt")
        assert client.post(path).status_code == 405

    @pytest.mark.parametrize(
        "name",
        [
            "..%2F..%2F..%2Fetc%2Fpasswd",
            "%2e%2e%2f%2e%2e%2fsettings.py",
            "..%5C..%5Cwin.ini",
            "notes.txt%00.png",
            "%2Fetc%2Fpasswd",
            "..",
            "other.txt",
        ],
    )
    def test_traversal_in_the_download_url_is_a_404(
        self, client: Client, personas: Personas, name: str
    ) -> None:
        make_ticket(personas.customer, attachments=[upload("notes.txt")])
        attachment = Attachment.objects.get()
        client.force_login(personas.customer)
        path = url(f"{attachment.ticket_id}/attachments/{attachment.pk}/") + name
        assert client.get(path).status_code == 404

    @pytest.mark.parametrize(
        "path",
        [
            "1/attachments/1/../../../../etc/passwd",
            "1/attachments/..%2F1/notes.txt",
            "1/attachments/%00/notes.txt",
            "1/attachments/1//etc/passwd",
        ],
    )
    def test_malformed_download_paths_are_a_404(
        self, client: Client, personas: Personas, path: str
    ) -> None:
        make_ticket(personas.customer, attachments=[upload("notes.txt")])
        client.force_login(personas.customer)
        assert client.get(url(path)).status_code == 404
