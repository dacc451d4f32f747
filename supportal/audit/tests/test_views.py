"""The audit log pages: who may open them, the filters, keyset pages, and the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from supportal.audit.models import AuditEntry
from supportal.audit.services import audit_record
from supportal.test import Personas, session_queries

pytestmark = pytest.mark.django_db

BASE = "/en/agent/manage/audit/"
EXPORT = "/en/agent/manage/audit/export.csv"


def exported(response: Any) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-log-')
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


class AccessTests:
    @pytest.mark.parametrize("url", [BASE, EXPORT])
    def test_it_is_for_admins_only(self, client: Client, personas: Personas, url: str) -> None:
        assert client.get(url).status_code == 302  # to sign in
        for someone in (personas.customer, personas.outsider, personas.agent):
            client.force_login(someone)
            assert client.get(url).status_code == 403
        client.force_login(personas.admin)
        assert client.get(url).status_code == 200

    @pytest.mark.parametrize("url", [BASE, EXPORT])
    def test_it_refuses_post(self, client: Client, personas: Personas, url: str) -> None:
        client.force_login(personas.admin)
        assert client.post(url).status_code == 405

    def test_it_is_linked_in_the_settings_menu_for_admins_only(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        page = client.get(BASE).content.decode()
        assert f'<a href="{BASE}" aria-current="page">Audit log</a>' in page
        client.force_login(personas.agent)
        assert BASE not in client.get("/en/agent/macros/").content.decode()


class ListTests:
    def test_it_shows_entries_in_words_newest_first(
        self, client: Client, personas: Personas
    ) -> None:
        audit_record(
            action="mailbox.change",
            actor=personas.admin,
            target=personas.support,
            before={"name": "Old name", "active": True},
            after={"name": "New name", "active": False},
        )
        audit_record(action="something.unknown", actor=personas.agent, note="a note")
        client.force_login(personas.admin)
        page = client.get(BASE).content.decode()
        page = page[page.index("<tbody>") :]
        assert page.index("something.unknown") < page.index("Support address changed")
        assert "a note" in page
        assert (
            '<span class="audit-key">Name:</span>\n    <del><span class="visually-hidden">was'
            " </span>Old name</del>"
        ) in page
        assert "New name</ins>" in page
        assert "yes</del>" in page and "no</ins>" in page

    def test_it_filters_by_action_actor_type_and_dates(
        self, client: Client, personas: Personas
    ) -> None:
        seoul = ZoneInfo("Asia/Seoul")
        with time_machine.travel(datetime(2026, 3, 1, 23, 30, tzinfo=seoul), tick=False):
            audit_record(action="trigger.change", actor=personas.admin, target=personas.support)
        with time_machine.travel(datetime(2026, 3, 2, 0, 30, tzinfo=seoul), tick=False):
            audit_record(action="auth.logout", actor=personas.agent, target=personas.agent)
        personas.admin.time_zone = "Asia/Seoul"
        personas.admin.save(update_fields=["time_zone"])
        client.force_login(personas.admin)

        def shown(**query: str) -> set[str]:
            page = client.get(BASE, query).content.decode()
            return {code for code in ("Signed out", "Trigger changed") if f"<td>{code}" in page}

        assert shown(action="auth.logout") == {"Signed out"}
        assert shown(actor="alex@") == {"Trigger changed"}
        assert shown(target_type="tickets.group") == {"Trigger changed"}
        # Days in the admin's time zone: 1 March in Seoul ends at 15:00 UTC.
        assert shown(date_from="2026-03-02") == {"Signed out"}
        assert shown(date_to="2026-03-01", action="") == {"Trigger changed"}
        assert shown(date_from="2026-03-01", date_to="2026-03-02") == {
            "Signed out",
            "Trigger changed",
        }

    def test_it_offers_the_actions_and_types_that_occur(
        self, client: Client, personas: Personas
    ) -> None:
        audit_record(action="trigger.change", target=personas.support)
        client.force_login(personas.admin)
        page = client.get(BASE).content.decode()
        assert '<option value="trigger.change">Trigger changed</option>' in page
        assert '<option value="tickets.group">Group</option>' in page
        assert '<option value="privacy.erase">' not in page

    def test_it_shows_a_bad_filter_with_its_error_and_keeps_it(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        response = client.get(BASE, {"date_from": "2026-05-02", "date_to": "2026-05-01"})
        page = response.content.decode()
        assert response.status_code == 200
        assert "The start date is after the end date." in page
        assert 'value="2026-05-02"' in page
        response = client.get(BASE, {"date_from": "not-a-date", "action": "nope"})
        assert response.status_code == 200
        assert "Enter a valid date." in response.content.decode()
        assert client.get(BASE, {"after": "%%%garbage"}).status_code == 200

    def test_it_pages_with_a_cursor_keeping_the_filters(
        self, client: Client, personas: Personas
    ) -> None:
        start = datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC"))
        for number in range(55):
            with time_machine.travel(start + timedelta(minutes=number), tick=False):
                audit_record(action="test.paged", note=f"entry-{number:02d}")
        client.force_login(personas.admin)
        first = client.get(BASE, {"action": "test.paged"})
        older = first.context["next_url"]
        assert "action=test.paged" in older and "entry-54" in first.content.decode()
        assert "entry-04" not in first.content.decode()
        second = client.get(older)
        page = second.content.decode()
        assert "entry-04" in page and "entry-00" in page and "entry-05" not in page
        back = client.get(second.context["previous_url"]).content.decode()
        assert "entry-54" in back and "entry-05" in back

    def test_it_keeps_its_query_count(
        self, client: Client, personas: Personas, django_assert_num_queries: Any
    ) -> None:
        client.force_login(personas.admin)
        client.get(BASE)
        # session, user, actions, types, one page of entries
        with django_assert_num_queries(session_queries() + 4):
            assert client.get(BASE).status_code == 200
        for number in range(60):
            audit_record(
                action=f"test.kind{number % 7}",
                actor=personas.agent,
                target=personas.support,
                before={"name": "a"},
                after={"name": "b"},
            )
        with django_assert_num_queries(session_queries() + 4):
            response = client.get(BASE, {"actor": "jiwoo"})
            assert response.status_code == 200
        assert response.context["next_url"]


class ExportTests:
    def test_it_exports_the_filtered_entries_with_a_header(
        self, client: Client, personas: Personas
    ) -> None:
        audit_record(
            action="trigger.change",
            actor=personas.agent,
            target=personas.support,
            before={"name": "Old"},
            after={"name": "New"},
        )
        audit_record(action="auth.login", actor=personas.customer)
        client.force_login(personas.admin)
        rows = exported(client.get(EXPORT, {"action": "trigger.change"}))
        assert rows[0] == [
            "time",
            "actor",
            "action",
            "action_label",
            "object_type",
            "object_id",
            "object",
            "ip",
            "browser",
            "before",
            "after",
            "note",
        ]
        [row] = rows[1:]
        assert row[1:7] == [
            "jiwoo@support.test",
            "trigger.change",
            "Trigger changed",
            "tickets.group",
            str(personas.support.pk),
            "Support",
        ]
        assert row[9] == '{"name": "Old"}' and row[10] == '{"name": "New"}'

    def test_it_records_the_export(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        exported(client.get(EXPORT, {"actor": "casey"}))
        entry = AuditEntry.objects.filter(action="audit.export").get()
        assert entry.actor_id == personas.admin.pk
        assert entry.after == {"actor": "casey"}
        assert entry.ip == "127.0.0.1"

    def test_it_defuses_cells_a_spreadsheet_would_run(
        self, client: Client, personas: Personas
    ) -> None:
        for label in ("=HYPERLINK(1)", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "plain"):
            audit_record(action="test.evil", target_label=label, note=label)
        client.force_login(personas.admin)
        rows = exported(client.get(EXPORT, {"action": "test.evil"}))
        objects = sorted(row[6] for row in rows[1:])
        assert objects == sorted(
            ["'=HYPERLINK(1)", "'+1+1", "'-2+3", "'@SUM(A1)", "'\tTAB", "plain"]
        )
        assert all(row[11] == row[6] for row in rows[1:])
