"""Saved views: making, changing and deleting them, and who may."""

from __future__ import annotations

import pytest
from django.test import Client

from supportal.test import Personas
from supportal.tickets.models import CustomField, RequestType, SavedView, TicketFieldValue
from supportal.tickets.tests.test_inbox_fixtures import World, build_world, numbers, saved_view

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(personas: Personas) -> World:
    return build_world(personas)


def form_data(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {"name": "Urgent Support", "sort": "updated"}
    data.update(changes)
    return data


class SavedViewCreateTests:
    def test_it_saves_the_conditions_and_shows_the_view(
        self, client: Client, personas: Personas, world: World
    ) -> None:
        kind = RequestType.objects.create(names={"en": "Question"})
        client.force_login(personas.agent)
        response = client.post(
            "/en/agent/views/new",
            form_data(
                status=["new", "pending"],
                priority=["2", "3"],
                group=str(personas.support.pk),
                assignee="none",
                tags="VIP, refund",
                type=str(kind.pk),
                requester="Casey@Acme.test",
                organization="acme",
                created_after="2025-01-01",
                created_before="2030-12-31",
                updated_after="2025-01-02",
                updated_before="2030-12-30",
                sort="priority",
            ),
        )
        saved = SavedView.objects.get()
        assert response.status_code == 302
        assert response["Location"] == f"/en/agent/views/saved/{saved.pk}"
        assert (saved.name, saved.owner, saved.sort) == (
            "Urgent Support",
            personas.agent,
            "priority",
        )
        assert saved.conditions == {
            "status": ["new", "pending"],
            "priority": [2, 3],
            "group": personas.support.pk,
            "assignee": "none",
            "type": kind.pk,
            "tags": ["vip", "refund"],
            "requester": "casey@acme.test",
            "organization": personas.acme.pk,
            "created_after": "2025-01-01",
            "created_before": "2030-12-31",
            "updated_after": "2025-01-02",
            "updated_before": "2030-12-30",
        }
        page = client.get(response["Location"]).content.decode()
        assert "The view “Urgent Support” was saved." in page
        assert "<h1>Urgent Support</h1>" in page

    def test_it_lists_the_matching_requests(
        self, client: Client, personas: Personas, world: World
    ) -> None:
        client.force_login(personas.agent)
        client.post("/en/agent/views/new", form_data(status=["pending"], assignee="none"))
        saved = SavedView.objects.get()
        response = client.get(f"/en/agent/views/saved/{saved.pk}")
        assert numbers(response) == [world.pending.pk]
        assert f'href="/en/agent/requests/{world.pending.pk}/?view=saved-{saved.pk}"' in (
            response.content.decode()
        )

    def test_it_saves_custom_field_conditions(
        self, client: Client, personas: Personas, world: World
    ) -> None:
        plan = CustomField.objects.create(
            key="plan",
            labels={"en": "Plan"},
            kind=CustomField.Kind.DROPDOWN,
            choices=[{"value": "gold", "labels": {"en": "Gold"}}],
        )
        vip = CustomField.objects.create(
            key="vip", labels={"en": "VIP"}, kind=CustomField.Kind.CHECKBOX
        )
        TicketFieldValue.objects.create(ticket=world.mine, field=plan, value="gold")
        TicketFieldValue.objects.create(ticket=world.mine, field=vip, value="1")
        TicketFieldValue.objects.create(ticket=world.pending, field=plan, value="gold")
        client.force_login(personas.agent)
        client.post(
            "/en/agent/views/new",
            form_data(field_0=str(plan.pk), value_0="GOLD", field_1=str(vip.pk), value_1="yes"),
        )
        saved = SavedView.objects.get()
        assert saved.conditions == {
            "fields": [{"field": plan.pk, "value": "gold"}, {"field": vip.pk, "value": "1"}]
        }
        assert numbers(client.get(f"/en/agent/views/saved/{saved.pk}")) == [world.mine.pk]
        edit = client.get(f"/en/agent/views/saved/{saved.pk}/edit").content.decode()
        assert 'name="value_0" value="Gold"' in edit and 'name="value_1" value="Yes"' in edit
        assert 'name="field_2"' in edit  # room for one more

    @pytest.mark.parametrize(
        ("data", "error"),
        [
            ({"name": ""}, "This field is required."),
            ({"organization": "Initech"}, "There is no organization with this name."),
            ({"requester": "not an email"}, "Enter a valid email address."),
            ({"group": "999"}, "Select a valid choice."),
            ({"status": ["lost"]}, "Select a valid choice."),
            (
                {"created_after": "2025-02-01", "created_before": "2025-01-01"},
                "This date is before the first one.",
            ),
            ({"updated_after": "31/02/2025"}, "Enter a valid date."),
        ],
    )
    def test_it_explains_bad_input_and_keeps_it(
        self, client: Client, personas: Personas, data: dict[str, object], error: str
    ) -> None:
        client.force_login(personas.agent)
        response = client.post("/en/agent/views/new", form_data(tags="kept-tag", **data))
        assert response.status_code == 200
        html = response.content.decode()
        assert error in html and 'value="kept-tag"' in html
        assert not SavedView.objects.exists()

    def test_it_checks_custom_field_values(self, client: Client, personas: Personas) -> None:
        plan = CustomField.objects.create(
            key="plan",
            labels={"en": "Plan"},
            kind=CustomField.Kind.DROPDOWN,
            choices=[{"value": "gold", "labels": {"en": "Gold"}}],
        )
        seats = CustomField.objects.create(key="seats", kind=CustomField.Kind.NUMBER)
        client.force_login(personas.agent)
        response = client.post(
            "/en/agent/views/new",
            form_data(field_0=str(plan.pk), value_0="Platinum", field_1=str(seats.pk), value_1="x"),
        )
        html = response.content.decode()
        assert "Choose one of this field&#x27;s values: Gold." in html
        assert "Enter a number." in html
        assert not SavedView.objects.exists()


class SavedViewPermissionTests:
    def test_it_shares_views_only_for_admins(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.agent)
        assert 'name="shared"' not in client.get("/en/agent/views/new").content.decode()
        client.post("/en/agent/views/new", form_data(name="Mine only", shared="on"))
        assert SavedView.objects.get(name="Mine only").owner == personas.agent
        client.force_login(personas.admin)
        client.post("/en/agent/views/new", form_data(name="For everyone", shared="on"))
        shared = SavedView.objects.get(name="For everyone")
        assert shared.owner is None
        client.force_login(personas.other_agent)
        page = client.get("/en/agent/").content.decode()
        assert '<span class="inbox-view-name">For everyone <span class="inbox-shared">' in page
        assert '<span class="inbox-view-name">Mine only' not in page
        response = client.get(f"/en/agent/views/saved/{shared.pk}")
        assert response.status_code == 200
        assert "Edit this view" not in response.content.decode()

    def test_it_lets_only_the_owner_change_a_private_view(
        self, client: Client, personas: Personas
    ) -> None:
        private = saved_view(personas.agent, "Private")
        for persona in ("other_agent", "admin"):
            client.force_login(getattr(personas, persona))
            edit = f"/en/agent/views/saved/{private.pk}/edit"
            assert client.get(edit).status_code == 404, persona
            assert client.post(edit, form_data()).status_code == 404, persona
            delete = f"/en/agent/views/saved/{private.pk}/delete"
            assert client.post(delete).status_code == 404, persona
        assert SavedView.objects.get().name == "Private"

    def test_it_lets_only_admins_change_a_shared_view(
        self, client: Client, personas: Personas
    ) -> None:
        shared = saved_view(None, "Shared")
        client.force_login(personas.agent)
        assert client.get(f"/en/agent/views/saved/{shared.pk}/edit").status_code == 404
        assert client.post(f"/en/agent/views/saved/{shared.pk}/delete").status_code == 404
        client.force_login(personas.admin)
        response = client.post(
            f"/en/agent/views/saved/{shared.pk}/edit",
            form_data(name="Shared, renamed", shared="on", status=["open"]),
        )
        assert response.status_code == 302
        shared.refresh_from_db()
        assert (shared.name, shared.owner, shared.conditions) == (
            "Shared, renamed",
            None,
            {"status": ["open"]},
        )


class SavedViewEditTests:
    def test_it_shows_the_saved_conditions_and_changes_them(
        self, client: Client, personas: Personas
    ) -> None:
        saved = saved_view(
            personas.agent, status=["pending"], assignee="me", created_after="2025-03-01"
        )
        client.force_login(personas.agent)
        page = client.get(f"/en/agent/views/saved/{saved.pk}/edit").content.decode()
        assert 'value="pending" id="id_status_2" checked' in page
        assert '<option value="me" selected>' in page
        assert 'value="2025-03-01"' in page
        response = client.post(
            f"/en/agent/views/saved/{saved.pk}/edit", form_data(name="Renamed", priority=["4"])
        )
        assert response["Location"] == f"/en/agent/views/saved/{saved.pk}"
        saved.refresh_from_db()
        assert (saved.name, saved.conditions, saved.owner) == (
            "Renamed",
            {"priority": [4]},
            personas.agent,
        )

    def test_it_deletes_a_view(self, client: Client, personas: Personas) -> None:
        saved = saved_view(personas.agent, "Doomed")
        client.force_login(personas.agent)
        response = client.post(f"/en/agent/views/saved/{saved.pk}/delete")
        assert response["Location"] == "/en/agent/"
        assert not SavedView.objects.exists()
        assert "The view “Doomed” was deleted." in client.get("/en/agent/").content.decode()
