"""Who may open each customer request URL: the permission matrix."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import Client

from supportal.test import Personas, make_ticket, make_user
from supportal.tickets import services
from supportal.tickets.models import Attachment, Ticket
from supportal.tickets.tests.test_customer_fixtures import PNG, make_article, upload, url

pytestmark = pytest.mark.django_db

SIGNED_IN = ["customer", "colleague", "outsider", "agent", "other_agent", "admin"]
PERSONAS = [*SIGNED_IN, "anonymous"]  # visitors are always sent to sign in


def row(*codes: int) -> dict[str, int]:
    return dict(zip(SIGNED_IN, codes, strict=True))


# The request belongs to the customer, sits in the Support group and has a friend of the
# customer in CC. Agents act on requests from the agent side, so the customer actions refuse
# them (403) once they may see the request; other_agent is outside the Support group (404).
EXPECTED: dict[str, dict[str, int]] = {
    #               customer colleague outsider agent other_agent admin
    "detail": row(200, 200, 404, 302, 404, 302),
    "reply": row(302, 302, 404, 403, 404, 403),
    "solve": row(302, 302, 404, 403, 404, 403),
    "reopen": row(302, 302, 404, 403, 404, 403),
    "cc_add": row(302, 302, 404, 403, 404, 403),
    "cc_remove": row(302, 403, 404, 403, 404, 403),
    "attachment": row(200, 200, 404, 200, 404, 200),
}
POST_ONLY = {"reply", "solve", "reopen", "cc_add", "cc_remove"}


@dataclass
class Setup:
    ticket: Ticket
    friend_id: int
    attachment: Attachment


@pytest.fixture(autouse=True)
def _media(settings: pytest.FixtureRequest, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]


@pytest.fixture
def setup(personas: Personas) -> Setup:
    ticket = make_ticket(
        personas.customer, group=personas.support, attachments=[upload("a.png", PNG)]
    )
    friend = make_user("friend@acme.test", organization=personas.acme)
    services.ticket_add_cc(ticket=ticket, actor=personas.customer, email=friend.email)
    return Setup(ticket, friend.pk, Attachment.objects.get())


def address(name: str, setup: Setup) -> str:
    number = setup.ticket.pk
    return url(
        {
            "detail": f"{number}/",
            "reply": f"{number}/reply",
            "solve": f"{number}/solve",
            "reopen": f"{number}/reopen",
            "cc_add": f"{number}/cc",
            "cc_remove": f"{number}/cc/{setup.friend_id}/remove",
            "attachment": f"{number}/attachments/{setup.attachment.pk}/a.png",
        }[name]
    )


def sign_in(client: Client, personas: Personas, persona: str) -> None:
    if persona != "anonymous":
        client.force_login(getattr(personas, persona))


POST_DATA = {"reply": {"body": "Hello"}, "cc_add": {"email": "someone@example.test"}}


class CustomerPermissionMatrixTests:
    @pytest.mark.parametrize("persona", PERSONAS)
    @pytest.mark.parametrize("name", list(EXPECTED))
    def test_it_answers_each_persona_as_the_matrix_says(
        self, client: Client, personas: Personas, setup: Setup, persona: str, name: str
    ) -> None:
        sign_in(client, personas, persona)
        target = address(name, setup)
        if name in POST_ONLY:
            response = client.post(target, POST_DATA.get(name, {}))
        else:
            response = client.get(target)
        if persona == "anonymous":
            assert response.status_code == 302
            assert response["Location"].startswith("/en/accounts/login/?next=")
        else:
            assert response.status_code == EXPECTED[name][persona]

    @pytest.mark.parametrize("name", list(EXPECTED))
    def test_it_refuses_the_wrong_method(
        self, client: Client, personas: Personas, setup: Setup, name: str
    ) -> None:
        client.force_login(personas.customer)
        target = address(name, setup)
        response = client.get(target) if name in POST_ONLY else client.post(target)
        assert response.status_code == 405

    @pytest.mark.parametrize("persona", PERSONAS)
    def test_it_answers_404_for_a_request_that_does_not_exist(
        self, client: Client, personas: Personas, persona: str
    ) -> None:
        sign_in(client, personas, persona)
        response = client.get(url("999999/"))
        assert response.status_code == (302 if persona == "anonymous" else 404)


class CustomerPublicPageTests:
    @pytest.mark.parametrize("persona", PERSONAS)
    def test_it_opens_the_pages_without_a_ticket_for_everyone_who_may(
        self, client: Client, personas: Personas, persona: str
    ) -> None:
        article = make_article()
        sign_in(client, personas, persona)
        assert client.get(url("new")).status_code == 200
        assert client.get(url("new/suggest"), {"subject": "password"}).status_code == 200
        assert client.get(url(f"new/article/{article.pk}")).status_code == 302
        assert client.get(url("access/some-token")).status_code == 200
        mine = client.get(url())
        assert mine.status_code == (302 if persona == "anonymous" else 200)

    def test_it_refuses_the_wrong_method_on_the_list(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.customer)
        assert client.post(url()).status_code == 405
        assert client.delete(url("new")).status_code == 405
        assert client.put(url("access/some-token")).status_code == 405
