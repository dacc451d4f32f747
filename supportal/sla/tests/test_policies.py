"""Service level policy settings: the ordered list, the form and its checks, order, leads, and
the test page saying which policy applies to a request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from supportal.sla import matching, policies
from supportal.sla.models import GroupLead, SlaPolicy, SlaTimer
from supportal.sla.policy_forms import duration_text, parse_duration, tag_list
from supportal.sla.tests.helpers import make_policy
from supportal.test import Personas, make_ticket, session_queries
from supportal.tickets.models import CustomField, Priority

pytestmark = pytest.mark.django_db

BASE = "/en/agent/manage/sla"


def policy_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "VIP",
        "description": "Big customers",
        "active": "on",
        "priorities": ["4", "3"],
        "channels": ["email"],
        "tags": "vip, gold  key-account",
        "field_values": "",
        "target_4_first_reply": "1h",
        "target_4_resolution": "8h 30m",
        "clock_4": "calendar",
        "target_3_first_reply": "4h",
        "clock_3": "business",
        "clock_2": "business",
        "clock_1": "business",
        "pause_when_pending": "on",
        "warn_minutes": "30",
        "notify_on_breach": "on",
    }
    data.update(overrides)
    return data


def standard(name: str = "Standard", **fields: object) -> SlaPolicy:
    return make_policy(name, targets=[(Priority.NORMAL, "first_reply", 480, True)], **fields)


class DurationTests:
    @pytest.mark.parametrize(
        ("text", "minutes"),
        [
            ("4h 30m", 270),
            ("4H30M", 270),
            ("45m", 45),
            ("2d", 2880),
            ("1d 2h", 1560),
            ("4", 240),
            ("4:30", 270),
            ("4 hours, 5 minutes", 245),
            ("4시간 30분", 270),
            ("2時間", 120),
            ("1天 3小时", 1620),
            ("0h", 0),
        ],
    )
    def test_it_reads_a_duration(self, text: str, minutes: int) -> None:
        assert parse_duration(text) == minutes

    @pytest.mark.parametrize("text", ["", "soon", "4x", "h", "4h soon", "1:75", "-3h"])
    def test_it_refuses_what_it_cannot_read(self, text: str) -> None:
        assert parse_duration(text) is None

    def test_it_writes_durations_back_as_typed(self) -> None:
        assert [duration_text(m) for m in (270, 60, 45, 2880, 1560)] == [
            "4h 30m",
            "1h",
            "45m",
            "2d",
            "26h",
        ]

    def test_it_splits_tags_on_spaces_and_commas(self) -> None:
        assert tag_list("VIP, gold  vip,,key-account") == ["vip", "gold", "key-account"]


class PolicyListTests:
    def test_it_lists_policies_in_order_with_summaries(
        self, client: Client, personas: Personas, django_assert_num_queries
    ) -> None:
        standard("Standard", priorities=[2, 1], channels=["web"], tags=["billing"])
        make_policy("Fallback", active=False, targets=[(4, "resolution", 2880, False)])
        make_policy("By group", groups=[personas.support], targets=[(3, "next_reply", 90, True)])
        client.force_login(personas.admin)
        client.get(f"{BASE}/")  # warms the site notice cache
        # session, user, policies, targets, types, groups, organizations
        with django_assert_num_queries(session_queries() + 6):
            page = client.get(f"{BASE}/").content.decode()
        assert (
            page.index(">Standard</a>") < page.index(">Fallback</a>") < page.index(">By group</a>")
        )
        assert "Priority: Normal, Low" in page
        assert "Channel: Web form" in page
        assert "Tags: billing" in page
        assert "Group: Support" in page
        assert "Normal: First reply 8h" in page
        assert "Urgent: Resolution 2d" in page
        assert "Inactive" in page
        assert "Every request" in page  # Fallback has no conditions

    def test_its_query_count_does_not_grow_with_policies(
        self, client: Client, personas: Personas, django_assert_num_queries
    ) -> None:
        for index in range(8):
            standard(f"P{index}", groups=[personas.billing], tags=["a"])
        client.force_login(personas.admin)
        client.get(f"{BASE}/")
        with django_assert_num_queries(session_queries() + 6):
            client.get(f"{BASE}/")

    def test_it_says_when_there_are_none(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        assert "No policies yet" in client.get(f"{BASE}/").content.decode()


class PolicyFormTests:
    def test_it_creates_a_policy_last_in_the_order(
        self, client: Client, personas: Personas
    ) -> None:
        standard("First")
        client.force_login(personas.admin)
        response = client.post(
            f"{BASE}/new",
            policy_data(groups=[personas.support.pk], organizations=[personas.acme.pk]),
        )
        assert response.status_code == 302
        assert response["Location"] == f"{BASE}/"
        policy = SlaPolicy.objects.get(name="VIP")
        assert policy.position == 1
        assert policy.priorities == [4, 3]
        assert policy.channels == ["email"]
        assert policy.tags == ["vip", "gold", "key-account"]
        assert list(policy.groups.all()) == [personas.support]
        assert list(policy.organizations.all()) == [personas.acme]
        assert policy.warn_minutes == 30
        assert policy.pause_when_pending and not policy.pause_when_on_hold
        targets = {
            (t.priority, t.metric): (t.minutes, t.business_hours) for t in policy.targets.all()
        }
        assert targets == {
            (4, "first_reply"): (60, False),
            (4, "resolution"): (510, False),
            (3, "first_reply"): (240, True),
        }
        assert "The policy has been saved." in client.get(f"{BASE}/").content.decode()

    def test_it_edits_a_policy_and_shows_what_it_holds(
        self, client: Client, personas: Personas
    ) -> None:
        CustomField.objects.create(
            key="plan",
            labels={"en": "Plan"},
            kind="dropdown",
            choices=[{"value": "pro", "labels": {"en": "Professional"}}],
        )
        client.force_login(personas.admin)
        client.post(f"{BASE}/new", policy_data(field_values="plan = Professional"))
        policy = SlaPolicy.objects.get()
        assert policy.field_values == {"plan": ["pro"]}
        form = client.get(f"{BASE}/{policy.pk}").content.decode()
        assert 'value="8h 30m"' in form
        assert "plan = pro" in form
        assert 'value="vip gold key-account"' in form
        response = client.post(
            f"{BASE}/{policy.pk}",
            policy_data(
                name="VIP 2",
                priorities=[],
                target_4_resolution="",
                escalate_to_group=personas.billing.pk,
            ),
        )
        assert response.status_code == 302
        policy.refresh_from_db()
        assert policy.name == "VIP 2"
        assert policy.priorities == []
        assert policy.escalate_to_group == personas.billing
        assert policy.targets.count() == 2

    def test_a_saved_policy_is_used_by_the_engine_at_once(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, priority=Priority.URGENT, channel="email")
        client.force_login(personas.admin)
        client.post(f"{BASE}/new", policy_data(tags="", channels=[]))
        assert matching.policy_for(ticket) == SlaPolicy.objects.get(name="VIP")

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"name": "  "}, "name", "This field is required."),
            ({"target_4_first_reply": "soon"}, "target_4_first_reply", "Enter a time like 4h 30m"),
            (
                {"target_4_first_reply": "0m"},
                "target_4_first_reply",
                "A target must be longer than zero.",
            ),
            (
                {"target_3_first_reply": "400d"},
                "target_3_first_reply",
                "A target can be at most 365 days.",
            ),
            (
                {"field_values": "colour = red"},
                "field_values",
                "There is no active custom field with the key “colour”.",
            ),
            (
                {"field_values": "plan = gold"},
                "field_values",
                "“gold” is not a choice of the field “plan”. Its choices: basic, pro.",
            ),
            (
                {"field_values": "just words"},
                "field_values",
                "Write each condition as key = value: “just words”.",
            ),
            (
                {"warn_minutes": "-5"},
                "warn_minutes",
                "Ensure this value is greater than or equal to 0.",
            ),
            ({"priorities": ["9"]}, "priorities", "Select a valid choice."),
            ({"escalate_to_group": "999999"}, "escalate_to_group", "Select a valid choice."),
        ],
    )
    def test_it_shows_each_error_by_its_field_and_keeps_the_input(
        self,
        client: Client,
        personas: Personas,
        overrides: dict[str, object],
        field: str,
        message: str,
    ) -> None:
        CustomField.objects.create(
            key="plan",
            labels={"en": "Plan"},
            kind="dropdown",
            choices=[{"value": "basic", "labels": {"en": "Basic"}}, {"value": "pro", "labels": {}}],
        )
        client.force_login(personas.admin)
        response = client.post(f"{BASE}/new", policy_data(**overrides))
        assert response.status_code == 400
        page = response.content.decode()
        assert message in page
        assert f'id="id_{field}_error"' in page
        assert 'value="Big customers"' in page  # what was typed stays
        assert SlaPolicy.objects.count() == 0

    def test_it_needs_at_least_one_target(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        empty = {f"target_{p}_{m}": "" for p in (1, 2, 3, 4) for m in ("first_reply", "resolution")}
        response = client.post(f"{BASE}/new", policy_data(**empty))
        assert response.status_code == 400
        page = response.content.decode()
        assert 'id="targets-error"' in page and "Set at least one target." in page
        assert 'aria-describedby="targets-help targets-error"' in page

    def test_an_unreadable_cell_is_described_by_its_error(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        page = client.post(
            f"{BASE}/new", policy_data(target_4_first_reply="later")
        ).content.decode()
        assert 'aria-describedby="id_target_4_first_reply_error"' in page
        assert 'value="later"' in page
        assert "Set at least one target." not in page


class PolicyOrderTests:
    def test_it_moves_a_policy_and_the_engine_tries_them_in_that_order(
        self, client: Client, personas: Personas
    ) -> None:
        first, _second, third = standard("One"), standard("Two"), standard("Three")
        client.force_login(personas.admin)
        response = client.post(f"{BASE}/{third.pk}/move/up")
        assert response.status_code == 302
        assert response["Location"] == f"{BASE}/?moved={third.pk}&dir=up#policy-{third.pk}"
        page = client.get(response["Location"]).content.decode()
        assert page.index(">One</a>") < page.index(">Three</a>") < page.index(">Two</a>")
        assert "“Three” is now number 2 in the order." in page
        assert f'id="move-{third.pk}-up" autofocus' in page
        assert [p.row.name for p in policies.active_policies()] == ["One", "Three", "Two"]
        ticket = make_ticket(personas.customer)
        assert [check.policy.name for check in matching.explain(ticket)] == ["One", "Three", "Two"]
        client.post(f"{BASE}/{first.pk}/move/down")
        assert list(SlaPolicy.objects.values_list("name", "position")) == [
            ("Three", 0),
            ("One", 1),
            ("Two", 2),
        ]

    def test_with_htmx_it_returns_the_table_with_focus_on_the_moved_button(
        self, client: Client, personas: Personas
    ) -> None:
        _one, two = standard("One"), standard("Two")
        client.force_login(personas.admin)
        response = client.post(f"{BASE}/{two.pk}/move/up", headers={"HX-Request": "true"})
        assert response.status_code == 200
        html = response.content.decode()
        assert html.startswith('<div id="policy-table">')
        # Now first: it has no "Move up", so focus goes to its "Move down".
        assert f'id="move-{two.pk}-down" autofocus' in html
        assert f'id="move-{two.pk}-up"' not in html
        assert 'hx-swap-oob="innerHTML">“Two” is now number 1 in the order.' in html

    def test_moving_past_either_end_changes_nothing(
        self, client: Client, personas: Personas
    ) -> None:
        one = standard("One")
        client.force_login(personas.admin)
        assert client.post(f"{BASE}/{one.pk}/move/up").status_code == 302
        assert client.post(f"{BASE}/{one.pk}/move/sideways").status_code == 404
        one.refresh_from_db()
        assert one.position == 0

    def test_it_activates_deactivates_and_deletes(self, client: Client, personas: Personas) -> None:
        one, _two = standard("One"), standard("Two")
        client.force_login(personas.admin)
        client.post(f"{BASE}/{one.pk}/toggle")
        one.refresh_from_db()
        assert not one.active
        assert [p.row.name for p in policies.active_policies()] == ["Two"]
        page = client.get(f"{BASE}/").content.decode()
        assert "“One” is now inactive." in page and "Activate" in page
        client.post(f"{BASE}/{one.pk}/toggle")
        one.refresh_from_db()
        assert one.active
        confirm = client.get(f"{BASE}/{one.pk}/delete").content.decode()
        assert "Delete “One”?" in confirm
        response = client.post(f"{BASE}/{one.pk}/delete")
        assert response.status_code == 302
        assert list(SlaPolicy.objects.values_list("name", "position")) == [("Two", 0)]
        assert [p.row.name for p in policies.active_policies()] == ["Two"]


class GroupLeadsTests:
    def test_it_sets_the_leads_of_each_group(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        page = client.get(f"{BASE}/leads").content.decode()
        assert "Leads of Support" in page and "Leads of Billing" in page
        response = client.post(
            f"{BASE}/leads",
            {
                f"leads_{personas.support.pk}": [personas.agent.pk, personas.admin.pk],
                f"leads_{personas.billing.pk}": [personas.other_agent.pk],
            },
        )
        assert response.status_code == 302
        assert set(GroupLead.objects.values_list("group__name", "user__email")) == {
            ("Support", "jiwoo@support.test"),
            ("Support", "alex@support.test"),
            ("Billing", "kenji@support.test"),
        }
        client.post(f"{BASE}/leads", {f"leads_{personas.support.pk}": [personas.agent.pk]})
        assert set(GroupLead.objects.values_list("group__name", "user__email")) == {
            ("Support", "jiwoo@support.test")
        }

    def test_the_leads_page_costs_the_same_with_more_groups(
        self, client: Client, personas: Personas
    ) -> None:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from supportal.tickets.models import Group

        client.force_login(personas.admin)

        def queries() -> int:
            client.get(f"{BASE}/leads")
            with CaptureQueriesContext(connection) as captured:
                assert client.get(f"{BASE}/leads").status_code == 200
            return len(captured)

        GroupLead.objects.create(group=personas.support, user=personas.agent)
        few = queries()
        for n in range(6):
            group = Group.objects.create(name=f"Team {n}")
            group.members.add(personas.agent)
            GroupLead.objects.create(group=group, user=personas.agent)
        assert queries() == few

    def test_customers_cannot_lead(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        response = client.post(
            f"{BASE}/leads", {f"leads_{personas.support.pk}": [personas.customer.pk]}
        )
        assert response.status_code == 400
        assert "Select a valid choice." in response.content.decode()


class PolicyTestPageTests:
    def test_it_says_which_policy_applies_and_why(self, client: Client, personas: Personas) -> None:
        standard("Billing only", groups=[personas.billing])
        standard("Urgent", priorities=[4])
        standard("Everything")
        with time_machine.travel(datetime(2026, 3, 2, 9, tzinfo=UTC), tick=False):
            ticket = make_ticket(
                personas.customer, group=personas.support, priority=Priority.URGENT
            )
            now = datetime(2026, 3, 2, 9, tzinfo=UTC)
            SlaTimer.objects.create(
                ticket=ticket,
                metric="first_reply",
                target_minutes=120,
                started_at=now,
                due_at=now + timedelta(hours=2),
            )
            SlaTimer.objects.create(
                ticket=ticket,
                metric="resolution",
                state=SlaTimer.State.BREACHED,
                target_minutes=60,
                started_at=now - timedelta(hours=3),
                due_at=now - timedelta(hours=2),
                stopped_at=now - timedelta(hours=1),
            )
            client.force_login(personas.admin)
            response = client.get(f"{BASE}/test", {"number": f"#{ticket.pk}"})
        assert response.status_code == 200
        page = response.content.decode()
        assert "“Urgent” applies." in page
        assert "Billing only</a>:" in page and "Does not match" in page
        assert "Group is Support, not one of Billing" in page
        assert "Priority is Urgent, one of Urgent" in page
        assert "Matches" in page
        assert "First reply: 2 h left" in page
        assert "Resolution: Breached" in page
        assert "There are no active routing rules." in page
        assert "There are no active triggers." in page

    def test_it_shows_how_routing_rules_and_triggers_judge_the_request(
        self, client: Client, personas: Personas
    ) -> None:
        from supportal.rules import routing_services
        from supportal.rules.tests.helpers import act, cond, make_trigger

        routing_services.routing_rule_save(
            rule=None, name="Printers", group=personas.support, words=["printer"]
        )
        routing_services.routing_rule_save(
            rule=None, name="Japanese", group=personas.billing, languages=["ja"]
        )
        make_trigger(
            "Urgent printers",
            all=[cond("subject", "contains", "printer"), cond("priority", "is", "4")],
            actions=[act("add_tags", "hot")],
        )
        make_trigger(
            "When solved",
            all=[cond("status", "changed_to", "solved")],
            actions=[act("add_tags", "done")],
        )
        ticket = make_ticket(personas.customer, subject="Printer on fire")
        client.force_login(personas.admin)
        page = client.get(f"{BASE}/test", {"number": ticket.pk}).content.decode()
        routing = page[page.index('id="test-routing"') : page.index('id="test-triggers"')]
        assert 'Printers</a>:\n        <span class="sla-match">Matches' in routing
        assert 'Japanese</a>:\n        <span class="sla-nomatch">Does not match' in routing
        triggers = page[page.index('id="test-triggers"') :]
        assert "Urgent printers</a>:" in triggers and "Would not act" in triggers
        assert "Fails:</span> Priority is Urgent" in triggers
        assert "When solved</a>:" in triggers and "Depends on the change" in triggers

    def test_it_says_when_nothing_applies(self, client: Client, personas: Personas) -> None:
        standard("Billing only", groups=[personas.billing])
        ticket = make_ticket(personas.customer)
        client.force_login(personas.admin)
        page = client.get(f"{BASE}/test", {"number": ticket.pk}).content.decode()
        assert "No active policy applies" in page
        assert "No clocks are running." in page

    @pytest.mark.parametrize(
        ("number", "message"),
        [("abc", "Enter a request number, like 1042."), ("999999", "There is no request #999999.")],
    )
    def test_it_explains_a_bad_number(
        self, client: Client, personas: Personas, number: str, message: str
    ) -> None:
        client.force_login(personas.admin)
        response = client.get(f"{BASE}/test", {"number": number})
        assert response.status_code == 400
        page = response.content.decode()
        assert message in page and 'aria-describedby="test-number-error"' in page
        assert f'value="{number}"' in page


ADMIN_URLS = [
    ("get", "/"),
    ("get", "/new"),
    ("get", "/test"),
    ("get", "/leads"),
    ("get", "/{pk}"),
    ("get", "/{pk}/delete"),
    ("post", "/{pk}/toggle"),
    ("post", "/{pk}/move/up"),
]


class PolicyPermissionTests:
    @pytest.mark.parametrize(("method", "path"), ADMIN_URLS)
    def test_agents_and_customers_get_403_and_anonymous_signs_in(
        self, client: Client, personas: Personas, method: str, path: str
    ) -> None:
        policy = standard()
        url = BASE + path.format(pk=policy.pk)
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert "/sign-in" in response["Location"] or "login" in response["Location"]
        for user in (personas.agent, personas.customer):
            client.force_login(user)
            assert getattr(client, method)(url).status_code == 403

    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("post", "/"),
            ("post", "/test"),
            ("get", "/{pk}/toggle"),
            ("get", "/{pk}/move/up"),
            ("put", "/{pk}"),
            ("delete", "/{pk}/delete"),
        ],
    )
    def test_wrong_methods_get_405(
        self, client: Client, personas: Personas, method: str, path: str
    ) -> None:
        policy = standard()
        client.force_login(personas.admin)
        assert getattr(client, method)(BASE + path.format(pk=policy.pk)).status_code == 405

    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("get", "/999999"),
            ("get", "/999999/delete"),
            ("post", "/999999/toggle"),
            ("post", "/999999/move/up"),
        ],
    )
    def test_an_unknown_policy_is_404(
        self, client: Client, personas: Personas, method: str, path: str
    ) -> None:
        client.force_login(personas.admin)
        assert getattr(client, method)(BASE + path).status_code == 404
