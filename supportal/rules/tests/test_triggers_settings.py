"""Trigger and automation settings: lists, forms and their checks, order, permissions."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from supportal.rules.automations import automation_save
from supportal.rules.models import Automation, Trigger
from supportal.rules.tests.helpers import act, cond, make_automation, make_trigger
from supportal.rules.triggers import trigger_save
from supportal.test import Personas, session_queries
from supportal.tickets.models import Priority, Status

pytestmark = pytest.mark.django_db

TRIGGERS = "/en/agent/manage/rules/triggers"
AUTOMATIONS = "/en/agent/manage/rules/automations"


def trigger_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Tag refunds",
        "description": "",
        "active": "on",
        "runs_on": "both",
        "all_rows": "2",
        "any_rows": "1",
        "act_rows": "2",
        "all-0-field": "subject",
        "all-0-op": "contains",
        "all-0-text": "refund",
        "all-1-field": "",
        "act-0-action": "add_tags",
        "act-0-text": "refund",
        "act-1-action": "",
    }
    data.update(overrides)
    return data


def automation_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Remind",
        "active": "on",
        "all_rows": "2",
        "any_rows": "1",
        "act_rows": "2",
        "all-0-field": "hours_since_pending",
        "all-0-op": "gte",
        "all-0-text": "72",
        "act-0-action": "notify_requester",
        "email_subject": "Still there? {{ticket.subject}}",
        "email_body": "Hello {{requester.name}}",
    }
    data.update(overrides)
    return data


class TriggerListTests:
    def test_it_lists_triggers_in_order_with_summaries_and_counts(
        self, client: Client, personas: Personas
    ) -> None:
        make_trigger(
            "First", all=[cond("status", "is", Status.NEW)], actions=[act("add_tags", "x")]
        )
        make_trigger(
            "Second",
            all=[cond("group", "is", personas.billing.pk)],
            actions=[act("set_priority", Priority.HIGH)],
        )
        client.force_login(personas.admin)
        page = client.get(f"{TRIGGERS}/").content.decode()
        assert page.index(">First</a>") < page.index(">Second</a>")
        assert "Status is New" in page
        assert "Group is Billing" in page
        assert "Set priority: High" in page
        assert 'aria-current="page">Triggers</a>' in page

    @pytest.mark.parametrize("count", [1, 8])
    def test_its_query_count_does_not_grow_with_rules(
        self, client: Client, personas: Personas, django_assert_num_queries, count: int
    ) -> None:
        for index in range(count):
            make_trigger(
                f"T{index}",
                all=[cond("group", "is", personas.support.pk)],
                actions=[act("add_tags", "x")],
            )
            make_automation(
                f"A{index}",
                all=[cond("hours_since_created", "gte", 5)],
                actions=[act("add_tags", "y")],
            )
        client.force_login(personas.admin)
        client.get(f"{TRIGGERS}/")
        # session, user, rules, then the choices: groups, agents, types, organizations, fields
        with django_assert_num_queries(session_queries() + 7):
            client.get(f"{TRIGGERS}/")
        with django_assert_num_queries(session_queries() + 7):
            client.get(f"{AUTOMATIONS}/")

    def test_it_says_when_there_are_none(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        assert "No triggers yet." in client.get(f"{TRIGGERS}/").content.decode()
        assert "No automations yet." in client.get(f"{AUTOMATIONS}/").content.decode()


class TriggerFormTests:
    def test_it_creates_a_trigger_last_in_the_order(
        self, client: Client, personas: Personas
    ) -> None:
        make_trigger("Existing", actions=[act("add_tags", "x")])
        client.force_login(personas.admin)
        response = client.post(f"{TRIGGERS}/new", trigger_data())
        assert response.status_code == 302
        trigger = Trigger.objects.get(name="Tag refunds")
        assert list(Trigger.objects.values_list("name", flat=True)) == ["Existing", "Tag refunds"]
        assert trigger.position == 1
        assert trigger.conditions_all == [cond("subject", "contains", "refund")]
        assert trigger.actions == [act("add_tags", "refund")]

    def test_it_edits_a_trigger_keeping_its_rows(self, client: Client, personas: Personas) -> None:
        trigger = make_trigger(
            "Billing",
            all=[cond("group", "is", personas.billing.pk)],
            actions=[act("notify_group", personas.billing.pk, subject="New", body="Hi")],
        )
        client.force_login(personas.admin)
        page = client.get(f"{TRIGGERS}/{trigger.pk}").content.decode()
        assert f'<option value="group:{personas.billing.pk}" selected>Billing</option>' in page
        assert 'value="New"' in page
        data = trigger_data(
            **{
                "all-0-field": "group",
                "all-0-op": "is",
                "all-0-value": f"group:{personas.billing.pk}",
                "all-0-text": "",
                "act-0-action": "notify_group",
                "act-0-value": f"group:{personas.billing.pk}",
                "act-0-text": "",
                "email_subject": "New request {{ticket.number}}",
                "email_body": "{{ticket.url}}",
            }
        )
        assert client.post(f"{TRIGGERS}/{trigger.pk}", data).status_code == 302
        trigger.refresh_from_db()
        assert trigger.actions[0]["subject"] == "New request {{ticket.number}}"

    def test_more_rows_adds_blank_rows_without_saving(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        response = client.post(f"{TRIGGERS}/new", trigger_data(more="all"))
        assert response.status_code == 200
        page = response.content.decode()
        assert 'name="all-3-field"' in page
        assert 'value="refund"' in page
        assert not Trigger.objects.exists()

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"act-0-action": ""}, "Add at least one action."),
            ({"all-0-op": "is"}, "“is” does not apply to “Subject”."),
            (
                {"all-0-field": "status", "all-0-op": "is", "all-0-value": "group:1"},
                "Choose a value for “Status” from its list.",
            ),
            ({"all-0-field": "hours_since_created", "all-0-op": "gte"}, "Select a valid choice."),
            (
                {"act-0-action": "notify_requester", "email_subject": ""},
                "An email needs a subject and a text",
            ),
            (
                {
                    "act-0-action": "notify_requester",
                    "email_subject": "{{ticket.nmber}}",
                    "email_body": "x",
                },
                "Unknown placeholder: {{ticket.nmber}}",
            ),
            (
                {
                    "all-0-field": "status",
                    "all-0-op": "is",
                    "all-0-value": "status:open",
                    "act-0-action": "set_status",
                    "act-0-value": "status:open",
                },
                "This trigger&#x27;s actions would change nothing",
            ),
            (
                {
                    "all-0-field": "priority",
                    "all-0-op": "changed_to",
                    "all-0-value": "priority:1",
                    "act-0-action": "set_priority",
                    "act-0-value": "priority:3",
                },
                "This trigger would undo the change it reacts to",
            ),
            (
                {"runs_on": "created", "all-0-field": "status", "all-0-op": "changed"},
                "cannot react to changes",
            ),
            ({"name": ""}, "This field is required."),
        ],
    )
    def test_it_refuses_bad_input_with_a_clear_message(
        self, client: Client, personas: Personas, overrides: dict, message: str
    ) -> None:
        client.force_login(personas.admin)
        response = client.post(f"{TRIGGERS}/new", trigger_data(**overrides))
        assert response.status_code == 400
        page = response.content.decode()
        assert message in page
        assert "Please correct the problems below." in page
        assert not Trigger.objects.exists()

    def test_a_row_error_is_tied_to_its_fields_and_keeps_the_input(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        page = client.post(
            f"{TRIGGERS}/new", trigger_data(**{"all-0-op": "is", "name": "Kept name"})
        ).content.decode()
        assert 'id="id_all-0-error"' in page
        assert 'aria-describedby="id_all-0-error"' in page
        assert 'value="Kept name"' in page

    def test_it_deletes_after_confirmation(self, client: Client, personas: Personas) -> None:
        trigger = make_trigger(actions=[act("add_tags", "x")])
        client.force_login(personas.admin)
        assert (
            "Delete “A trigger”?" in client.get(f"{TRIGGERS}/{trigger.pk}/delete").content.decode()
        )
        assert Trigger.objects.exists()
        assert client.post(f"{TRIGGERS}/{trigger.pk}/delete").status_code == 302
        assert not Trigger.objects.exists()

    def test_it_activates_and_deactivates(self, client: Client, personas: Personas) -> None:
        trigger = make_trigger(actions=[act("add_tags", "x")])
        client.force_login(personas.admin)
        client.post(f"{TRIGGERS}/{trigger.pk}/toggle")
        trigger.refresh_from_db()
        assert not trigger.active
        page = client.get(f"{TRIGGERS}/").content.decode()
        assert "“A trigger” is now inactive." in page


class TriggerOrderTests:
    def test_it_moves_with_a_redirect_to_the_moved_row(
        self, client: Client, personas: Personas
    ) -> None:
        one = make_trigger("One", actions=[act("add_tags", "1")])
        two = make_trigger("Two", actions=[act("add_tags", "2")])
        client.force_login(personas.admin)
        response = client.post(f"{TRIGGERS}/{two.pk}/move/up")
        assert response["Location"].endswith(f"?moved={two.pk}&dir=up#trigger-{two.pk}")
        assert list(Trigger.objects.values_list("pk", flat=True)) == [two.pk, one.pk]
        page = client.get(response["Location"]).content.decode()
        assert f'id="move-{two.pk}-down" autofocus' in page
        assert "“Two” is now number 1 in the order." in page

    def test_htmx_gets_the_table_with_the_moved_button_focused(
        self, client: Client, personas: Personas
    ) -> None:
        make_automation(
            "One", all=[cond("hours_since_created", "gte", 1)], actions=[act("add_tags", "1")]
        )
        two = make_automation(
            "Two", all=[cond("hours_since_created", "gte", 2)], actions=[act("add_tags", "2")]
        )
        client.force_login(personas.admin)
        response = client.post(f"{AUTOMATIONS}/{two.pk}/move/up", HTTP_HX_REQUEST="true")
        page = response.content.decode()
        assert page.startswith('<div id="rule-table">')
        assert f'id="move-{two.pk}-down" autofocus' in page
        assert 'hx-swap-oob="innerHTML">“Two” is now number 1 in the order.' in page

    def test_an_unknown_direction_is_404(self, client: Client, personas: Personas) -> None:
        trigger = make_trigger(actions=[act("add_tags", "x")])
        client.force_login(personas.admin)
        assert client.post(f"{TRIGGERS}/{trigger.pk}/move/sideways").status_code == 404


class AutomationFormTests:
    def test_it_creates_an_automation(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        assert client.post(f"{AUTOMATIONS}/new", automation_data()).status_code == 302
        automation = Automation.objects.get()
        assert automation.conditions_all == [cond("hours_since_pending", "gte", 72)]
        assert automation.actions[0]["body"] == "Hello {{requester.name}}"

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            (
                {"all-0-field": "status", "all-0-op": "is", "all-0-value": "status:pending"},
                "An automation needs at least one time condition",
            ),
            ({"all-0-text": "0"}, "must be between 1 and 8784 hours"),
            ({"all-0-text": "-4"}, "must be between 1 and 8784 hours"),
            ({"all-0-text": "soon"}, "Enter a whole number of hours"),
            ({"act-0-action": ""}, "Add at least one action."),
            (
                {
                    "all-0-field": "hours_since_updated",
                    "act-0-action": "add_tags",
                    "act-0-text": "poked",
                },
                "This automation would fire again and again",
            ),
        ],
    )
    def test_it_refuses_inconsistent_automations(
        self, client: Client, personas: Personas, overrides: dict, message: str
    ) -> None:
        client.force_login(personas.admin)
        response = client.post(f"{AUTOMATIONS}/new", automation_data(**overrides))
        assert response.status_code == 400
        assert message in response.content.decode()
        assert not Automation.objects.exists()

    def test_it_accepts_an_updated_count_whose_actions_end_it(self, personas: Personas) -> None:
        automation = automation_save(
            automation=None,
            name="Poke once",
            conditions_all=[
                cond("hours_since_updated", "gte", 48),
                cond("tags", "excludes", "poked"),
            ],
            actions=[act("add_tags", "poked")],
        )
        assert automation.pk

    def test_it_refuses_change_conditions_in_automations(self, personas: Personas) -> None:
        with pytest.raises(ValidationError) as error:
            automation_save(
                automation=None,
                name="X",
                conditions_all=[
                    cond("hours_since_created", "gte", 1),
                    cond("status", "changed_to", Status.OPEN),
                ],
                actions=[act("add_tags", "x")],
            )
        assert "only works in a trigger" in str(error.value)

    def test_it_refuses_time_conditions_in_triggers(self, personas: Personas) -> None:
        with pytest.raises(ValidationError) as error:
            trigger_save(
                trigger=None,
                name="X",
                conditions_all=[cond("hours_since_created", "gte", 1)],
                actions=[act("add_tags", "x")],
            )
        assert "only works in an automation" in str(error.value)


class TranslatedMessageTests:
    def test_it_words_the_problems_in_the_admins_language(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        response = client.post(
            "/ko/agent/manage/rules/automations/new", automation_data(**{"all-0-text": "0"})
        )
        assert response.status_code == 400
        page = response.content.decode()
        assert '<html lang="ko"' in page
        assert "은(는) 1~8784시간이어야 합니다." in page


ADMIN_URLS = [
    ("get", "/"),
    ("get", "/new"),
    ("post", "/new"),
    ("get", "/{pk}"),
    ("get", "/{pk}/delete"),
    ("post", "/{pk}/delete"),
    ("post", "/{pk}/toggle"),
    ("post", "/{pk}/move/up"),
]


def _rule(base: str) -> int:
    if base == TRIGGERS:
        return make_trigger(actions=[act("add_tags", "x")]).pk
    return make_automation(
        all=[cond("hours_since_created", "gte", 1)], actions=[act("add_tags", "x")]
    ).pk


class TriggerPermissionTests:
    @pytest.mark.parametrize("base", [TRIGGERS, AUTOMATIONS])
    @pytest.mark.parametrize(("method", "path"), ADMIN_URLS)
    def test_agents_and_customers_get_403_and_anonymous_signs_in(
        self, client: Client, personas: Personas, method: str, path: str, base: str
    ) -> None:
        url = base + path.format(pk=_rule(base))
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert "sign-in" in response["Location"] or "login" in response["Location"]
        for user in (personas.agent, personas.customer):
            client.force_login(user)
            assert getattr(client, method)(url).status_code == 403

    @pytest.mark.parametrize("base", [TRIGGERS, AUTOMATIONS])
    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("post", "/"),
            ("get", "/{pk}/toggle"),
            ("get", "/{pk}/move/up"),
            ("put", "/{pk}"),
            ("delete", "/{pk}/delete"),
        ],
    )
    def test_wrong_methods_get_405(
        self, client: Client, personas: Personas, method: str, path: str, base: str
    ) -> None:
        url = base + path.format(pk=_rule(base))
        client.force_login(personas.admin)
        assert getattr(client, method)(url).status_code == 405

    @pytest.mark.parametrize("base", [TRIGGERS, AUTOMATIONS])
    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("get", "/999999"),
            ("get", "/999999/delete"),
            ("post", "/999999/toggle"),
            ("post", "/999999/move/up"),
        ],
    )
    def test_an_unknown_rule_is_404(
        self, client: Client, personas: Personas, method: str, path: str, base: str
    ) -> None:
        client.force_login(personas.admin)
        assert getattr(client, method)(base + path).status_code == 404
