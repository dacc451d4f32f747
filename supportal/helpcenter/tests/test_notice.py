from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from supportal.helpcenter.context_processors import DISMISS_COOKIE
from supportal.helpcenter.models import Notice, NoticeTranslation
from supportal.helpcenter.tests.test_pages import url

HTMX = {"HTTP_HX_REQUEST": "true"}


def make_notice(start: timedelta, end: timedelta, **messages: str) -> Notice:
    now = timezone.now()
    notice = Notice.objects.create(starts_at=now + start, ends_at=now + end)
    for locale, message in messages.items():
        NoticeTranslation.objects.create(
            notice=notice, locale=locale.replace("_", "-"), message=message
        )
    return notice


@pytest.mark.django_db
class NoticeTests:
    def test_it_shows_the_current_notice_in_the_visitors_language(self, client: Client) -> None:
        make_notice(timedelta(hours=-1), timedelta(hours=1), en="Maintenance tonight", ko="점검")
        html = client.get(url("home", lang="ko")).content.decode()
        assert 'id="site-notice"' in html and "점검" in html
        cache.clear()
        html = client.get("/ja/accounts/login/").content.decode()  # any page, fallback language
        assert "Maintenance tonight" in html
        assert '<p lang="en">' in html

    @pytest.mark.parametrize(
        ("lang", "label", "name"),
        [
            ("en", "Dismiss", "Dismiss this notice"),
            ("ko", "닫기", "이 공지 닫기"),
            ("ja", "閉じる", "この告知を閉じる"),
            ("zh-hans", "关闭", "关闭此通知"),
        ],
    )
    def test_it_names_the_dismiss_button_with_its_visible_label_inside(
        self, client: Client, lang: str, label: str, name: str
    ) -> None:
        make_notice(timedelta(hours=-1), timedelta(hours=1), en="Maintenance tonight")
        html = client.get(url("home", lang=lang)).content.decode()
        button = re.search(r'<button type="submit" class="link-button">(.*?)</button>', html)
        assert button is not None
        assert re.sub(r'<span class="visually-hidden">.*?</span>', "", button[1]) == label
        assert re.sub(r"<[^>]+>", "", button[1]) == name

    def test_it_hides_notices_outside_their_window(self, client: Client) -> None:
        make_notice(timedelta(hours=1), timedelta(hours=2), en="Future notice")
        make_notice(timedelta(hours=-2), timedelta(hours=-1), en="Past notice")
        html = client.get(url("home")).content.decode()
        assert "site-notice" not in html
        with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=30)):
            cache.clear()
            assert "Future notice" in client.get(url("home")).content.decode()
        with time_machine.travel(timezone.now() + timedelta(hours=3)):
            cache.clear()
            assert "site-notice" not in client.get(url("home")).content.decode()

    def test_it_uses_one_query_and_then_the_cache(
        self, client: Client, django_assert_num_queries
    ) -> None:
        from django.test import RequestFactory
        from django.utils import translation

        from supportal.helpcenter.context_processors import notice

        make_notice(timedelta(hours=-1), timedelta(hours=1), en="Hello")
        request = RequestFactory().get("/")
        with translation.override("en"):
            with django_assert_num_queries(1):
                assert notice(request)["site_notice"]["message"] == "Hello"
            with django_assert_num_queries(0):
                assert notice(request)["site_notice"]["message"] == "Hello"

    def test_it_is_dismissed_without_javascript(self, client: Client) -> None:
        notice = make_notice(timedelta(hours=-1), timedelta(hours=1), en="Dismiss me")
        assert "Dismiss me" in client.get(url("home")).content.decode()  # now in the page cache
        response = client.post(url("notice_dismiss", notice.pk), {"next": "/en/help/faq/?x=1"})
        assert response.status_code == 302
        assert response["Location"] == "/en/help/faq/?x=1"
        assert response.cookies[DISMISS_COOKIE].value == str(notice.pk)
        assert "Dismiss me" not in client.get(url("home")).content.decode()

    def test_it_is_dismissed_with_javascript(self, client: Client) -> None:
        notice = make_notice(timedelta(hours=-1), timedelta(hours=1), en="Dismiss me")
        response = client.post(url("notice_dismiss", notice.pk), {"next": "/en/help/"}, **HTMX)
        assert response.status_code == 200
        assert response.content == b""
        assert response.cookies[DISMISS_COOKIE].value == str(notice.pk)

    @pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", ""])
    def test_it_redirects_only_to_this_site(self, client: Client, target: str) -> None:
        notice = make_notice(timedelta(hours=-1), timedelta(hours=1), en="Dismiss me")
        response = client.post(url("notice_dismiss", notice.pk), {"next": target})
        assert response["Location"] == "/en/help/"

    def test_it_shows_a_newer_notice_after_an_older_one_was_dismissed(self, client: Client) -> None:
        old = make_notice(timedelta(hours=-2), timedelta(hours=2), en="Old news")
        client.post(url("notice_dismiss", old.pk), {"next": "/en/help/"})
        make_notice(timedelta(hours=-1), timedelta(hours=2), en="Fresh news")
        cache.clear()
        assert "Fresh news" in client.get(url("home")).content.decode()

    def test_it_drops_unsafe_links(self, client: Client) -> None:
        notice = make_notice(timedelta(hours=-1), timedelta(hours=1), en="Read this")
        notice.translations.update(link_url="javascript:alert(1)")
        html = client.get(url("home")).content.decode()
        assert "javascript:" not in html
        assert "Read this" in html

    def test_it_refuses_get(self, client: Client) -> None:
        notice = make_notice(timedelta(hours=-1), timedelta(hours=1), en="Hi")
        assert client.get(url("notice_dismiss", notice.pk)).status_code == 405
