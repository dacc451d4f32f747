"""Who may open every agent request URL and every request settings URL."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.test import Client

from supportal.test import Personas, make_ticket
from supportal.tickets.models import CustomField, RequestType, Ticket

pytestmark = pytest.mark.django_db


@dataclass
class Url:
    method: str
    path: str
    data: dict[str, object] = field(default_factory=dict)
    ok: int = 200  # the status for someone allowed

    def call(self, client: Client, method: str | None = None) -> int:
        send = getattr(client, method or self.method)
        return send(self.path, self.data).status_code


def request_urls(ticket: Ticket, other: Ticket) -> list[Url]:
    base = f"/en/agent/requests/{ticket.pk}/"
    return [
        Url("get", base),
        Url("get", base + "presence"),
        Url("get", base + "neighbour/next", ok=302),  # to the next request, or the inbox
        Url("post", base + "reply", {"kind": "note", "body": "Looking"}, ok=302),
        Url("post", base + "update", {"status": "open", "priority": "2"}, ok=302),
        Url("post", base + "assign-me", ok=302),
        Url("post", base + "merge", {"target": other.pk}),  # the confirmation step
        Url("post", base + "link", {"other": other.pk}, ok=302),
        Url("post", base + f"unlink/{other.pk}", ok=302),
        Url("post", base + "cc", {"email": "boss@acme.test"}, ok=302),
        Url(
            "post",
            base + "call",  # supportal/phone
            {"direction": "outbound", "number": "+821012345678", "outcome": "answered"},
            ok=302,
        ),
    ]


def manage_urls(personas: Personas) -> list[Url]:
    field_pk = CustomField.objects.create(key="plan", labels={"en": "Plan"}).pk
    type_pk = RequestType.objects.create(names={"en": "Question"}).pk
    group_pk = personas.support.pk
    base = "/en/agent/manage/"
    return [
        Url("get", base + "groups/"),
        Url("get", base + "groups/new"),
        Url("get", base + f"groups/{group_pk}"),
        Url("get", base + "fields/"),
        Url("get", base + "fields/new"),
        Url("get", base + f"fields/{field_pk}"),
        Url("get", base + "types/"),
        Url("get", base + "types/new"),
        Url("get", base + f"types/{type_pk}"),
    ]


@pytest.fixture
def tickets(personas: Personas) -> tuple[Ticket, Ticket]:
    ticket = make_ticket(personas.customer, group=personas.support)
    other = make_ticket(personas.colleague, "Related", group=personas.support)
    return ticket, other


class RequestPermissionTests:
    def test_it_asks_visitors_to_sign_in(
        self, client: Client, personas: Personas, tickets: tuple[Ticket, Ticket]
    ) -> None:
        for url in [*request_urls(*tickets), *manage_urls(personas)]:
            response = getattr(client, url.method)(url.path, url.data)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/en/accounts/login/?next="), url

    @pytest.mark.parametrize("persona", ["customer", "colleague", "outsider"])
    def test_it_refuses_customers(
        self, client: Client, personas: Personas, tickets: tuple[Ticket, Ticket], persona: str
    ) -> None:
        client.force_login(getattr(personas, persona))
        # A URL naming a request answers as if it did not exist; settings say "forbidden".
        for url in request_urls(*tickets):
            assert url.call(client) == 404, url
        for url in manage_urls(personas):
            assert url.call(client) == 403, url
        assert Ticket.objects.get(pk=tickets[0].pk).messages.count() == 1

    def test_it_hides_another_groups_requests_from_an_agent(
        self, client: Client, personas: Personas, tickets: tuple[Ticket, Ticket]
    ) -> None:
        client.force_login(personas.other_agent)
        for url in request_urls(*tickets):
            assert url.call(client) == 404, url
        assert tickets[0].messages.count() == 1

    @pytest.mark.parametrize("persona", ["agent", "admin"])
    def test_it_serves_agents_who_see_the_request(
        self, client: Client, personas: Personas, tickets: tuple[Ticket, Ticket], persona: str
    ) -> None:
        client.force_login(getattr(personas, persona))
        for url in request_urls(*tickets):
            assert url.call(client) == url.ok, url

    def test_it_refuses_the_wrong_method(
        self, client: Client, personas: Personas, tickets: tuple[Ticket, Ticket]
    ) -> None:
        client.force_login(personas.admin)
        for url in request_urls(*tickets):
            wrong = "post" if url.method == "get" else "get"
            assert url.call(client, wrong) == 405, url
        for url in manage_urls(personas):
            wrong = "post" if url.path.endswith("/") else "put"
            assert url.call(client, wrong) == 405, url


class SettingsPermissionTests:
    def test_it_refuses_agents(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.agent)
        for url in manage_urls(personas):
            assert url.call(client) == 403, url
            assert url.call(client, "post") == 403, url

    def test_it_serves_admins(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        for url in manage_urls(personas):
            assert url.call(client) == 200, url

    def test_it_answers_404_for_unknown_settings(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.admin)
        for kind in ("groups", "fields", "types"):
            assert client.get(f"/en/agent/manage/{kind}/999").status_code == 404
