"""The admins' People pages: the list, a person, changing role, active flag and organization."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from supportal.accounts.models import Role, User
from supportal.accounts.services import user_update_by_admin
from supportal.audit.models import AuditEntry
from supportal.test import Personas, make_user, session_queries

pytestmark = pytest.mark.django_db

BASE = "/en/agent/manage/people/"


def person_url(user: User) -> str:
    return f"{BASE}{user.pk}/"


class PeopleAccessTests:
    def test_it_is_for_admins_only(self, client: Client, personas: Personas) -> None:
        for url in (BASE, person_url(personas.customer)):
            client.logout()
            assert client.get(url).status_code == 302  # to sign in
            for someone in (personas.customer, personas.outsider, personas.agent):
                client.force_login(someone)
                assert client.get(url).status_code == 403
                assert client.post(url).status_code == 403
            client.force_login(personas.admin)
            assert client.get(url).status_code == 200

    def test_it_answers_404_for_no_such_person_and_405_for_a_post_to_the_list(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        assert client.get(f"{BASE}999999/").status_code == 404
        assert client.post(BASE).status_code == 405

    def test_it_is_linked_in_the_settings_menu(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        page = client.get(person_url(personas.agent)).content.decode()
        assert f'<a href="{BASE}" aria-current="page">People</a>' in page


class PeopleListTests:
    def test_it_searches_by_name_or_email_and_filters_by_role(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)

        def names(**query: str) -> set[str]:
            return {row.name for row in client.get(BASE, query).context["page"].rows}

        assert names(q="casey") == {"Casey Customer"}
        assert names(q="support.test") == {"Jiwoo Agent", "Kenji Billing", "Alex Admin"}
        assert names(role="agent") == {"Jiwoo Agent", "Kenji Billing"}
        assert names(q="acme", role="customer") == {"Casey Customer", "Minseo Colleague"}
        assert names(q="nobody-at-all") == set()
        assert "Nobody matches this search." in client.get(BASE, {"q": "zz"}).content.decode()
        assert client.get(BASE, {"role": "pirate"}).status_code == 200  # shown, not applied

    def test_it_pages_by_name_and_keeps_its_query_count(
        self, client: Client, personas: Personas, django_assert_num_queries: Any
    ) -> None:
        client.force_login(personas.admin)
        client.get(BASE)
        with django_assert_num_queries(session_queries() + 2):  # session, user, one page
            assert client.get(BASE).status_code == 200
        for number in range(60):
            make_user(f"person{number:02d}@many.test", name=f"Person {number:02d}")
        with django_assert_num_queries(session_queries() + 2):
            first = client.get(BASE, {"q": "many.test"})
        rows = first.context["page"].rows
        assert [row.name for row in rows[:2]] == ["Person 00", "Person 01"]
        assert len(rows) == 50
        second = client.get(first.context["next_url"])
        assert [row.name for row in second.context["page"].rows] == [
            f"Person {number}" for number in range(50, 60)
        ]


class PersonTests:
    def test_it_shows_the_details_and_the_fragments_of_other_areas(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        page = client.get(person_url(personas.agent)).content.decode()
        assert "<h1>Jiwoo Agent</h1>" in page
        assert "jiwoo@support.test" in page and "Support" in page
        assert 'name="role"' in page and 'name="is_active"' in page

    def test_it_changes_the_role_and_records_it(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        response = client.post(
            person_url(personas.customer),
            {"role": "agent", "is_active": "on", "organization": ""},
            headers={"user-agent": "PeopleTest/1"},
        )
        assert response.status_code == 302
        personas.customer.refresh_from_db()
        assert personas.customer.role == Role.AGENT
        assert personas.customer.organization is None
        entry = AuditEntry.objects.filter(action="user.change").get()
        assert entry.actor_id == personas.admin.pk
        assert entry.target_id == str(personas.customer.pk)
        assert entry.before == {"role": "customer", "organization": "Acme"}
        assert entry.after == {"role": "agent", "organization": None}
        assert entry.user_agent == "PeopleTest/1"
        page = client.get(person_url(personas.customer)).content.decode()
        assert "The changes have been saved." in page
        assert "Account changed" in page

    def test_it_records_nothing_when_nothing_changes(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        client.post(
            person_url(personas.agent), {"role": "agent", "is_active": "on", "organization": ""}
        )
        assert not AuditEntry.objects.filter(action="user.change").exists()

    def test_it_refuses_to_demote_or_deactivate_yourself(
        self, client: Client, personas: Personas
    ) -> None:
        make_user("second@support.test", role=Role.ADMIN)
        client.force_login(personas.admin)
        for data in (
            {"role": "agent", "is_active": "on", "organization": ""},
            {"role": "admin", "organization": ""},
        ):
            response = client.post(person_url(personas.admin), data)
            assert response.status_code == 400
            assert "You cannot remove your own administrator role" in response.content.decode()
        personas.admin.refresh_from_db()
        assert personas.admin.role == Role.ADMIN and personas.admin.is_active
        assert not AuditEntry.objects.filter(action="user.change").exists()

    def test_it_never_leaves_the_site_without_an_active_admin(self, personas: Personas) -> None:
        other = make_user("second@support.test", role=Role.ADMIN)
        user_update_by_admin(
            user=other, actor=personas.admin, role=Role.ADMIN, is_active=False, organization=None
        )
        # `other` is inactive now; `personas.admin` is the last one. Another admin's account
        # (a superuser would count too) cannot be made to take it away either.
        with pytest.raises(ValidationError) as refused:
            user_update_by_admin(
                user=personas.admin,
                actor=other,
                role=Role.CUSTOMER,
                is_active=True,
                organization=None,
            )
        assert refused.value.code == "last_admin"
        personas.admin.refresh_from_db()
        assert personas.admin.role == Role.ADMIN

    def test_it_keeps_the_input_when_the_form_is_wrong(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        response = client.post(
            person_url(personas.agent), {"role": "pirate", "organization": "99999"}
        )
        assert response.status_code == 400
        page = response.content.decode()
        assert "Select a valid choice." in page
        personas.agent.refresh_from_db()
        assert personas.agent.role == Role.AGENT
