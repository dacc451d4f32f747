from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.utils import translation

from supportal.core import views


@pytest.mark.django_db
class ErrorPageTests:
    def test_it_shows_a_translated_404(self, client: Client) -> None:
        response = client.get("/ko/accounts/nothing-here/")
        assert response.status_code == 404
        html = response.content.decode()
        assert '<html lang="ko">' in html
        assert "We could not find that page" not in html

    def test_it_shows_a_403_for_a_role_without_permission(self, client: Client, personas) -> None:  # type: ignore[no-untyped-def]
        client.force_login(personas.customer)
        response = client.get("/en/manage/outbox/")
        assert response.status_code == 403
        assert "You do not have access to this page" in response.content.decode()

    @pytest.mark.parametrize(
        ("handler", "status"),
        [(views.bad_request, 400), (views.permission_denied, 403), (views.page_not_found, 404)],
    )
    def test_it_renders_each_error_page_in_the_language(self, handler, status: int) -> None:  # type: ignore[no-untyped-def]
        request = RequestFactory().get("/ja/x/")
        from django.contrib.auth.models import AnonymousUser

        request.user = AnonymousUser()
        with translation.override("ja"):
            response = handler(request, None)
        assert response.status_code == status
        assert '<html lang="ja">' in response.content.decode()

    def test_it_renders_the_500_page_even_when_the_request_is_broken(self) -> None:
        request = RequestFactory().get("/en/x/")
        # No user on the request (middleware failed before it): the page still renders.
        with translation.override("en"):
            response = views.server_error(request)
        assert response.status_code == 500
        assert "Something went wrong on our side" in response.content.decode()


@pytest.mark.django_db
class DisallowedHostTests:
    def test_it_answers_a_forged_host_with_the_full_400_page(
        self, client: Client, caplog: pytest.LogCaptureFixture
    ) -> None:
        response = client.get("/en/", HTTP_HOST="evil.example")
        assert response.status_code == 400
        assert "We could not understand that request" in response.content.decode()
        assert not [r for r in caplog.records if "failed to render" in r.getMessage()]
