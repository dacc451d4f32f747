"""Changing one's email address: asked for after a recent password check, done through a link
emailed to the new address, told to the old one, recorded in the audit log."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.test import Client

from supportal.accounts.models import User
from supportal.audit.models import AuditEntry
from supportal.core.models import OutboundEmail
from supportal.test import Personas, make_user

pytestmark = pytest.mark.django_db

URL = "/en/accounts/email/change/"
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def mail_to(address: str) -> list[OutboundEmail]:
    return [mail for mail in OutboundEmail.objects.order_by("pk") if address in mail.recipients]


def link_path(mail: OutboundEmail) -> str:
    match = re.search(r"https?://[^/\s]+(/\S+/accounts/email/change/[^/\s]+/)", mail.body_text)
    assert match, mail.body_text
    return match.group(1)


def ask(client: Client, email: str) -> Any:
    return client.post(URL, {"email": email})


def page(response: Any) -> str:
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r"[\w.+-]+@[\w.-]+", "EMAIL", html)


class EmailChangeRequestTests:
    def test_it_shows_the_form_with_the_current_address(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.customer)
        response = client.get(URL)
        html = response.content.decode()
        assert response.status_code == 200
        assert "<h1>Change email address</h1>" in html
        assert personas.customer.email in html
        assert 'name="email"' in html and 'type="email"' in html

    def test_it_asks_for_the_password_again_after_ten_minutes(
        self, client: Client, personas: Personas
    ) -> None:
        with time_machine.travel(START, tick=False) as traveller:
            client.force_login(personas.customer)
            traveller.shift(11 * 60)
            response = client.get(URL)
        assert response.status_code == 302
        assert response["Location"].startswith("/en/accounts/reauth/?next=")

    def test_it_sends_a_visitor_to_sign_in(self, client: Client, db: None) -> None:
        response = client.get(URL)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]

    def test_it_refuses_a_wrong_method(self, client: Client, personas: Personas) -> None:
        client.force_login(personas.customer)
        assert client.put(URL).status_code == 405

    def test_it_mails_a_link_to_the_new_address_and_a_notice_to_the_old_one(
        self, client: Client, personas: Personas
    ) -> None:
        customer = personas.customer
        old = customer.email
        client.force_login(customer)
        response = ask(client, "Casey.New@Example.test")
        assert response.status_code == 302
        assert response["Location"] == "/en/accounts/email/change/sent/"
        sent = client.get(response["Location"]).content.decode()
        assert "casey.new@example.test" in sent
        assert old in sent  # still in use until the link is opened
        [link] = mail_to("casey.new@example.test")
        assert link_path(link).startswith("/en/accounts/email/change/")
        assert "The link works for 24 hours" in link.body_text
        [notice] = mail_to(old)
        assert "casey.new@example.test" in notice.body_text
        assert "/en/accounts/password/reset/" in notice.body_text
        customer.refresh_from_db()
        assert customer.email == old  # nothing changes before the link is followed

    def test_it_writes_to_the_person_in_their_language(self, client: Client, db: None) -> None:
        person = make_user("min@example.test", language="ko")
        client.force_login(person)
        ask(client, "min.new@example.test")
        [link] = mail_to("min.new@example.test")
        assert link_path(link).startswith("/ko/accounts/email/change/")

    def test_an_address_in_use_gets_the_same_answer_and_its_owner_nothing(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.customer)
        taken = ask(client, personas.colleague.email)
        taken_page = client.get(taken["Location"])
        free = ask(client, "nobody-yet@example.test")
        free_page = client.get(free["Location"])
        assert taken.status_code == free.status_code == 302
        assert taken["Location"] == free["Location"]
        assert page(taken_page) == page(free_page)
        assert mail_to(personas.colleague.email) == []
        assert len(mail_to(personas.customer.email)) == 2  # a notice each time

    def test_it_refuses_the_current_address_and_keeps_what_was_typed(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.customer)
        response = ask(client, personas.customer.email.upper())
        html = response.content.decode()
        assert response.status_code == 400
        assert "This is already your email address." in html
        assert f'value="{personas.customer.email.upper()}"' in html
        assert OutboundEmail.objects.count() == 0

    def test_it_refuses_something_that_is_not_an_address(
        self, client: Client, personas: Personas
    ) -> None:
        client.force_login(personas.customer)
        response = ask(client, "not an address")
        assert response.status_code == 400
        assert "Enter a valid email address." in response.content.decode()
        assert OutboundEmail.objects.count() == 0


class EmailChangeConfirmTests:
    def _link(self, client: Client, user: User, new: str = "casey.new@example.test") -> str:
        client.force_login(user)
        ask(client, new)
        return link_path(mail_to(new)[0])

    def test_opening_the_link_asks_to_confirm_and_changes_nothing(
        self, client: Client, personas: Personas
    ) -> None:
        path = self._link(client, personas.customer)
        response = Client().get(path)
        html = response.content.decode()
        assert response.status_code == 200
        assert "casey.new@example.test" in html
        assert "Use this address" in html
        personas.customer.refresh_from_db()
        assert personas.customer.email != "casey.new@example.test"

    def test_confirming_changes_the_address_and_records_it(
        self, client: Client, personas: Personas
    ) -> None:
        old = personas.customer.email
        path = self._link(client, personas.customer)
        response = client.post(path)
        assert response.status_code == 302
        assert response["Location"] == "/en/accounts/profile/"
        profile = client.get(response["Location"]).content.decode()
        assert "Your email address is now casey.new@example.test." in profile
        customer = User.objects.get(pk=personas.customer.pk)
        assert customer.email == "casey.new@example.test"
        assert customer.email_verified
        entry = AuditEntry.objects.get(action="account.email_change")
        assert (entry.before, entry.after) == ({"email": old}, {"email": customer.email})
        assert entry.actor == customer and entry.target_id == str(customer.pk)

    def test_it_works_from_another_browser_and_only_once(
        self, client: Client, personas: Personas
    ) -> None:
        path = self._link(client, personas.customer)
        elsewhere = Client()
        response = elsewhere.post(path)
        assert response.status_code == 302
        assert response["Location"] == "/en/accounts/login/"
        again = elsewhere.post(path)
        assert again.status_code == 200
        assert "already been changed" in again.content.decode()
        assert AuditEntry.objects.filter(action="account.email_change").count() == 1

    def test_an_expired_link_changes_nothing(self, client: Client, personas: Personas) -> None:
        with time_machine.travel(START, tick=False) as traveller:
            path = self._link(client, personas.customer)
            traveller.shift(dt.timedelta(hours=24, seconds=1))
            response = Client().post(path)
        assert response.status_code == 400
        assert "This link has expired" in response.content.decode()
        personas.customer.refresh_from_db()
        assert personas.customer.email == "casey@acme.test"

    def test_a_forged_link_changes_nothing(self, client: Client, personas: Personas) -> None:
        path = self._link(client, personas.customer)
        response = Client().post(path.replace("/change/", "/change/x"))
        assert response.status_code == 400
        assert "This link is not valid" in response.content.decode()
        assert AuditEntry.objects.filter(action="account.email_change").count() == 0

    def test_an_older_link_stops_working_once_another_change_is_made(
        self, client: Client, personas: Personas
    ) -> None:
        first = self._link(client, personas.customer, "first@example.test")
        second = self._link(client, personas.customer, "second@example.test")
        assert client.post(second).status_code == 302
        response = client.post(first)
        assert response.status_code == 400
        personas.customer.refresh_from_db()
        assert personas.customer.email == "second@example.test"

    def test_an_address_taken_meanwhile_changes_nothing(
        self, client: Client, personas: Personas
    ) -> None:
        path = self._link(client, personas.customer)
        make_user("casey.new@example.test")
        response = Client().post(path)
        assert response.status_code == 400
        assert "This address cannot be used" in response.content.decode()
        personas.customer.refresh_from_db()
        assert personas.customer.email == "casey@acme.test"

    def test_it_refuses_a_wrong_method(self, client: Client, personas: Personas) -> None:
        path = self._link(client, personas.customer)
        assert client.put(path).status_code == 405

    def test_asking_is_rate_limited(
        self, client: Client, settings: Any, personas: Personas
    ) -> None:
        settings.RATE_LIMITS = {**settings.RATE_LIMITS, "mail_action": "2/h"}
        client.force_login(personas.customer)
        ask(client, "a@example.test")
        ask(client, "b@example.test")
        assert ask(client, "c@example.test").status_code == 429
        assert mail_to("c@example.test") == []
