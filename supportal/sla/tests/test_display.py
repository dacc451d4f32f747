"""What agents see of service levels: durations in words, the inbox's "Next SLA" column, the
next-breach sort and view, and the clocks panel on the request page. Customers see none of it."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.http import HttpResponse
from django.test import Client
from django.utils import translation

from supportal.sla.display import Clock, format_duration, next_clock
from supportal.sla.models import SlaPolicy, SlaTimer, TicketSla
from supportal.sla.tests.helpers import make_policy
from supportal.test import Personas, make_ticket, session_queries, shared_cache_queries
from supportal.tickets import selectors
from supportal.tickets.models import SavedView, Status, Ticket
from supportal.tickets.services import Changes, ticket_update
from supportal.tickets.tests.test_inbox_fixtures import page_link

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def frozen() -> object:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def due(ticket: Ticket, minutes: float | None, metric: str = "first_reply", **kw: object) -> None:
    """Sets the request's next due time `minutes` from NOW (negative: overdue)."""
    when = None if minutes is None else NOW + timedelta(minutes=minutes)
    TicketSla.objects.update_or_create(
        ticket=ticket, defaults={"next_due_at": when, "next_metric": metric, **kw}
    )


class DurationFormatTests:
    @pytest.mark.parametrize(
        ("language", "expected"),
        [
            ("en", ["2 h 15 m", "35 m", "1 h", "1 d 3 h", "under a minute"]),
            ("ko", ["2시간 15분", "35분", "1시간", "1일 3시간", "1분 미만"]),
            ("ja", ["2時間15分", "35分", "1時間", "1日3時間", "1分未満"]),
            ("zh-hans", ["2小时15分钟", "35分钟", "1小时", "1天3小时", "不到 1 分钟"]),
        ],
    )
    def test_it_writes_durations_in_each_language(self, language: str, expected: list[str]) -> None:
        seconds = [2 * 3600 + 15 * 60 + 59, 35 * 60, 3600, 27 * 3600 + 20 * 60, 59]
        with translation.override(language):
            assert [format_duration(s) for s in seconds] == expected

    def test_it_reads_overdue_seconds_as_a_length(self) -> None:
        assert format_duration(-(65 * 60)) == "1 h 5 m"

    def test_each_state_is_in_words_not_only_colour(self) -> None:
        assert Clock("first_reply", "ok", seconds=8100).summary == "First reply: 2 h 15 m left"
        assert Clock("next_reply", "soon", seconds=2100).summary == "Next reply: Due soon, in 35 m"
        assert Clock("resolution", "overdue", seconds=3900).summary == (
            "Resolution: Overdue by 1 h 5 m"
        )
        assert Clock("periodic_update", "paused").summary == "Update: Paused"
        assert Clock("first_reply", "paused", seconds=600).text == "Paused, 10 m left"
        assert Clock("first_reply", "achieved").text == "Achieved"
        assert Clock("first_reply", "breached").text == "Breached"


class NextClockTests:
    def test_it_reads_the_state_from_the_due_time_and_the_policy_warning(
        self, personas: Personas, frozen: object
    ) -> None:
        policy = make_policy("Fast", warn_minutes=30, targets=[(2, "first_reply", 60, False)])
        ticket = make_ticket(personas.customer)
        for minutes, state in ((31, "ok"), (30, "soon"), (1, "soon"), (-1, "overdue")):
            due(ticket, minutes, policy=policy)
            loaded = Ticket.objects.select_related("sla__policy").get(pk=ticket.pk)
            clock = next_clock(loaded)
            assert clock is not None and clock.state == state, minutes
        due(ticket, None, policy=policy)
        paused = next_clock(Ticket.objects.select_related("sla__policy").get(pk=ticket.pk))
        assert paused is not None and paused.state == "paused"

    def test_no_row_or_no_metric_means_nothing_to_show(self, personas: Personas) -> None:
        ticket = make_ticket(personas.customer)
        TicketSla.objects.filter(ticket=ticket).delete()
        assert next_clock(Ticket.objects.select_related("sla").get(pk=ticket.pk)) is None
        TicketSla.objects.create(ticket=ticket, next_metric="")
        assert next_clock(Ticket.objects.select_related("sla").get(pk=ticket.pk)) is None


class InboxColumnTests:
    def test_it_shows_the_next_target_of_each_request(
        self, client: Client, personas: Personas, frozen: object
    ) -> None:
        later = make_ticket(personas.customer, "Later", group=personas.support)
        soon = make_ticket(personas.customer, "Soon", group=personas.support)
        late = make_ticket(personas.customer, "Late", group=personas.support)
        make_ticket(personas.customer, "Without", group=personas.support)
        due(later, 135)
        due(soon, 35, metric="next_reply")
        due(late, -65, metric="resolution")
        client.force_login(personas.agent)
        page = client.get("/en/agent/views/open").content.decode()
        assert "Next SLA" in page
        assert '<span class="sla sla-ok">First reply: 2 h 15 m left</span>' in page
        assert "sla-soon" in page and "Next reply: Due soon, in 35 m" in page
        assert "sla-overdue" in page and "Resolution: Overdue by 1 h 5 m" in page
        assert '<time datetime="2026-03-02T11:15:00+00:00">' in page
        assert "No running target" in page

    def test_it_shows_due_times_in_the_viewers_time_zone(
        self, client: Client, personas: Personas, frozen: object
    ) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        due(ticket, 60)
        personas.agent.time_zone = "Asia/Seoul"
        personas.agent.save()
        client.force_login(personas.agent)
        page = client.get("/en/agent/views/open").content.decode()
        assert '<time datetime="2026-03-02T10:00:00+00:00">' in page
        assert "7 p.m." in page  # 10:00 UTC is 19:00 in Seoul

    def test_search_results_show_it_too_without_a_query_a_row(
        self, client: Client, personas: Personas, frozen: object, django_assert_num_queries
    ) -> None:
        for index in range(3):
            due(make_ticket(personas.customer, f"Printer {index}"), 90)
        client.force_login(personas.admin)
        client.get("/en/agent/search?q=printer")
        with django_assert_num_queries(session_queries() + 2):
            page = client.get("/en/agent/search?q=printer").content.decode()
        assert page.count("First reply: 1 h 30 m left") == 3


class NextBreachSortTests:
    EXPECTED = 4  # as InboxQueryCountTests: user, saved views, the rows, the agents

    def expected(self) -> int:
        return self.EXPECTED + session_queries() + shared_cache_queries()

    def test_it_lists_the_earliest_due_first_across_keyset_pages(
        self,
        client: Client,
        personas: Personas,
        frozen: object,
        monkeypatch: pytest.MonkeyPatch,
        django_assert_num_queries: Callable,
    ) -> None:
        monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
        minutes = [300, -20, 45, 45, 600]
        tickets = [
            make_ticket(personas.customer, f"R{i}", group=personas.support) for i in range(5)
        ]
        for ticket, offset in zip(tickets, minutes, strict=True):
            due(ticket, offset)
        make_ticket(personas.customer, "No clock", group=personas.support)
        client.force_login(personas.agent)
        address = "/en/agent/views/open?sort=next_breach"
        client.get(address)
        with django_assert_num_queries(self.expected()):
            first = client.get(address)
        order = [tickets[1], tickets[2], tickets[3], tickets[0], tickets[4]]
        seen = rows_of(first)
        older = page_link(first, "next")
        assert older is not None and "sort=next_breach" in older
        with django_assert_num_queries(self.expected()):
            second = client.get(older)
        seen += rows_of(second)
        third = client.get(page_link(second, "next") or "")
        seen += rows_of(third)
        assert seen == [t.pk for t in order]
        assert page_link(third, "next") is None
        assert "No clock" not in first.content.decode() + third.content.decode()
        assert "only requests with a running target are listed" in first.content.decode()
        back = client.get(page_link(third, "prev") or "")
        assert rows_of(back) == [order[2].pk, order[3].pk]
        for extra in range(4):
            due(make_ticket(personas.customer, f"More {extra}", group=personas.support), 900)
        with django_assert_num_queries(self.expected()):
            client.get(address)

    def test_saved_views_can_use_it(self, personas: Personas, frozen: object) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        due(ticket, 5)
        saved = SavedView.objects.create(name="Hot", owner=personas.agent, sort="next_breach")
        view = selectors.saved_inbox_view(personas.agent, saved)
        assert view.sort.key == "next_breach"
        page = selectors.inbox_page(personas.agent, view, view.sort)
        assert [row.pk for row in page.rows] == [ticket.pk]


def rows_of(response: HttpResponse) -> list[int]:
    html = response.content.decode()
    return [int(n) for n in re.findall(r'<td class="inbox-number">#(\d+)</td>', html)]


class BreachingViewTests:
    def test_it_lists_open_requests_due_within_the_hour_overdue_first(
        self, client: Client, personas: Personas, frozen: object
    ) -> None:
        overdue = make_ticket(personas.customer, "Overdue", group=personas.support)
        in_50 = make_ticket(personas.customer, "In 50", group=personas.support)
        in_90 = make_ticket(personas.customer, "In 90", group=personas.support)
        solved = make_ticket(personas.customer, "Solved", group=personas.support)
        due(overdue, -120)
        due(in_50, 50)
        due(in_90, 90)
        due(solved, 10)
        ticket_update(ticket=solved, actor=personas.admin, changes=Changes(status=Status.SOLVED))
        due(solved, 10)
        client.force_login(personas.agent)
        inbox = client.get("/en/agent/").content.decode()
        assert 'href="/en/agent/views/breaching"' in inbox
        assert "SLA breaching in the next hour" in inbox
        response = client.get("/en/agent/views/breaching")
        assert response.status_code == 200
        assert rows_of(response) == [overdue.pk, in_50.pk]
        assert selectors.neighbour(personas.agent, "breaching", overdue, "next") == in_50.pk
        assert selectors.neighbour(personas.agent, "breaching", in_50, "previous") == overdue.pk
        assert selectors.neighbour(personas.agent, "breaching", in_50, "next") is None

    def test_agents_see_only_their_groups_requests_in_it(
        self, client: Client, personas: Personas, frozen: object
    ) -> None:
        billing = make_ticket(personas.customer, "Billing", group=personas.billing)
        due(billing, 5)
        client.force_login(personas.agent)
        assert rows_of(client.get("/en/agent/views/breaching")) == []


def panel_data(personas: Personas) -> tuple[Ticket, SlaPolicy]:
    policy = make_policy("Gold", warn_minutes=30, targets=[(2, "first_reply", 60, False)])
    ticket = make_ticket(personas.customer, group=personas.support)
    SlaTimer.objects.filter(ticket=ticket).delete()
    SlaTimer.objects.create(
        ticket=ticket,
        policy=policy,
        metric="first_reply",
        target_minutes=60,
        started_at=NOW - timedelta(minutes=40),
        due_at=NOW + timedelta(minutes=20),
    )
    SlaTimer.objects.create(
        ticket=ticket,
        policy=policy,
        metric="resolution",
        state=SlaTimer.State.PAUSED,
        target_minutes=600,
        started_at=NOW - timedelta(minutes=40),
        paused_at=NOW - timedelta(minutes=5),
        seconds_left=3 * 3600,
    )
    SlaTimer.objects.create(
        ticket=ticket,
        policy=policy,
        metric="next_reply",
        state=SlaTimer.State.ACHIEVED,
        target_minutes=60,
        started_at=NOW - timedelta(hours=5),
        due_at=NOW - timedelta(hours=4),
        stopped_at=NOW - timedelta(hours=4, minutes=30),
    )
    return ticket, policy


class RequestPagePanelTests:
    def test_it_shows_every_clock_with_the_policy(
        self, client: Client, personas: Personas, frozen: object
    ) -> None:
        ticket, _policy = panel_data(personas)
        client.force_login(personas.agent)
        page = client.get(f"/en/agent/requests/{ticket.pk}/").content.decode()
        assert '<h2 id="sla-title">Service level</h2>' in page
        assert "Policy: Gold" in page
        assert "First reply: Due soon, in 20 m" in page
        assert "Resolution: Paused, 3 h left" in page
        assert "Stopped clocks" in page and "Next reply: Achieved" in page
        assert 'hx-trigger="every 60s"' in page
        assert '<div id="sla-announce" class="visually-hidden" aria-live="polite"></div>' in page

    def test_the_polled_fragment_announces_only_a_change_of_state(
        self, client: Client, personas: Personas, frozen: object
    ) -> None:
        ticket, _policy = panel_data(personas)
        client.force_login(personas.agent)
        url = f"/en/agent/manage/sla/clocks/{ticket.pk}"
        same = client.get(url, {"was": "first_reply-soon.resolution-paused"})
        assert same.status_code == 200
        assert "Due soon, in 20 m" in same.content.decode()
        assert "hx-swap-oob" not in same.content.decode()
        changed = client.get(url, {"was": "first_reply-ok.resolution-paused"}).content.decode()
        assert 'hx-swap-oob="innerHTML">First reply: Due soon, in 20 m</div>' in changed

    def test_the_fragment_is_for_agents_who_may_see_the_request(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, group=personas.billing)
        url = f"/en/agent/manage/sla/clocks/{ticket.pk}"
        assert client.get(url).status_code == 302
        client.force_login(personas.customer)
        assert client.get(url).status_code == 404
        client.force_login(personas.agent)  # not in Billing
        assert client.get(url).status_code == 404
        client.force_login(personas.other_agent)
        assert client.get(url).status_code == 200
        assert client.post(url).status_code == 405

    def test_customers_never_see_service_levels(
        self, client: Client, personas: Personas, frozen: object
    ) -> None:
        ticket, _policy = panel_data(personas)
        due(ticket, 20)
        client.force_login(personas.customer)
        for address in ("/en/requests/", f"/en/requests/{ticket.pk}/"):
            response = client.get(address)
            assert response.status_code == 200, address
            page = response.content.decode()
            for word in ("Service level", "First reply", "sla-", "Gold", "Due soon"):
                assert word not in page, (address, word)


class InboxClockRefreshTests:
    def test_the_inbox_polls_its_sla_cells_and_gets_each_back_by_id(
        self, client: Client, personas: Personas
    ) -> None:
        mine = make_ticket(personas.customer, group=personas.support)
        hidden = make_ticket(personas.customer, group=personas.billing)  # not the agent's group
        client.force_login(personas.agent)
        inbox = client.get("/en/agent/views/open").content.decode()
        assert f'id="sla-{mine.pk}"' in inbox
        assert 'hx-trigger="every 60s"' in inbox
        url = f"/en/agent/manage/sla/inbox-clocks?ids={mine.pk},{hidden.pk},x,"
        response = client.get(url)
        body = response.content.decode()
        assert response.status_code == 200
        assert f'<span id="sla-{mine.pk}" hx-swap-oob="true">' in body
        assert f'id="sla-{hidden.pk}"' not in body  # only what the agent may see
        assert "No running target" in body

    def test_only_agents_poll_sla_cells(self, client: Client, personas: Personas) -> None:
        url = "/en/agent/manage/sla/inbox-clocks?ids=1"
        assert client.get(url).status_code == 302
        client.force_login(personas.customer)
        assert client.get(url).status_code == 403
        client.force_login(personas.agent)
        assert client.post(url).status_code == 405
