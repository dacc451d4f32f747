"""Merge, link and unlink, CC and next/previous from the agent's request page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from supportal.accounts.models import User
from supportal.test import Personas, make_ticket
from supportal.tickets import selectors
from supportal.tickets.models import Status, Ticket, TicketCC, TicketLink
from supportal.tickets.services import ticket_link

pytestmark = pytest.mark.django_db


def url(ticket: Ticket, action: str = "") -> str:
    return f"/en/agent/requests/{ticket.pk}/{action}"


class MergeTests:
    def test_it_asks_to_confirm_then_merges(self, client: Client, personas: Personas) -> None:
        source = make_ticket(personas.colleague, "Duplicate", group=personas.support)
        target = make_ticket(personas.customer, "Original", group=personas.support)
        client.force_login(personas.agent)
        review = client.post(url(source, "merge"), {"target": f"#{target.pk}"})
        assert review.status_code == 200
        page = review.content.decode()
        assert f"Merge #{source.pk} into #{target.pk}?" in page
        assert "Original" in page
        source.refresh_from_db()
        assert source.merged_into is None  # not yet

        done = client.post(url(source, "merge"), {"target": target.pk, "confirm": "1"})
        assert done.status_code == 302
        assert done["Location"] == url(target) + "?view=open"
        source.refresh_from_db()
        assert (source.merged_into, source.status) == (target, Status.CLOSED)
        assert TicketCC.objects.filter(ticket=target, user=personas.colleague).exists()
        target_page = client.get(done["Location"]).content.decode()
        assert f"Request #{source.pk} has been merged into this request." in target_page
        assert "Duplicate" in target_page  # the moved conversation and the notice
        merged_page = " ".join(client.get(url(source)).content.decode().split())
        assert f'Merged into <a href="/en/agent/requests/{target.pk}/">#{target.pk}</a>' in (
            merged_page
        )

    def test_it_refuses_a_target_the_agent_may_not_see(
        self, client: Client, personas: Personas
    ) -> None:
        source = make_ticket(personas.customer, group=personas.support)
        hidden = make_ticket(personas.outsider, group=personas.billing)
        client.force_login(personas.agent)
        for target in (hidden.pk, 999_999):
            response = client.post(url(source, "merge"), {"target": target, "confirm": "1"})
            assert response.status_code == 400
            assert (
                f"There is no request #{target}, or you may not see it."
                in response.content.decode()
            )
        hidden.refresh_from_db()
        assert not hidden.messages.filter(body__contains="merged").exists()

    def test_it_refuses_merging_a_request_into_itself_or_nonsense(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        client.force_login(personas.agent)
        response = client.post(url(ticket, "merge"), {"target": ticket.pk, "confirm": "1"})
        assert response.status_code == 400
        assert "A request cannot be merged into itself." in response.content.decode()
        words = client.post(url(ticket, "merge"), {"target": "next one"})
        assert "Enter a request number, such as 1042." in words.content.decode()
        ticket.refresh_from_db()
        assert ticket.merged_into is None

    def test_it_refuses_merging_twice(self, client: Client, personas: Personas) -> None:
        first = make_ticket(personas.customer, group=personas.support)
        second = make_ticket(personas.customer, group=personas.support)
        third = make_ticket(personas.customer, group=personas.support)
        client.force_login(personas.agent)
        client.post(url(first, "merge"), {"target": second.pk, "confirm": "1"})
        again = client.post(url(first, "merge"), {"target": third.pk, "confirm": "1"})
        assert again.status_code == 400
        assert "This request has already been merged." in again.content.decode()
        into_merged = client.post(url(third, "merge"), {"target": first.pk, "confirm": "1"})
        assert f"Request #{first.pk} was itself merged" in into_merged.content.decode()


class LinkTests:
    def test_it_links_lists_and_unlinks(self, client: Client, personas: Personas) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        other = make_ticket(personas.colleague, "Same outage", group=personas.support)
        client.force_login(personas.agent)
        assert client.post(url(ticket, "link"), {"other": other.pk}).status_code == 302
        assert TicketLink.objects.count() == 1
        page = " ".join(client.get(url(ticket)).content.decode().split())
        assert f'<a href="/en/agent/requests/{other.pk}/">#{other.pk} Same outage</a>' in page
        assert f'Linked to <a href="/en/agent/requests/{other.pk}/">#{other.pk}</a>' in page
        response = client.post(url(ticket, f"unlink/{other.pk}"))
        assert response.status_code == 302
        assert not TicketLink.objects.exists()
        assert f"Unlinked from request #{other.pk}." in client.get(url(ticket)).content.decode()

    def test_it_refuses_invisible_or_same_requests(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        hidden = make_ticket(personas.outsider, "Secret subject", group=personas.billing)
        client.force_login(personas.agent)
        response = client.post(url(ticket, "link"), {"other": hidden.pk})
        assert response.status_code == 400
        assert "or you may not see it" in response.content.decode()
        same = client.post(url(ticket, "link"), {"other": ticket.pk})
        assert "A request cannot be linked to itself." in same.content.decode()
        assert not TicketLink.objects.exists()

    def test_it_hides_links_to_requests_the_agent_may_not_see(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        hidden = make_ticket(personas.outsider, "Secret subject", group=personas.billing)
        ticket_link(ticket=ticket, other=hidden, actor=personas.admin)
        client.force_login(personas.agent)
        assert "Secret subject" not in client.get(url(ticket)).content.decode()
        assert client.post(url(ticket, f"unlink/{hidden.pk}")).status_code == 404


class CcTests:
    def test_it_adds_someone_in_cc(self, client: Client, personas: Personas) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        client.force_login(personas.agent)
        response = client.post(url(ticket, "cc"), {"email": "Boss@Acme.test"})
        assert response.status_code == 302
        boss = User.objects.get(email="boss@acme.test")
        assert TicketCC.objects.filter(ticket=ticket, user=boss).exists()
        page = client.get(url(ticket)).content.decode()
        assert "boss@acme.test is now in CC." in page
        assert "&lt;boss@acme.test&gt;" in page

    def test_it_explains_a_bad_address_and_the_requester(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        client.force_login(personas.agent)
        bad = client.post(url(ticket, "cc"), {"email": "not an address"})
        assert bad.status_code == 400
        assert "Enter a valid email address." in bad.content.decode()
        assert 'value="not an address"' in bad.content.decode()
        requester = client.post(url(ticket, "cc"), {"email": personas.customer.email})
        assert "The requester already follows this request." in requester.content.decode()
        assert not TicketCC.objects.exists()


class NeighbourTests:
    def test_the_page_links_previous_and_next_with_its_view(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        client.force_login(personas.agent)
        page = client.get(url(ticket) + "?view=saved-7").content.decode()
        assert f'href="/en/agent/requests/{ticket.pk}/neighbour/next?view=saved-7"' in page
        assert 'data-shortcut="j"' in page and 'data-shortcut="k"' in page
        fallback = client.get(url(ticket) + "?view=<script>").content.decode()
        assert 'neighbour/previous?view=open" data-shortcut="k"' in fallback

    def test_it_redirects_to_the_neighbour(
        self, client: Client, personas: Personas, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        calls: list[Any] = []

        def neighbour(user: User, view: str, current: Ticket, direction: str) -> int:
            calls.append((user, view, current, direction))
            return 4242

        monkeypatch.setattr(selectors, "neighbour", neighbour)
        client.force_login(personas.agent)
        response = client.get(url(ticket, "neighbour/next?view=mine"))
        assert response.status_code == 302
        assert response["Location"] == "/en/agent/requests/4242/?view=mine"
        assert calls == [(personas.agent, "mine", ticket, "next")]

    def test_it_returns_to_the_view_at_either_end(
        self, client: Client, personas: Personas, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        client.force_login(personas.agent)
        monkeypatch.setattr(selectors, "neighbour", lambda *args: None)
        response = client.get(url(ticket, "neighbour/previous?view=saved-3"))
        assert response["Location"] == "/en/agent/views/saved/3"

        def not_yet(*args: object) -> int:
            raise NotImplementedError

        monkeypatch.setattr(selectors, "neighbour", not_yet)
        response = client.get(url(ticket, "neighbour/next?view=pending"))
        assert response["Location"] == "/en/agent/views/pending"
        messages = [str(m) for m in response.wsgi_request._messages]  # type: ignore[attr-defined]
        assert messages[-1] == "There is no next request in this view."

    def test_it_answers_404_for_an_unknown_direction(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        client.force_login(personas.agent)
        assert client.get(url(ticket, "neighbour/sideways")).status_code == 404
