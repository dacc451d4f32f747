"""Email attachments are hostile input: kept even when their content does not match their
name, but then only ever downloaded; their photos lose their metadata."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.test import Client
from PIL import Image

from supportal.lib.tests.mailsamples import PIXEL_PNG
from supportal.mail.tests.factories import email, ingest, make_mailbox
from supportal.test import Personas
from supportal.tickets.models import Attachment, Ticket

pytestmark = pytest.mark.django_db

CSP = "sandbox; default-src 'none'"


@pytest.fixture(autouse=True)
def _media(settings: pytest.FixtureRequest, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (20, 10), "green")
    exif = Image.Exif()
    exif[0x010F] = "Acme Camera"
    exif.get_ifd(0x8825).update({1: "N", 2: (35.0, 41.0, 22.0), 3: "E", 4: (139.0, 41.0, 30.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def download(client: Client, attachment: Attachment) -> object:
    return client.get(
        f"/en/requests/{attachment.ticket_id}/attachments/{attachment.pk}/{attachment.filename}"
    )


def received(*files: tuple[str, str, bytes]) -> Ticket:
    row = ingest(email(attachments=list(files)), make_mailbox())
    return Ticket.objects.get(pk=row.ticket_id)


class EmailAttachmentTests:
    def test_it_keeps_a_mismatched_file_but_serves_it_only_as_a_download(
        self, client: Client, personas: Personas
    ) -> None:
        html = b"<html><body><script>alert(document.cookie)</script></body></html>"
        ticket = received(
            ("invoice.pdf", "application/pdf", html),
            ("photo.png", "image/png", html),
        )
        client.force_login(personas.customer)
        for attachment in ticket.attachments.all():
            assert attachment.content_type == "application/octet-stream"
            response = download(client, attachment)
            assert response.status_code == 200
            assert response["Content-Type"] == "application/octet-stream"
            assert response["Content-Disposition"].startswith("attachment; ")
            assert response["X-Content-Type-Options"] == "nosniff"
            assert response["Content-Security-Policy"] == CSP
            assert b"".join(response.streaming_content) == html  # kept as it came

    def test_it_never_trusts_the_type_the_message_claims(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = received(("notes.txt", "image/png", b"<svg onload=alert(1)>"))
        attachment = ticket.attachments.get()
        client.force_login(personas.customer)
        response = download(client, attachment)
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment; ")

    def test_it_strips_gps_from_an_emailed_photo_and_shows_it_inline(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = received(("holiday.jpg", "image/jpeg", jpeg_with_gps()))
        attachment = ticket.attachments.get()
        assert attachment.content_type == "image/jpeg"
        client.force_login(personas.customer)
        response = download(client, attachment)
        assert response["Content-Disposition"].startswith("inline; ")
        data = b"".join(response.streaming_content)
        assert not Image.open(io.BytesIO(data)).getexif()
        assert b"Acme Camera" not in data

    def test_a_damaged_image_is_kept_as_a_download(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = received(("scan.png", "image/png", PIXEL_PNG[:30]))
        attachment = ticket.attachments.get()
        assert attachment.content_type == "application/octet-stream"
        client.force_login(personas.customer)
        assert download(client, attachment)["Content-Disposition"].startswith("attachment; ")

    def test_hostile_names_are_made_harmless(self, personas: Personas) -> None:
        ticket = received(("../../\u202eexe.pdf\r\n.txt", "text/plain", b"quarterly numbers"))
        attachment = ticket.attachments.get()
        assert "/" not in attachment.filename and "\u202e" not in attachment.filename
        assert "\r" not in attachment.filename and "\n" not in attachment.filename
        assert attachment.filename.endswith(".txt")
        assert attachment.file.name.startswith("attachments/")
        stored_name = attachment.file.name.rsplit("/", 1)[-1]
        assert "." not in stored_name and len(stored_name) >= 32  # random, no extension

    def test_other_customers_cannot_fetch_an_emailed_file(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = received(("notes.txt", "text/plain", b"private"))
        attachment = ticket.attachments.get()
        client.force_login(personas.outsider)
        assert download(client, attachment).status_code == 404
