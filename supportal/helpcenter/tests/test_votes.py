from __future__ import annotations

import re

import pytest
from django.test import Client

from supportal.helpcenter.models import ArticleVote
from supportal.helpcenter.tests.test_pages import url
from supportal.helpcenter.tests.test_pages_fixtures import Content, build_content
from supportal.test import Personas

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def content(personas: Personas) -> Content:
    return build_content()


def comment_token(html: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', html)
    assert found is not None, html
    return found.group(1)


class VoteTests:
    def test_it_records_a_yes_and_thanks_without_javascript(
        self, client: Client, content: Content
    ) -> None:
        response = client.post(url("vote", content.public.pk), {"helpful": "yes"})
        assert response.status_code == 302
        assert response["Location"].endswith("?feedback=thanks#article-feedback")
        vote = ArticleVote.objects.get()
        assert vote.helpful is True and vote.locale == "en" and vote.user is None
        page = client.get(response["Location"]).content.decode()
        assert "Thank you for your feedback." in page

    def test_it_records_the_signed_in_voter(
        self, client: Client, content: Content, personas: Personas
    ) -> None:
        client.force_login(personas.customer)
        client.post(url("vote", content.public.pk, lang="ko"), {"helpful": "yes"})
        vote = ArticleVote.objects.get()
        assert vote.user == personas.customer and vote.locale == "ko"

    def test_it_asks_for_a_comment_after_no_and_stores_it(
        self, client: Client, content: Content
    ) -> None:
        response = client.post(url("vote", content.public.pk), {"helpful": "no"}, follow=True)
        html = response.content.decode()
        assert "How could we improve this article?" in html
        token = comment_token(html)
        response = client.post(
            url("vote_comment", content.public.pk),
            {"token": token, "comment": "  The screenshots are out of date.  "},
        )
        assert response.status_code == 302
        vote = ArticleVote.objects.get()
        assert vote.helpful is False
        assert vote.comment == "The screenshots are out of date."

    def test_it_answers_htmx_with_the_fragment(self, client: Client, content: Content) -> None:
        response = client.post(url("vote", content.public.pk), {"helpful": "no"}, **HTMX)
        html = response.content.decode()
        assert response.status_code == 200
        assert html.startswith('<section id="article-feedback"')
        assert "<html" not in html
        response = client.post(
            url("vote_comment", content.public.pk),
            {"token": comment_token(html), "comment": "Missing a step."},
            **HTMX,
        )
        assert "Thank you for your feedback." in response.content.decode()
        assert ArticleVote.objects.get().comment == "Missing a step."

    @pytest.mark.parametrize("value", ["", "maybe", "<script>"])
    def test_it_refuses_a_bad_answer_with_a_message(
        self, client: Client, content: Content, value: str
    ) -> None:
        response = client.post(url("vote", content.public.pk), {"helpful": value})
        assert response.status_code == 400
        assert "Please choose Yes or No." in response.content.decode()
        assert not ArticleVote.objects.exists()

    def test_it_keeps_a_too_long_comment_and_explains(
        self, client: Client, content: Content
    ) -> None:
        html = client.post(url("vote", content.public.pk), {"helpful": "no"}, **HTMX)
        text = "x" * 2001
        response = client.post(
            url("vote_comment", content.public.pk),
            {"token": comment_token(html.content.decode()), "comment": text},
        )
        assert response.status_code == 400
        page = response.content.decode()
        assert text in page
        assert "Please correct the problems below." in page
        assert ArticleVote.objects.get().comment == ""

    def test_it_refuses_a_forged_or_foreign_token(self, client: Client, content: Content) -> None:
        html = client.post(url("vote", content.public.pk), {"helpful": "no"}, **HTMX)
        token = comment_token(html.content.decode())
        for article, bad in [(content.public, "forged"), (content.faq, token)]:
            response = client.post(
                url("vote_comment", article.pk), {"token": bad, "comment": "Hello"}
            )
            assert response.status_code == 400
            assert "This feedback link has expired." in response.content.decode()
        assert ArticleVote.objects.get().comment == ""

    def test_it_answers_htmx_with_the_error_in_the_box_and_a_200(
        self, client: Client, content: Content
    ) -> None:
        # htmx does not swap in a 4xx answer, so the person would see nothing happen.
        response = client.post(
            url("vote_comment", content.public.pk), {"token": "forged", "comment": "Hi"}, **HTMX
        )
        assert response.status_code == 200
        page = response.content.decode()
        assert page.startswith('<section id="article-feedback"')
        assert "This feedback link has expired." in page

    def test_it_answers_404_for_hidden_articles(self, client: Client, content: Content) -> None:
        for article in [content.agents, content.draft, content.expired]:
            response = client.post(url("vote", article.pk), {"helpful": "yes"})
            assert response.status_code == 404
        assert not ArticleVote.objects.exists()

    def test_it_refuses_get(self, client: Client, content: Content) -> None:
        assert client.get(url("vote", content.public.pk)).status_code == 405
