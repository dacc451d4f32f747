from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.test import Client

from supportal.accounts.models import User
from supportal.audit.models import AuditEntry
from supportal.mail.models import InboundEmail
from supportal.privacy.models import ErasedTicket
from supportal.privacy.services import person_erase
from supportal.privacy.tests.helpers import (
    FILE_NAME,
    MAIL_PHRASE,
    NOTE_PHRASE,
    PHRASE,
    Story,
    sign_in,
    tell_a_story,
)
from supportal.satisfaction.models import Rating
from supportal.test import Personas
from supportal.tickets import search
from supportal.tickets.models import Attachment, Message, Ticket

pytestmark = pytest.mark.django_db

TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField, models.FileField)


def leftovers(needles: list[str]) -> list[str]:
    """Every text, JSON and binary value of every table of the project holding one of
    `needles` (case-insensitive), as "app.Model.field: needle"."""
    found = []
    lowered = [needle.casefold() for needle in needles]
    for model in apps.get_models():
        # The audit log is exempt by design: retained security records, append-only (see
        # docs/architecture.md, "Personal data"); erasure names the user id only there.
        if model is AuditEntry:
            continue
        fields = [
            field
            for field in model._meta.concrete_fields
            if isinstance(field, (*TEXT_FIELDS, models.BinaryField))
        ]
        if not fields:
            continue
        for row in model._base_manager.values_list(*[field.attname for field in fields]):
            for field, value in zip(fields, row, strict=True):
                if value is None:
                    continue
                if isinstance(value, (bytes, memoryview)):
                    text = bytes(value).decode("utf-8", "replace").casefold()
                elif isinstance(value, str):
                    text = value.casefold()
                else:
                    text = json.dumps(value, ensure_ascii=False).casefold()
                for needle in lowered:
                    if needle in text:
                        found.append(f"{model._meta.label}.{field.name}: {needle}")
    return found


@pytest.fixture
def story(personas: Personas, settings: Any, tmp_path: Path) -> Story:
    settings.MEDIA_ROOT = str(tmp_path)
    return tell_a_story(personas)


def url(person: User) -> str:
    return f"/en/agent/manage/personal-data/people/{person.pk}/erase/"


def stored_files(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


class ErasureTests:
    def test_it_leaves_no_personal_data_anywhere(
        self,
        client: Client,
        personas: Personas,
        story: Story,
        settings: Any,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        customer = personas.customer
        needles = [
            "Casey Customer",
            "casey@acme.test",
            PHRASE,
            MAIL_PHRASE,
            NOTE_PHRASE,
            FILE_NAME,
        ]
        assert len({hit.split(":")[1] for hit in leftovers(needles)}) == len(needles)
        root = Path(settings.MEDIA_ROOT)
        files = {
            *Attachment.objects.filter(ticket__requester=customer).values_list("file", flat=True),
            *InboundEmail.objects.values_list("raw", flat=True),
        }
        assert files <= stored_files(root)
        requests_before = Ticket.objects.filter(requester=customer).count()
        messages_before = Message.objects.count()
        sign_in(client, personas.admin)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url(customer), {"email": "Casey@Acme.test "})
        assert response.status_code == 302
        assert leftovers(needles) == []
        # Attachments and raw mail are gone from the storage.
        assert not files & stored_files(root)
        # The requests still count, anonymous.
        assert Ticket.objects.filter(requester=customer).count() == requests_before == 2
        assert Message.objects.count() == messages_before
        assert ErasedTicket.objects.count() == 2
        assert Rating.objects.get(ticket=story.own).score == "good"
        # The search index finds nothing of them.
        for needle in (PHRASE, MAIL_PHRASE, "casey@acme.test", "Casey"):
            assert not search.matching(Ticket.objects.all(), needle).exists(), needle
        customer.refresh_from_db()
        assert customer.name == f"Erased person #{customer.pk}"
        assert customer.email == f"erased-{customer.pk}@invalid"
        assert not customer.is_active
        assert not customer.has_usable_password()
        entry = AuditEntry.objects.get(action="privacy.erase")
        assert entry.actor == personas.admin
        assert entry.target_id == str(customer.pk)
        assert "casey" not in json.dumps(
            [entry.target_label, entry.before, entry.after, entry.note]
        )
        # The erasure writes no other entry that would copy the email into the log.
        written = AuditEntry.objects.filter(pk__gt=entry.pk - 10, target_id=str(customer.pk))
        assert list(written.values_list("action", flat=True)) == ["privacy.erase"]
        # Others' data is untouched.
        assert story.colleagues.messages.get().body.startswith("Private:")
        assert Ticket.objects.get(pk=story.copied.pk).subject == "Shared printer"

    def test_it_signs_the_person_out(self, client: Client, personas: Personas) -> None:
        customer = Client()
        customer.force_login(personas.customer)
        assert customer.get("/en/accounts/profile/").status_code == 200
        person_erase(person=personas.customer, actor=personas.admin)
        response = customer.get("/en/accounts/profile/")
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]

    def test_the_confirmation_names_what_goes_and_what_stays(
        self, client: Client, personas: Personas, story: Story
    ) -> None:
        sign_in(client, personas.admin)
        page = client.get(url(personas.customer)).content.decode()
        assert "Erase Casey Customer" in page
        assert "The subject and content of 2 requests" in page
        assert "3 attached files" in page
        assert "The comments of 1 rating" in page
        assert "1 received email in the mail log" in page
        assert "emails in the outbox" in page
        assert "What stays" in page
        assert "anonymous rows for statistics" in page

    def test_a_wrong_email_changes_nothing(
        self, client: Client, personas: Personas, story: Story
    ) -> None:
        sign_in(client, personas.admin)
        response = client.post(url(personas.customer), {"email": "minseo@acme.test"})
        assert response.status_code == 400
        page = response.content.decode()
        assert "This is not the person&#x27;s email address." in page
        assert 'value="minseo@acme.test"' in page
        personas.customer.refresh_from_db()
        assert personas.customer.name == "Casey Customer"
        assert not ErasedTicket.objects.exists()
        assert not AuditEntry.objects.filter(action="privacy.erase").exists()

    def test_agents_and_admins_cannot_be_erased(self, client: Client, personas: Personas) -> None:
        sign_in(client, personas.admin)
        page = client.get(url(personas.agent)).content.decode()
        assert "Only customers can be erased" in page
        response = client.post(url(personas.agent), {"email": personas.agent.email})
        assert response.status_code == 400
        personas.agent.refresh_from_db()
        assert personas.agent.is_active

    def test_an_erased_person_shows_as_erased(self, client: Client, personas: Personas) -> None:
        person_erase(person=personas.customer, actor=personas.admin)
        sign_in(client, personas.admin)
        page = client.get(url(personas.customer)).content.decode()
        assert "This person has been erased" in page
        assert 'name="email"' not in page

    def test_it_needs_a_recent_sign_in(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        session = client.session
        del session["auth_fresh_at"]
        session.save()
        response = client.post(url(personas.customer), {"email": personas.customer.email})
        assert response.status_code == 302
        assert "/accounts/reauth/" in response["Location"]
        personas.customer.refresh_from_db()
        assert personas.customer.is_active

    def test_customers_and_agents_may_not(self, client: Client, personas: Personas) -> None:
        for user in (personas.customer, personas.colleague, personas.agent):
            sign_in(client, user)
            assert client.get(url(personas.customer)).status_code == 403
            response = client.post(url(personas.customer), {"email": personas.customer.email})
            assert response.status_code == 403
        personas.customer.refresh_from_db()
        assert personas.customer.is_active

    def test_an_unknown_person_is_not_found(self, client: Client, personas: Personas) -> None:
        sign_in(client, personas.admin)
        assert client.get("/en/agent/manage/personal-data/people/999999/erase/").status_code == 404

    def test_it_refuses_a_wrong_method(self, client: Client, personas: Personas) -> None:
        sign_in(client, personas.admin)
        assert client.put(url(personas.customer)).status_code == 405
