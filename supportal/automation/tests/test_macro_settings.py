"""Macro settings: agents manage their own macros, admins also the shared ones."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from supportal.automation import services
from supportal.automation.models import Macro
from supportal.automation.tests.fixtures import make_article, make_macro
from supportal.test import Personas, make_user, session_queries
from supportal.tickets.models import CustomField

pytestmark = pytest.mark.django_db

BASE = "/en/agent/manage/macros"


def macro_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "title": "Password reset",
        "kind": "public",
        "active": "on",
        "text_en": "Hello {{requester.first_name}}, this is {{agent.name}}.",
        "text_ko": "{{requester.name}}님, 안녕하세요.",
        "text_ja": "",
        "text_zh-hans": "",
        "set_status": "pending",
        "set_priority": "",
        "set_group": "",
        "set_assignee": "",
        "add_tags": "password, Account",
        "remove_tags": "",
    }
    data.update(overrides)
    return data


class MacroSettingsTests:
    def test_it_lets_an_agent_create_a_personal_macro(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.agent)
        form = client.get(f"{BASE}/new").content.decode()
        assert 'name="scope"' not in form  # sharing is for admins
        assert "{{requester.first_name}}" in form  # the placeholder help
        assert 'lang="ko"' in form
        response = client.post(f"{BASE}/new", macro_data(scope="shared"))
        assert response.status_code == 302
        assert response["Location"] == f"{BASE}/"
        macro = Macro.objects.get()
        assert macro.owner == personas.agent and macro.group is None
        assert macro.texts == {
            "en": "Hello {{requester.first_name}}, this is {{agent.name}}.",
            "ko": "{{requester.name}}님, 안녕하세요.",
        }
        assert macro.changes == {"status": "pending", "add_tags": ["account", "password"]}
        listing = client.get(response["Location"]).content.decode()
        assert "The macro has been saved." in listing and "Password reset" in listing
        assert "Only me" in listing

    def test_it_lets_an_admin_share_a_macro_with_one_group(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        data = macro_data(
            scope="shared",
            group=str(personas.billing.pk),
            kind="note",
            set_assignee="me",
            set_group="none",
            set_priority="3",
        )
        assert client.post(f"{BASE}/new", data).status_code == 302
        macro = Macro.objects.get()
        assert (macro.owner, macro.group, macro.public) == (None, personas.billing, False)
        assert macro.changes["assignee"] == "me" and macro.changes["group"] is None
        assert macro.changes["priority"] == 3
        assert "Members of Billing" in client.get(f"{BASE}/").content.decode()

    def test_it_edits_a_macro_with_its_values_in_the_form(
        self, client: Client, personas: Personas
    ) -> None:
        CustomField.objects.create(
            key="plan",
            labels={"en": "Plan"},
            kind=CustomField.Kind.DROPDOWN,
            choices=[{"value": "pro", "labels": {"en": "Professional"}}],
        )
        macro = make_macro(
            personas.agent,
            changes={"status": "solved", "fields": {"plan": "pro"}, "remove_tags": ["old"]},
        )
        client.force_login(personas.agent)
        form = client.get(f"{BASE}/{macro.pk}").content.decode()
        assert 'value="Password reset"' in form
        assert '<option value="solved" selected>' in form
        assert '<option value="pro" selected>' in form
        assert 'value="old"' in form
        response = client.post(
            f"{BASE}/{macro.pk}", macro_data(title="Reset", cf_plan="", active="")
        )
        assert response.status_code == 302
        macro.refresh_from_db()
        assert (macro.title, macro.active) == ("Reset", False)
        assert "fields" not in macro.changes and macro.owner == personas.agent

    def test_it_refuses_an_unknown_placeholder_and_names_it(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.agent)
        response = client.post(
            f"{BASE}/new", macro_data(text_ja="{{requester.nmae}}様 {{ ticket.number }}")
        )
        assert response.status_code == 400
        page = response.content.decode()
        assert "Unknown placeholder: {{requester.nmae}}" in page
        assert 'id="id_text_ja_error"' in page
        assert "{{requester.nmae}}様 {{ ticket.number }}</textarea>" in page  # kept as typed
        assert not Macro.objects.exists()

    def test_it_refuses_an_unknown_or_unpublished_article(
        self, client: Client, personas: Personas
    ) -> None:
        draft = make_article(status="draft")
        published = make_article()
        client.force_login(personas.agent)
        text = f"{{{{article:{draft.pk}}}}} {{{{article:999999}}}} {{{{article:{published.pk}}}}}"
        response = client.post(f"{BASE}/new", macro_data(text_en=text))
        assert response.status_code == 400
        page = response.content.decode()
        assert f"There is no published help-center article {draft.pk}" in page
        assert "There is no published help-center article 999999" in page
        assert f"article {published.pk} " not in page
        ok = client.post(f"{BASE}/new", macro_data(text_en=f"{{{{article:{published.pk}}}}}"))
        assert ok.status_code == 302

    def test_it_refuses_invalid_changes(self, client: Client, personas: Personas) -> None:
        CustomField.objects.create(key="renewal", labels={"en": "Renewal"}, kind="date")
        client.force_login(personas.agent)
        response = client.post(
            f"{BASE}/new",
            macro_data(set_status="bogus", cf_renewal="next week", remove_tags="password"),
        )
        assert response.status_code == 400
        page = response.content.decode()
        assert "Select a valid choice. bogus is not one of the available choices." in page
        assert "Renewal needs a date such as 2026-03-01." in page
        assert 'value="next week"' in page

    def test_the_service_checks_changes_against_what_exists(self, personas: Personas) -> None:
        CustomField.objects.create(
            key="plan",
            labels={"en": "Plan"},
            kind=CustomField.Kind.DROPDOWN,
            choices=[{"value": "pro", "labels": {"en": "Professional"}}],
        )
        with pytest.raises(ValidationError) as raised:
            services.clean_changes(
                {
                    "status": "bogus",
                    "priority": 9,
                    "group": 999999,
                    "assignee": personas.customer.pk,
                    "fields": {"plan": "gold", "nope": "1"},
                    "subject": "x",
                }
            )
        assert set(raised.value.message_dict) == {
            "status", "priority", "group", "assignee", "field:plan", "field:nope", "subject"
        }  # fmt: skip
        assert services.clean_changes({"group": str(personas.support.pk), "assignee": None}) == {
            "group": personas.support.pk,
            "assignee": None,
        }

    def test_it_needs_a_text_or_a_change(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.agent)
        response = client.post(
            f"{BASE}/new", macro_data(text_en="", text_ko="", set_status="", add_tags="")
        )
        assert response.status_code == 400
        assert "A macro needs a text in at least one language, or a change." in (
            response.content.decode()
        )
        only_changes = macro_data(title="Close", text_en="", text_ko="", set_status="closed")
        assert client.post(f"{BASE}/new", only_changes).status_code == 302

    def test_it_deactivates_activates_and_deletes_with_confirmation(
        self, client: Client, personas: Personas
    ) -> None:
        macro = make_macro(personas.agent)
        client.force_login(personas.agent)
        response = client.post(f"{BASE}/{macro.pk}/toggle")
        assert response.status_code == 302
        macro.refresh_from_db()
        assert not macro.active
        assert "is inactive" in client.get(f"{BASE}/").content.decode()
        client.post(f"{BASE}/{macro.pk}/toggle")
        macro.refresh_from_db()
        assert macro.active
        confirm = client.get(f"{BASE}/{macro.pk}/delete")
        assert confirm.status_code == 200
        assert "Delete the macro “Password reset”?" in confirm.content.decode()
        assert Macro.objects.exists()
        assert client.post(f"{BASE}/{macro.pk}/delete").status_code == 302
        assert not Macro.objects.exists()

    def test_it_searches_and_filters_the_list(self, client: Client, personas: Personas) -> None:
        make_macro(personas.admin, "Refund approved")
        make_macro(personas.admin, "Refund denied", shared=True, active=False)
        make_macro(personas.admin, "Welcome", shared=True)
        client.force_login(personas.admin)

        def titles(query: str) -> list[str]:
            page = client.get(f"{BASE}/?{query}").content.decode()
            return [t for t in ("Refund approved", "Refund denied", "Welcome") if t in page]

        assert titles("") == ["Refund approved", "Refund denied", "Welcome"]
        assert titles("q=refund") == ["Refund approved", "Refund denied"]
        assert titles("scope=shared") == ["Refund denied", "Welcome"]
        assert titles("scope=personal") == ["Refund approved"]
        assert titles("q=refund&state=active") == ["Refund approved"]
        assert "No macros match these filters." in client.get(f"{BASE}/?q=zzz").content.decode()

    def test_the_list_keeps_its_query_count(
        self, client: Client, personas: Personas, django_assert_num_queries
    ) -> None:
        client.force_login(personas.admin)
        client.get(f"{BASE}/")
        with django_assert_num_queries(session_queries() + 2):
            assert client.get(f"{BASE}/").status_code == 200
        for number in range(5):
            make_macro(personas.admin, f"Macro {number}", shared=True, group=personas.support)
            make_macro(personas.admin, f"Mine {number}")
        with django_assert_num_queries(session_queries() + 2):
            page = client.get(f"{BASE}/?q=m").content.decode()
        assert "Macro 4" in page and "Mine 4" in page and "Members of Support" in page


class MacroSettingsPermissionTests:
    def test_personal_macros_are_invisible_to_other_agents(
        self, client: Client, personas: Personas
    ) -> None:
        macro = make_macro(personas.agent, "Jiwoo's own")
        client.force_login(personas.other_agent)
        assert "Jiwoo's own" not in client.get(f"{BASE}/").content.decode()
        assert client.get(f"{BASE}/{macro.pk}").status_code == 404
        assert client.post(f"{BASE}/{macro.pk}", macro_data()).status_code == 404
        assert client.post(f"{BASE}/{macro.pk}/toggle").status_code == 404
        assert client.post(f"{BASE}/{macro.pk}/delete").status_code == 404
        client.force_login(personas.admin)  # personal means personal, admins included
        assert client.get(f"{BASE}/{macro.pk}").status_code == 404
        macro.refresh_from_db()
        assert macro.active and macro.title == "Jiwoo's own"

    def test_agents_cannot_manage_shared_macros(self, client: Client, personas: Personas) -> None:
        shared = make_macro(personas.admin, "Team reply", shared=True)
        client.force_login(personas.agent)
        assert "Team reply" not in client.get(f"{BASE}/").content.decode()
        assert client.get(f"{BASE}/{shared.pk}").status_code == 404
        with pytest.raises(PermissionDenied):
            make_macro(personas.agent, "Sneaky", shared=True)
        with pytest.raises(PermissionDenied):
            services.macro_delete(macro=shared, actor=personas.agent)

    def test_customers_get_403_or_404(self, client: Client, personas: Personas) -> None:
        macro = make_macro(personas.agent)
        client.force_login(personas.customer)
        assert client.get(f"{BASE}/").status_code == 403
        assert client.get(f"{BASE}/new").status_code == 403
        assert client.post(f"{BASE}/new", macro_data()).status_code == 403
        assert client.get(f"{BASE}/{macro.pk}").status_code == 403
        assert client.get(f"{BASE}/{macro.pk}/delete").status_code == 404
        assert client.post(f"{BASE}/{macro.pk}/toggle").status_code == 404
        assert Macro.objects.count() == 1

    def test_anonymous_visitors_are_sent_to_sign_in(
        self, client: Client, personas: Personas
    ) -> None:
        macro = make_macro(personas.agent)
        for url in (f"{BASE}/", f"{BASE}/new", f"{BASE}/{macro.pk}", f"{BASE}/{macro.pk}/delete"):
            response = client.get(url)
            assert response.status_code == 302
            assert response["Location"].startswith("/en/accounts/login/?next=")

    def test_wrong_methods_get_405(self, client: Client, personas: Personas) -> None:
        macro = make_macro(personas.agent)
        client.force_login(personas.agent)
        assert client.post(f"{BASE}/").status_code == 405
        assert client.put(f"{BASE}/new").status_code == 405
        assert client.get(f"{BASE}/{macro.pk}/toggle").status_code == 405
        assert client.delete(f"{BASE}/{macro.pk}/delete").status_code == 405

    def test_agents_reach_their_macros_from_the_header_and_the_settings_nav(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.agent)
        page = client.get(f"{BASE}/").content.decode()
        assert f'<a href="{BASE}/" aria-current="page">Settings</a>' in page
        assert f'<a href="{BASE}/" aria-current="page">Macros</a>' in page
        assert "Groups" not in page  # admin-only settings stay hidden
        inbox = client.get("/en/agent/").content.decode()
        assert f'<a href="{BASE}/">Settings</a>' in inbox
        admin = make_user("root@support.test", role="admin")
        client.force_login(admin)
        page = client.get(f"{BASE}/").content.decode()
        assert 'aria-current="page">Settings</a>' in page and "Groups" in page
