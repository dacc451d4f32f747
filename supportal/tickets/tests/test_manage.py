"""Request settings for admins: groups, custom fields and request types."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from supportal.test import Personas, make_user, session_queries
from supportal.tickets import settings_services
from supportal.tickets.agent_forms import choices_from_text, choices_to_text
from supportal.tickets.models import CustomField, Group, RequestType

pytestmark = pytest.mark.django_db

BASE = "/en/agent/manage"


def field_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "key": "plan",
        "label_en": "Plan",
        "label_ko": "요금제",
        "label_ja": "",
        "label_zh-hans": "",
        "kind": "dropdown",
        "choices": "basic | Basic | 기본\npro | Professional | 프로 | プロ | 专业\n\n",
        "required": "on",
        "position": "2",
        "active": "on",
    }
    data.update(overrides)
    return data


class GroupSettingsTests:
    def test_it_creates_and_edits_a_group_with_members(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        response = client.post(
            f"{BASE}/groups/new",
            {"name": "Escalations", "description": "Hard cases", "members": [personas.agent.pk]},
        )
        assert response.status_code == 302
        assert response["Location"] == f"{BASE}/groups/"
        group = Group.objects.get(name="Escalations")
        assert list(group.members.all()) == [personas.agent]
        listing = client.get(response["Location"]).content.decode()
        assert "The group has been saved." in listing and "Hard cases" in listing

        form = client.get(f"{BASE}/groups/{group.pk}").content.decode()
        assert 'value="Escalations"' in form
        client.post(
            f"{BASE}/groups/{group.pk}",
            {"name": "Escalations", "members": [personas.other_agent.pk, personas.admin.pk]},
        )
        group.refresh_from_db()
        assert set(group.members.all()) == {personas.other_agent, personas.admin}
        assert group.description == ""

    def test_it_refuses_a_taken_name_and_customers_as_members(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        taken = client.post(f"{BASE}/groups/new", {"name": "support", "description": "Mine"})
        assert taken.status_code == 400
        assert "There is already a group with this name." in taken.content.decode()
        assert 'value="Mine"' in taken.content.decode()
        customer = client.post(
            f"{BASE}/groups/new", {"name": "VIP", "members": [personas.customer.pk]}
        )
        assert customer.status_code == 400
        assert "Select a valid choice." in customer.content.decode()
        assert Group.objects.count() == 2

    def test_the_service_refuses_customers_as_members(self, personas: Personas) -> None:
        with pytest.raises(ValidationError):
            settings_services.group_save(
                group=None, name="VIP", description="", members=[personas.customer]
            )

    def test_the_list_keeps_its_query_count(
        self, client: Client, personas: Personas, django_assert_num_queries
    ) -> None:
        client.force_login(personas.admin)
        client.get(f"{BASE}/groups/")
        with django_assert_num_queries(session_queries() + 2):
            assert client.get(f"{BASE}/groups/").status_code == 200
        for number in range(5):
            group = Group.objects.create(name=f"Team {number}")
            group.members.add(make_user(f"agent{number}@support.test", role="agent"))
        with django_assert_num_queries(session_queries() + 2):
            page = client.get(f"{BASE}/groups/").content.decode()
        assert "Team 4" in page


class CustomFieldSettingsTests:
    def test_it_creates_a_drop_down_with_choices_in_every_language(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        response = client.post(f"{BASE}/fields/new", field_data())
        assert response.status_code == 302
        field = CustomField.objects.get()
        assert field.labels == {"en": "Plan", "ko": "요금제"}
        assert field.choices == [
            {"value": "basic", "labels": {"en": "Basic", "ko": "기본"}},
            {
                "value": "pro",
                "labels": {"en": "Professional", "ko": "프로", "ja": "プロ", "zh-hans": "专业"},
            },
        ]
        assert (field.required, field.customer_visible, field.position, field.active) == (
            True,
            False,
            2,
            True,
        )
        listing = client.get(f"{BASE}/fields/").content.decode()
        assert "No, agents only" in listing and "<code>plan</code>" in listing

    def test_it_edits_a_field_but_never_its_key(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        client.post(f"{BASE}/fields/new", field_data())
        field = CustomField.objects.get()
        form = client.get(f"{BASE}/fields/{field.pk}").content.decode()
        assert "pro | Professional | 프로 | プロ | 专业" in form
        assert "disabled" in form[form.index('name="key"') - 200 : form.index('name="key"') + 200]
        response = client.post(
            f"{BASE}/fields/{field.pk}",
            field_data(key="renamed", kind="text", label_en="Plan name", customer_visible="on"),
        )
        assert response.status_code == 302
        field.refresh_from_db()
        assert (field.key, field.kind, field.choices, field.label) == (
            "plan",
            "text",
            [],
            "Plan name",
        )
        assert field.customer_visible

    def test_it_explains_what_is_wrong(self, client: Client, personas: Personas) -> None:
        CustomField.objects.create(key="taken", labels={"en": "Taken"})
        client.force_login(personas.admin)
        cases = {
            "There is already a field with this key.": field_data(key="taken"),
            "This field is required.": field_data(label_en=""),
            "A drop-down needs at least one choice.": field_data(choices=" \n"),
            "Line 2 has no value before the first “|”.": field_data(choices="a | A\n | B"),
            "The value “a” appears twice.": field_data(choices="a\na | A"),
            "Line 1 has too many “|”.": field_data(choices="a|1|2|3|4|5"),
            "Enter a valid “slug”": field_data(key="two words"),
        }
        for message, data in cases.items():
            response = client.post(f"{BASE}/fields/new", data)
            assert response.status_code == 400, message
            assert message in response.content.decode(), message
        assert CustomField.objects.count() == 1

    def test_choices_survive_a_round_trip(self) -> None:
        text = "basic | Basic | 기본\nplus\npro | | | プロ"
        choices = choices_from_text(text)
        assert choices[1] == {"value": "plus", "labels": {"en": "plus"}}
        assert choices[2] == {"value": "pro", "labels": {"ja": "プロ"}}
        assert choices_to_text(choices) == "basic | Basic | 기본\nplus | plus\npro |  |  | プロ"

    def test_the_list_keeps_its_query_count(
        self, client: Client, personas: Personas, django_assert_num_queries
    ) -> None:
        client.force_login(personas.admin)
        client.get(f"{BASE}/fields/")
        with django_assert_num_queries(session_queries() + 2):
            client.get(f"{BASE}/fields/")
        for number in range(5):
            CustomField.objects.create(key=f"f{number}", labels={"en": f"Field {number}"})
        with django_assert_num_queries(session_queries() + 2):
            assert "Field 4" in client.get(f"{BASE}/fields/").content.decode()


class RequestTypeSettingsTests:
    def test_it_creates_and_edits_a_type(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        response = client.post(
            f"{BASE}/types/new",
            {"name_en": "Billing", "name_ko": "결제", "position": "1", "active": "on"},
        )
        assert response.status_code == 302
        request_type = RequestType.objects.get()
        assert request_type.names == {"en": "Billing", "ko": "결제"}
        form = client.get(f"{BASE}/types/{request_type.pk}").content.decode()
        assert 'lang="ko"' in form and 'value="결제"' in form
        client.post(f"{BASE}/types/{request_type.pk}", {"name_en": "Payments", "position": "0"})
        request_type.refresh_from_db()
        assert (request_type.names, request_type.active) == ({"en": "Payments"}, False)
        korean = client.get(f"/ko{BASE[3:]}/types/").content.decode()
        assert "Payments" in korean  # falls back to the default language

    def test_it_needs_the_default_language_and_a_sane_position(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        response = client.post(
            f"{BASE}/types/new", {"name_en": "", "name_ko": "결제", "position": "-1"}
        )
        assert response.status_code == 400
        page = response.content.decode()
        assert "This field is required." in page
        assert "Ensure this value is greater than or equal to 0." in page
        assert 'value="결제"' in page
        assert not RequestType.objects.exists()

    def test_the_list_keeps_its_query_count(
        self, client: Client, personas: Personas, django_assert_num_queries
    ) -> None:
        client.force_login(personas.admin)
        client.get(f"{BASE}/types/")
        with django_assert_num_queries(session_queries() + 2):
            client.get(f"{BASE}/types/")
        for number in range(5):
            RequestType.objects.create(names={"en": f"Type {number}"})
        with django_assert_num_queries(session_queries() + 2):
            assert "Type 4" in client.get(f"{BASE}/types/").content.decode()
