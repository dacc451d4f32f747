"""The public privacy policy and terms pages, and the footer links to them."""

from __future__ import annotations

import pytest
from django.test import Client

from supportal.legal import services
from supportal.legal.tests.helpers import publish

pytestmark = pytest.mark.django_db


class PolicyPageTests:
    def test_it_shows_the_current_version_in_the_pages_language(self, client: Client) -> None:
        publish("privacy")
        page = client.get("/ko/privacy/").content.decode()
        assert "문의에 답하기 위해 문의 내용을 보관합니다." in page
        assert "We keep your requests" not in page
        assert "버전 1" in page or "Version 1" in page
        assert 'lang="ko"' in page

    def test_it_falls_back_to_english_with_a_note(self, client: Client) -> None:
        publish("privacy")
        page = client.get("/ja/privacy/").content.decode()
        assert "We keep your requests so that we can answer them." in page
        assert 'class="hc-body" lang="en"' in page
        assert 'role="note"' in page
        english = client.get("/en/privacy/").content.decode()
        assert 'role="note"' not in english

    def test_it_lists_earlier_versions_and_shows_them(self, client: Client) -> None:
        publish("terms", {"en": "First terms."})
        publish("terms", {"en": "Second terms."})
        page = client.get("/en/terms/").content.decode()
        assert "Second terms." in page and "First terms." not in page
        assert "Version 2, published" in page
        assert 'href="/en/terms/v1/"' in page
        old = client.get("/en/terms/v1/").content.decode()
        assert "First terms." in old
        assert "This is an earlier version." in old
        assert 'href="/en/terms/"' in old

    def test_a_draft_is_not_public(self, client: Client) -> None:
        publish("terms", {"en": "First terms."})
        draft = services.version_draft(kind="terms")
        services.version_update(
            version=draft, requires_acceptance=True, texts={"en": ("Secret draft.", "")}
        )
        assert client.get("/en/terms/v2/").status_code == 404
        assert "Secret draft." not in client.get("/en/terms/").content.decode()

    def test_it_says_when_nothing_is_published(self, client: Client) -> None:
        response = client.get("/en/privacy/")
        assert response.status_code == 404
        assert "This document has not been published yet." in response.content.decode()
        assert client.get("/en/terms/v1/").status_code == 404

    def test_it_refuses_other_methods(self, client: Client) -> None:
        publish("privacy")
        assert client.post("/en/privacy/").status_code == 405
        assert client.post("/en/privacy/v1/").status_code == 405

    def test_the_footer_links_only_to_published_documents(self, client: Client) -> None:
        page = client.get("/en/accounts/login/").content.decode()
        assert 'href="/en/privacy/"' not in page and 'href="/en/terms/"' not in page
        publish("privacy")
        page = client.get("/en/accounts/login/").content.decode()
        assert '<a href="/en/privacy/">Privacy</a>' in page
        assert 'href="/en/terms/"' not in page

    def test_markdown_is_sanitised(self, client: Client) -> None:
        publish("terms", {"en": 'Hi <script>alert(1)</script><a href="javascript:x()">x</a>'})
        page = client.get("/en/terms/").content.decode()
        assert "<script>alert(1)" not in page and "javascript:x()" not in page
