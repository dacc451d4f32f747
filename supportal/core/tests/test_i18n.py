from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from supportal.accounts.models import User
from supportal.lib.catalogues import LOCALES, problems
from supportal.test import PASSWORD, Personas


class CatalogueTests:
    @pytest.mark.parametrize("locale", LOCALES)
    def test_it_has_every_string_translated_and_compiled(self, locale: str) -> None:
        assert problems(locale) == []


@pytest.mark.django_db
class LanguageTests:
    def test_it_redirects_the_root_to_the_browsers_language(self, client: Client) -> None:
        response = client.get("/", HTTP_ACCEPT_LANGUAGE="ja,en;q=0.5")
        assert response.status_code == 302
        assert response["Location"] == "/ja/"

    @pytest.mark.parametrize(
        ("prefix", "text"),
        [("ko", "로그인"), ("ja", "サインイン"), ("zh-hans", "登录"), ("en", "Sign in")],
    )
    def test_it_serves_each_language_under_its_prefix(
        self, client: Client, prefix: str, text: str
    ) -> None:
        response = client.get(f"/{prefix}/accounts/login/")
        html = response.content.decode()
        assert f'<html lang="{prefix}">' in html
        assert text in html

    def test_it_links_every_language_version_with_hreflang(self, client: Client) -> None:
        html = client.get("/ko/accounts/login/").content.decode()
        for code in ("ko", "en", "ja", "zh-hans"):
            assert f'hreflang="{code}" href="http://testserver/{code}/accounts/login/"' in html

    def test_it_falls_back_to_the_default_language_for_an_unknown_prefix(
        self, client: Client
    ) -> None:
        response = client.get("/fr/accounts/login/?next=/x")
        assert response.status_code == 302
        assert response["Location"] == "/en/accounts/login/?next=/x"
        assert client.get("/de/").headers["Location"] == "/en/"

    def test_it_still_answers_404_for_an_unknown_page(self, client: Client) -> None:
        response = client.get("/fr/no-such-page/")
        assert response.status_code == 404
        response = client.get("/ja/no-such-page/")
        assert response.status_code == 404
        assert '<html lang="ja">' in response.content.decode()

    def test_it_switches_language_for_a_visitor(self, client: Client) -> None:
        response = client.post("/i18n/setlang/", {"language": "ko", "next": "/en/accounts/login/"})
        assert response["Location"] == "/ko/accounts/login/"
        assert response.cookies["django_language"].value == "ko"

    def test_it_saves_the_language_to_a_signed_in_users_profile(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.customer)
        response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/en/"})
        assert response["Location"] == "/zh-hans/"
        personas.customer.refresh_from_db()
        assert personas.customer.language == "zh-hans"

    def test_it_ignores_an_unknown_language_and_a_foreign_next(self, client: Client) -> None:
        response = client.post("/i18n/setlang/", {"language": "xx", "next": "https://evil.test/"})
        assert response["Location"] == "/"
        assert "django_language" not in response.cookies

    def test_it_signs_in_to_the_users_own_language(self, client: Client, db: None) -> None:
        from supportal.test import make_user

        make_user("kim@example.test", language="ko")
        response = client.post(
            "/en/accounts/login/", {"username": "kim@example.test", "password": PASSWORD}
        )
        assert response["Location"] == "/ko/"
        assert response.cookies["django_language"].value == "ko"


@pytest.mark.django_db
class TimeZoneTests:
    @time_machine.travel(dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC), tick=False)
    def test_it_shows_times_in_the_viewers_zone_and_locale(self, client: Client) -> None:
        from supportal.test import make_user

        user = make_user("tz@example.test", language="ko", time_zone="Asia/Seoul")
        client.force_login(user)
        html = client.get("/ko/accounts/profile/").content.decode()
        # 23:30 UTC on 1 March is 08:30 on 2 March in Seoul, written the Korean way.
        assert 'datetime="2026-03-01T23:30:00+00:00"' in html
        assert "2026년 3월 2일" in html
        User.objects.filter(pk=user.pk).update(time_zone="America/New_York", language="en")
        html = client.get("/en/accounts/profile/").content.decode()
        assert "March 1, 2026, 6:30 p.m." in html

    def test_it_uses_the_browser_zone_cookie_for_visitors(self, client: Client) -> None:
        client.cookies["tz"] = "Asia/Tokyo"
        response = client.get("/en/")
        assert response.status_code == 200
        client.cookies["tz"] = "Not/AZone"
        assert client.get("/en/").status_code == 200
