"""Routing rules put new requests in a group; groups may assign them round-robin."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import Client

from supportal.accounts.models import Role
from supportal.core.copies import SharedCopy
from supportal.mail.tests.factories import email, ingest, make_mailbox
from supportal.rules import assignment, routing, routing_services
from supportal.rules.models import Availability, RoutingRule
from supportal.test import Personas, make_ticket, make_user, session_queries
from supportal.tickets.models import Channel, Group, RequestType, Ticket, TicketEvent

pytestmark = pytest.mark.django_db
BASE = "/en/agent/manage/rules"


def rule(group: Group, **conditions: Any) -> RoutingRule:
    return routing_services.routing_rule_save(
        rule=None, name=conditions.pop("name", "Rule"), group=group, **conditions
    )


class RoutingTests:
    def test_it_puts_a_new_request_in_the_group_of_the_first_matching_rule(
        self, personas: Personas
    ) -> None:
        rule(personas.billing, name="Invoices", words=["invoice", "refund"])
        rule(personas.support, name="Everything else")
        ticket = make_ticket(personas.customer, subject="Wrong invoice amount")
        # The request the service hands back already reads what routing made of it.
        assert ticket.group == personas.billing
        event = TicketEvent.objects.get(ticket=ticket, field="group")
        first = RoutingRule.objects.get(name="Invoices")
        assert (event.actor, event.via, event.new_value) == (
            None,
            f"routing:{first.pk}",
            str(personas.billing.pk),
        )
        other = make_ticket(personas.customer, subject="Cannot sign in")
        other.refresh_from_db()
        assert other.group == personas.support

    def test_it_matches_whole_words_in_latin_script_and_any_part_in_cjk(
        self, personas: Personas
    ) -> None:
        rule(personas.billing, words=["bill", "결제"])
        for subject, expected in [
            ("My bill is wrong", personas.billing),
            ("Billing address", None),
            ("카드 결제가 안 돼요", personas.billing),
        ]:
            ticket = make_ticket(personas.customer, subject=subject)
            ticket.refresh_from_db()
            assert ticket.group == expected, subject

    def test_it_reads_channel_type_organization_and_language(self, personas: Personas) -> None:
        bug = RequestType.objects.create(names={"en": "Bug"})
        rule(
            personas.billing,
            channels=[Channel.WEB],
            request_types=[bug],
            organizations=[personas.acme],
            languages=["ko"],
        )
        korean = make_user("minji@acme.test", organization=personas.acme, language="ko")
        matched = make_ticket(korean, subject="Crash", type=bug)
        wrong_language = make_ticket(personas.customer, subject="Crash", type=bug)
        no_type = make_ticket(korean, subject="Crash")
        groups = dict(
            Ticket.objects.filter(pk__in=[matched.pk, wrong_language.pk, no_type.pk]).values_list(
                "pk", "group"
            )
        )
        assert groups == {
            matched.pk: personas.billing.pk,
            wrong_language.pk: None,
            no_type.pk: None,
        }

    def test_it_reads_the_support_address_an_email_was_written_to(self, personas: Personas) -> None:
        sales = make_mailbox("sales@support.test", group=personas.support)
        make_mailbox("help@support.test", group=personas.support)
        rule(personas.billing, mailboxes=[sales])
        to_sales = ingest(email(to="sales@support.test"), sales)
        to_help = ingest(email(to="help@support.test", message_id="<2@acme.test>"))
        assert Ticket.objects.get(pk=to_sales.ticket_id).group == personas.billing
        assert Ticket.objects.get(pk=to_help.ticket_id).group == personas.support

    def test_inactive_rules_and_rules_after_the_first_match_do_nothing(
        self, personas: Personas
    ) -> None:
        off = rule(personas.billing, name="Off", words=["printer"])
        routing_services.routing_rule_set_active(rule=off, active=False)
        rule(personas.support, name="Printers", words=["printer"])
        rule(personas.billing, name="Later", words=["printer"])
        ticket = make_ticket(personas.customer, subject="Printer on fire")
        ticket.refresh_from_db()
        assert ticket.group == personas.support

    def test_moving_a_rule_changes_which_one_wins(self, personas: Personas) -> None:
        rule(personas.support, name="First", words=["printer"])
        second = rule(personas.billing, name="Second", words=["printer"])
        assert routing_services.routing_rule_move(rule=second, direction="up") == 1
        ticket = make_ticket(personas.customer, subject="Printer on fire")
        ticket.refresh_from_db()
        assert ticket.group == personas.billing
        assert list(RoutingRule.objects.values_list("name", "position")) == [
            ("Second", 0),
            ("First", 1),
        ]


class RoundRobinTests:
    def setup_team(self, personas: Personas, *, cap: int | None = None) -> list[Any]:
        team = [personas.agent] + [
            make_user(f"agent{n}@support.test", name=f"Agent {n}", role=Role.AGENT) for n in (2, 3)
        ]
        personas.support.members.add(*team)
        for agent in team:
            assignment.availability_set(user=agent, availability=Availability.AVAILABLE)
        routing_services.group_routing_save(settings={personas.support: (True, cap)})
        return team

    def assignees(self, personas: Personas, count: int) -> list[str]:
        names = []
        for n in range(count):
            ticket = make_ticket(personas.customer, subject=f"Question {n}", group=personas.support)
            ticket.refresh_from_db()
            names.append(ticket.assignee.name if ticket.assignee else "-")
        return names

    def test_it_takes_turns_among_available_agents(self, personas: Personas) -> None:
        self.setup_team(personas)
        assert self.assignees(personas, 4) == ["Jiwoo Agent", "Agent 2", "Agent 3", "Jiwoo Agent"]
        event = TicketEvent.objects.filter(field="assignee").latest("pk")
        assert event.via == f"assignment:{personas.support.pk}"

    def test_an_agent_who_was_away_is_not_penalised(self, personas: Personas) -> None:
        team = self.setup_team(personas)
        assert self.assignees(personas, 1) == ["Jiwoo Agent"]
        assignment.availability_set(user=team[1], availability=Availability.AWAY)
        assert self.assignees(personas, 2) == ["Agent 3", "Jiwoo Agent"]
        assignment.availability_set(user=team[1], availability=Availability.AVAILABLE)
        # Agent 2 waited longest: their turn comes first, not after another round.
        assert self.assignees(personas, 2) == ["Agent 2", "Agent 3"]

    def test_it_skips_agents_at_the_limit_of_open_requests(self, personas: Personas) -> None:
        self.setup_team(personas, cap=1)
        assert self.assignees(personas, 4) == ["Jiwoo Agent", "Agent 2", "Agent 3", "-"]

    def test_nobody_available_leaves_the_request_unassigned(self, personas: Personas) -> None:
        team = self.setup_team(personas)
        for agent in team:
            assignment.availability_set(user=agent, availability=Availability.OFFLINE)
        assert self.assignees(personas, 1) == ["-"]

    def test_a_routed_request_is_assigned_in_its_new_group(self, personas: Personas) -> None:
        self.setup_team(personas)
        rule(personas.support, words=["printer"])
        ticket = make_ticket(personas.customer, subject="Printer on fire")
        ticket.refresh_from_db()
        assert (ticket.group, ticket.assignee) == (personas.support, personas.agent)


class SharedCopyTests:
    def test_rules_are_read_once_and_then_cost_no_query(
        self, personas: Personas, django_assert_num_queries: Any
    ) -> None:
        rule(personas.billing, words=["invoice"])
        routing.config.get()
        with django_assert_num_queries(0):
            assert len(routing.config.get().rules) == 1

    def test_a_change_in_another_process_is_seen_after_the_recheck(
        self, personas: Personas
    ) -> None:
        built: list[int] = []

        def build() -> int:
            built.append(1)
            return len(built)

        copy = SharedCopy("test:other-process", build, empty=0, recheck=0)
        assert copy.get() == 1
        assert copy.get() == 1  # same version: not rebuilt
        # Another process's write reaches this one only through the shared cache's token.
        caches[settings.SHARED_CACHE].set("copy:test:other-process", uuid.uuid4().hex, None)
        assert copy.get() == 2


class RoutingPagesTests:
    def test_admins_create_edit_and_list_rules_in_a_fixed_number_of_queries(
        self, client: Client, personas: Personas, django_assert_num_queries: Any
    ) -> None:
        client.force_login(personas.admin)
        response = client.post(
            f"{BASE}/routing/new",
            {
                "name": "Invoices",
                "group": personas.billing.pk,
                "words": "invoice, 請求書",
                "channels": ["web", "email"],
                "languages": ["ja"],
                "active": "on",
            },
        )
        assert response.status_code == 302
        saved = RoutingRule.objects.get()
        assert (saved.words, saved.channels) == (["invoice", "請求書"], ["email", "web"])
        rule(personas.support, name="Second", organizations=[personas.acme])
        client.get(f"{BASE}/routing/")  # the page shell's cached parts, read once
        with django_assert_num_queries(5 + session_queries()):
            page = client.get(f"{BASE}/routing/").content.decode()
        rule(personas.support, name="Third", organizations=[personas.globex])
        with django_assert_num_queries(5 + session_queries()):
            client.get(f"{BASE}/routing/")
        assert "Words: invoice, 請求書" in page and "Organization: Acme" in page

    def test_a_rule_without_a_group_is_refused_and_the_input_kept(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        response = client.post(f"{BASE}/routing/new", {"name": "Orphan", "words": "printer"})
        assert response.status_code == 400
        body = response.content.decode()
        assert "Choose the group the requests go to." in body
        assert 'value="printer"' in body and 'value="Orphan"' in body
        assert not RoutingRule.objects.exists()

    def test_moving_with_htmx_returns_the_table_with_the_moved_button_focused(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        rule(personas.support, name="First")
        second = rule(personas.billing, name="Second")
        response = client.post(f"{BASE}/routing/{second.pk}/move/up", HTTP_HX_REQUEST="true")
        body = response.content.decode()
        assert response.status_code == 200
        assert body.index("Second") < body.index("First")
        assert "“Second” is now number 1 in the order." in body
        # Now first, it has only "Move down", which takes the focus.
        assert 'autofocus>Move down<span class="visually-hidden"> Second' in body
        assert client.post(f"{BASE}/routing/{second.pk}/move/sideways").status_code == 404

    def test_delete_asks_first(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        doomed = rule(personas.support, name="Doomed")
        assert (
            "Delete “Doomed”?" in client.get(f"{BASE}/routing/{doomed.pk}/delete").content.decode()
        )
        assert RoutingRule.objects.exists()
        client.post(f"{BASE}/routing/{doomed.pk}/delete")
        assert not RoutingRule.objects.exists()

    def test_automatic_assignment_settings_are_validated(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        bad = client.post(
            f"{BASE}/assignment/",
            {f"auto_{personas.support.pk}": "on", f"cap_{personas.support.pk}": "0"},
        )
        assert bad.status_code == 400
        assert "A limit of open requests must be at least 1." in bad.content.decode()
        good = client.post(
            f"{BASE}/assignment/",
            {f"auto_{personas.support.pk}": "on", f"cap_{personas.support.pk}": "5"},
        )
        assert good.status_code == 302
        assert personas.support.routing.round_robin and personas.support.routing.max_open == 5

    @pytest.mark.parametrize(
        "url",
        [
            "/routing/",
            "/routing/new",
            "/routing/{pk}",
            "/routing/{pk}/delete",
            "/assignment/",
        ],
    )
    def test_only_admins_get_in(self, client: Client, personas: Personas, url: str) -> None:
        target = BASE + url.format(pk=rule(personas.support).pk)
        assert client.get(target).status_code == 302  # anonymous: sign in
        client.force_login(personas.customer)
        assert client.get(target).status_code == 403
        client.force_login(personas.agent)
        assert client.get(target).status_code == 403
        client.force_login(personas.admin)
        assert client.get(target).status_code == 200
        assert client.put(target).status_code == 405

    def test_unknown_rules_are_404(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        assert client.get(f"{BASE}/routing/999").status_code == 404
        assert client.post(f"{BASE}/routing/999/move/up").status_code == 404
        assert client.post(f"{BASE}/routing/999/toggle").status_code == 404


class AvailabilityTests:
    def test_an_agent_sets_their_availability_with_or_without_htmx(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.agent)
        fragment = client.get("/en/agent/availability", HTTP_HX_REQUEST="true").content.decode()
        assert '<option value="offline" selected>Offline</option>' in fragment
        response = client.post(
            "/en/agent/availability", {"availability": "available", "next": "/en/agent/"}
        )
        assert response["Location"] == "/en/agent/"
        assert assignment.availability_of(personas.agent) == Availability.AVAILABLE
        swapped = client.post(
            "/en/agent/availability", {"availability": "away"}, HTTP_HX_REQUEST="true"
        ).content.decode()
        assert '<option value="away" selected>Away</option>' in swapped
        assert "Your availability has been saved." in swapped

    def test_the_header_shows_the_switch_with_the_page_as_the_session_last_saw_it(
        self, client: Client, personas: Personas
    ) -> None:
        # Rendered with the page (nothing to shift the header when htmx refreshes it), and
        # usable without JavaScript.
        client.force_login(personas.agent)
        page = client.get("/en/agent/").content.decode()
        header = page[page.index('<div class="availability"') :]
        header = header[: header.index("</form>")]
        assert '<form method="post" action="/en/agent/availability"' in header
        assert '<option value="offline" selected>Offline</option>' in header
        assert 'hx-get="/en/agent/availability?shown=offline"' in page
        client.post("/en/agent/availability", {"availability": "away", "next": "/en/agent/"})
        page = client.get("/en/agent/").content.decode()
        assert '<option value="away" selected>Away</option>' in page

    def test_the_headers_check_is_empty_unless_it_changed_elsewhere(
        self, client: Client, personas: Personas
    ) -> None:
        # Empty when the header shows the right value, so a choice made while the check was on
        # its way is not overwritten; the current form when another browser changed it.
        client.force_login(personas.agent)
        same = client.get("/en/agent/availability?shown=offline", HTTP_HX_REQUEST="true")
        assert same.status_code == 204 and same.content == b""
        other = client.get("/en/agent/availability?shown=away", HTTP_HX_REQUEST="true")
        assert '<option value="offline" selected>Offline</option>' in other.content.decode()

    def test_an_outside_next_address_is_not_followed(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.agent)
        response = client.post(
            "/en/agent/availability", {"availability": "away", "next": "https://evil.test/"}
        )
        assert response["Location"] == "/en/agent/availability"

    def test_a_bad_value_is_refused(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.agent)
        response = client.post("/en/agent/availability", {"availability": "asleep"})
        assert response.status_code == 400
        assert assignment.availability_of(personas.agent) == Availability.OFFLINE

    def test_customers_and_visitors_have_no_availability(
        self, client: Client, personas: Personas
    ) -> None:
        assert client.get("/en/agent/availability").status_code == 302
        client.force_login(personas.customer)
        assert client.get("/en/agent/availability").status_code == 403
        client.force_login(personas.agent)
        assert client.put("/en/agent/availability").status_code == 405


class DemoRoutingTests:
    def test_the_demo_routes_billing_words_to_billing_and_assigns_them(self, db: None) -> None:
        from django.core.management import call_command

        call_command("demo", verbosity=0)
        call_command("demo", verbosity=0)  # idempotent
        assert RoutingRule.objects.filter(name="Billing questions").count() == 1
        customer = make_user("dana@newco.test", language="ko")
        first = make_ticket(customer, subject="환불 요청합니다")
        second = make_ticket(customer, subject="Refund please")
        assert first.group.name == second.group.name == "Billing"
        # Billing's only member in the demo is the admin, available like every demo agent.
        assert first.assignee.email == second.assignee.email == "admin@example.com"


class AssignmentPageQueryTests:
    def test_the_automatic_assignment_page_costs_the_same_with_more_groups(
        self, client: Client, personas: Personas
    ) -> None:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client.force_login(personas.admin)
        url = f"{BASE}/assignment/"

        def queries() -> int:
            client.get(url)
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            return len(captured)

        routing_services.group_routing_save(settings={personas.support: (True, 3)})
        few = queries()
        for n in range(6):
            group = Group.objects.create(name=f"Team {n}")
            routing_services.group_routing_save(settings={group: (n % 2 == 0, None)})
        assert queries() == few
