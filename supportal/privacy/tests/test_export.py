from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone

from supportal.audit.models import AuditEntry
from supportal.core.models import OutboundEmail
from supportal.privacy.models import DataExport
from supportal.privacy.services import exports_clean_up
from supportal.privacy.tests.helpers import (
    AGENT_FIELD_VALUE,
    COLLEAGUE_PHRASE,
    FILE_BYTES,
    FILE_NAME,
    NOTE_PHRASE,
    PHRASE,
    Story,
    sign_in,
    tell_a_story,
)
from supportal.test import Personas

pytestmark = pytest.mark.django_db

PAGE = "/en/personal-data/export/"
STATUS = "/en/personal-data/export/status/"
LINK = re.compile(r"/en/personal-data/download/[A-Za-z0-9_-]+/")


@pytest.fixture
def story(personas: Personas, settings: Any, tmp_path: Any) -> Story:
    settings.MEDIA_ROOT = str(tmp_path)
    return tell_a_story(personas)


def request_export(client: Client, url: str, capture: Any) -> str:
    """Asks for an export, lets the worker (in-process) build it, returns the mailed link."""
    with capture(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    mail = OutboundEmail.objects.order_by("-pk").first()
    assert mail is not None
    match = LINK.search(mail.body_text)
    assert match, mail.body_text
    return match.group(0)


def download(client: Client, link: str) -> bytes:
    response = client.get(link)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert response["Cache-Control"] == "private, no-store"
    # Reading to the end closes the response, as a WSGI server does (the test client wraps
    # it); closing it again here would fire request_finished and drop the test's connection.
    return b"".join(response.streaming_content)


class ExportTests:
    def test_it_contains_everything_of_the_person_and_nothing_of_anyone_else(
        self,
        client: Client,
        personas: Personas,
        story: Story,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        sign_in(client, personas.customer)
        archive = zipfile.ZipFile(
            io.BytesIO(
                download(client, request_export(client, PAGE, django_capture_on_commit_callbacks))
            )
        )
        names = set(archive.namelist())
        profile = json.loads(archive.read("profile.json"))
        assert profile["email"] == "casey@acme.test"
        assert profile["name"] == "Casey Customer"
        assert profile["organization"] == "Acme"
        numbers = {name.split("/")[1] for name in names if name.startswith("requests/")}
        assert numbers == {str(story.own.pk), str(story.emailed.pk), str(story.copied.pk)}
        own = json.loads(archive.read(f"requests/{story.own.pk}/request.json"))
        assert own["subject"] == f"Invoice {PHRASE} is wrong"
        assert own["your_role"] == "requester"
        bodies = [message["body"] for message in own["messages"]]
        assert bodies == [f"My invoice mentions {PHRASE}; please fix it.", "We fixed the invoice."]
        assert [message["from"] for message in own["messages"]] == ["you", "support"]
        first_file = own["messages"][0]["attachments"][0]
        assert first_file["filename"] == FILE_NAME
        assert archive.read(f"requests/{story.own.pk}/{first_file['path']}") == FILE_BYTES
        reply_file = own["messages"][1]["attachments"][0]
        assert archive.read(f"requests/{story.own.pk}/{reply_file['path']}") == b"fixed invoice"
        copied = json.loads(archive.read(f"requests/{story.copied.pk}/request.json"))
        assert copied["your_role"] == "cc"
        assert [m["from"] for m in copied["messages"]] == ["another person", "you"]
        ratings = json.loads(archive.read("ratings.json"))
        assert ratings == [
            {
                "request": story.own.pk,
                "rating": "good",
                "comment": f"Thanks {PHRASE} team",
                "created_at": ratings[0]["created_at"],
                "updated_at": ratings[0]["updated_at"],
            }
        ]
        votes = json.loads(archive.read("article_votes.json"))
        assert [vote["comment"] for vote in votes] == [f"Unclear {PHRASE}"]
        everything = b"".join(archive.read(name) for name in names)
        for foreign in (NOTE_PHRASE, COLLEAGUE_PHRASE, AGENT_FIELD_VALUE, "note-only.txt"):
            assert foreign.encode() not in everything
        assert b"note file" not in everything
        assert b"minseo@acme.test" not in everything  # the colleague's address
        assert b"wang@globex.test" not in everything

    def test_the_link_works_once(
        self,
        client: Client,
        personas: Personas,
        story: Story,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        sign_in(client, personas.customer)
        link = request_export(client, PAGE, django_capture_on_commit_callbacks)
        export = DataExport.objects.get()
        stored = export.file_name
        assert default_storage.exists(stored)
        download(client, link)
        assert not default_storage.exists(stored)
        again = client.get(link)
        assert again.status_code == 410
        assert "This link no longer works" in again.content.decode()
        assert "Content-Disposition" not in again
        export.refresh_from_db()
        assert export.status == DataExport.Status.DOWNLOADED
        assert export.token_hash == ""
        assert AuditEntry.objects.filter(action="privacy.export_download").count() == 1

    def test_the_link_expires(
        self,
        client: Client,
        personas: Personas,
        story: Story,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        sign_in(client, personas.customer)
        link = request_export(client, PAGE, django_capture_on_commit_callbacks)
        stored = DataExport.objects.get().file_name
        with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
            sign_in(client, personas.customer)
            with django_capture_on_commit_callbacks(execute=True):
                response = client.get(link)
            assert response.status_code == 410
            assert "This link no longer works" in response.content.decode()
        assert DataExport.objects.get().status == DataExport.Status.EXPIRED
        assert not default_storage.exists(stored)

    def test_the_clean_up_deletes_expired_files(
        self,
        client: Client,
        personas: Personas,
        story: Story,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        sign_in(client, personas.customer)
        request_export(client, PAGE, django_capture_on_commit_callbacks)
        stored = DataExport.objects.get().file_name
        with django_capture_on_commit_callbacks(execute=True):
            exports_clean_up(now=timezone.now() + timedelta(days=8))
        assert not default_storage.exists(stored)
        assert DataExport.objects.get().status == DataExport.Status.EXPIRED

    def test_the_link_is_only_for_the_person_it_was_mailed_to(
        self,
        client: Client,
        personas: Personas,
        story: Story,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        sign_in(client, personas.customer)
        link = request_export(client, PAGE, django_capture_on_commit_callbacks)
        other = Client()
        other.force_login(personas.colleague)
        assert other.get(link).status_code == 410
        visitor = Client().get(link)
        assert visitor.status_code == 302
        assert "/accounts/login/" in visitor["Location"]
        assert DataExport.objects.get().status == DataExport.Status.READY

    def test_it_mails_the_link_in_the_persons_language(
        self, client: Client, personas: Personas, django_capture_on_commit_callbacks: Any
    ) -> None:
        personas.customer.language = "ko"
        personas.customer.save()
        sign_in(client, personas.customer)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(PAGE)
        mail = OutboundEmail.objects.get(to="casey@acme.test")
        assert re.search(r"/ko/personal-data/download/[A-Za-z0-9_-]+/", mail.body_text)
        assert "님, 안녕하세요" in mail.body_text

    def test_it_shows_progress_while_it_is_prepared(
        self, client: Client, personas: Personas
    ) -> None:
        sign_in(client, personas.customer)
        client.post(PAGE)  # the worker has not started: the commit never comes in a test
        DataExport.objects.update(total=12, done=5, status=DataExport.Status.RUNNING)
        page = client.get(PAGE).content.decode()
        assert "Being prepared… 5 of 12 requests" in page
        assert f'hx-get="{STATUS}"' in page
        assert 'http-equiv="refresh"' in page
        fragment = client.get(STATUS, HTTP_HX_REQUEST="true").content.decode()
        assert "Being prepared… 5 of 12 requests" in fragment
        assert "<h1" not in fragment

    def test_asking_twice_while_it_is_prepared_makes_one_export(
        self, client: Client, personas: Personas
    ) -> None:
        sign_in(client, personas.customer)
        client.post(PAGE)
        client.post(PAGE)
        assert DataExport.objects.count() == 1
        assert AuditEntry.objects.filter(action="privacy.export_request").count() == 1

    def test_the_page_asks_to_confirm_who_it_is_first(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.customer)  # signing in counts as fresh: make it stale
        session = client.session
        del session["auth_fresh_at"]
        session.save()
        response = client.get(PAGE)
        assert response.status_code == 302
        assert "/accounts/reauth/" in response["Location"]
        assert client.post(PAGE).status_code == 302
        assert not DataExport.objects.exists()

    def test_it_sends_a_visitor_to_sign_in(self, client: Client, db: None) -> None:
        for url in (PAGE, STATUS, "/en/personal-data/download/abc/"):
            response = client.get(url)
            assert response.status_code == 302
            assert "/accounts/login/" in response["Location"]

    def test_it_refuses_a_wrong_method(self, client: Client, personas: Personas) -> None:
        sign_in(client, personas.customer)
        assert client.put(PAGE).status_code == 405
        assert client.post(STATUS).status_code == 405
        assert client.post("/en/personal-data/download/abc/").status_code == 405

    def test_an_unknown_link_gets_the_same_page(self, client: Client, personas: Personas) -> None:
        sign_in(client, personas.customer)
        response = client.get("/en/personal-data/download/not-a-real-token/")
        assert response.status_code == 410
        assert "This link no longer works" in response.content.decode()

    def test_the_profile_links_to_it(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.customer)
        page = client.get("/en/accounts/profile/").content.decode()
        assert f'href="{PAGE}"' in page
        assert "Download your data" in page


class PersonExportTests:
    def url(self, personas: Personas) -> str:
        return f"/en/agent/manage/personal-data/people/{personas.customer.pk}/export/"

    def test_an_admin_asks_for_it_and_the_link_goes_to_the_admin(
        self,
        client: Client,
        personas: Personas,
        story: Story,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        sign_in(client, personas.admin)
        page = client.get(self.url(personas)).content.decode()
        assert "Export the data of Casey Customer" in page
        link = request_export(client, self.url(personas), django_capture_on_commit_callbacks)
        mail = OutboundEmail.objects.order_by("-pk").first()
        assert mail is not None and mail.to == "alex@support.test"
        archive = zipfile.ZipFile(io.BytesIO(download(client, link)))
        assert json.loads(archive.read("profile.json"))["email"] == "casey@acme.test"
        entry = AuditEntry.objects.get(action="privacy.export_request")
        assert entry.actor == personas.admin
        assert entry.target_id == str(personas.customer.pk)
        # The customer cannot use the admin's link.
        customer = Client()
        customer.force_login(personas.customer)
        assert customer.get(link).status_code == 410

    def test_customers_and_agents_may_not(self, client: Client, personas: Personas) -> None:
        for user in (personas.customer, personas.agent):
            sign_in(client, user)
            assert client.get(self.url(personas)).status_code == 403
            assert client.post(self.url(personas)).status_code == 403
            assert client.get(self.url(personas) + "status/").status_code == 403
        assert not DataExport.objects.exists()

    def test_an_unknown_person_is_not_found(self, client: Client, personas: Personas) -> None:
        sign_in(client, personas.admin)
        url = "/en/agent/manage/personal-data/people/999999/export/"
        assert client.get(url).status_code == 404
        assert client.get(url + "status/").status_code == 404

    def test_it_refuses_a_wrong_method(self, client: Client, personas: Personas) -> None:
        sign_in(client, personas.admin)
        assert client.put(self.url(personas)).status_code == 405
        assert client.post(self.url(personas) + "status/").status_code == 405

    def test_the_person_page_fragment_links_here(self, rf: Any, personas: Personas) -> None:
        from django.template.loader import render_to_string

        request = rf.get("/")
        request.user = personas.admin
        html = render_to_string(
            "privacy/_person_actions.html",
            {"person": personas.customer, "user": personas.admin},
            request=request,
        )
        assert self.url(personas) in html
        assert f"/people/{personas.customer.pk}/erase/" in html
        as_agent = render_to_string(
            "privacy/_person_actions.html", {"person": personas.customer, "user": personas.agent}
        )
        assert "/people/" not in as_agent
