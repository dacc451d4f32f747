from __future__ import annotations

import pytest
from django.test import Client

from supportal.test import PASSWORD, Personas


@pytest.mark.django_db
class SecurityHeaderTests:
    def test_it_sends_a_strict_content_security_policy(self, client: Client) -> None:
        response = client.get("/en/")
        policy = response["Content-Security-Policy"]
        script_src = next(p for p in policy.split(";") if p.strip().startswith("script-src"))
        assert "'self'" in script_src
        assert "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy

    def test_it_sends_the_other_security_headers(self, client: Client) -> None:
        response = client.get("/en/")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert "camera=()" in response["Permissions-Policy"]
        assert response["X-Frame-Options"] == "DENY"

    def test_it_makes_session_cookies_httponly_and_samesite(
        self, client: Client, personas: Personas
    ) -> None:
        response = client.post(
            "/en/accounts/login/", {"username": personas.customer.email, "password": PASSWORD}
        )
        cookie = response.cookies["sessionid"]
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"

    def test_it_refuses_a_form_without_csrf_token_with_a_translated_page(
        self, personas: Personas
    ) -> None:
        client = Client(enforce_csrf_checks=True)
        response = client.post(
            "/ko/accounts/login/", {"username": personas.customer.email, "password": PASSWORD}
        )
        assert response.status_code == 403
        assert '<html lang="ko">' in response.content.decode()
        assert "This form has expired" not in response.content.decode()

    def test_it_refuses_bodies_over_the_limit_with_413(
        self, client: Client, settings: object
    ) -> None:
        settings.MAX_REQUEST_SIZE = 2048  # type: ignore[attr-defined]
        response = client.post(
            "/en/accounts/login/", {"username": "x@example.com", "password": "y" * 5000}
        )
        assert response.status_code == 413
        assert "too large" in response.content.decode()

    def test_it_compresses_html(self, client: Client) -> None:
        response = client.get("/en/accounts/login/", HTTP_ACCEPT_ENCODING="gzip")
        assert response["Content-Encoding"] == "gzip"

    def test_it_tags_every_response_with_a_request_id_and_logs_one_line(
        self, client: Client, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level("INFO", logger="supportal.request"):
            response = client.get("/en/", HTTP_X_REQUEST_ID="abc-123")
        assert response["X-Request-ID"] == "abc-123"
        lines = [r for r in caplog.records if r.name == "supportal.request"]
        assert len(lines) == 1
        assert lines[0].request_id == "abc-123"  # type: ignore[attr-defined]
        assert "GET /en/ 200" in lines[0].getMessage()
        # A forged id with spaces or control characters is replaced.
        response = client.get("/en/", HTTP_X_REQUEST_ID="bad id\n")
        assert response["X-Request-ID"] != "bad id\n"
