"""Visitors' pages stored with a few per-visitor bytes put in on every answer (core/pagecache's
`fill`): the sign-in form's CSRF token and cookie, a search's own log row."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from supportal.helpcenter.cache import forget_content_version
from supportal.helpcenter.models import SearchLog
from supportal.helpcenter.tests.test_search_fixtures import make_article, make_section
from supportal.helpcenter.tests.test_search_page import result_links, url
from supportal.test import PASSWORD, Personas

pytestmark = pytest.mark.django_db

SIGN_IN = "/en/accounts/login/"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]{64})"')


@pytest.fixture(autouse=True)
def _fresh_content_version() -> None:
    forget_content_version()


def token_in(html: str) -> str:
    tokens = set(TOKEN.findall(html))
    assert len(tokens) == 1, tokens
    return tokens.pop()


class SignInFormTests:
    def test_each_visitor_gets_their_own_working_token_from_the_stored_copy(
        self, personas: Personas
    ) -> None:
        first = Client(enforce_csrf_checks=True).get(SIGN_IN)
        browser = Client(enforce_csrf_checks=True)
        second = browser.get(SIGN_IN)
        assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
        html = second.content.decode()
        assert "__supportal" not in html
        assert token_in(html) != token_in(first.content.decode())
        cookie = second.cookies[settings.CSRF_COOKIE_NAME]
        assert cookie.value != first.cookies[settings.CSRF_COOKIE_NAME].value
        assert cookie["httponly"] and cookie["samesite"] == "Lax"
        assert second["Cache-Control"] == "private, no-store"
        assert "Cookie" in second["Vary"]
        response = browser.post(
            SIGN_IN,
            {
                "username": personas.customer.email,
                "password": PASSWORD,
                "csrfmiddlewaretoken": token_in(html),
            },
        )
        assert response.status_code == 302, response.content.decode()[:300]
        assert "_auth_user_id" in browser.session

    def test_a_visitors_own_cookie_is_kept(self) -> None:
        browser = Client(enforce_csrf_checks=True)
        browser.get(SIGN_IN)
        secret = browser.cookies[settings.CSRF_COOKIE_NAME].value
        again = browser.get(SIGN_IN)
        assert again["X-Page-Cache"] == "hit"
        assert again.cookies[settings.CSRF_COOKIE_NAME].value == secret

    def test_a_token_from_the_copy_does_not_work_with_another_cookie(self) -> None:
        Client().get(SIGN_IN)
        html = Client().get(SIGN_IN).content.decode()
        stranger = Client(enforce_csrf_checks=True)
        stranger.get(SIGN_IN)
        response = stranger.post(
            SIGN_IN,
            {"username": "a@b.test", "password": "x", "csrfmiddlewaretoken": token_in(html)},
        )
        assert response.status_code == 403

    def test_a_session_or_a_next_address_goes_through_the_stack(
        self, client: Client, personas: Personas
    ) -> None:
        Client().get(SIGN_IN)
        assert "X-Page-Cache" not in Client().get(SIGN_IN, {"next": "/en/requests/"})
        client.force_login(personas.customer)
        assert client.get(SIGN_IN).status_code == 302


class SearchCopyTests:
    def test_each_view_of_a_stored_search_is_logged_with_its_own_row(self) -> None:
        article = make_article(make_section(), "Refund policy")
        first = Client().get(url("search"), {"q": "refund"})
        browser = Client()
        second = browser.get(url("search"), {"q": "refund"})
        assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
        assert second["Cache-Control"] == "private, no-store"
        rows = list(SearchLog.objects.order_by("pk"))
        assert [(row.query, row.results) for row in rows] == [("refund", 1), ("refund", 1)]
        html = second.content.decode()
        assert "__search_log__" not in html
        [link] = result_links(html)
        assert link == url("search_click", log_id=rows[1].view, article_id=article.pk)
        assert browser.get(link).status_code == 302
        rows[1].refresh_from_db()
        assert rows[1].clicked_article == article
        rows[0].refresh_from_db()
        assert rows[0].clicked_article is None

    def test_a_publish_is_searched_at_once(self) -> None:
        section = make_section()
        make_article(section, "Refund policy")
        Client().get(url("search"), {"q": "refund"})
        assert Client().get(url("search"), {"q": "refund"})["X-Page-Cache"] == "hit"
        make_article(section, "Refund for a gift")
        response = Client().get(url("search"), {"q": "refund"})
        assert response["X-Page-Cache"] == "miss"
        assert "Refund for a gift" in response.content.decode()

    def test_the_order_of_the_parameters_does_not_matter_and_others_are_not_stored(
        self,
    ) -> None:
        section = make_section()
        make_article(section, "Refund policy")
        Client().get(url("search") + f"?q=refund&category={section.category_id}")
        again = Client().get(url("search") + f"?category={section.category_id}&q=refund")
        assert again["X-Page-Cache"] == "hit"
        assert "X-Page-Cache" not in Client().get(url("search"), {"q": "refund", "x": "1"})
        assert "X-Page-Cache" not in Client().get(url("search") + "?q=refund&q=other")
