"""Bulk actions on the selected requests, and request search."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from supportal.test import Personas, make_ticket, session_queries
from supportal.tickets import selectors
from supportal.tickets.models import Message, Priority, Status, Ticket
from supportal.tickets.services import ticket_reply
from supportal.tickets.tests.test_inbox_fixtures import World, build_world, numbers, page_link

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(personas: Personas) -> World:
    return build_world(personas)


def tags(ticket: Ticket) -> list[str]:
    return sorted(ticket.tags.values_list("name", flat=True))


class BulkActionTests:
    def post(self, client: Client, tickets: list[Ticket], **data: object) -> object:
        payload = {"view": "open", "ids": [str(t.pk) for t in tickets], **data}
        return client.post("/en/agent/bulk", payload)

    def test_it_assigns_to_me_someone_else_or_nobody(
        self, client: Client, personas: Personas, world: World
    ) -> None:
        client.force_login(personas.agent)
        pair = [world.support_new, world.no_group]
        response = self.post(client, pair, action="assign", assignee="me")
        assert response.status_code == 302
        assert response["Location"] == "/en/agent/views/open"
        assert {t.assignee for t in Ticket.objects.filter(pk__in=[t.pk for t in pair])} == {
            personas.agent
        }
        page = client.get(response["Location"]).content.decode()
        assert "2 requests changed." in page
        self.post(client, pair, action="assign", assignee=str(personas.other_agent.pk))
        world.support_new.refresh_from_db()
        assert world.support_new.assignee == personas.other_agent
        self.post(client, pair, action="assign", assignee="none")
        world.no_group.refresh_from_db()
        assert world.no_group.assignee is None

    def test_it_sets_status_and_priority(
        self, client: Client, personas: Personas, world: World
    ) -> None:
        client.force_login(personas.agent)
        self.post(client, [world.support_new, world.pending], action="status", status="on_hold")
        self.post(client, [world.support_new], action="priority", priority="4")
        world.support_new.refresh_from_db()
        world.pending.refresh_from_db()
        assert (world.support_new.status, world.pending.status) == (Status.ON_HOLD, Status.ON_HOLD)
        assert world.support_new.priority == Priority.URGENT
        events = world.support_new.events.filter(kind="changed").values_list("field", flat=True)
        assert set(events) >= {"status", "priority"}

    def test_it_adds_and_removes_tags(
        self, client: Client, personas: Personas, world: World
    ) -> None:
        client.force_login(personas.agent)
        pair = [world.support_new, world.mine]
        self.post(client, pair, action="add_tags", tags="VIP, refund , ,vip")
        assert tags(world.support_new) == tags(world.mine) == ["refund", "vip"]
        response = self.post(client, [world.mine], action="remove_tags", tags="vip")
        assert tags(world.mine) == ["refund"]
        assert "1 request changed." in client.get(response["Location"]).content.decode()

    def test_it_ignores_requests_the_agent_may_not_see(
        self, client: Client, personas: Personas, world: World
    ) -> None:
        client.force_login(personas.agent)
        response = self.post(
            client,
            [world.support_new, world.kenji, world.billing_new],
            action="priority",
            priority="1",
        )
        world.kenji.refresh_from_db()
        world.billing_new.refresh_from_db()
        world.support_new.refresh_from_db()
        assert world.support_new.priority == Priority.LOW
        assert world.kenji.priority == world.billing_new.priority == Priority.NORMAL
        assert "1 request changed." in client.get(response["Location"]).content.decode()

    def test_it_merges_the_selected_requests_into_another(
        self, client: Client, personas: Personas, world: World
    ) -> None:
        client.force_login(personas.agent)
        response = self.post(
            client,
            [world.support_new, world.no_group, world.kenji],
            action="merge",
            target=f"#{world.mine.pk}",
        )
        assert response.status_code == 302
        for source in (world.support_new, world.no_group):
            source.refresh_from_db()
            assert (source.merged_into_id, source.status) == (world.mine.pk, Status.CLOSED)
        world.kenji.refresh_from_db()
        assert world.kenji.merged_into_id is None
        bodies = Message.objects.filter(ticket=world.mine).values_list("body", flat=True)
        assert any("Printer on fire" in body for body in bodies)
        assert "2 requests changed." in client.get(response["Location"]).content.decode()

    @pytest.mark.parametrize(
        ("target", "error"),
        [
            ("kenji", "There is no request with this number that you can see."),
            ("support_new", "Do not select the request you merge into."),
            ("nonsense", "There is no request with this number that you can see."),
            ("", "Enter the number of the request to merge into."),
        ],
    )
    def test_it_refuses_a_bad_merge_target_and_keeps_the_selection(
        self, client: Client, personas: Personas, world: World, target: str, error: str
    ) -> None:
        client.force_login(personas.agent)
        number = str(getattr(world, target).pk) if hasattr(world, target) else target
        response = self.post(
            client, [world.support_new, world.no_group], action="merge", target=number
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert error in html
        assert f'value="{world.support_new.pk}" id="select-{world.support_new.pk}" checked' in html
        assert f'id="select-{world.pending.pk}" aria-label' in html
        assert not Ticket.objects.filter(merged_into__isnull=False).exists()

    def test_it_refuses_a_target_that_was_merged_away(
        self, client: Client, personas: Personas, world: World
    ) -> None:
        client.force_login(personas.agent)
        self.post(client, [world.no_group], action="merge", target=str(world.mine.pk))
        response = self.post(
            client, [world.support_new], action="merge", target=str(world.no_group.pk)
        )
        assert f"Request #{world.no_group.pk} was merged into another request." in (
            response.content.decode()
        )

    @pytest.mark.parametrize(
        ("data", "error"),
        [
            ({"action": "status"}, "Choose a status."),
            ({"action": "priority", "priority": "9"}, "Select a valid choice."),
            ({"action": "assign"}, "Choose whom to assign the requests to."),
            ({"action": "add_tags", "tags": " , "}, "Enter at least one tag."),
            ({"action": "explode"}, "Select a valid choice."),
            ({}, "Choose what to do with the selected requests."),
        ],
    )
    def test_it_explains_what_is_missing(
        self, client: Client, personas: Personas, world: World, data: dict, error: str
    ) -> None:
        client.force_login(personas.agent)
        before = list(Ticket.objects.values_list("pk", "status", "priority", "assignee"))
        response = self.post(client, [world.support_new], **data)
        assert response.status_code == 200
        assert error in response.content.decode()
        assert list(Ticket.objects.values_list("pk", "status", "priority", "assignee")) == before

    def test_it_asks_for_a_selection(
        self, client: Client, personas: Personas, world: World
    ) -> None:
        client.force_login(personas.agent)
        response = client.post(
            "/en/agent/bulk",
            {"view": "pending", "ids": ["x"], "action": "status", "status": "open"},
        )
        assert response.status_code == 200
        html = response.content.decode()
        assert "Select at least one request." in html
        assert "<h1>Pending</h1>" in html

    def test_it_returns_to_the_same_view_sort_and_page(
        self, client: Client, personas: Personas, world: World
    ) -> None:
        client.force_login(personas.agent)
        response = self.post(
            client,
            [world.support_new],
            action="status",
            status="open",
            view="unassigned",
            sort="created",
            after="123.45",
        )
        assert response["Location"] == "/en/agent/views/unassigned?sort=created&after=123.45"


class SearchTests:
    def test_it_finds_words_in_subjects_and_conversations(
        self, client: Client, personas: Personas, world: World
    ) -> None:
        ticket_reply(ticket=world.support_new, author=personas.agent, body="Try the toner drawer")
        client.force_login(personas.agent)
        assert numbers(client.get("/en/agent/search?q=printer")) == [world.support_new.pk]
        assert numbers(client.get("/en/agent/search?q=toner+drawer")) == [world.support_new.pk]
        response = client.get("/en/agent/search?q=nothing+like+this")
        assert "No requests match “nothing like this”." in response.content.decode()

    def test_it_finds_requesters_by_name_and_email(
        self, client: Client, personas: Personas, world: World
    ) -> None:
        client.force_login(personas.admin)
        by_outsider = [world.closed.pk, world.no_group.pk]
        assert numbers(client.get("/en/agent/search?q=wang@globex.test")) == by_outsider
        assert numbers(client.get("/en/agent/search?q=Wang+Outsider")) == by_outsider

    def test_it_opens_a_request_named_by_number(
        self, client: Client, personas: Personas, world: World
    ) -> None:
        client.force_login(personas.agent)
        for query in (f"%23{world.mine.pk}", str(world.mine.pk), f"+%23+{world.mine.pk}+"):
            response = client.get(f"/en/agent/search?q={query}")
            assert response.status_code == 302
            assert response["Location"] == f"/en/agent/requests/{world.mine.pk}/"
        response = client.get(f"/en/agent/search?q=%23{world.kenji.pk}")
        assert response.status_code == 200
        assert numbers(response) == []

    def test_it_shows_only_what_the_agent_may_see(
        self, client: Client, personas: Personas, world: World
    ) -> None:
        client.force_login(personas.other_agent)
        assert numbers(client.get("/en/agent/search?q=printer")) == []
        assert numbers(client.get("/en/agent/search?q=casey")) == [
            world.kenji.pk,
            world.billing_mine.pk,
            world.billing_new.pk,
        ]

    def test_it_pages_through_results_newest_first(
        self,
        client: Client,
        personas: Personas,
        monkeypatch: pytest.MonkeyPatch,
        django_assert_num_queries: Callable,
    ) -> None:
        monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
        made = [make_ticket(personas.customer, f"Broken widget {i}") for i in range(5)]
        client.force_login(personas.agent)
        client.get("/en/agent/search?q=widget")
        seen: list[int] = []
        address: str | None = "/en/agent/search?q=widget"
        while address:
            # session + user + the rows
            with django_assert_num_queries(2 + session_queries()):
                response = client.get(address)
            seen += numbers(response)
            address = page_link(response, "next")
        assert seen == [t.pk for t in reversed(made)]
        back = page_link(response, "prev")
        assert back is not None and numbers(client.get(back)) == [made[2].pk, made[1].pk]

    def test_it_shows_an_empty_search_form(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.agent)
        html = client.get("/en/agent/search").content.decode()
        assert 'data-shortcut="/"' in html and "No requests match" not in html
