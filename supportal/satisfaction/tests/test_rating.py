"""Rating from the mailed one-click links and from the request page."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from supportal.satisfaction.models import Rating
from supportal.satisfaction.survey import rating_token, rating_url
from supportal.satisfaction.tests.helpers import (
    mails_to,
    path_of,
    rate,
    solved_ticket,
    survey_links,
)
from supportal.test import Personas, make_ticket
from supportal.tickets.models import Status
from supportal.tickets.services import Changes, ticket_reply, ticket_update

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def detail(ticket) -> str:  # type: ignore[no-untyped-def]
    return reverse("tickets:detail", args=[ticket.pk])


def close(ticket, personas: Personas) -> None:  # type: ignore[no-untyped-def]
    ticket_update(ticket=ticket, actor=personas.agent, changes=Changes(status=Status.CLOSED))


class RateLinkTests:
    def test_it_shows_the_choice_preselected_and_changes_nothing_on_get(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = solved_ticket(personas)
        link = path_of(survey_links(mails_to(personas.customer)[-1])["bad"])
        response = client.get(link)
        html = response.content.decode()
        assert response.status_code == 200
        assert f"Rate request #{ticket.pk}" in html and "Cannot sign in" in html
        assert 'value="bad" id="id_score_1" required checked' in html
        assert 'value="good" id="id_score_0" required>' in html
        assert "Send rating" in html
        assert not Rating.objects.exists()

    def test_it_stores_the_rating_on_post_and_thanks(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = solved_ticket(personas, assignee=personas.other_agent, group=personas.billing)
        link = path_of(survey_links(mails_to(personas.customer)[-1])["good"])
        response = client.post(link, {"score": "good", "comment": "  Quick and kind.  "})
        assert response.status_code == 302
        rating = Rating.objects.get()
        assert (rating.ticket, rating.score, rating.comment) == (ticket, "good", "Quick and kind.")
        assert (rating.rated_by, rating.assignee, rating.group) == (
            personas.customer,
            personas.other_agent,
            personas.billing,
        )
        thanks = client.get(response["Location"])
        html = thanks.content.decode()
        assert thanks.status_code == 200
        assert "Thank you for your rating" in html
        assert f"You rated request #{ticket.pk}: Good." in html
        assert "You can change your rating until the request is closed." in html

    def test_it_lets_the_requester_change_the_rating_until_closed(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = solved_ticket(personas)
        link = rating_url(ticket)
        with time_machine.travel(NOW, tick=False):
            client.post(link, {"score": "good"})
        with time_machine.travel(NOW + datetime.timedelta(hours=2), tick=False):
            client.post(link, {"score": "bad", "comment": "It broke again."})
        rating = Rating.objects.get()
        assert (rating.score, rating.comment) == ("bad", "It broke again.")
        assert rating.created_at == NOW and rating.updated_at > NOW
        close(ticket, personas)
        response = client.post(link, {"score": "good"})
        assert response.status_code == 400
        html = response.content.decode()
        assert "This request is closed; its rating can no longer be changed." in html
        assert Rating.objects.get().score == "bad"
        page = client.get(link).content.decode()
        assert "its rating can no longer be changed" in page and "Send rating" not in page
        assert "Your current rating: Bad." in page

    def test_it_refuses_a_request_that_is_not_solved(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = solved_ticket(personas)
        ticket_reply(ticket=ticket, author=personas.customer, body="Still broken.")
        response = client.post(rating_url(ticket), {"score": "good"})
        assert response.status_code == 400
        assert "This request can be rated once it is solved." in response.content.decode()
        assert not Rating.objects.exists()

    def test_it_keeps_what_was_typed_when_the_form_has_a_problem(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = solved_ticket(personas)
        response = client.post(rating_url(ticket), {"comment": "No choice made"})
        html = response.content.decode()
        assert response.status_code == 400
        assert "Choose Good or Bad." in html and 'id="id_score_error"' in html
        assert 'aria-describedby="id_score_error"' in html
        assert "No choice made</textarea>" in html
        too_long = client.post(rating_url(ticket), {"score": "good", "comment": "x" * 2001})
        assert too_long.status_code == 400
        assert 'id="id_comment_error"' in too_long.content.decode()
        assert not Rating.objects.exists()

    def test_it_explains_a_tampered_or_foreign_token(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = solved_ticket(personas)
        token = rating_token(ticket)
        base = f"/en/requests/{ticket.pk}/rate/"
        tampered = client.get(base + token[:-3] + "abc")
        assert tampered.status_code == 404
        assert "This rating link is not valid" in tampered.content.decode()
        assert client.post(base + "garbage", {"score": "good"}).status_code == 404
        # A valid token of another request cannot rate this one.
        other = solved_ticket(personas, personas.outsider, subject="Other")
        foreign = client.post(base + rating_token(other), {"score": "bad"})
        assert foreign.status_code == 404
        assert not Rating.objects.exists()

    def test_it_refuses_a_token_once_the_requester_changed(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = solved_ticket(personas)
        link = rating_url(ticket)
        ticket.requester = personas.colleague
        ticket.save()
        assert client.post(link, {"score": "bad"}).status_code == 404
        assert not Rating.objects.exists()

    def test_it_explains_an_expired_link_in_the_visitors_language(
        self, client: Client, personas: Personas
    ) -> None:
        with time_machine.travel(NOW, tick=False):
            ticket = solved_ticket(personas)
            token = rating_token(ticket)
        with time_machine.travel(NOW + datetime.timedelta(days=31), tick=False):
            response = client.get(f"/en/requests/{ticket.pk}/rate/{token}?rating=good")
            assert response.status_code == 400
            assert "This rating link has expired" in response.content.decode()
            assert client.post(f"/en/requests/{ticket.pk}/rate/{token}").status_code == 400
        with time_machine.travel(NOW + datetime.timedelta(days=29), tick=False):
            assert client.get(f"/ko/requests/{ticket.pk}/rate/{token}").status_code == 200

    def test_it_allows_get_and_post_only(self, client: Client, personas: Personas) -> None:
        ticket = solved_ticket(personas)
        assert client.put(rating_url(ticket)).status_code == 405
        thanks = reverse("satisfaction:thanks", args=[ticket.pk, rating_token(ticket)])
        assert client.post(thanks).status_code == 405


class RequestPageRatingTests:
    def test_it_shows_the_form_to_the_requester_of_a_solved_request(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = solved_ticket(personas)
        client.force_login(personas.customer)
        html = client.get(detail(ticket)).content.decode()
        assert 'id="rating-title">Rate our support</h2>' in html
        assert f'action="/en/requests/{ticket.pk}/rating"' in html
        assert "How would you rate the support you received?" in html

    def test_it_hides_the_form_while_open_and_from_other_customers(
        self, client: Client, personas: Personas
    ) -> None:
        open_ticket = make_ticket(personas.customer)
        client.force_login(personas.customer)
        assert "Rate our support" not in client.get(detail(open_ticket)).content.decode()
        solved = solved_ticket(personas)
        client.force_login(personas.colleague)  # sees the organization's requests
        response = client.get(detail(solved))
        assert response.status_code == 200
        assert "Rate our support" not in response.content.decode()

    def test_it_stores_and_changes_the_rating_from_the_page(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = solved_ticket(personas)
        client.force_login(personas.customer)
        url = reverse("satisfaction:rate_request", args=[ticket.pk])
        response = client.post(url, {"score": "good", "comment": "좋았어요"})
        assert response.status_code == 302
        assert response["Location"] == detail(ticket) + "#rating"
        html = client.get(response["Location"]).content.decode()
        assert "Thank you for your rating." in html
        assert "Your current rating: Good." in html
        assert 'value="good" id="rating_score_0" required checked' in html
        assert "좋았어요</textarea>" in html
        client.post(url, {"score": "bad", "comment": ""})
        assert (Rating.objects.get().score, Rating.objects.get().comment) == ("bad", "")

    def test_it_shows_the_rating_without_a_form_once_closed(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = solved_ticket(personas)
        rate(ticket, "good", "Thanks")
        close(ticket, personas)
        client.force_login(personas.customer)
        html = client.get(detail(ticket)).content.decode()
        assert "Your current rating: Good." in html
        assert "This request is closed; its rating can no longer be changed." in html
        assert "Send rating" not in html
        response = client.post(
            reverse("satisfaction:rate_request", args=[ticket.pk]), {"score": "bad"}
        )
        assert response.status_code == 400
        assert Rating.objects.get().score == "good"

    def test_it_answers_a_bad_form_with_400_and_the_problem(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = solved_ticket(personas)
        client.force_login(personas.customer)
        response = client.post(
            reverse("satisfaction:rate_request", args=[ticket.pk]), {"comment": "Hmm"}
        )
        assert response.status_code == 400
        html = response.content.decode()
        assert "Choose Good or Bad." in html and "Hmm</textarea>" in html

    def test_it_lets_only_the_requester_rate(self, client: Client, personas: Personas) -> None:
        ticket = solved_ticket(personas)
        url = reverse("satisfaction:rate_request", args=[ticket.pk])
        client.force_login(personas.colleague)  # may see it, may not rate it
        assert client.post(url, {"score": "bad"}).status_code == 403
        client.force_login(personas.outsider)
        assert client.post(url, {"score": "bad"}).status_code == 404
        client.force_login(personas.agent)
        assert client.post(url, {"score": "bad"}).status_code == 403
        assert not Rating.objects.exists()

    def test_it_sends_visitors_to_sign_in_and_refuses_get(
        self, client: Client, personas: Personas
    ) -> None:
        ticket = solved_ticket(personas)
        url = reverse("satisfaction:rate_request", args=[ticket.pk])
        response = client.post(url, {"score": "good"})
        assert response.status_code == 302
        assert response["Location"].startswith("/en/accounts/login/?next=")
        client.force_login(personas.customer)
        assert client.get(url).status_code == 405
