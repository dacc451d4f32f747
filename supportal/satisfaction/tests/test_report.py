"""What agents see: the rating on the request page and the satisfaction report."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from supportal.satisfaction.models import Rating
from supportal.satisfaction.selectors import ratings_visible_to, summary
from supportal.satisfaction.tests.helpers import rate, solved_ticket
from supportal.test import Personas, session_queries
from supportal.tickets.models import Status
from supportal.tickets.services import Changes, ticket_update

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 20, 12, 0, tzinfo=datetime.UTC)
URL = "/en/agent/satisfaction/"


def rated(personas: Personas, score: str, *, days_ago: int = 1, **kwargs: object) -> Rating:
    with time_machine.travel(NOW - datetime.timedelta(days=days_ago), tick=False):
        ticket = solved_ticket(personas, **kwargs)  # type: ignore[arg-type]
        return rate(ticket, score, f"{score} {days_ago}")


def world(personas: Personas) -> None:
    """Support (Jiwoo): 3 good, 1 bad; Billing (Kenji): 1 good, 2 bad; one old, one closed."""
    for score in ("good", "good", "bad"):
        rated(personas, score, assignee=personas.agent, group=personas.support)
    rated(personas, "good", assignee=personas.other_agent, group=personas.support, days_ago=3)
    for score in ("good", "bad", "bad"):
        rated(personas, score, assignee=personas.other_agent, group=personas.billing, days_ago=5)
    rated(personas, "bad", assignee=personas.agent, group=personas.support, days_ago=45)


class AgentPanelTests:
    def test_it_shows_the_rating_and_comment_on_the_request(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = solved_ticket(personas)
        client.force_login(personas.agent)
        page = reverse("agent:ticket", args=[ticket.pk])
        html = client.get(page).content.decode()
        assert 'id="rating-title">Satisfaction</h2>' in html and "Not rated yet." in html
        rate(ticket, "bad", "Took <b>too</b> long")
        html = client.get(page).content.decode()
        assert 'class="rating-badge rating-bad">Bad</strong>' in html
        assert "Took &lt;b&gt;too&lt;/b&gt; long" in html

    def test_it_stays_out_of_requests_that_are_not_solved(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = solved_ticket(personas)
        rate(ticket, "good")
        ticket_update(ticket=ticket, actor=personas.agent, changes=Changes(status=Status.OPEN))
        client.force_login(personas.agent)
        html = client.get(reverse("agent:ticket", args=[ticket.pk])).content.decode()
        assert 'id="rating-title"' not in html


class ReportTests:
    def test_it_computes_csat_per_agent_and_group_for_the_period(
        self, client: Client, personas: Personas
    ) -> None:
        world(personas)
        client.force_login(personas.admin)
        with time_machine.travel(NOW, tick=False):
            response = client.get(URL)
        html = response.content.decode()
        assert response.status_code == 200
        # The last 30 days: 4 good of 7 (the 45-day-old rating is outside).
        assert "CSAT 57%: 4 good of 7 rated" in html
        assert '<th scope="row">Jiwoo Agent</th><td>2</td><td>1</td><td>67%</td>' in html
        assert '<th scope="row">Kenji Billing</th><td>2</td><td>2</td><td>50%</td>' in html
        assert '<th scope="row">Billing</th><td>1</td><td>2</td><td>33%</td>' in html
        assert '<th scope="row">Support</th><td>3</td><td>1</td><td>75%</td>' in html
        assert html.count('class="rating-badge') == 7
        # Newest first.
        assert html.index("good 1") < html.index("good 3") < html.index("bad 5")

    def test_it_filters_by_dates_rating_group_and_agent(
        self, client: Client, personas: Personas
    ) -> None:
        world(personas)
        client.force_login(personas.admin)
        with time_machine.travel(NOW, tick=False):
            older = client.get(URL, {"start": "2026-01-01", "end": "2026-02-28"})
            assert "CSAT 0%: 0 good of 1 rated" in older.content.decode()
            bad = client.get(URL, {"score": "bad"}).content.decode()
            assert "CSAT 0%: 0 good of 3 rated" in bad
            group = client.get(URL, {"group": personas.billing.pk}).content.decode()
            assert "CSAT 33%: 1 good of 3 rated" in group
            agent = client.get(URL, {"agent": personas.agent.pk}).content.decode()
            assert "CSAT 67%: 2 good of 3 rated" in agent
            days = client.get(URL, {"start": "2026-03-16", "end": "2026-03-19"}).content.decode()
            assert "CSAT 75%: 3 good of 4 rated" in days

    def test_it_keeps_the_agent_and_group_of_the_time_of_rating(self, personas: Personas) -> None:
        rating = rated(personas, "good", assignee=personas.agent, group=personas.support)
        ticket_update(
            ticket=rating.ticket,
            actor=personas.admin,
            changes=Changes(assignee=personas.other_agent, group=personas.billing),
        )
        rating.refresh_from_db()
        assert (rating.assignee, rating.group) == (personas.agent, personas.support)
        result = summary(ratings_visible_to(personas.admin), no_agent="-", no_group="-")
        assert [(s.label, s.percent) for s in result.by_agent] == [("Jiwoo Agent", 100)]

    def test_it_shows_only_ratings_of_requests_the_agent_may_see(
        self, client: Client, personas: Personas
    ) -> None:
        world(personas)
        client.force_login(personas.agent)  # in Support, not Billing
        with time_machine.travel(NOW, tick=False):
            html = client.get(URL).content.decode()
        assert "CSAT 75%: 3 good of 4 rated" in html
        assert "bad 5" not in html

    def test_it_explains_bad_dates_with_400(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.agent)
        response = client.get(URL, {"start": "2026-03-10", "end": "2026-03-01"})
        assert response.status_code == 400
        html = response.content.decode()
        assert "The end date must be on or after the start date." in html
        assert 'value="2026-03-10"' in html
        assert client.get(URL, {"start": "nonsense"}).status_code == 400

    def test_it_runs_a_fixed_number_of_queries(
        self, client: Client, personas: Personas, django_assert_num_queries: Callable
    ) -> None:
        rated(personas, "good", assignee=personas.agent, group=personas.support)
        client.force_login(personas.agent)
        client.get(URL)  # warms the notice cache
        # user, the three aggregates, the count, the page, the groups and agents to filter by
        expected = session_queries() + 8
        with time_machine.travel(NOW, tick=False):
            with django_assert_num_queries(expected):
                assert client.get(URL).status_code == 200
            world(personas)
            with django_assert_num_queries(expected):
                html = client.get(URL).content.decode()
        assert html.count('class="rating-badge') == 5

    def test_it_pages_and_keeps_the_filters(self, client: Client, personas: Personas) -> None:
        for _n in range(26):
            rated(personas, "good", assignee=personas.agent, group=personas.support)
        client.force_login(personas.agent)
        with time_machine.travel(NOW, tick=False):
            html = client.get(URL, {"score": "good"}).content.decode()
            assert html.count('class="rating-badge') == 25
            assert 'href="?score=good&amp;page=2"' in html
            second = client.get(URL, {"score": "good", "page": "2"}).content.decode()
            assert second.count('class="rating-badge') == 1

    def test_it_is_linked_from_the_inbox(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.agent)
        assert f'href="{URL}">Satisfaction</a>' in client.get("/en/agent/").content.decode()

    def test_it_is_for_agents_only(self, client: Client, personas: Personas) -> None:
        response = client.get(URL)
        assert response.status_code == 302
        assert response["Location"].startswith("/en/accounts/login/?next=")
        client.force_login(personas.customer)
        assert client.get(URL).status_code == 403
        client.force_login(personas.agent)
        assert client.post(URL).status_code == 405
