"""The inbox pages: who may open them, which rows they show, in which order, how fast."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone, translation

from supportal.test import Personas, make_ticket, session_queries, shared_cache_queries
from supportal.tickets import selectors
from supportal.tickets.models import Priority, Ticket
from supportal.tickets.tests.test_inbox_fixtures import (
    World,
    build_world,
    inbox_urls,
    numbers,
    page_link,
    saved_view,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(personas: Personas) -> World:
    return build_world(personas)


class InboxAccessTests:
    def test_it_asks_visitors_to_sign_in(self, client: Client, personas: Personas) -> None:
        urls = inbox_urls(saved_view(personas.agent))
        for method, addresses in urls.items():
            for address in addresses:
                response = getattr(client, method.lower())(address)
                assert response.status_code == 302, address
                assert response["Location"].startswith("/en/accounts/login/?next="), address

    def test_it_refuses_customers(self, client: Client, personas: Personas) -> None:
        urls = inbox_urls(saved_view(personas.agent))
        client.force_login(personas.customer)
        for method, addresses in urls.items():
            for address in addresses:
                assert getattr(client, method.lower())(address).status_code == 403, address

    def test_it_refuses_the_wrong_method(self, client: Client, personas: Personas) -> None:
        saved = saved_view(personas.agent)
        client.force_login(personas.agent)
        for address in inbox_urls(saved)["GET"]:
            if address not in inbox_urls(saved)["POST"]:
                assert client.post(address).status_code == 405, address
        assert client.get("/en/agent/bulk").status_code == 405
        assert client.get(f"/en/agent/views/saved/{saved.pk}/delete").status_code == 405

    def test_it_opens_every_page_for_agents(self, client: Client, personas: Personas) -> None:
        saved = saved_view(personas.agent)
        client.force_login(personas.agent)
        for address in inbox_urls(saved)["GET"]:
            assert client.get(address).status_code == 200, address

    def test_it_answers_404_for_unknown_and_other_peoples_views(
        self, client: Client, personas: Personas
    ) -> None:
        private = saved_view(personas.other_agent, "Kenji's")
        client.force_login(personas.agent)
        assert client.get("/en/agent/views/everything").status_code == 404
        assert client.get("/en/agent/views/saved/999").status_code == 404
        assert client.get(f"/en/agent/views/saved/{private.pk}").status_code == 404
        assert "Kenji&#x27;s" not in client.get("/en/agent/").content.decode()


class BuiltinViewPageTests:
    def test_it_shows_my_open_requests_first(
        self, client: Client, personas: Personas, world: World
    ) -> None:
        client.force_login(personas.agent)
        response = client.get("/en/agent/")
        html = response.content.decode()
        assert numbers(response) == [world.billing_mine.pk, world.mine.pk]
        assert "<h1>My open requests</h1>" in html
        assert 'href="/en/agent/views/mine" aria-current="page"' in html
        ticket_link = f'href="/en/agent/requests/{world.mine.pk}/?view=mine"'
        assert ticket_link in html and "VPN drops" in html and "Casey Customer" in html

    @pytest.mark.parametrize(
        ("persona", "key", "expected"),
        [
            ("agent", "unassigned", ["pending", "no_group", "support_new"]),
            ("agent", "pending", ["pending"]),
            ("agent", "solved", ["closed", "solved"]),
            ("other_agent", "mine", ["kenji"]),
            ("other_agent", "unassigned", ["no_group", "billing_new"]),
            ("other_agent", "solved", ["closed"]),
            ("admin", "unassigned", ["pending", "no_group", "billing_new", "support_new"]),
            ("admin", "mine", []),
        ],
    )
    def test_it_shows_the_rows_each_person_may_see(
        self,
        client: Client,
        personas: Personas,
        world: World,
        persona: str,
        key: str,
        expected: list[str],
    ) -> None:
        client.force_login(getattr(personas, persona))
        response = client.get(f"/en/agent/views/{key}")
        assert numbers(response) == [getattr(world, name).pk for name in expected]
        if not expected:
            assert "No requests here." in response.content.decode()

    def test_it_shows_all_open_requests_newest_first(
        self, client: Client, personas: Personas, world: World
    ) -> None:
        client.force_login(personas.admin)
        shown = numbers(client.get("/en/agent/views/open"))
        expected = Ticket.objects.filter(is_open=True).order_by("-updated_at", "-id")
        assert shown == [ticket.pk for ticket in expected]
        assert world.solved.pk not in shown and len(shown) == 7


class SortingAndPagingTests:
    @pytest.fixture
    def tickets(self, personas: Personas, monkeypatch: pytest.MonkeyPatch) -> list[Ticket]:
        monkeypatch.setattr(selectors, "PAGE_SIZE", 3)
        made = [make_ticket(personas.customer, f"Request {i}") for i in range(8)]
        # Equal sort values across page boundaries: the number must break the ties.
        same = timezone.now()
        Ticket.objects.filter(pk__in=[t.pk for t in made[1:6]]).update(
            updated_at=same, created_at=same
        )
        Ticket.objects.filter(pk__in=[t.pk for t in made[::3]]).update(priority=Priority.HIGH)
        return made

    def walk(self, client: Client, address: str) -> tuple[list[int], list[int]]:
        """Every row going down with "Older", then every row coming back with "Newer"."""
        down: list[int] = []
        pages: list[list[int]] = []
        next_address: str | None = address
        while next_address:
            response = client.get(next_address)
            pages.append(numbers(response))
            down += pages[-1]
            next_address = page_link(response, "next")
            assert len(pages) < 10
        up = list(pages[-1])
        previous = page_link(response, "prev")
        while previous:
            response = client.get(previous)
            up = numbers(response) + up
            previous = page_link(response, "prev")
        return down, up

    @pytest.mark.parametrize(
        ("sort", "order"),
        [
            ("", ("-updated_at", "-id")),
            ("created", ("-created_at", "-id")),
            ("priority", ("-priority", "-updated_at", "-id")),
            ("number", ("-id",)),
        ],
    )
    def test_it_walks_every_page_without_duplicates_or_gaps(
        self,
        client: Client,
        personas: Personas,
        tickets: list[Ticket],
        sort: str,
        order: tuple[str, ...],
    ) -> None:
        client.force_login(personas.admin)
        expected = list(Ticket.objects.order_by(*order).values_list("pk", flat=True))
        down, up = self.walk(client, f"/en/agent/views/open?sort={sort}")
        assert down == expected
        assert up == expected

    def test_it_keeps_the_sort_in_the_page_links(
        self, client: Client, personas: Personas, tickets: list[Ticket]
    ) -> None:
        client.force_login(personas.admin)
        response = client.get("/en/agent/views/open?sort=priority")
        assert (page_link(response, "next") or "").startswith("/en/agent/views/open?sort=priority")
        assert '<option value="priority" selected>' in response.content.decode()
        assert "Next page" in response.content.decode()

    def test_it_starts_over_on_a_malformed_cursor(
        self, client: Client, personas: Personas, tickets: list[Ticket]
    ) -> None:
        client.force_login(personas.admin)
        first = numbers(client.get("/en/agent/views/open"))
        for cursor in ["x", "1.2.3", "9" * 40 + ".1", "-5.-5"]:
            response = client.get(f"/en/agent/views/open?after={cursor}&sort=bogus")
            assert response.status_code == 200
        assert numbers(client.get("/en/agent/views/open?before=1.x")) == first

    def test_it_shows_a_whole_first_page_when_paging_back_to_the_top(
        self, client: Client, personas: Personas, tickets: list[Ticket]
    ) -> None:
        client.force_login(personas.admin)
        first = numbers(client.get("/en/agent/views/open"))
        newest = Ticket.objects.order_by("-updated_at", "-id").first()
        assert newest is not None
        cursor = selectors.encode_cursor(newest, selectors.SORTS["updated"])
        response = client.get(f"/en/agent/views/open?before={cursor}")
        assert numbers(response) == first
        assert page_link(response, "prev") is None

    def test_it_leads_back_up_from_past_the_last_row(
        self, client: Client, personas: Personas, tickets: list[Ticket]
    ) -> None:
        client.force_login(personas.admin)
        oldest = Ticket.objects.order_by("updated_at", "id").first()
        assert oldest is not None
        cursor = selectors.encode_cursor(oldest, selectors.SORTS["updated"])
        response = client.get(f"/en/agent/views/open?after={cursor}")
        assert numbers(response) == [] and page_link(response, "next") is None
        newer = page_link(response, "prev")
        assert newer is not None
        expected = Ticket.objects.order_by("-updated_at", "-id").values_list("pk", flat=True)
        assert numbers(client.get(newer)) == list(expected)[-4:-1]  # the rows above the cursor

    def test_it_names_requests_in_the_page_links_where_the_language_does(
        self, client: Client, personas: Personas, tickets: list[Ticket]
    ) -> None:
        client.force_login(personas.admin)
        first = client.get("/ja/agent/views/open")
        assert ">古いお問い合わせへ</a>" in first.content.decode()
        second = client.get(page_link(first, "next") or "")
        assert ">新しいお問い合わせへ</a>" in second.content.decode()
        # The mail pages share the pager but list messages, not requests.
        with translation.override("ja"):
            mail = render_to_string(
                "tickets/agent/_inbox_pager.html", {"newer_url": "/n", "older_url": "/o"}
            )
        assert ">新しいほうへ</a>" in mail and ">古いほうへ</a>" in mail


class InboxQueryCountTests:
    # session + user + saved views + the cached counts + the rows + the agents to assign to
    EXPECTED = 4

    def expected(self) -> int:
        return self.EXPECTED + session_queries() + shared_cache_queries()

    @pytest.mark.parametrize("key", ["mine", "unassigned", "open", "pending", "solved", "saved"])
    def test_it_runs_a_fixed_number_of_queries(
        self,
        client: Client,
        personas: Personas,
        world: World,
        django_assert_num_queries: Callable,
        monkeypatch: pytest.MonkeyPatch,
        key: str,
    ) -> None:
        monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
        saved = saved_view(personas.agent, status=["new", "pending", "solved", "closed"])
        address = (
            f"/en/agent/views/saved/{saved.pk}" if key == "saved" else f"/en/agent/views/{key}"
        )
        client.force_login(personas.agent)
        client.get(address)  # counts the views and warms the notice cache
        with django_assert_num_queries(self.expected()):
            response = client.get(address)
        for _ in range(3):
            build_world(personas)
        with django_assert_num_queries(self.expected()):
            response = client.get(address)
        older = page_link(response, "next")
        assert older is not None, key
        with django_assert_num_queries(self.expected()):
            assert client.get(older).status_code == 200

    def test_it_refreshes_the_counts_with_a_fixed_number_of_queries(
        self,
        client: Client,
        personas: Personas,
        world: World,
        django_assert_num_queries: Callable,
    ) -> None:
        saved_view(personas.agent, status=["new"])
        client.force_login(personas.agent)
        response = client.get("/en/agent/counts?view=open")
        html = response.content.decode()
        assert 'href="/en/agent/views/open" aria-current="page"' in html
        assert "<h1" not in html and 'hx-trigger="every 60s"' in html
        # session + user + saved views + the cached counts
        with django_assert_num_queries(2 + session_queries() + shared_cache_queries()):
            client.get("/en/agent/counts?view=open")


class InboxCountTests:
    @override_settings(INBOX_COUNT_LIMIT=3)
    def test_it_shows_capped_counts_in_the_sidebar(
        self, client: Client, personas: Personas, world: World
    ) -> None:
        client.force_login(personas.admin)
        html = client.get("/en/agent/views/pending").content.decode()
        assert '<span class="inbox-view-name">All open</span> <span class="inbox-count">3+' in html
        assert '<span class="inbox-view-name">Pending</span> <span class="inbox-count">1<' in html

    def test_the_refresh_is_empty_when_nothing_changed_and_says_what_did(
        self, client: Client, personas: Personas, world: World
    ) -> None:
        client.force_login(personas.agent)
        page = client.get("/en/agent/").content.decode()
        assert '<div id="inbox-announce" class="visually-hidden" aria-live="polite"></div>' in page
        was = re.search(r"/en/agent/counts\?view=mine&amp;was=([^\"]+)\"", page).group(1)
        was = unquote(was.replace("&amp;", "&"))
        unchanged = client.get("/en/agent/counts", {"view": "mine", "was": was})
        assert unchanged.status_code == 204 and unchanged.content == b""
        # One count differs from what the page shows: the sidebar comes back, and the live
        # region hears that view's count alone.
        was_pending = re.search(r"pending=(\d+\+?)", was).group(1)
        older = was.replace(f"pending={was_pending}", "pending=99")
        changed = client.get("/en/agent/counts", {"view": "mine", "was": older}).content.decode()
        announced = re.search(
            r'<div id="inbox-announce" hx-swap-oob="innerHTML">(.*?)</div>', changed
        )
        assert announced is not None and announced.group(1) == f"Pending {was_pending}"

    def test_it_serves_counts_from_the_cache_for_a_minute(
        self, client: Client, personas: Personas, world: World
    ) -> None:
        client.force_login(personas.agent)
        before = client.get("/en/agent/counts").content.decode()
        assert '<span class="inbox-view-name">Pending</span> <span class="inbox-count">1<' in before
        make_ticket(personas.customer, "More", group=personas.support)
        Ticket.objects.update(status="pending")
        assert client.get("/en/agent/counts").content.decode() == before
        client.force_login(personas.admin)
        admin = client.get("/en/agent/counts").content.decode()
        assert '<span class="inbox-view-name">Pending</span> <span class="inbox-count">11<' in admin
