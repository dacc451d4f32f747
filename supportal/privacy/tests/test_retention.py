from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from supportal.audit.models import AuditEntry
from supportal.privacy.models import ErasedTicket, RetentionPolicy
from supportal.privacy.services import retention_cutoff, retention_run
from supportal.privacy.tests.helpers import sign_in
from supportal.test import Personas, make_ticket
from supportal.tickets.models import Attachment, Ticket
from supportal.tickets.services import ticket_mark_solved

pytestmark = pytest.mark.django_db

URL = "/en/agent/manage/personal-data/retention/"
NOW = datetime(2026, 6, 3, 12, 0, tzinfo=UTC)


def solved_ticket(personas: Personas, at: datetime, subject: str) -> Ticket:
    with time_machine.travel(at, tick=False):
        ticket = make_ticket(
            personas.customer,
            subject,
            f"Body of {subject}",
            attachments=[SimpleUploadedFile("old.txt", b"old", content_type="text/plain")],
        )
        ticket_mark_solved(ticket=ticket, actor=personas.agent)
    return ticket


@pytest.fixture
def tickets(personas: Personas, settings: Any, tmp_path: Path) -> dict[str, Ticket]:
    settings.MEDIA_ROOT = str(tmp_path)
    return {
        "old": solved_ticket(personas, NOW - timedelta(days=400), "Old solved"),
        "recent": solved_ticket(personas, NOW - timedelta(days=30), "Recent solved"),
        "open": make_ticket(personas.customer, "Old but open", "Still open"),
    }


class RetentionTests:
    def test_it_is_off_by_default_and_does_nothing(
        self, personas: Personas, tickets: dict[str, Ticket]
    ) -> None:
        assert not RetentionPolicy.current().enabled
        assert retention_run(now=NOW) == 0
        assert not ErasedTicket.objects.exists()

    def test_it_shows_a_dry_run_count_before_saving(
        self, client: Client, personas: Personas, tickets: dict[str, Ticket]
    ) -> None:
        sign_in(client, personas.admin)
        with time_machine.travel(NOW, tick=False):
            response = client.post(URL, {"enabled": "on", "months": "12"})
        page = response.content.decode()
        assert response.status_code == 200
        assert "This would erase 1 request closed before June 3, 2025." in page
        assert not RetentionPolicy.current().enabled
        with time_machine.travel(NOW, tick=False):
            response = client.post(URL, {"enabled": "on", "months": "12", "confirm": "True"})
        assert response.status_code == 302
        policy = RetentionPolicy.current()
        assert policy.enabled and policy.months == 12
        entry = AuditEntry.objects.get(action="privacy.retention_change")
        assert entry.after == {"enabled": True, "months": 12}
        assert not ErasedTicket.objects.exists()  # the worker erases, not the page

    def test_the_run_erases_only_what_is_due(
        self,
        personas: Personas,
        tickets: dict[str, Ticket],
        settings: Any,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        RetentionPolicy.objects.update_or_create(pk=1, defaults={"enabled": True, "months": 12})
        old_files = list(
            Attachment.objects.filter(ticket=tickets["old"]).values_list("file", flat=True)
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert retention_run(now=NOW, batch=1) == 1
        old = Ticket.objects.get(pk=tickets["old"].pk)
        assert old.subject == "Erased request"
        assert old.messages.get().body == "This message was erased."
        assert not Attachment.objects.filter(ticket=old).exists()
        assert Ticket.objects.get(pk=tickets["recent"].pk).subject == "Recent solved"
        assert Ticket.objects.get(pk=tickets["open"].pk).subject == "Old but open"
        assert Ticket.objects.count() == 3
        assert retention_run(now=NOW) == 0  # nothing left to do
        policy = RetentionPolicy.current()
        assert policy.last_run_at == NOW
        entry = AuditEntry.objects.get(action="privacy.retention_run")
        assert entry.after["requests"] == 1
        assert old_files and not any(
            (Path(settings.MEDIA_ROOT) / name).exists() for name in old_files
        )

    def test_turning_it_off_needs_no_confirmation(self, client: Client, personas: Personas) -> None:
        RetentionPolicy.objects.update_or_create(pk=1, defaults={"enabled": True, "months": 12})
        sign_in(client, personas.admin)
        response = client.post(URL, {"months": "12"})
        assert response.status_code == 302
        assert not RetentionPolicy.current().enabled

    def test_bad_input_gets_a_clear_message_and_changes_nothing(
        self, client: Client, personas: Personas
    ) -> None:
        sign_in(client, personas.admin)
        for months, message in (("", "Enter after how many months"), ("0", "greater than or")):
            response = client.post(URL, {"enabled": "on", "months": months})
            assert response.status_code == 400
            assert message in response.content.decode()
        response = client.post(URL, {"enabled": "on", "months": "abc"})
        assert response.status_code == 400
        assert 'value="abc"' in response.content.decode() or "Enter a whole number" in (
            response.content.decode()
        )
        assert not RetentionPolicy.current().enabled

    def test_the_cutoff_moves_back_whole_months(self) -> None:
        at = datetime(2026, 3, 31, 8, 0, tzinfo=UTC)
        assert retention_cutoff(1, at) == datetime(2026, 2, 28, 8, 0, tzinfo=UTC)
        assert retention_cutoff(14, at) == datetime(2025, 1, 31, 8, 0, tzinfo=UTC)

    def test_the_settings_menu_links_to_it(self, client: Client, personas: Personas) -> None:
        sign_in(client, personas.admin)
        page = client.get(URL).content.decode()
        assert f'href="{URL}" aria-current="page"' in page

    def test_customers_and_agents_may_not(self, client: Client, personas: Personas) -> None:
        for user in (personas.customer, personas.agent):
            sign_in(client, user)
            assert client.get(URL).status_code == 403
            assert (
                client.post(URL, {"enabled": "on", "months": "1", "confirm": "True"}).status_code
                == 403
            )
        assert not RetentionPolicy.current().enabled

    def test_it_refuses_a_wrong_method(self, client: Client, personas: Personas) -> None:
        sign_in(client, personas.admin)
        assert client.put(URL).status_code == 405
