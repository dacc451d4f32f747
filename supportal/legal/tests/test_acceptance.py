"""Signed-in people are asked once to accept a new version, then sent back to their page."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from supportal.accounts.models import User
from supportal.legal import current as current_module
from supportal.legal.models import PolicyAcceptance
from supportal.legal.tests.helpers import publish
from supportal.test import Personas

pytestmark = pytest.mark.django_db

PAGE = "/en/requests/"
ACCEPT = "/en/legal/accept/"


def accept_from(client: Client, location: str) -> Any:
    """Opens the acceptance page at `location` and presses "I accept"."""
    page = client.get(location)
    assert page.status_code == 200
    versions = [str(d["version"].pk) for d in page.context["documents"]]
    return client.post(ACCEPT, {"next": page.context["next"], "version": versions})


class AcceptanceTests:
    def test_it_asks_once_and_returns_to_the_page(self, client: Client, personas: Personas) -> None:
        version = publish("privacy", summaries={"en": "We now say how long we keep data."})
        client.force_login(personas.customer)
        response = client.get(f"{PAGE}?status=open")
        assert response.status_code == 302
        assert response["Location"] == f"{ACCEPT}?next=%2Fen%2Frequests%2F%3Fstatus%3Dopen"
        page = client.get(response["Location"]).content.decode()
        assert "Please review our updated policies" in page
        assert "We now say how long we keep data." in page
        assert "We keep your requests so that we can answer them." in page
        assert "I accept" in page
        accepted = accept_from(client, response["Location"])
        assert accepted.status_code == 302
        assert accepted["Location"] == f"{PAGE}?status=open"
        acceptance = PolicyAcceptance.objects.get(user=personas.customer)
        assert acceptance.version == version and acceptance.ip == "127.0.0.1"
        assert client.get(PAGE).status_code == 200
        # A new session (signing in again) is checked once against the database, not asked.
        again = Client()
        again.force_login(personas.customer)
        assert again.get(PAGE).status_code == 200
        assert PolicyAcceptance.objects.count() == 1

    def test_agents_are_asked_too(self, client: Client, personas: Personas) -> None:
        publish("terms", {"en": "Terms."})
        client.force_login(personas.agent)
        response = client.get("/en/agent/")
        assert response.status_code == 302 and response["Location"].startswith(ACCEPT)

    def test_it_does_not_ask_for_a_version_that_needs_no_acceptance(
        self, client: Client, personas: Personas
    ) -> None:
        publish("privacy", requires_acceptance=False)
        client.force_login(personas.customer)
        assert client.get(PAGE).status_code == 200

    def test_a_correction_does_not_ask_again_but_a_new_version_does(
        self, client: Client, personas: Personas
    ) -> None:
        publish("privacy")
        client.force_login(personas.customer)
        accept_from(client, client.get(PAGE)["Location"])
        publish("privacy", requires_acceptance=False)
        assert client.get(PAGE).status_code == 200
        publish("privacy", {"en": "New rules."})
        response = client.get(PAGE)
        assert response.status_code == 302
        assert "New rules." in client.get(response["Location"]).content.decode()

    def test_it_does_not_redirect_what_is_not_a_page_view(
        self, client: Client, personas: Personas
    ) -> None:
        publish("privacy")
        client.force_login(personas.customer)
        assert client.get(PAGE, headers={"HX-Request": "true"}).status_code == 200
        assert client.get(PAGE, headers={"Accept": "application/json"}).status_code == 200
        assert client.get(PAGE, headers={"Sec-Fetch-Dest": "empty"}).status_code == 200
        assert client.get("/en/privacy/").status_code == 200
        assert client.get("/en/accounts/profile/").status_code == 200
        assert client.get("/robots.txt").status_code == 200
        assert client.get(PAGE).status_code == 302  # and a plain page view is

    def test_visitors_are_not_asked(self, client: Client) -> None:
        publish("privacy")
        assert client.get("/en/help/").status_code == 200

    def test_it_costs_no_query_once_accepted(
        self,
        client: Client,
        personas: Personas,
        django_assert_num_queries: Any,
        monkeypatch: pytest.MonkeyPatch,
        settings: Any,
    ) -> None:
        settings.PERSONAL_PAGE_CACHE = False  # the middleware's own queries, page by page
        client.force_login(personas.customer)
        client.get(PAGE)
        with CaptureQueriesContext(connection) as before:
            assert client.get(PAGE).status_code == 200
        baseline = len(before)  # read now: the next request clears the connection's log
        assert baseline > 0
        # No shared-cache recheck within the test, however slow the machine.
        monkeypatch.setattr(current_module._copy, "recheck", 3600)
        publish("privacy")
        publish("terms", {"en": "Terms."})
        accept_from(client, client.get(PAGE)["Location"])
        client.get(PAGE)
        with django_assert_num_queries(baseline):
            assert client.get(PAGE).status_code == 200

    def test_a_newer_version_published_meanwhile_is_shown_first(
        self, client: Client, personas: Personas
    ) -> None:
        old = publish("privacy")
        client.force_login(personas.customer)
        publish("privacy", {"en": "Even newer."})
        response = client.post(ACCEPT, {"next": PAGE, "version": [str(old.pk)]})
        assert response.status_code == 400
        page = response.content.decode()
        assert "A newer version was published meanwhile." in page and "Even newer." in page
        assert not PolicyAcceptance.objects.exists()

    def test_it_ignores_a_next_address_on_another_site(
        self, client: Client, personas: Personas
    ) -> None:
        publish("privacy")
        client.force_login(personas.customer)
        response = accept_from(client, f"{ACCEPT}?next=https://evil.test/")
        assert response["Location"] == "/en/"

    def test_the_page_needs_a_signed_in_user_and_get_or_post(
        self, client: Client, personas: Personas
    ) -> None:
        response = client.get(ACCEPT)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        client.force_login(personas.customer)
        assert client.put(ACCEPT).status_code == 405
        # Nothing to accept: straight back.
        assert client.get(f"{ACCEPT}?next={PAGE}")["Location"] == PAGE


SIGNUP = {
    "name": "Hana Lee",
    "email": "hana@example.test",
    "password1": "violet-harbour-1987",
    "password2": "violet-harbour-1987",
}


class SignupAcceptanceTests:
    def test_new_accounts_accept_the_current_versions_when_they_sign_up(
        self, client: Client
    ) -> None:
        privacy = publish("privacy")
        terms = publish("terms", {"en": "Terms."})
        form = client.get("/en/accounts/signup/").content.decode()
        assert 'name="accept_policies"' in form
        assert '<a href="/en/terms/">Terms of service</a>' in form
        refused = client.post("/en/accounts/signup/", SIGNUP)
        assert refused.status_code == 200
        assert "Please accept to create an account." in refused.content.decode()
        assert 'value="hana@example.test"' in refused.content.decode()
        response = client.post("/en/accounts/signup/", {**SIGNUP, "accept_policies": "on"})
        assert response.status_code == 302
        accepted = PolicyAcceptance.objects.filter(user__email="hana@example.test")
        assert {a.version_id for a in accepted} == {privacy.pk, terms.pk}
        # Once verified and signed in, they are not asked again.
        User.objects.filter(email="hana@example.test").update(email_verified_at=timezone.now())
        fresh = Client()
        assert fresh.login(username="hana@example.test", password=SIGNUP["password1"])
        assert fresh.get(PAGE).status_code == 200

    def test_without_a_published_policy_there_is_no_checkbox(self, client: Client) -> None:
        assert 'name="accept_policies"' not in client.get("/en/accounts/signup/").content.decode()
