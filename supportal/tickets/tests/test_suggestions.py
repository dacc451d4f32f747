"""The request page's suggestions (supportal/tickets/suggestions.py, views/suggestions.py):
suggested articles, similar requests and possible duplicates, with the real model. Who sees
what, merging a duplicate, the query count and the page without a model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from supportal.helpcenter.models import Visibility
from supportal.semantic import index
from supportal.semantic.services import embed_now
from supportal.test import Personas, make_ticket, make_user, session_queries
from supportal.tickets import suggestions
from supportal.tickets import vectors as ticket_vectors
from supportal.tickets.models import Status, Ticket
from supportal.tickets.services import Changes, ticket_merge, ticket_reply, ticket_update
from supportal.tickets.tests.test_customer_fixtures import make_article

pytestmark = pytest.mark.django_db

SIGN_IN = ("Cannot sign in", "The sign-in page says my password is wrong.")
SIGN_IN_AGAIN = ("Login not working", "I type my password and it keeps saying it is incorrect.")
LOGIN_FAILS = ("Login fails", "My password is rejected every time I try to log in.")
INVOICE = ("Invoice for March is missing", "I cannot find the March invoice in my account.")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _fresh() -> None:
    index.clear()


def url(ticket: Ticket, view: str = "") -> str:
    return f"/en/agent/requests/{ticket.pk}/suggestions" + (f"?view={view}" if view else "")


def embedded(*tickets: Ticket) -> None:
    """Vectors for requests made in the test's transaction (their on-commit task never runs)."""
    embed_now(ticket_vectors.KIND, [ticket.pk for ticket in tickets])


def solve(ticket: Ticket, agent: Any, answer: str) -> None:
    ticket_reply(ticket=ticket, author=agent, body=answer, status=Status.SOLVED)


def fragment(client: Client, ticket: Ticket) -> str:
    response = client.get(url(ticket), **HTMX)
    assert response.status_code == 200
    return response.content.decode()


class SuggestedArticleTests:
    def test_it_suggests_live_articles_in_the_requesters_language_first(
        self, personas: Personas
    ) -> None:
        korean = make_user("hana@acme.test", organization=personas.acme, language="ko")
        english = make_article("Reset your password", "Choose Forgot password on sign-in.")
        both = make_article(
            "Sign-in problems", "If your password is refused, reset it.", locales=("en", "ko")
        )
        parcel = make_article("Track a delivery", "Open My orders and choose Track.")
        ticket = make_ticket(korean, "로그인이 안 돼요", "비밀번호가 틀렸다고 나옵니다.")
        found = suggestions.for_ticket(personas.agent, ticket)
        assert found.available
        ids = [item.article_id for item in found.articles]
        # The article with a Korean translation comes first, in Korean; then the others.
        assert ids[0] == both.pk and found.articles[0].locale == "ko"
        assert found.articles[0].url.endswith(f"/ko/help/articles/{both.pk}/")
        assert found.articles[0].url.startswith("http")
        assert english.pk in ids[1:]
        if parcel.pk in ids:  # far from the request, if at all above the floor: after it
            assert ids.index(english.pk) < ids.index(parcel.pk)
        assert [item.locale for item in found.articles[1:]] == ["en"] * (len(ids) - 1)

    def test_it_never_shows_a_draft_and_marks_agents_only_articles(
        self, client: Client, personas: Personas
    ) -> None:
        internal = make_article(
            "Password resets for support staff",
            "How we reset a customer's password.",
            visibility=Visibility.AGENTS,
        )
        public = make_article("Reset your password", "Choose Forgot password on sign-in.")
        draft = make_article("Password policy draft", "Passwords must be long.")
        draft.translations.update(status="draft")  # as if unpublished without a re-index
        draft.translations.get().search_doc.delete()
        ticket = make_ticket(personas.customer, *SIGN_IN, group=personas.support)
        embedded(ticket)
        found = suggestions.for_ticket(personas.agent, ticket)
        by_id = {item.article_id: item for item in found.articles}
        assert draft.pk not in by_id
        assert by_id[public.pk].shareable and not by_id[internal.pk].shareable
        client.force_login(personas.agent)
        page = fragment(client, ticket)
        # The requester could not open the agents-only one: no button to send it to them.
        assert page.count("data-insert-article") == 1
        assert f'data-url="http://127.0.0.1:8000/en/help/articles/{public.pk}/"' in page
        assert "(Agents only)" in page


class SimilarRequestTests:
    def test_it_lists_solved_requests_first_with_their_answer(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, *SIGN_IN, group=personas.support)
        open_one = make_ticket(personas.outsider, *SIGN_IN_AGAIN, group=personas.support)
        solved = make_ticket(personas.colleague, *LOGIN_FAILS, group=personas.support)
        solve(solved, personas.agent, "Reset it from the sign-in page.\nThen try again.")
        ticket_reply(ticket=solved, author=personas.agent, body="Our note", public=False)
        unrelated = make_ticket(personas.outsider, "Dark mode", "A dark theme for the portal.")
        embedded(ticket, open_one, solved, unrelated)
        found = suggestions.for_ticket(personas.agent, ticket)
        numbers = [item.ticket.pk for item in found.similar]
        assert numbers[:2] == [solved.pk, open_one.pk]
        assert ticket.pk not in numbers and unrelated.pk not in numbers
        assert found.similar[0].solution == "Reset it from the sign-in page."
        client.force_login(personas.agent)
        page = fragment(client, ticket)
        assert f'href="/en/agent/requests/{solved.pk}/"' in page
        assert "Reset it from the sign-in page." in page and "Our note" not in page

    def test_it_embeds_a_request_without_a_vector_on_the_fly(self, personas: Personas) -> None:
        solved = make_ticket(personas.colleague, *LOGIN_FAILS, group=personas.support)
        embedded(solved)
        ticket = make_ticket(personas.customer, *SIGN_IN, group=personas.support)  # no vector
        found = suggestions.for_ticket(personas.agent, ticket)
        assert [item.ticket.pk for item in found.similar] == [solved.pk]


class DuplicateTests:
    def test_it_offers_open_requests_of_the_requester_and_organization_to_merge(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, *SIGN_IN, group=personas.support)
        again = make_ticket(personas.customer, *SIGN_IN_AGAIN, group=personas.support)
        colleague = make_ticket(personas.colleague, *LOGIN_FAILS, group=personas.support)
        done = make_ticket(personas.customer, *SIGN_IN_AGAIN, group=personas.support)
        solve(done, personas.agent, "Fixed.")
        stranger = make_ticket(personas.outsider, *SIGN_IN_AGAIN, group=personas.support)
        other_topic = make_ticket(personas.customer, *INVOICE, group=personas.support)
        embedded(ticket, again, colleague, done, stranger, other_topic)
        found = suggestions.for_ticket(personas.agent, ticket)
        numbers = [other.pk for other, _score in found.duplicates]
        assert set(numbers) == {again.pk, colleague.pk}
        assert all(score >= suggestions.DUPLICATE_THRESHOLD for _o, score in found.duplicates)
        client.force_login(personas.agent)
        page = fragment(client, ticket)
        assert f'action="/en/agent/requests/{again.pk}/merge?view=open"' in page
        assert f"Merge #{again.pk} into this request" in page

    def test_its_merge_button_asks_for_confirmation_then_merges(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, *SIGN_IN, group=personas.support)
        again = make_ticket(personas.customer, *SIGN_IN_AGAIN, group=personas.support)
        client.force_login(personas.agent)
        merge = f"/en/agent/requests/{again.pk}/merge?view=open"
        confirm = client.post(merge, {"target": ticket.pk})
        assert confirm.status_code == 200
        assert f"Merge #{again.pk} into #{ticket.pk}?" in confirm.content.decode()
        assert Ticket.objects.get(pk=again.pk).merged_into_id is None
        done = client.post(merge, {"target": ticket.pk, "confirm": "1"})
        assert done.status_code == 302
        assert done["Location"] == f"/en/agent/requests/{ticket.pk}/?view=open"
        assert Ticket.objects.get(pk=again.pk).merged_into_id == ticket.pk
        # Merged away: no vector any more, so no longer a duplicate (nor similar).
        embedded(ticket, again)
        found = suggestions.for_ticket(personas.agent, ticket)
        assert found.duplicates == [] and found.similar == []

    def test_its_merge_is_refused_as_the_merge_service_refuses(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, *SIGN_IN, group=personas.support)
        again = make_ticket(personas.customer, *SIGN_IN_AGAIN, group=personas.support)
        third = make_ticket(personas.customer, *LOGIN_FAILS, group=personas.support)
        hidden = make_ticket(personas.customer, *SIGN_IN_AGAIN, group=personas.billing)
        ticket_merge(source=third, target=ticket, actor=personas.admin)
        client.force_login(personas.agent)
        # Into itself, from a request already merged, from one the agent may not see.
        itself = client.post(f"/en/agent/requests/{ticket.pk}/merge", {"target": ticket.pk})
        assert itself.status_code == 400
        assert "cannot be merged into itself" in itself.content.decode()
        merged = client.post(
            f"/en/agent/requests/{third.pk}/merge", {"target": again.pk, "confirm": "1"}
        )
        assert merged.status_code == 400
        assert "already been merged" in merged.content.decode()
        unseen = client.post(f"/en/agent/requests/{hidden.pk}/merge", {"target": ticket.pk})
        assert unseen.status_code == 404
        assert Ticket.objects.get(pk=hidden.pk).merged_into_id is None
        assert Ticket.objects.get(pk=again.pk).merged_into_id is None

    def test_a_merged_request_offers_no_duplicates(self, personas: Personas) -> None:
        ticket = make_ticket(personas.customer, *SIGN_IN, group=personas.support)
        target = make_ticket(personas.customer, *INVOICE, group=personas.support)
        again = make_ticket(personas.customer, *SIGN_IN_AGAIN, group=personas.support)
        embedded(ticket, target, again)
        ticket_merge(source=ticket, target=target, actor=personas.agent)
        ticket.refresh_from_db()
        assert suggestions.for_ticket(personas.agent, ticket).duplicates == []


class SuggestionVisibilityTests:
    """The permission matrix: an agent sees suggestions only among the requests they may open
    (their groups', unassigned-group and their own assigned ones); admins see all."""

    @pytest.fixture
    def world(self, personas: Personas) -> dict[str, Ticket]:
        tickets = {
            "this": make_ticket(personas.customer, *SIGN_IN),  # in no group: every agent
            "support": make_ticket(personas.customer, *SIGN_IN_AGAIN, group=personas.support),
            "billing": make_ticket(personas.colleague, *LOGIN_FAILS, group=personas.billing),
            "outsider": make_ticket(personas.outsider, *SIGN_IN_AGAIN, group=personas.billing),
            "assigned": make_ticket(personas.outsider, *LOGIN_FAILS, group=personas.support),
        }
        ticket_update(
            ticket=tickets["assigned"],
            actor=personas.admin,
            changes=Changes(assignee=personas.other_agent),
        )
        embedded(*tickets.values())
        return tickets

    @pytest.mark.parametrize(
        ("persona", "similar", "duplicates"),
        [
            ("agent", {"support", "assigned"}, {"support"}),
            ("other_agent", {"billing", "outsider", "assigned"}, {"billing"}),
            ("admin", {"support", "billing", "outsider", "assigned"}, {"support", "billing"}),
        ],
    )
    def test_it_shows_only_requests_the_agent_may_open(
        self,
        client: Client,
        personas: Personas,
        world: dict[str, Ticket],
        persona: str,
        similar: set[str],
        duplicates: set[str],
    ) -> None:
        user = getattr(personas, persona)
        names = {ticket.pk: name for name, ticket in world.items()}
        found = suggestions.for_ticket(user, world["this"])
        assert {names[item.ticket.pk] for item in found.similar} == similar
        assert {names[other.pk] for other, _score in found.duplicates} == duplicates
        client.force_login(user)
        page = fragment(client, world["this"])
        for name, ticket in world.items():
            shown = f'href="/en/agent/requests/{ticket.pk}/"' in page
            assert shown == (name in similar | duplicates), (persona, name)

    @pytest.mark.parametrize("persona", ["customer", "colleague", "outsider"])
    def test_it_answers_customers_as_if_nothing_were_there(
        self, client: Client, personas: Personas, world: dict[str, Ticket], persona: str
    ) -> None:
        client.force_login(getattr(personas, persona))
        assert client.get(url(world["this"]), **HTMX).status_code == 404
        assert client.get(url(world["this"])).status_code == 404

    def test_it_hides_another_groups_request_and_asks_visitors_to_sign_in(
        self, client: Client, personas: Personas, world: dict[str, Ticket]
    ) -> None:
        response = client.get(url(world["billing"]))
        assert response.status_code == 302
        assert response["Location"].startswith("/en/accounts/login/?next=")
        client.force_login(personas.agent)
        assert client.get(url(world["billing"]), **HTMX).status_code == 404

    def test_it_refuses_the_wrong_method(
        self, client: Client, personas: Personas, world: dict[str, Ticket]
    ) -> None:
        client.force_login(personas.admin)
        assert client.post(url(world["this"])).status_code == 405


class SuggestionPageTests:
    def test_the_request_page_loads_the_panels_after_its_first_paint(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = make_ticket(personas.customer, *SIGN_IN, group=personas.support)
        client.force_login(personas.agent)
        page = client.get(f"/en/agent/requests/{ticket.pk}/?view=mine").content.decode()
        assert f'hx-get="/en/agent/requests/{ticket.pk}/suggestions?view=mine"' in page
        # Without JavaScript: a link to the same panels on a page of their own.
        assert f'<a href="/en/agent/requests/{ticket.pk}/suggestions?view=mine">' in page
        assert "js/agent-suggestions" in page

    def test_without_javascript_the_panels_are_a_page_with_plain_links(
        self, client: Client, personas: Personas
    ) -> None:
        public = make_article("Reset your password", "Choose Forgot password on sign-in.")
        ticket = make_ticket(personas.customer, *SIGN_IN, group=personas.support)
        client.force_login(personas.agent)
        page = client.get(url(ticket)).content.decode()
        assert f"Suggestions for #{ticket.pk}</h1>" in page
        assert f'<a href="http://127.0.0.1:8000/en/help/articles/{public.pk}/" lang="en">' in page
        assert "data-insert-article" not in page  # no reply box here
        with_js = fragment(client, ticket)
        assert "<html" not in with_js and "data-insert-article" in with_js

    def test_without_a_model_there_are_no_panels_and_no_error(
        self, client: Client, personas: Personas, settings: Any
    ) -> None:
        ticket = make_ticket(personas.customer, *SIGN_IN, group=personas.support)
        settings.SEMANTIC_MODEL = "none"
        client.force_login(personas.agent)
        page = client.get(f"/en/agent/requests/{ticket.pk}/").content.decode()
        assert "/suggestions" not in page
        panel = fragment(client, ticket)
        assert "not available right now" in panel
        assert "Similar requests" not in panel

    def test_it_keeps_its_query_count(
        self,
        client: Client,
        personas: Personas,
        django_assert_num_queries: Callable[..., Any],
    ) -> None:
        make_article("Reset your password", "Choose Forgot password on sign-in.")
        ticket = make_ticket(personas.customer, *SIGN_IN, group=personas.support)
        solved = make_ticket(personas.colleague, *LOGIN_FAILS, group=personas.support)
        solve(solved, personas.agent, "Reset it.")
        again = make_ticket(personas.customer, *SIGN_IN_AGAIN, group=personas.support)
        embedded(ticket, solved, again)
        client.force_login(personas.agent)
        fragment(client, ticket)  # loads the vectors into this process
        # session, user, the request, the two generations of the vectors, articles, similar
        # requests (their answers in the same query), the open requests of the requester and
        # the organization
        expected = session_queries() + 7
        with django_assert_num_queries(expected):
            first = fragment(client, ticket)
        assert first.count("suggestion-solution") == 1
        for number in range(6):
            other = make_ticket(
                personas.colleague if number % 2 else personas.customer,
                f"Password refused ({number})",
                "The sign-in page says my password is wrong.",
                group=personas.support,
            )
            solve(other, personas.agent, f"Answer {number}")
            make_article(f"Password help {number}", "Reset your password from sign-in.")
            embedded(other)
        fragment(client, ticket)  # the vectors changed: reloaded once
        with django_assert_num_queries(expected):
            more = fragment(client, ticket)
        assert more.count("suggestion-solution") == suggestions.SIMILAR
        assert more.count("data-insert-article") == suggestions.ARTICLES
