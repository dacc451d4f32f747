from __future__ import annotations

import datetime as dt
from importlib import import_module
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client, RequestFactory

from supportal.accounts.models import SecurityPolicy, User, UserSession
from supportal.accounts.sessions import key_hash
from supportal.audit.models import AuditEntry
from supportal.test import PASSWORD, Personas

SECURITY = "/en/accounts/security/"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.109 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def browser(user: User, user_agent: str = CHROME) -> Client:
    """A browser that has signed in with the password form."""
    client = Client(HTTP_USER_AGENT=user_agent)
    response = client.post("/en/accounts/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def signed_in(client: Client) -> bool:
    return client.get("/en/accounts/profile/").status_code == 200


def row_of(client: Client) -> UserSession:
    return UserSession.objects.get(pk=client.session["_session_row"])


def store_has(session_key: str) -> bool:
    return import_module(settings.SESSION_ENGINE).SessionStore().exists(session_key)


@pytest.mark.django_db
class SessionListTests:
    def test_it_lists_each_browser_with_its_system_and_marks_this_one(
        self, personas: Personas, django_assert_max_num_queries: Any
    ) -> None:
        laptop = browser(personas.customer, CHROME)
        browser(personas.customer, IPHONE)
        browser(personas.colleague, IPHONE)  # someone else's session is not listed
        laptop.get(SECURITY)
        with django_assert_max_num_queries(16) as two:
            html = laptop.get(SECURITY).content.decode()
        assert "Chrome 120" in html
        assert "Windows 10" in html
        assert "Mobile Safari 17" in html
        assert "iOS 17.1" in html
        assert html.count("(this browser)") == 1
        assert html.index("Chrome 120") < html.index("(this browser)") < html.index("Mobile Safari")
        assert html.count("/sign-out/") == 2  # one button per session
        assert "Sign out of all other sessions" in html
        browser(personas.customer, IPHONE)
        with django_assert_max_num_queries(16) as three:
            laptop.get(SECURITY)
        assert len(two.captured_queries) == len(three.captured_queries)

    def test_it_shows_no_place_without_a_geoip_database(self, personas: Personas) -> None:
        laptop = browser(personas.customer)
        assert "Near " not in laptop.get(SECURITY).content.decode()

    def test_it_removes_the_row_at_sign_out(self, personas: Personas) -> None:
        laptop = browser(personas.customer)
        row = row_of(laptop)
        laptop.post("/en/accounts/logout/")
        assert not UserSession.objects.filter(pk=row.pk).exists()

    def test_it_notes_activity_at_most_once_a_minute(self, personas: Personas) -> None:
        with time_machine.travel(START, tick=False) as traveller:
            laptop = browser(personas.customer)
            row = row_of(laptop)
            traveller.shift(dt.timedelta(seconds=30))
            laptop.get(SECURITY)
            row.refresh_from_db()
            assert row.last_seen_at == START
            traveller.shift(dt.timedelta(seconds=40))
            laptop.get(SECURITY)
            row.refresh_from_db()
            assert row.last_seen_at == START + dt.timedelta(seconds=70)


@pytest.mark.django_db
class SessionSignOutTests:
    @pytest.mark.parametrize(
        "engine",
        ["django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cache"],
    )
    def test_it_really_ends_another_session(
        self, personas: Personas, settings: Any, engine: str
    ) -> None:
        settings.SESSION_ENGINE = engine
        laptop = browser(personas.customer, CHROME)
        phone = browser(personas.customer, IPHONE)
        phone_key = phone.session.session_key
        phone_row = row_of(phone)
        assert store_has(phone_key)
        response = laptop.post(f"/en/accounts/security/sessions/{phone_row.pk}/sign-out/")
        assert response.status_code == 302
        assert not store_has(phone_key)
        assert "That session has been signed out." in laptop.get(SECURITY).content.decode()
        assert not signed_in(phone)
        assert signed_in(laptop)
        entry = AuditEntry.objects.get(action="session.sign_out")
        assert entry.actor == personas.customer
        assert (entry.before["browser"], entry.before["system"]) == ("Mobile Safari 17", "iOS 17.1")

    def test_it_refuses_a_session_whose_row_is_gone(self, personas: Personas) -> None:
        with time_machine.travel(START, tick=False) as traveller:
            laptop = browser(personas.customer)
            row_of(laptop).delete()  # ended elsewhere while its store entry survived
            traveller.shift(dt.timedelta(minutes=2))
            response = laptop.get(SECURITY, follow=True)
        assert response.redirect_chain[0][0].startswith("/en/accounts/login/")
        assert "This session was signed out. Please sign in again." in response.content.decode()
        assert not signed_in(laptop)

    def test_it_signs_out_all_other_sessions(self, personas: Personas) -> None:
        laptop = browser(personas.customer, CHROME)
        phone = browser(personas.customer, IPHONE)
        tablet = browser(personas.customer, IPHONE)
        colleague = browser(personas.colleague)
        response = laptop.post("/en/accounts/security/sessions/sign-out-others/", follow=True)
        assert "2 other sessions have been signed out." in response.content.decode()
        assert not signed_in(phone)
        assert not signed_in(tablet)
        assert signed_in(laptop)
        assert signed_in(colleague)
        assert UserSession.objects.filter(user=personas.customer).count() == 1
        assert AuditEntry.objects.get(action="session.sign_out_all").after == {"ended": 2}
        assert "Sign out of all other sessions" not in laptop.get(SECURITY).content.decode()

    def test_it_signs_out_this_browser_from_its_own_line(self, personas: Personas) -> None:
        laptop = browser(personas.customer)
        response = laptop.post(f"/en/accounts/security/sessions/{row_of(laptop).pk}/sign-out/")
        assert response["Location"] == "/en/accounts/login/"
        assert not signed_in(laptop)

    def test_it_hides_another_persons_session(self, personas: Personas) -> None:
        theirs = row_of(browser(personas.colleague))
        for user in (personas.customer, personas.admin):
            mine = Client()
            mine.force_login(user)
            url = f"/en/accounts/security/sessions/{theirs.pk}/sign-out/"
            assert mine.post(url).status_code == 404
        assert UserSession.objects.filter(pk=theirs.pk).exists()

    def test_it_refuses_a_wrong_method_and_sends_visitors_to_sign_in(
        self, client: Client, personas: Personas
    ) -> None:
        laptop = browser(personas.customer)
        url = f"/en/accounts/security/sessions/{row_of(laptop).pk}/sign-out/"
        assert laptop.get(url).status_code == 405
        assert laptop.get("/en/accounts/security/sessions/sign-out-others/").status_code == 405
        assert client.post(url).status_code == 302
        assert signed_in(laptop)


@pytest.mark.django_db
class PasswordChangeSessionTests:
    def test_it_signs_out_the_other_sessions_and_keeps_this_one(self, personas: Personas) -> None:
        laptop = browser(personas.customer, CHROME)
        phone = browser(personas.customer, IPHONE)
        phone_key = phone.session.session_key
        response = laptop.post(
            "/en/accounts/password/change/",
            {
                "old_password": PASSWORD,
                "new_password1": "a-new-long-passphrase-7",
                "new_password2": "a-new-long-passphrase-7",
            },
        )
        assert response.status_code == 302
        assert not signed_in(phone)
        assert not store_has(phone_key)
        assert signed_in(laptop)
        # The list is right: one session, this browser's, under its new key.
        row = UserSession.objects.get(user=personas.customer)
        assert row.key_hash == key_hash(laptop.session.session_key)
        html = laptop.get(SECURITY).content.decode()
        assert "Mobile Safari" not in html
        assert "(this browser)" in html

    def test_it_signs_out_every_session_after_a_reset(self, personas: Personas) -> None:
        phone = browser(personas.customer, IPHONE)
        visitor = Client()
        visitor.post("/en/accounts/password/reset/", {"email": personas.customer.email})
        from django.contrib.auth.tokens import default_token_generator
        from django.utils.encoding import force_bytes
        from django.utils.http import urlsafe_base64_encode

        personas.customer.refresh_from_db()  # the token depends on the last sign-in
        uid = urlsafe_base64_encode(force_bytes(personas.customer.pk))
        token = default_token_generator.make_token(personas.customer)
        response = visitor.get(f"/en/accounts/password/reset/{uid}/{token}/", follow=True)
        form_url = response.redirect_chain[-1][0]
        response = visitor.post(
            form_url,
            {
                "new_password1": "a-new-long-passphrase-7",
                "new_password2": "a-new-long-passphrase-7",
            },
        )
        assert response.status_code == 302
        assert not UserSession.objects.filter(user=personas.customer).exists()
        assert not signed_in(phone)


@pytest.mark.django_db
class IdleTimeoutTests:
    def test_it_signs_out_an_idle_session_with_a_message(self, personas: Personas) -> None:
        policy = SecurityPolicy.current()
        policy.session_idle_minutes = 30
        policy.save()
        with time_machine.travel(START, tick=False) as traveller:
            laptop = browser(personas.customer)
            row = row_of(laptop)
            traveller.shift(dt.timedelta(minutes=31))
            response = laptop.get("/ko/accounts/security/", follow=True)
        assert response.redirect_chain[0][0].startswith("/ko/accounts/login/?next=")
        from django.utils import translation
        from django.utils.translation import gettext

        with translation.override("ko"):
            message = gettext(
                "You were signed out after a period of inactivity. Please sign in again."
            )
        assert message in response.content.decode()
        assert not signed_in(laptop)
        assert not UserSession.objects.filter(pk=row.pk).exists()

    def test_it_keeps_an_active_session(self, personas: Personas) -> None:
        policy = SecurityPolicy.current()
        policy.session_idle_minutes = 30
        policy.save()
        with time_machine.travel(START, tick=False) as traveller:
            laptop = browser(personas.customer)
            for _ in range(4):
                traveller.shift(dt.timedelta(minutes=20))
                assert signed_in(laptop)
            html = laptop.get(SECURITY).content.decode()
        assert "You are signed out after 30 minutes without activity." in html

    def test_pages_carry_the_warning_and_stay_signed_in_restarts_the_clock(
        self, personas: Personas
    ) -> None:
        # WCAG 2.2.1: idle.js warns two minutes before; "Stay signed in" notes activity now.
        policy = SecurityPolicy.current()
        policy.session_idle_minutes = 30
        policy.save()
        with time_machine.travel(START, tick=False) as traveller:
            laptop = browser(personas.customer)
            traveller.shift(dt.timedelta(seconds=20))
            html = laptop.get("/en/help/").content.decode()
            assert 'id="idle-warning"' in html and 'data-limit="1800"' in html
            assert 'data-left="1780"' in html  # counted from the sign-in, 20 s ago
            assert "you will be signed out in 2 minutes." in html
            for _n in range(12):  # 29 minutes idle each time, then the button
                traveller.shift(dt.timedelta(minutes=29))
                assert laptop.post("/en/accounts/session/keep/").status_code == 204
            traveller.shift(dt.timedelta(minutes=29))
            assert signed_in(laptop)
            traveller.shift(dt.timedelta(minutes=31))
            assert not signed_in(laptop)
            # Signed out: the button cannot bring the session back.
            response = laptop.post("/en/accounts/session/keep/")
            assert response.status_code == 302
            assert response["Location"].startswith("/en/accounts/login/")

    def test_without_a_limit_pages_carry_no_warning(self, personas: Personas) -> None:
        laptop = browser(personas.agent)
        assert 'id="idle-warning"' not in laptop.get("/en/agent/").content.decode()
        assert 'id="idle-warning"' not in Client().get("/en/help/").content.decode()

    def test_it_keeps_sessions_without_a_limit(self, personas: Personas) -> None:
        with time_machine.travel(START, tick=False) as traveller:
            laptop = browser(personas.customer)
            traveller.shift(dt.timedelta(days=3))
            assert signed_in(laptop)


@pytest.mark.django_db
class SignOutEverywhereTests:
    def url(self, person: User) -> str:
        return f"/en/accounts/people/{person.pk}/sign-out-everywhere/"

    def test_it_lets_an_admin_sign_a_person_out_everywhere(self, personas: Personas) -> None:
        laptop = browser(personas.agent, CHROME)
        phone = browser(personas.agent, IPHONE)
        admin = browser(personas.admin)
        response = admin.post(
            self.url(personas.agent), {"next": "/en/agent/people/"}, HTTP_REFERER="/x/"
        )
        assert response["Location"] == "/en/agent/people/"
        message = "Jiwoo Agent has been signed out of 2 sessions."
        assert message in admin.get(SECURITY).content.decode()
        assert not signed_in(laptop)
        assert not signed_in(phone)
        assert signed_in(admin)
        assert not UserSession.objects.filter(user=personas.agent).exists()
        entry = AuditEntry.objects.get(action="session.sign_out_everywhere_by_admin")
        assert entry.actor == personas.admin
        assert entry.target_id == str(personas.agent.pk)
        assert entry.after == {"ended": 2}

    def test_it_refuses_customers_and_agents(self, personas: Personas) -> None:
        target = browser(personas.colleague)
        for user in (personas.customer, personas.agent):
            client = Client()
            client.force_login(user)
            assert client.post(self.url(personas.colleague)).status_code == 403
        assert signed_in(target)

    def test_it_answers_404_for_no_such_person_and_405_for_a_get(self, personas: Personas) -> None:
        admin = browser(personas.admin)
        assert admin.post("/en/accounts/people/999999/sign-out-everywhere/").status_code == 404
        assert admin.get(self.url(personas.customer)).status_code == 405

    def test_it_shows_the_count_and_the_button_on_the_person_page(self, personas: Personas) -> None:
        browser(personas.customer, CHROME)
        browser(personas.customer, IPHONE)
        request = RequestFactory().get("/en/agent/people/")
        request.user = personas.admin
        html = render_to_string(
            "accounts/security/_person_sessions.html",
            {"person": personas.customer},
            request=request,
        )
        assert "Signed in on 2 browsers." in html
        assert self.url(personas.customer) in html
        assert 'value="/en/agent/people/"' in html
        html = render_to_string(
            "accounts/security/_person_sessions.html", {"person": personas.outsider}
        )
        assert "Signed in on 0 browsers." in html
        assert "sign-out-everywhere" not in html
