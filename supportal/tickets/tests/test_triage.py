"""Triage suggestions: type, group and priority from the nearest solved requests (the real
model), the "Suggested" panel and its apply buttons, and the trigger actions that apply them
above a confidence."""

from __future__ import annotations

import math
from typing import Any

import pytest
from django.test import Client

from supportal.rules.models import Trigger
from supportal.rules.tests.helpers import act, make_trigger
from supportal.rules.tests.test_triggers_settings import TRIGGERS, trigger_data
from supportal.semantic import index
from supportal.semantic.models import Embedding
from supportal.semantic.services import embed_now
from supportal.test import Personas, make_ticket, session_queries
from supportal.tickets import triage
from supportal.tickets.models import Priority, RequestType, Status, Ticket, TicketEvent
from supportal.tickets.services import Changes, ticket_update

pytestmark = pytest.mark.django_db

BILLING = [
    ("Charged twice this month", "My card was billed two times for the same invoice."),
    ("Refund for my last payment", "Please return the money you took from my credit card."),
    ("Wrong amount on my invoice", "The invoice shows a higher price than the plan I pay for."),
    ("Payment taken after I cancelled", "You charged my card although I cancelled last week."),
]
SIGN_IN = [
    ("Cannot sign in", "The sign-in page says my password is wrong."),
    ("Forgot my password", "The reset email never arrives, so I cannot log in."),
    ("Locked out of my account", "After three wrong passwords my login is blocked."),
]


@pytest.fixture(autouse=True)
def _fresh() -> None:
    index.clear()


@pytest.fixture
def solved(personas: Personas) -> dict[str, RequestType]:
    return make_solved(personas)


def make_solved(personas: Personas) -> dict[str, RequestType]:
    """Solved requests: billing ones typed Billing, in Billing, high; sign-in ones typed
    Account, in Support, low. Their vectors are written as the worker would."""
    types = {
        "billing": RequestType.objects.create(names={"en": "Billing question", "ko": "결제"}),
        "account": RequestType.objects.create(names={"en": "Account access", "ko": "계정"}),
    }
    made = []
    for texts, kind, group, priority in (
        (BILLING, "billing", personas.billing, Priority.HIGH),
        (SIGN_IN, "account", personas.support, Priority.LOW),
    ):
        for subject, body in texts:
            ticket = make_ticket(personas.customer, subject, body)
            ticket_update(
                ticket=ticket,
                actor=personas.admin,
                changes=Changes(
                    type=types[kind], group=group, priority=priority, status=Status.SOLVED
                ),
            )
            made.append(ticket.pk)
    embed_now("ticket", made)
    return types


def new_billing_request(personas: Personas) -> Ticket:
    return make_ticket(
        personas.customer, "I paid two times", "Money was taken twice from my bank card."
    )


class TriagePredictionTests:
    def test_it_predicts_the_fields_of_the_nearest_solved_requests(
        self, personas: Personas, solved: dict[str, RequestType]
    ) -> None:
        ticket = new_billing_request(personas)
        prediction = triage.predict(ticket)
        assert prediction.neighbours == len(BILLING) + len(SIGN_IN)
        type_id, confidence = prediction.votes["type"]
        assert type_id == solved["billing"].pk
        assert 0.5 < confidence < 1.0  # the sign-in requests vote too, with less weight
        assert prediction.votes["group"][0] == personas.billing.pk
        assert prediction.votes["priority"][0] == Priority.HIGH
        sign_in = make_ticket(personas.customer, "Can't log in", "My password is not accepted.")
        assert triage.predict(sign_in).votes["type"][0] == solved["account"].pk

    def test_it_ignores_open_requests_and_the_request_itself(
        self, personas: Personas, solved: dict[str, RequestType]
    ) -> None:
        ticket = new_billing_request(personas)
        # An open billing request typed otherwise does not vote, though it is the nearest.
        twin = make_ticket(personas.customer, "I paid two times", "Money taken twice.")
        ticket_update(ticket=twin, actor=personas.admin, changes=Changes(type=solved["account"]))
        embed_now("ticket", [ticket.pk, twin.pk])
        prediction = triage.predict(ticket)
        assert prediction.neighbours == len(BILLING) + len(SIGN_IN)
        assert prediction.votes["type"][0] == solved["billing"].pk

    def test_it_suggests_nothing_without_solved_requests(self, personas: Personas) -> None:
        ticket = new_billing_request(personas)
        embed_now("ticket", [ticket.pk])
        assert triage.predict(ticket).neighbours == 0
        assert triage.suggestions(ticket) == []

    def test_it_weighs_votes_by_similarity(self) -> None:
        votes = triage.vote([((1, None, 2), 0.9), ((2, None, 2), 0.3), ((2, 5, 3), 0.3)])
        assert votes["type"] == (1, pytest.approx(0.6))
        assert votes["group"] == (None, pytest.approx(0.8))
        assert votes["priority"] == (2, pytest.approx(0.8))


class TriagePanelTests:
    def test_it_shows_the_suggestions_with_their_confidence(
        self,
        client: Client,
        personas: Personas,
        solved: dict[str, RequestType],
        django_assert_num_queries,
    ) -> None:
        ticket = new_billing_request(personas)
        embed_now("ticket", [ticket.pk])
        client.force_login(personas.admin)
        client.get(f"/en/agent/requests/{ticket.pk}/")  # warm the per-process caches
        percent = round(triage.predict(ticket).votes["type"][1] * 100)
        # The request page's queries (test_agent_ticket) and the panel's: the vectors'
        # generation and the final values of the nearest requests.
        with django_assert_num_queries(session_queries() + 18 + 2):
            page = client.get(f"/en/agent/requests/{ticket.pk}/").content.decode()
        panel = page[page.index('aria-labelledby="triage-title"') :]
        panel = panel[: panel.index("</section>")]
        assert "Billing question" in panel and f"({percent} % agree)" in panel
        assert "From the 7 nearest solved requests." in panel
        assert "High" in panel and personas.billing.name in panel

    def test_it_applies_one_suggestion_through_the_update_service(
        self, client: Client, personas: Personas, solved: dict[str, RequestType]
    ) -> None:
        ticket = new_billing_request(personas)
        client.force_login(personas.admin)
        data = {"field": "type", "value": solved["billing"].pk}
        response = client.post(f"/en/agent/requests/{ticket.pk}/triage", data)
        assert response.status_code == 302
        ticket.refresh_from_db()
        assert ticket.type == solved["billing"]
        event = TicketEvent.objects.get(ticket=ticket, field="type")
        assert event.actor == personas.admin and event.new_value == str(solved["billing"].pk)
        page = client.get(f"/en/agent/requests/{ticket.pk}/").content.decode()
        assert "already set" in page

    def test_it_refuses_a_value_that_does_not_exist(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = new_billing_request(personas)
        client.force_login(personas.admin)
        for data in (
            {"field": "type", "value": 999_999},
            {"field": "priority", "value": 9},
            {"field": "status", "value": 1},
            {"field": "group", "value": "x" * 50},
        ):
            response = client.post(f"/en/agent/requests/{ticket.pk}/triage", data)
            assert response.status_code == 400
            assert "This suggestion can no longer be applied." in response.content.decode()
        ticket.refresh_from_db()
        assert ticket.type is None and ticket.priority == Priority.NORMAL

    def test_it_is_for_agents_who_may_see_the_request(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, group=personas.support)
        target = f"/en/agent/requests/{ticket.pk}/triage"
        data = {"field": "priority", "value": Priority.URGENT}
        assert client.post(target, data).status_code == 302  # to sign in
        client.force_login(personas.customer)
        assert client.post(target, data).status_code == 404
        client.force_login(personas.other_agent)  # Billing only: not this request
        assert client.post(target, data).status_code == 404
        client.force_login(personas.agent)
        assert client.get(target).status_code == 405
        assert client.post(target, data).status_code == 302
        ticket.refresh_from_db()
        assert ticket.priority == Priority.URGENT


class TriageTriggerTests:
    def test_it_applies_suggestions_at_or_above_the_threshold_and_not_below(
        self,
        personas: Personas,
        solved: dict[str, RequestType],
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        probe = new_billing_request(personas)
        confidence = triage.predict(probe).votes["type"][1]
        floor = math.floor(confidence * 100)
        below = make_trigger(
            "Too sure",
            runs_on=Trigger.RunsOn.CREATED,
            actions=[act("suggest_type", floor + 1), act("suggest_group", 100)],
        )
        with django_capture_on_commit_callbacks(execute=True):
            assert new_billing_request(personas).type is None
        below.delete()
        trigger = make_trigger(
            "Triage",
            runs_on=Trigger.RunsOn.CREATED,
            actions=[act("suggest_type", floor), act("suggest_priority", 1)],
        )
        # The request is embedded after its commit, by the worker, never in the customer's
        # request; the suggestions are applied then.
        with django_capture_on_commit_callbacks(execute=False) as later:
            ticket = new_billing_request(personas)
        assert not Embedding.objects.filter(kind="ticket", object_id=ticket.pk).exists()
        ticket.refresh_from_db()
        assert ticket.type is None
        for callback in later:
            callback()
        assert Embedding.objects.filter(kind="ticket", object_id=ticket.pk).exists()
        ticket.refresh_from_db()
        assert ticket.type == solved["billing"]
        assert ticket.priority == Priority.HIGH
        assert ticket.group is None  # no action for the group
        events = TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.CHANGED)
        assert {e.field: e.via for e in events} == {
            "type": f"trigger:{trigger.pk}",
            "priority": f"trigger:{trigger.pk}",
        }

    def test_it_saves_the_action_from_the_editor_with_a_percentage(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.admin)
        data = trigger_data(**{"act-0-action": "suggest_group", "act-0-text": "75 %"})
        assert client.post(f"{TRIGGERS}/new", data).status_code == 302
        assert Trigger.objects.get().actions == [act("suggest_group", "75")]
        for bad in ("", "0", "101", "lots"):
            data = trigger_data(name="Bad", **{"act-0-action": "suggest_group", "act-0-text": bad})
            page = client.post(f"{TRIGGERS}/new", data).content.decode()
            assert "as a number from 1 to 100" in page
        page = client.get(f"{TRIGGERS}/new").content.decode()
        assert "Apply the suggested group (minimum confidence in %)" in page
